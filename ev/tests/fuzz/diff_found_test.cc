/*
 * diff_found_test.cc - the divergences from libev 4.33 that the differential fuzzer
 * (diff_fuzzer.c) found, as plain tests on every backend (its inputs for them are in
 * diffregressions/ and replayed against libev by diff_replay_test).
 */
#include "ev/tests/test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace {

class DiffFoundTest : public evtest::LoopTest {
  protected:
    unsigned ExtraFlags() const override { return EVFLAG_SIGNALFD; }
};

int idles;

/* Runs body in a forked child and returns its exit status (or 99 for a crash). */
template <class F> int InChild(F body)
{
    fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

/* After ev_loop_fork, libev looks at its signal/async pipe once more (a pending pipe watcher of
 * the highest priority, so idle watchers wait one iteration), but it has that pipe only for
 * async watchers and caught signals: a signalfd loop has none, and its idle watchers run in the
 * first iteration. ev made the channel for every signal watcher and always looked again. */
TEST_P(DiffFoundTest, IdleRunsInTheFirstIterationAfterForkOfASignalfdLoop)
{
    ev_signal s;
    ev_signal_init(
        &s, [](struct ev_loop *, ev_signal *, int) {}, SIGUSR2);
    ev_signal_start(loop, &s);
    ev_idle i;
    ev_idle_init(&i, [](struct ev_loop *, ev_idle *, int) { ++idles; });
    ev_idle_start(loop, &i);
    int st = InChild([&] {
        idles = 0;
        ev_loop_fork(loop);
        ev_run(loop, EVRUN_NOWAIT);
        return idles;
    });
    EXPECT_EQ(st, 1);
    ev_idle_stop(loop, &i);
    ev_signal_stop(loop, &s);
}

/* The other half: with an async watcher the pipe exists, and the first iteration after the fork
 * has no idle call (the second has). */
TEST_P(DiffFoundTest, IdleWaitsOneIterationAfterForkWithAnAsyncWatcher)
{
    ev_async a;
    ev_async_init(&a, [](struct ev_loop *, ev_async *, int) {});
    ev_async_start(loop, &a);
    ev_idle i;
    ev_idle_init(&i, [](struct ev_loop *, ev_idle *, int) { ++idles; });
    ev_idle_start(loop, &i);
    int st = InChild([&] {
        idles = 0;
        ev_loop_fork(loop);
        ev_run(loop, EVRUN_NOWAIT);
        int first = idles;
        ev_run(loop, EVRUN_NOWAIT);
        return first * 10 + idles;
    });
    EXPECT_EQ(st, 1);
    ev_idle_stop(loop, &i);
    ev_async_stop(loop, &a);
}

int prepares, calls;

/* A callback queued before ev_run that calls ev_break: libev still runs the fork and prepare
 * watchers of the first iteration, then ends the loop. ev ended it before them. */
TEST_P(DiffFoundTest, BreakFromACallbackQueuedBeforeRunStillRunsPrepareWatchers)
{
    ev_idle queued; /* never started: only fed */
    ev_idle_init(&queued, [](struct ev_loop *l, ev_idle *, int) {
        ++calls;
        ev_break(l, EVBREAK_ONE);
    });
    ev_prepare p;
    ev_prepare_init(&p, [](struct ev_loop *, ev_prepare *, int) { ++prepares; });
    ev_prepare_start(loop, &p);
    calls = prepares = 0;
    ev_feed_event(loop, &queued, EV_CUSTOM);
    ev_run(loop, 0);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(prepares, 1);
    EXPECT_EQ(ev_iteration(loop), 0u); /* no poll */
    ev_prepare_stop(loop, &p);
}

/* More ev_unref than references: libev's loop goes on while the count is not zero (negative
 * included), ev ended when it was not positive. */
TEST_P(DiffFoundTest, NegativeReferenceCountKeepsTheLoopRunning)
{
    ev_idle i;
    ev_idle_init(&i, [](struct ev_loop *l, ev_idle *, int) {
        if (++calls == 3)
            ev_break(l, EVBREAK_ONE);
    });
    ev_idle_start(loop, &i);
    ev_unref(loop);
    ev_unref(loop); /* -1 with the idle watcher (the fixture's deadline is unreferenced) */
    calls = 0;
    EXPECT_EQ(ev_run(loop, 0), -1);
    EXPECT_EQ(calls, 3);
    ev_ref(loop);
    ev_ref(loop);
    ev_idle_stop(loop, &i);
}

int stat_calls;

/* A missing path is watched through its directory; when the file appeared, ev moved the watch to
 * it only if its own last stat had seen the path missing. After an ev_stat_stat that already
 * saw the new file, the watch stayed on the directory and later writes were never reported. */
TEST_P(DiffFoundTest, StatFollowsAFileCreatedAfterAManualStat)
{
    char dir[] = "/tmp/ev-diff-found.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/f";
    ev_stat w;
    ev_stat_init(
        &w, [](struct ev_loop *, ev_stat *, int) { ++stat_calls; }, path.c_str(), 0.);
    ev_stat_start(loop, &w);
    if (w.wd < 0) {
        ev_stat_stop(loop, &w);
        rmdir(dir);
        GTEST_SKIP() << "no inotify";
    }
    auto append = [&] {
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(write(fd, "x", 1), 1);
        close(fd);
    };
    append();               /* created */
    ev_stat_stat(loop, &w); /* sees it already */
    append();
    stat_calls = 0;
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(stat_calls, 1);
    append(); /* only a watch on the file itself reports this one */
    stat_calls = 0;
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(stat_calls, 1);
    ev_stat_stop(loop, &w);
    unlink(path.c_str());
    rmdir(dir);
}

int invokes;

/* ev_loop_destroy invokes the cleanup watchers (with whatever else is queued) through the loop's
 * invoke callback, as ev_run does; ev called ev_invoke_pending directly. */
TEST_P(DiffFoundTest, LoopDestroyInvokesCleanupsThroughTheInvokeCallback)
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | GetParam());
    ASSERT_NE(l, nullptr);
    ev_cleanup c;
    ev_cleanup_init(&c, [](struct ev_loop *, ev_cleanup *, int) { ++calls; });
    ev_cleanup_start(l, &c);
    ev_set_invoke_pending_cb(l, [](struct ev_loop *lp) {
        ++invokes;
        ev_invoke_pending(lp);
    });
    calls = invokes = 0;
    ev_loop_destroy(l);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(invokes, 1);
}

EV_ALL_BACKENDS(DiffFoundTest);

} // namespace
