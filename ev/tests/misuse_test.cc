// API misuse: usage errors abort with a "libev: <call> ..." message (death
// tests), while the documented harmless cases (start twice, stop inactive)
// are no-ops, and starting a watcher without a callback is allowed, as in
// libev. Runs on every backend.
#include "test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace {

template <class W> void NopCb(struct ev_loop *, W *, int) {}

class MisuseDeathTest : public evtest::LoopTest {
  protected:
    void SetUp() override
    {
        ::testing::FLAGS_gtest_death_test_style = "threadsafe";
        LoopTest::SetUp();
    }
};

TEST_P(MisuseDeathTest, IoNegativeFd)
{
    ev_io w;
    ev_io_init(&w, NopCb<ev_io>, -1, EV_READ);
    EXPECT_DEATH(ev_io_start(loop, &w), "libev: ev_io_start.*negative fd");
}

TEST_P(MisuseDeathTest, IoBadEventMask)
{
    ev_io w;
    ev_io_init(&w, NopCb<ev_io>, 0, EV_READ | EV_TIMER);
    EXPECT_DEATH(ev_io_start(loop, &w), "libev: ev_io_start.*illegal event mask");
    ev_io_init(&w, NopCb<ev_io>, 0, EV_ERROR | EV_READ);
    EXPECT_DEATH(ev_io_start(loop, &w), "libev: ev_io_start.*illegal event mask");
}

TEST_P(MisuseDeathTest, TimerNegativeRepeat)
{
    ev_timer w;
    ev_timer_init(&w, NopCb<ev_timer>, 1., -1.);
    EXPECT_DEATH(ev_timer_start(loop, &w), "libev: ev_timer_start.*negative");
    ev_timer_init(&w, NopCb<ev_timer>, 1., 0.);
    w.repeat = -0.5;
    EXPECT_DEATH(ev_timer_again(loop, &w), "libev: .*negative");
}

TEST_P(MisuseDeathTest, PeriodicNegativeInterval)
{
    ev_periodic w;
    ev_periodic_init(&w, NopCb<ev_periodic>, 0., -1., nullptr);
    EXPECT_DEATH(ev_periodic_start(loop, &w), "libev: ev_periodic_start.*negative");
}

// "fd must stay constant after start" (bumptech/stud#18).
TEST_P(MisuseDeathTest, FdChangedWhileActiveThenStop)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io a, b;
    ev_io_init(&a, NopCb<ev_io>, sv[0], EV_READ);
    ev_io_init(&b, NopCb<ev_io>, sv[1], EV_READ);
    ev_io_start(loop, &a);
    ev_io_start(loop, &b);
    ev_run(loop, EVRUN_NOWAIT);
    a.fd = sv[1]; // another watched fd: not found in its list
    EXPECT_DEATH(ev_io_stop(loop, &a), "libev: ev_io_stop.*(fd|constant)");
    a.fd = 1 << 20; // beyond the fd table
    EXPECT_DEATH(ev_io_stop(loop, &a), "libev: ev_io_stop.*(fd|constant)");
    a.fd = -3;
    EXPECT_DEATH(ev_io_stop(loop, &a), "libev: ev_io_stop.*(fd|constant)");
    a.fd = sv[0];
    ev_io_stop(loop, &a);
    ev_io_stop(loop, &b);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(MisuseDeathTest, StartTwiceAndStopInactiveAreHarmless)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io io;
    ev_io_init(&io, NopCb<ev_io>, sv[0], EV_READ);
    ev_timer t;
    ev_timer_init(&t, NopCb<ev_timer>, 5., 0.);
    ev_idle i;
    ev_idle_init(&i, NopCb<ev_idle>);
    ev_prepare p;
    ev_prepare_init(&p, NopCb<ev_prepare>);
    ev_check c;
    ev_check_init(&c, NopCb<ev_check>);
    ev_async a;
    ev_async_init(&a, NopCb<ev_async>);
    ev_cleanup cl;
    ev_cleanup_init(&cl, NopCb<ev_cleanup>);
    for (int k = 0; k < 2; ++k) {
        ev_io_stop(loop, &io);
        ev_timer_stop(loop, &t);
        ev_idle_stop(loop, &i);
        ev_prepare_stop(loop, &p);
        ev_check_stop(loop, &c);
        ev_async_stop(loop, &a);
        ev_cleanup_stop(loop, &cl);
    }
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    for (int k = 0; k < 2; ++k) {
        ev_io_start(loop, &io);
        ev_timer_start(loop, &t);
        ev_idle_start(loop, &i);
        ev_prepare_start(loop, &p);
        ev_check_start(loop, &c);
        ev_async_start(loop, &a);
        ev_cleanup_start(loop, &cl);
    }
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 6) << "one reference each; cleanup holds none";
    ev_verify(loop);
    for (int k = 0; k < 2; ++k) {
        ev_io_stop(loop, &io);
        ev_timer_stop(loop, &t);
        ev_idle_stop(loop, &i);
        ev_prepare_stop(loop, &p);
        ev_check_stop(loop, &c);
        ev_async_stop(loop, &a);
        ev_cleanup_stop(loop, &cl);
    }
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    ev_verify(loop);
    close(sv[0]);
    close(sv[1]);
}

