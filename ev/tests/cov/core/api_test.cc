// Corners of ev/core reached through the public API that the main suites leave out: loop
// settings given odd values, the wake-up channel's early sends, pre-run breaks, block times
// without timers, embed/periodic/signal/child/stat corners and the metrics' less common paths.
// Each asserts what a program sees; backend-dependent ones run on every backend.
#include "ev/tests/cov/core/cov_util.h"
#include "ev/tests/test_util.h"

#include <ev_metrics.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <string>

namespace {

using covcore::ExitedOk;
using covcore::RunChild;

template <class W> void Nop(struct ev_loop *, W *, int) {}

template <class W> void Count(struct ev_loop *, W *w, int)
{
    ++*static_cast<int *>(w->data);
}

class CovApiTest : public evtest::LoopTest {};

/* A loop of the test's backend without the fixture's deadline timer, for the tests of how long
 * the loop blocks when there are no timers: a ready pipe ends every ev_run. */
struct Bare {
    struct ev_loop *loop;
    int p[2] = {-1, -1};
    ev_io io;
    int io_calls = 0;
    explicit Bare(unsigned flags)
    {
        loop = ev_loop_new(EVFLAG_NOENV | flags);
        if (pipe(p) == 0 && write(p[1], "x", 1) == 1) {
            ev_io_init(&io, Count<ev_io>, p[0], EV_READ);
            io.data = &io_calls;
            ev_io_start(loop, &io);
        }
    }
    ~Bare()
    {
        ev_io_stop(loop, &io);
        ev_loop_destroy(loop);
        close(p[0]);
        close(p[1]);
    }
};

TEST_P(CovApiTest, OddSettingsAreHarmless)
{
    ev_set_io_collect_interval(loop, -1.);
    ev_set_timeout_collect_interval(loop, -1.);
    int calls = 0;
    ev_set_invoke_pending_cb(loop, nullptr); // the default
    ev_timer t;
    ev_timer_init(&t, Count<ev_timer>, 0., 0.);
    t.data = &calls;
    ev_timer_start(loop, &t);
    ASSERT_TRUE(RunUntil([&] { return calls == 1; }));
    static int acquired;
    acquired = 0;
    ev_set_loop_release_cb(loop, nullptr, [](struct ev_loop *) { ++acquired; });
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_GE(acquired, 1);
    ev_set_loop_release_cb(loop, nullptr, nullptr);
}

TEST(CovLoop, DestroyNullAndDestroyedDefault)
{
    ev_loop_destroy(nullptr); // nothing to do
    int st = RunChild([] {
        struct ev_loop *d = ev_default_loop(EVFLAG_NOENV);
        COV_CHECK(d);
        ev_loop_destroy(d);
        ev_loop_destroy(d); // already gone: a no-op
        COV_CHECK(ev_default_loop(EVFLAG_NOENV) == d);
        ev_loop_destroy(d);
        return 0;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
}

// A send on a watcher not started yet, before the loop had a wake-up channel: the channel made
// afterwards looks at the flags once, so a later send on a started watcher is not lost.
TEST_P(CovApiTest, SendBeforeTheChannelExisted)
{
    ev_async early, later;
    ev_async_init(&early, Nop<ev_async>);
    int calls = 0;
    ev_async_init(&later, Count<ev_async>);
    later.data = &calls;
    ev_async_send(loop, &early); // no channel yet
    ev_run(loop, EVRUN_NOWAIT);  // the skipped wake-up finds no channel to read
    ev_async_start(loop, &later);
    ev_async_send(loop, &later);
    EXPECT_TRUE(RunUntil([&] { return calls == 1; }));
    ev_async_stop(loop, &later);
}

// A break from a callback queued before ev_run, with a prepare watcher: the prepare watchers
// run, and the loop ends before polling.
TEST_P(CovApiTest, BreakBeforeTheFirstIterationWithPrepare)
{
    int prepares = 0;
    ev_prepare pr;
    ev_prepare_init(&pr, Count<ev_prepare>);
    pr.data = &prepares;
    ev_prepare_start(loop, &pr);
    ev_timer t;
    ev_timer_init(
        &t, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ONE); }, 1., 0.);
    ev_feed_event(loop, &t, EV_TIMER);
    unsigned it = ev_iteration(loop);
    ev_run(loop, 0);
    EXPECT_EQ(prepares, 1);
    EXPECT_EQ(ev_iteration(loop), it);
    ev_prepare_stop(loop, &pr);
}

// EVFLAG_FORKCHECK and a prepare watcher calling ev_loop_fork: the fork watchers run at the
// next iteration.
TEST_P(CovApiTest, ForkNoticedByAPrepareWatcher)
{
    StopDeadline();
    ev_loop_destroy(loop);
    loop = ev_loop_new(EVFLAG_NOENV | EVFLAG_FORKCHECK | GetParam());
    ASSERT_NE(loop, nullptr);
    ev_set_userdata(loop, this);
    Deadline(10.);
    int forks = 0;
    ev_fork fk;
    ev_fork_init(&fk, Count<ev_fork>);
    fk.data = &forks;
    ev_fork_start(loop, &fk);
    ev_prepare pr;
    ev_prepare_init(&pr, [](struct ev_loop *l, ev_prepare *w, int) {
        ev_loop_fork(l);
        ev_prepare_stop(l, w);
    });
    ev_prepare_start(loop, &pr);
    ev_run(loop, EVRUN_NOWAIT);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(forks, 1);
    ev_fork_stop(loop, &fk);
}

// Only periodics (no timers), without a timerfd: the loop computes the time itself and wakes at
// least once a minute; with io collecting and no timeout at all.
TEST_P(CovApiTest, BlockTimeWithoutTimers)
{
    for (unsigned extra : {0u, (unsigned)EVFLAG_NOTIMERFD}) {
        Bare b(GetParam() | extra);
        ASSERT_NE(b.loop, nullptr);
        ev_periodic p;
        ev_periodic_init(&p, Nop<ev_periodic>, ev_now(b.loop) + 3600., 0., nullptr);
        ev_periodic_start(b.loop, &p);
        ev_run(b.loop, EVRUN_ONCE);
        EXPECT_EQ(b.io_calls, 1);
        ev_periodic_stop(b.loop, &p);
        ev_set_io_collect_interval(b.loop, 0.001); // no timer: collect, then block
        ev_run(b.loop, EVRUN_ONCE);
        EXPECT_EQ(b.io_calls, 2);
    }
}

// A timer due before a periodic, and one after it.
TEST_P(CovApiTest, TimerAndPeriodicDeadlines)
{
    int pc = 0, tc = 0;
    ev_periodic p;
    ev_periodic_init(&p, Count<ev_periodic>, ev_now(loop) + 0.02, 0., nullptr);
    p.data = &pc;
    ev_timer t;
    ev_timer_init(&t, Count<ev_timer>, 0.01, 0.);
    t.data = &tc;
    ev_periodic_start(loop, &p);
    ev_timer_start(loop, &t);
    ASSERT_TRUE(RunUntil([&] { return pc == 1 && tc == 1; }));
    ev_periodic_set(&p, ev_now(loop) + 0.01, 0., nullptr);
    ev_timer_set(&t, 0.03, 0.);
    ev_periodic_start(loop, &p);
    ev_timer_start(loop, &t);
    ASSERT_TRUE(RunUntil([&] { return pc == 2 && tc == 2; }));
}

// Started twice, the second start changes nothing.
TEST_P(CovApiTest, StartTwice)
{
    ev_periodic p;
    ev_periodic_init(&p, Nop<ev_periodic>, 0., 60., nullptr);
    ev_periodic_start(loop, &p);
    ev_tstamp at = ev_periodic_at(&p);
    ev_periodic_start(loop, &p);
    EXPECT_EQ(ev_periodic_at(&p), at);
    ev_periodic_stop(loop, &p);
    ev_signal s;
    ev_signal_init(&s, Nop<ev_signal>, SIGUSR1);
    ev_signal_start(loop, &s);
    ev_signal_start(loop, &s);
    ev_signal_stop(loop, &s);
    EXPECT_FALSE(ev_is_active(&s));
    ev_stat st;
    ev_stat_init(&st, Nop<ev_stat>, "/", 0.);
    ev_stat_start(loop, &st);
    ev_stat_start(loop, &st);
    ev_stat_stop(loop, &st);
    EXPECT_FALSE(ev_is_active(&st));
    // two idle watchers of one priority: stopping one leaves the other running
    int ic = 0;
    ev_idle i1, i2;
    ev_idle_init(&i1, Nop<ev_idle>);
    ev_idle_init(&i2, Count<ev_idle>);
    i2.data = &ic;
    ev_idle_start(loop, &i1);
    ev_idle_start(loop, &i2);
    ev_idle_stop(loop, &i1);
    EXPECT_TRUE(RunUntil([&] { return ic >= 1; }));
    ev_idle_stop(loop, &i2);
}

// Periodic grids whose offset is far from now: before it (floor of a negative quotient), beyond
// 2^52 intervals away, and so far that the offset's own rounding dwarfs the interval (that one
// once stepped through every interval from 0 to now: hours with a millisecond interval).
TEST_P(CovApiTest, PeriodicOffsetsFarAway)
{
    ev_tstamp now = ev_now(loop);
    struct {
        ev_tstamp offset, interval;
    } cases[] = {{now + 1000.5, 10.}, {now + 1e17, 1.}, {1e300, 0.001}, {-1e300, 0.001}};
    for (auto c : cases) {
        ev_periodic p;
        ev_periodic_init(&p, Nop<ev_periodic>, c.offset, c.interval, nullptr);
        int st = RunChild([&] {
            alarm(10);
            ev_periodic_start(loop, &p);
            return 0;
        });
        EXPECT_TRUE(ExitedOk(st)) << c.offset << " " << c.interval << ": " << st;
        if (!ExitedOk(st))
            continue;
        ev_periodic_start(loop, &p);
        EXPECT_GT(ev_periodic_at(&p), ev_now(loop)) << c.offset;
        EXPECT_LE(ev_periodic_at(&p), ev_now(loop) + 64.) << c.offset; // 1e17: steps of 16
        ev_periodic_stop(loop, &p);
    }
}

// ev_suspend/ev_resume with an absolute periodic and a repeating one.
TEST_P(CovApiTest, ResumeKeepsAbsolutePeriodics)
{
    ev_periodic a, r;
    ev_tstamp at = ev_now(loop) + 3600.;
    ev_periodic_init(&a, Nop<ev_periodic>, at, 0., nullptr);
    ev_periodic_init(&r, Nop<ev_periodic>, 0., 60., nullptr);
    ev_periodic c;
    ev_periodic_init(&c, Nop<ev_periodic>, 0., 0.,
                     [](ev_periodic *, ev_tstamp now) { return now + 1000.; });
    ev_periodic_start(loop, &a);
    ev_periodic_start(loop, &r);
    ev_periodic_start(loop, &c);
    ev_suspend(loop);
    ev_resume(loop);
    EXPECT_EQ(ev_periodic_at(&a), at);
    EXPECT_GE(ev_periodic_at(&c), ev_now(loop) + 999.); // asked its callback again
    ev_periodic_stop(loop, &c);
    ev_periodic_stop(loop, &a);
    ev_periodic_stop(loop, &r);
}

// Metrics with periodics: a late periodic counts as lag.
TEST_P(CovApiTest, MetricsCountPeriodicLag)
{
    ev_metrics_enable(loop, 1);
    int pc = 0;
    ev_periodic p;
    ev_periodic_init(&p, Count<ev_periodic>, ev_now(loop) + 0.01, 0., nullptr);
    p.data = &pc;
    ev_periodic_start(loop, &p);
    ASSERT_TRUE(RunUntil([&] { return pc == 1; }));
    struct ev_metrics m;
    ev_metrics_get(loop, &m, sizeof m);
    EXPECT_GE(m.lag_count, 1u);
    EXPECT_EQ(m.events[EV_METRICS_PERIODIC], 1u);
    // a signal fed to the loop that owns it counts as fed
    ev_signal s;
    int sc = 0;
    ev_signal_init(&s, Count<ev_signal>, SIGUSR1);
    s.data = &sc;
    ev_signal_start(loop, &s);
    ev_feed_signal_event(loop, SIGUSR1);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(sc, 1);
    ev_metrics_get(loop, &m, sizeof m);
    EXPECT_EQ(m.fed, 1u);
    ev_signal_stop(loop, &s);
}

// A signal fed just before a fork, to a signalfd loop (whose channel is not marked used),
// reaches the child's loop.
TEST_P(CovApiTest, SignalFedAroundForkWithSignalfd)
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | EVFLAG_SIGNALFD | GetParam());
    ASSERT_NE(l, nullptr);
    static int calls;
    calls = 0;
    ev_signal s;
    ev_signal_init(
        &s, [](struct ev_loop *, ev_signal *, int) { ++calls; }, SIGUSR2);
    ev_signal_start(l, &s);
    ev_async a; // never started: a send only sets the loop's flag
    ev_async_init(&a, Nop<ev_async>);
    int st = RunChild([&] { // nothing pending: the child's channel has nothing to look at
        ev_loop_fork(l);
        ev_run(l, EVRUN_NOWAIT);
        return calls == 0 ? 0 : 1;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
    ev_feed_signal(SIGUSR2);
    st = RunChild([&] {
        ev_loop_fork(l);
        for (int i = 0; i < 100 && !calls; ++i)
            ev_run(l, EVRUN_NOWAIT);
        return calls == 1 ? 0 : 1;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
    ev_async_send(l, &a); // not started: only the loop's flag is set
    st = RunChild([&] {
        ev_loop_fork(l);
        ev_run(l, EVRUN_NOWAIT);
        return 0;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
    ev_signal_stop(l, &s);
    ev_loop_destroy(l);
}

/* The fd of this process whose /proc/self/fd link reads `what` (the first one), or -1. */
int FdNamed(const std::string &what)
{
    for (int fd = 3; fd < 1024; ++fd) {
        char buf[64];
        std::string p = "/proc/self/fd/" + std::to_string(fd);
        ssize_t k = readlink(p.c_str(), buf, sizeof buf - 1);
        if (k > 0 && std::string(buf, (size_t)k) == what)
            return fd;
    }
    return -1;
}

// A signalfd loop: more queued instances than one read takes (real-time signals queue), and a
// spurious wake-up of the signalfd, which reads nothing.
TEST_P(CovApiTest, SignalfdQueueAndSpuriousWakeup)
{
    int st = RunChild([this] {
        struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | EVFLAG_SIGNALFD | GetParam());
        COV_CHECK(l);
        static int calls;
        calls = 0;
        int sig = SIGRTMIN + 1;
        ev_signal s;
        ev_signal_init(
            &s, [](struct ev_loop *, ev_signal *, int) { ++calls; }, sig);
        ev_signal_start(l, &s);
        int sfd = FdNamed("anon_inode:[signalfd]");
        if (sfd < 0)
            return 0; // handlers instead (no signalfd here): nothing to test
        ev_feed_fd_event(l, sfd, EV_READ);
        ev_run(l, EVRUN_NOWAIT);
        COV_CHECK(calls == 0);
        union sigval v {
        };
        for (int i = 0; i < 20; ++i)
            COV_CHECK(sigqueue(getpid(), sig, v) == 0);
        for (int i = 0; i < 1000 && !calls; ++i)
            ev_run(l, EVRUN_ONCE);
        COV_CHECK(calls >= 1);
        sigset_t pend;
        sigpending(&pend);
        COV_CHECK(!sigismember(&pend, sig)); // every instance was read
        ev_signal_stop(l, &s);
        ev_loop_destroy(l);
        return 0;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
}

// Default loop destroyed with signal and child watchers still active, then re-created: stopping
// the old watchers is harmless; a child watcher queued by hand when its child's status arrives
// keeps its slot and gets both events.
TEST(CovChild, WatchersOutliveTheDefaultLoop)
{
    int st = RunChild([] {
        struct ev_loop *d = ev_default_loop(EVFLAG_NOENV);
        COV_CHECK(d);
        ev_signal s;
        ev_signal_init(&s, Nop<ev_signal>, SIGUSR1);
        ev_signal_start(d, &s);
        ev_child c;
        ev_child_init(&c, Nop<ev_child>, 12345, 0);
        ev_child_start(d, &c);
        ev_child_start(d, &c); // twice: no change
        ev_loop_destroy(d);
        d = ev_default_loop(EVFLAG_NOENV);
        COV_CHECK(d);
        ev_signal_stop(d, &s);
        ev_child_stop(d, &c);
        COV_CHECK(!ev_is_active(&s) && !ev_is_active(&c));

        static int revents_seen, rpid;
        revents_seen = rpid = 0;
        ev_child w;
        ev_child_init(
            &w,
            [](struct ev_loop *, ev_child *cw, int revents) {
                revents_seen |= revents;
                rpid = cw->rpid;
            },
            0, 0);
        ev_child_start(d, &w);
        pid_t pid = fork();
        if (pid == 0)
            _exit(3);
        // wait until the child is a zombie, without reaping it
        siginfo_t si;
        waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
        // queued before every invocation, so it is still pending when the SIGCHLD is handled
        static ev_child *fed;
        fed = &w;
        ev_set_invoke_pending_cb(d, [](struct ev_loop *l) {
            if (!rpid)
                ev_feed_event(l, fed, EV_CUSTOM);
            ev_invoke_pending(l);
        });
        for (int i = 0; i < 1000 && !rpid; ++i)
            ev_run(d, EVRUN_ONCE);
        ev_set_invoke_pending_cb(d, nullptr);
        COV_CHECK(rpid == pid);
        COV_CHECK((revents_seen & (EV_CHILD | EV_CUSTOM)) == (EV_CHILD | EV_CUSTOM));
        ev_child_stop(d, &w);
        ev_loop_destroy(d);
        return 0;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
}

// ev_sleep: nothing for zero and negative delays; a delay cut by signals is slept in full.
TEST(CovClock, SleepRestartsAfterSignals)
{
    ev_sleep(0.);
    ev_sleep(-1.);
    int st = RunChild([] {
        struct sigaction sa {};
        sa.sa_handler = [](int) {};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, nullptr); // no SA_RESTART
        struct itimerval it {};
        it.it_interval.tv_usec = 5000;
        it.it_value.tv_usec = 5000;
        setitimer(ITIMER_REAL, &it, nullptr);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        ev_sleep(0.1);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double slept = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
        COV_CHECK(slept >= 0.1 - 1e-3);
        return 0;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
}

class CovEmbedTest : public evtest::LoopTest {
  protected:
    struct ev_loop *other = nullptr;
    void SetUp() override
    {
        LoopTest::SetUp();
        unsigned emb = ev_embeddable_backends() & ev_supported_backends();
        if (!emb)
            GTEST_SKIP() << "no embeddable backend";
        other = ev_loop_new(EVFLAG_NOENV | (emb & -emb));
        ASSERT_NE(other, nullptr);
    }
    void TearDown() override
    {
        if (other)
            ev_loop_destroy(other);
        LoopTest::TearDown();
    }
};

// Started twice, swept while stopped, and ev_loop_fork called on the embedded loop directly.
TEST_P(CovEmbedTest, CornerCalls)
{
    ev_embed e;
    ev_embed_init(&e, nullptr, other);
    int tc = 0;
    ev_timer t;
    ev_timer_init(&t, Count<ev_timer>, 0., 0.);
    t.data = &tc;
    ev_timer_start(other, &t);
    ev_embed_sweep(loop, &e); // not started: runs other once
    EXPECT_EQ(tc, 1);
    ev_embed_start(loop, &e);
    ev_embed_start(loop, &e);
    EXPECT_TRUE(ev_is_active(&e));
    ev_loop_fork(other);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    int ic = 0;
    ev_io io;
    ev_io_init(&io, Count<ev_io>, p[0], EV_READ);
    io.data = &ic;
    ev_io_start(other, &io);
    ASSERT_EQ(write(p[1], "x", 1), 1);
    EXPECT_TRUE(RunUntil([&] { return ic >= 1; }));
    ev_io_stop(other, &io);
    ev_embed_stop(loop, &e);
    close(p[0]);
    close(p[1]);
}

std::string TempDir()
{
    const char *t = getenv("TEST_TMPDIR");
    if (!t || !*t)
        t = getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/covapi.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    return mkdtemp(buf.data()) ? std::string(buf.data()) : std::string();
}

extern "C" int ev__test_inotify_add_errno;

// Watches refused with EACCES everywhere (the path and each ancestor), a path too long to walk
// up, a relative missing path (watched through "."), and a path under a regular file: each
// watcher still reports the file appearing.
TEST_P(CovApiTest, StatWatchPlacementCorners)
{
    std::string dir = TempDir();
    ASSERT_FALSE(dir.empty());
    std::string file = dir + "/f";
    int calls = 0;
    ev_stat w;
    ev_stat_init(&w, Count<ev_stat>, file.c_str(), 0.11);
    w.data = &calls;
    ev__test_inotify_add_errno = EACCES;
    ev_stat_start(loop, &w);
    ev__test_inotify_add_errno = 0;
    int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    EXPECT_TRUE(RunUntil([&] { return calls >= 1; }));
    ev_stat_stop(loop, &w);

    std::string longpath(5000, 'a');
    ev_stat lw;
    ev_stat_init(&lw, Nop<ev_stat>, longpath.c_str(), 0.);
    ev__test_inotify_add_errno = ENOENT;
    ev_stat_start(loop, &lw);
    ev__test_inotify_add_errno = 0;
    EXPECT_TRUE(ev_is_active(&lw));
    ev_stat_stop(loop, &lw);

    ev_stat rel, under, trailing;
    ev_stat_init(&rel, Nop<ev_stat>, "ev-cov-no-such-entry", 0.);
    std::string u = file + "/x";
    ev_stat_init(&under, Nop<ev_stat>, u.c_str(), 0.);
    std::string tr = dir + "/missing//";
    ev_stat_init(&trailing, Nop<ev_stat>, tr.c_str(), 0.);
    // a relative path under a missing one-letter directory, and one two levels under a file
    ev_stat rel2, deep;
    ev_stat_init(&rel2, Nop<ev_stat>, "q/ev-cov-no-such-entry", 0.);
    std::string d2 = file + "/x/y";
    ev_stat_init(&deep, Nop<ev_stat>, d2.c_str(), 0.);
    ev_stat_start(loop, &rel2);
    ev_stat_start(loop, &deep);
    EXPECT_TRUE(ev_is_active(&rel2) && ev_is_active(&deep));
    ev_stat_stop(loop, &rel2);
    ev_stat_stop(loop, &deep);
    ev_stat_start(loop, &rel);
    ev_stat_start(loop, &under);
    ev_stat_start(loop, &trailing);
    EXPECT_EQ(rel.attr.st_nlink, 0u);
    EXPECT_EQ(under.attr.st_nlink, 0u);
    ev_run(loop, EVRUN_NOWAIT);
    ev_stat_stop(loop, &rel);
    ev_stat_stop(loop, &under);
    ev_stat_stop(loop, &trailing);
    // two watchers sharing one watch: the file goes away, both notice, both move their watch
    int c1 = 0, c2 = 0;
    ev_stat s1, s2;
    ev_stat_init(&s1, Count<ev_stat>, file.c_str(), 0.);
    ev_stat_init(&s2, Count<ev_stat>, file.c_str(), 0.);
    s1.data = &c1;
    s2.data = &c2;
    ev_stat_start(loop, &s1);
    ev_stat_start(loop, &s2);
    ASSERT_EQ(unlink(file.c_str()), 0);
    EXPECT_TRUE(RunUntil([&] { return c1 >= 1 && c2 >= 1; }));
    EXPECT_EQ(s1.attr.st_nlink, 0u);
    ev_stat_stop(loop, &s1);
    ev_stat_stop(loop, &s2);
    unlink(file.c_str());
    rmdir(dir.c_str());
}

// Each attribute changing on its own is a change: link count, times, owner.
TEST_P(CovApiTest, StatSeesEachAttribute)
{
    std::string dir = TempDir();
    ASSERT_FALSE(dir.empty());
    std::string file = dir + "/f", link = dir + "/l";
    int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    int calls = 0;
    ev_stat w;
    ev_stat_init(&w, Count<ev_stat>, file.c_str(), 0.);
    w.data = &calls;
    ev_stat_start(loop, &w);
    auto changed = [&](const char *what, const std::function<void()> &op) {
        int before = calls;
        op();
        EXPECT_TRUE(RunUntil([&] { return calls > before; })) << what;
    };
    changed("link", [&] { ASSERT_EQ(::link(file.c_str(), link.c_str()), 0); });
    changed("ctime", [&] { ASSERT_EQ(chmod(file.c_str(), 0644), 0); });
    changed("mtime", [&] {
        struct timespec ts[2] = {{0, UTIME_OMIT}, {23456, 7}};
        utimensat(AT_FDCWD, file.c_str(), ts, 0);
    });
    // owners: where this process may give files away (root outside a user namespace)
    if (chown(file.c_str(), 4242, (gid_t)-1) == 0) {
        ASSERT_EQ(chown(file.c_str(), 0, (gid_t)-1), 0);
        changed("uid", [&] { ASSERT_EQ(chown(file.c_str(), 4242, (gid_t)-1), 0); });
        changed("gid", [&] { ASSERT_EQ(chown(file.c_str(), (uid_t)-1, 4243), 0); });
    }
    ev_stat_stop(loop, &w);
    EXPECT_FALSE(timed_out);
    unlink(link.c_str());
    unlink(file.c_str());
    rmdir(dir.c_str());
}

class CovStatPollTest : public evtest::LoopTest {
    unsigned ExtraFlags() const override { return EVFLAG_NOINOTIFY; }
};

// Only the access time changes (inotify has no event for that): polling sees it.
TEST_P(CovStatPollTest, AccessTimeAlone)
{
    std::string dir = TempDir();
    ASSERT_FALSE(dir.empty());
    std::string file = dir + "/f";
    int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    int calls = 0;
    ev_stat w;
    ev_stat_init(&w, Count<ev_stat>, file.c_str(), 0.11);
    w.data = &calls;
    ev_stat_start(loop, &w);
    struct timespec ts[2] = {{12345, 0}, {0, UTIME_OMIT}};
    ASSERT_EQ(utimensat(AT_FDCWD, file.c_str(), ts, 0), 0);
    EXPECT_TRUE(RunUntil([&] { return calls == 1; }));
    EXPECT_EQ(w.attr.st_atime, 12345);
    ev_stat_stop(loop, &w);
    unlink(file.c_str());
    rmdir(dir.c_str());
}

// A process whose effective ids differ from its real ones ignores LIBEV_FLAGS and
// LIBEV_METRICS (root only: it needs setegid).
TEST(CovEnv, SetuidProgramsIgnoreTheEnvironment)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root for setegid";
    if (!(ev_supported_backends() & EVBACKEND_SELECT) ||
        ev_recommended_backends() == EVBACKEND_SELECT)
        GTEST_SKIP() << "needs select and another backend";
    auto body = [] {
        setenv("LIBEV_FLAGS", std::to_string(EVBACKEND_SELECT).c_str(), 1);
        setenv("LIBEV_METRICS", "1", 1);
        if (setegid(65534) != 0)
            return 99; // no CAP_SETGID here (a user namespace)
        if (getenv("EV_COV_EUID") && (setegid(0) != 0 || seteuid(65534) != 0))
            return 99;
        struct ev_loop *l = ev_loop_new(0);
        COV_CHECK(l);
        COV_CHECK(ev_backend(l) != EVBACKEND_SELECT);
        ev_loop_destroy(l);
        struct ev_loop *d = ev_default_loop(0);
        COV_CHECK(d);
        COV_CHECK(!ev_metrics_enabled(d));
        ev_loop_destroy(d);
        // back to root: the coverage counters are written as this process exits
        COV_CHECK(seteuid(0) == 0 && setegid(0) == 0);
        return 0;
    };
    int st = RunChild(body);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 99)
        GTEST_SKIP() << "cannot change the effective ids here";
    EXPECT_TRUE(ExitedOk(st)) << st;
    setenv("EV_COV_EUID", "1", 1); // the user id differing instead
    int st2 = RunChild(body);
    unsetenv("EV_COV_EUID");
    EXPECT_TRUE(ExitedOk(st2)) << st2;
}

// A path whose directory refuses this process (EACCES): the watch goes to the nearest ancestor
// that accepts one and the path is polled beside it; when the directory is opened up, an event
// in the ancestor moves the watch onto the path itself. Root only (seteuid to nobody).
TEST(CovStatAccess, RefusedPathIsWatchedThroughAnAncestorAndPolled)
{
    if (geteuid() != 0)
        GTEST_SKIP() << "needs root for seteuid";
    char tmpl[] = "/tmp/ev-cov-access.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string top = tmpl, sub = top + "/sub", file = sub + "/f";
    ASSERT_EQ(chmod(top.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(sub.c_str(), 0700), 0);
    int fd = open(file.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
    int st = RunChild([&] {
        if (seteuid(65534) != 0)
            return 99;
        struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
        COV_CHECK(l);
        static int calls;
        calls = 0;
        ev_stat w;
        ev_stat_init(
            &w, [](struct ev_loop *, ev_stat *, int) { ++calls; }, file.c_str(), 0.11);
        ev_stat_start(l, &w);
        COV_CHECK(w.attr.st_nlink == 0); // cannot even look at it
        ev_run(l, EVRUN_NOWAIT);
        COV_CHECK(seteuid(0) == 0);
        // a new entry in the watched ancestor: the watcher re-places its watch (as root now)
        std::string other = top + "/other";
        int ofd = open(other.c_str(), O_CREAT | O_WRONLY, 0644);
        COV_CHECK(ofd >= 0);
        close(ofd);
        for (int i = 0; i < 1000 && !calls; ++i)
            ev_run(l, EVRUN_ONCE);
        COV_CHECK(calls >= 1); // root sees the file: a change
        COV_CHECK(w.attr.st_nlink == 1);
        ev_stat_stop(l, &w);
        ev_loop_destroy(l);
        unlink(other.c_str());
        return 0;
    });
    if (WIFEXITED(st) && WEXITSTATUS(st) == 99)
        GTEST_SKIP() << "cannot change the effective user here";
    EXPECT_TRUE(ExitedOk(st)) << st;
    unlink(file.c_str());
    rmdir(sub.c_str());
    rmdir(top.c_str());
}

int slow_hooks;

void SlowHook(struct ev_loop *, void *, int, int, double, void *)
{
    ++slow_hooks;
}

ev_timer static_timer; // below the heap-allocated loop in memory

// The metrics' less common paths: enabling twice, disabling when off, a hook removed while off,
// a threshold below zero, reading into nothing, resetting and reading while the loop blocks
// (from the release callback), a callback that stops the next pending watcher, one that turns
// metrics off, a foreign invoke callback with internal and cleared slots, and Prometheus labels
// with holes.
TEST_P(CovApiTest, MetricsCorners)
{
    ev_metrics_enable(loop, 0); // off already
    ev_metrics_set_slow_cb(loop, 1., nullptr, nullptr, nullptr);
    EXPECT_FALSE(ev_metrics_enabled(loop));
    ev_metrics_enable(loop, 1);
    ev_metrics_enable(loop, 1);
    EXPECT_TRUE(ev_metrics_enabled(loop));
    EXPECT_EQ(ev_metrics_get(loop, nullptr, 64), 0u);
    struct ev_metrics m;
    EXPECT_EQ(ev_metrics_get(loop, &m, 0), 0u);

    static struct ev_metrics during;
    static int releases;
    releases = 0;
    ev_set_loop_release_cb(
        loop,
        [](struct ev_loop *l) {
            ++releases;
            ev_metrics_reset(l);
            ev_metrics_get(l, &during, sizeof during);
        },
        nullptr);
    ev_timer t;
    int tc = 0;
    ev_timer_init(&t, Count<ev_timer>, 0.005, 0.);
    t.data = &tc;
    ev_timer_start(loop, &t);
    ASSERT_TRUE(RunUntil([&] { return tc == 1; }));
    EXPECT_GE(releases, 1);
    EXPECT_EQ(during.enabled, 1);
    ev_set_loop_release_cb(loop, nullptr, nullptr);

    // slow-callback hook with a negative threshold: every callback is slow, internal ones are
    // not reported; a callback stops the next pending watcher; a static watcher is a user's
    slow_hooks = 0;
    ev_metrics_set_slow_cb(loop, -1., SlowHook, nullptr, nullptr);
    static ev_timer victim;
    ev_timer_init(&victim, Nop<ev_timer>, 1., 0.);
    ev_timer_init(
        &static_timer, [](struct ev_loop *l, ev_timer *, int) { ev_clear_pending(l, &victim); }, 1.,
        0.);
    ev_feed_event(loop, &victim, EV_TIMER);
    ev_feed_event(loop, &static_timer, EV_TIMER); // runs first (LIFO)
    ev_async a;
    ev_async_init(&a, Nop<ev_async>);
    ev_async_start(loop, &a);
    ev_async_send(loop, &a); // the loop's own wake-up watcher runs too
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_GE(slow_hooks, 1);
    ev_metrics_get(loop, &m, sizeof m);
    EXPECT_GE(m.slow_callbacks, 1u);
    int before;
    // a callback removing the hook: it is not called for that callback
    before = slow_hooks;
    ev_timer remover;
    ev_timer_init(
        &remover,
        [](struct ev_loop *l, ev_timer *, int) {
            ev_metrics_set_slow_cb(l, 0., nullptr, nullptr, nullptr);
        },
        1., 0.);
    ev_feed_event(loop, &remover, EV_TIMER);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(slow_hooks, before);
    // a huge threshold: nothing is slow
    before = slow_hooks;
    ev_metrics_set_slow_cb(loop, 1e9, SlowHook, nullptr, nullptr);
    ev_feed_event(loop, &static_timer, EV_TIMER);
    ev_feed_event(loop, &victim, EV_TIMER);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(slow_hooks, before);

    // a callback turning metrics off: the rest of the queue still runs
    int later = 0;
    ev_timer off, rest;
    ev_timer_init(&rest, Count<ev_timer>, 1., 0.);
    rest.data = &later;
    ev_timer_init(
        &off, [](struct ev_loop *l, ev_timer *, int) { ev_metrics_enable(l, 0); }, 1., 0.);
    ev_feed_event(loop, &rest, EV_TIMER);
    ev_feed_event(loop, &off, EV_TIMER);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(later, 1);
    EXPECT_FALSE(ev_metrics_enabled(loop));

    // a foreign invoke callback: queued user watchers are counted, internal and cleared not
    ev_metrics_enable(loop, 1);
    static int invokes;
    invokes = 0;
    ev_set_invoke_pending_cb(loop, [](struct ev_loop *l) {
        ++invokes;
        ev_invoke_pending(l);
    });
    ev_feed_event(loop, &victim, EV_TIMER);
    ev_feed_event(loop, &static_timer, EV_TIMER);
    ev_clear_pending(loop, &victim);
    ev_async_send(loop, &a);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_GE(invokes, 1);
    ev_metrics_get(loop, &m, sizeof m);
    EXPECT_GE(m.events[EV_METRICS_TIMER], 1u);
    ev_set_invoke_pending_cb(loop, nullptr);
    ev_async_stop(loop, &a);

    struct ev_metrics two[2];
    ev_metrics_get(loop, &two[0], sizeof two[0]);
    two[1] = two[0];
    const char *labels[2] = {"w=\"1\"", nullptr};
    char buf[8192];
    size_t n = ev_metrics_prometheus(buf, sizeof buf, two, labels, 2);
    EXPECT_GT(n, 0u);
    EXPECT_NE(std::string(buf).find("{w=\"1\"}"), std::string::npos);
    ev_metrics_enable(loop, 0);
}

// A repeating timer moved later (its heap key stays, lazily) while metrics watch the lag.
TEST_P(CovApiTest, MetricsWithALazyTimerKey)
{
    ev_metrics_enable(loop, 1);
    int c = 0, d = 0;
    ev_timer moved, due;
    ev_timer_init(&moved, Count<ev_timer>, 0.001, 10.);
    moved.data = &c;
    ev_timer_init(&due, Count<ev_timer>, 0.003, 0.);
    due.data = &d;
    ev_timer_start(loop, &moved);
    ev_timer_start(loop, &due);
    moved.repeat = 20.;
    ev_timer_again(loop, &moved); // deadline now + 20, its key may stay early
    ASSERT_TRUE(RunUntil([&] { return d == 1; }));
    EXPECT_EQ(c, 0);
    ev_timer_stop(loop, &moved);
    ev_metrics_enable(loop, 0);
}

// The embedding loop forked: the embedded loop follows, keeps its backend fd's number, and its
// watchers still work in the child.
TEST_P(CovEmbedTest, FollowsTheEmbedderThroughFork)
{
    ev_embed e;
    ev_embed_init(&e, nullptr, other);
    ev_embed_start(loop, &e);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    static int ic;
    ic = 0;
    ev_io io;
    ev_io_init(
        &io, [](struct ev_loop *, ev_io *, int) { ++ic; }, p[0], EV_READ);
    ev_io_start(other, &io);
    ev_run(loop, EVRUN_NOWAIT);
    int st = RunChild([&] {
        ev_loop_fork(loop);
        ev_run(loop, EVRUN_NOWAIT);
        if (write(p[1], "x", 1) != 1)
            return 1;
        for (int i = 0; i < 1000 && !ic; ++i)
            ev_run(loop, EVRUN_ONCE);
        return ic >= 1 ? 0 : 2;
    });
    EXPECT_TRUE(ExitedOk(st)) << st;
    ev_io_stop(other, &io);
    ev_embed_stop(loop, &e);
    close(p[0]);
    close(p[1]);
}

// More watches than hash buckets: a change reaches only its own watcher; a spurious wake-up of
// the inotify fd reads nothing and changes nothing; a watcher on a file system inotify does not
// cover (devpts) is started all the same.
TEST_P(CovApiTest, StatManyWatchesAndSpuriousWakeups)
{
    std::string dir = TempDir();
    ASSERT_FALSE(dir.empty());
    const int n = 40;
    std::vector<std::string> paths;
    std::vector<ev_stat> ws(n);
    std::vector<int> calls(n, 0);
    for (int i = 0; i < n; ++i) {
        paths.push_back(dir + "/f" + std::to_string(i));
        int fd = open(paths[i].c_str(), O_CREAT | O_WRONLY, 0644);
        ASSERT_GE(fd, 0);
        close(fd);
    }
    for (int i = 0; i < n; ++i) {
        ev_stat_init(&ws[i], Count<ev_stat>, paths[i].c_str(), 0.);
        ws[i].data = &calls[i];
        ev_stat_start(loop, &ws[i]);
    }
    int ifd = FdNamed("anon_inode:inotify");
    ASSERT_GE(ifd, 0);
    ev_feed_fd_event(loop, ifd, EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    for (int i = 0; i < n; ++i)
        EXPECT_EQ(calls[i], 0) << i;
    for (int i : {n - 1, 17, 33}) {
        int fd = open(paths[i].c_str(), O_WRONLY | O_APPEND);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(write(fd, "x", 1), 1);
        close(fd);
        EXPECT_TRUE(RunUntil([&] { return calls[i] == 1; })) << i;
    }
    int total = 0;
    for (int c : calls)
        total += c;
    EXPECT_EQ(total, 3);
    for (int i = 0; i < n; ++i) {
        ev_stat_stop(loop, &ws[i]);
        unlink(paths[i].c_str());
    }
    rmdir(dir.c_str());
    ev_stat pts, pts2;
    ev_stat_init(&pts, Nop<ev_stat>, "/dev/pts", 0.);
    ev_stat_init(&pts2, Nop<ev_stat>, "/dev/pts", 2.);
    ev_stat_start(loop, &pts);
    ev_stat_start(loop, &pts2);
    EXPECT_TRUE(ev_is_active(&pts) && ev_is_active(&pts2));
    ev_stat_stop(loop, &pts);
    ev_stat_stop(loop, &pts2);
}

EV_ALL_BACKENDS(CovApiTest);
EV_ALL_BACKENDS(CovEmbedTest);
EV_ALL_BACKENDS(CovStatPollTest);

} // namespace