// Starting a watcher whose callback is NULL is allowed for every type, as in libev: a program
// may ev_init(w, 0), start it, and set the callback before the watcher is first invoked (or
// keep it started only for its effect on the loop). Invoking a NULL callback is not checked:
// libev just calls it, and a test there would cost each invocation instructions (callgrind on
// ev/bench: +3 to +4 per callback).
class NullCallbackTest : public evtest::LoopTest {
  public:
    int calls = 0;
    template <class W> static void Count(struct ev_loop *, W *w, int)
    {
        ++static_cast<NullCallbackTest *>(w->data)->calls;
    }
    // Starts w with no callback (start), then sets one and makes it fire (fire).
    template <class W, class Start, class Fire>
    void Check(const char *type, W *w, Start start, Fire fire)
    {
        SCOPED_TRACE(type);
        ev_set_cb(w, nullptr);
        w->data = this;
        start();
        EXPECT_TRUE(ev_is_active(w));
        EXPECT_EQ(ev_cb(w), nullptr);
        ev_set_cb(w, &NullCallbackTest::Count<W>);
        int before = calls;
        fire();
        EXPECT_TRUE(RunUntil([&] { return calls > before; }));
    }
};

TEST_P(NullCallbackTest, EveryWatcherTypeStartsWithoutCallback)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    // A due timer: an iteration then does not block after prepare and fork watchers ran.
    ev_timer kick;
    ev_timer_init(
        &kick, [](struct ev_loop *, ev_timer *, int) {}, 0., 0.);
    auto kick_loop = [&] { ev_timer_start(loop, &kick); };
    ev_io io;
    ev_io_init(&io, nullptr, p[0], EV_READ);
    Check(
        "io", &io, [&] { ev_io_start(loop, &io); }, [&] { ASSERT_EQ(write(p[1], "x", 1), 1); });
    ev_io_stop(loop, &io);

    ev_timer t;
    ev_timer_init(&t, nullptr, 0., 0.);
    Check(
        "timer", &t, [&] { ev_timer_start(loop, &t); }, [] {});

    ev_periodic per;
    ev_periodic_init(&per, nullptr, ev_now(loop) - 1., 0., nullptr);
    Check(
        "periodic", &per, [&] { ev_periodic_start(loop, &per); }, [] {});

    ev_signal sig;
    ev_signal_init(&sig, nullptr, SIGUSR1);
    Check(
        "signal", &sig, [&] { ev_signal_start(loop, &sig); }, [] { raise(SIGUSR1); });
    ev_signal_stop(loop, &sig);

    std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                       "/null_cb_stat." + std::to_string(getpid()) + "." +
                       evtest::BackendName(GetParam());
    unlink(path.c_str());
    ev_stat st;
    ev_stat_init(&st, nullptr, path.c_str(), 0.01);
    Check(
        "stat", &st, [&] { ev_stat_start(loop, &st); },
        [&] { close(open(path.c_str(), O_CREAT | O_WRONLY, 0600)); });
    ev_stat_stop(loop, &st);
    unlink(path.c_str());

    ev_idle idle;
    ev_idle_init(&idle, nullptr);
    Check(
        "idle", &idle, [&] { ev_idle_start(loop, &idle); }, [] {});
    ev_idle_stop(loop, &idle);

    ev_prepare prep;
    ev_prepare_init(&prep, nullptr);
    Check(
        "prepare", &prep, [&] { ev_prepare_start(loop, &prep); }, kick_loop);
    ev_prepare_stop(loop, &prep);

    ev_check chk;
    ev_check_init(&chk, nullptr);
    Check(
        "check", &chk, [&] { ev_check_start(loop, &chk); }, kick_loop);
    ev_check_stop(loop, &chk);

    ev_fork fk;
    ev_fork_init(&fk, nullptr);
    Check(
        "fork", &fk, [&] { ev_fork_start(loop, &fk); },
        [&] {
            ev_loop_fork(loop);
            kick_loop();
        });
    ev_fork_stop(loop, &fk);

    ev_async as;
    ev_async_init(&as, nullptr);
    Check(
        "async", &as, [&] { ev_async_start(loop, &as); }, [&] { ev_async_send(loop, &as); });
    ev_async_stop(loop, &as);

    // ev_embed: a NULL callback means "sweep automatically" (its own meaning in libev).
    struct ev_loop *inner = ev_loop_new(EVFLAG_NOENV | EVBACKEND_EPOLL);
    if (inner) {
        ev_embed em;
        ev_embed_init(&em, nullptr, inner);
        ev_embed_start(loop, &em);
        EXPECT_TRUE(ev_is_active(&em));
        ev_embed_stop(loop, &em);
        ev_loop_destroy(inner);
    }

    // cleanup: invoked by ev_loop_destroy.
    struct ev_loop *other = ev_loop_new(EVFLAG_NOENV | GetParam());
    ASSERT_NE(other, nullptr);
    ev_cleanup cl;
    ev_cleanup_init(&cl, nullptr);
    cl.data = this;
    ev_cleanup_start(other, &cl);
    EXPECT_TRUE(ev_is_active(&cl));
    ev_set_cb(&cl, &NullCallbackTest::Count<ev_cleanup>);
    int before = calls;
    ev_loop_destroy(other);
    EXPECT_EQ(calls, before + 1);
    EXPECT_FALSE(timed_out);
    close(p[0]);
    close(p[1]);
}

// An io watcher started without a callback, on an fd that never becomes ready, only keeps the
// loop alive: ev_run reports it active until it is stopped.
TEST_P(NullCallbackTest, IoWatcherWithoutCallbackKeepsTheLoopAlive)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    ev_io io;
    ev_io_init(&io, nullptr, p[0], EV_READ);
    ev_io_start(loop, &io);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
    ev_io_stop(loop, &io);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    close(p[0]);
    close(p[1]);
}

// ev_child (default loop only): started without a callback, set later.
TEST(NullCallbackChild, ChildWatcherStartsWithoutCallback)
{
    struct ev_loop *loop = ev_default_loop(EVFLAG_NOENV);
    ASSERT_NE(loop, nullptr);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
        _exit(7);
    ev_child c;
    ev_child_init(&c, nullptr, pid, 0);
    ev_child_start(loop, &c);
    EXPECT_TRUE(ev_is_active(&c));
    static int status = -1;
    ev_set_cb(&c, [](struct ev_loop *l, ev_child *w, int) {
        status = w->rstatus;
        ev_child_stop(l, w);
    });
    ev_timer deadline;
    ev_timer_init(
        &deadline, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ALL); }, 10., 0.);
    ev_timer_start(loop, &deadline);
    while (status < 0 && ev_is_active(&deadline))
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &deadline);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
    ev_loop_destroy(loop);
}

EV_ALL_BACKENDS(MisuseDeathTest);
EV_ALL_BACKENDS(NullCallbackTest);

} // namespace
