// API misuse: usage errors abort with a "libev: <call> ..." message (death
// tests), while the documented harmless cases (start twice, stop inactive)
// are no-ops. Runs on every backend.
#include "test_util.h"

#include <sys/socket.h>
#include <unistd.h>

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

// libev 4.33 has no such check (it crashes later, when invoking); we name the
// call instead.
TEST_P(MisuseDeathTest, NullCallbacks)
{
    ev_io io;
    ev_io_init(&io, (void (*)(struct ev_loop *, ev_io *, int)) nullptr, 0, EV_READ);
    EXPECT_DEATH(ev_io_start(loop, &io), "libev: ev_io_start.*NULL callback");
    ev_timer t;
    ev_timer_init(&t, (void (*)(struct ev_loop *, ev_timer *, int)) nullptr, 1., 0.);
    EXPECT_DEATH(ev_timer_start(loop, &t), "libev: ev_timer_start.*NULL callback");
    ev_periodic p;
    ev_periodic_init(&p, (void (*)(struct ev_loop *, ev_periodic *, int)) nullptr, 0., 1., nullptr);
    EXPECT_DEATH(ev_periodic_start(loop, &p), "libev: ev_periodic_start.*NULL callback");
    ev_idle i;
    ev_idle_init(&i, (void (*)(struct ev_loop *, ev_idle *, int)) nullptr);
    EXPECT_DEATH(ev_idle_start(loop, &i), "libev: ev_idle_start.*NULL callback");
    ev_prepare pr;
    ev_prepare_init(&pr, (void (*)(struct ev_loop *, ev_prepare *, int)) nullptr);
    EXPECT_DEATH(ev_prepare_start(loop, &pr), "libev: ev_prepare_start.*NULL callback");
    ev_check c;
    ev_check_init(&c, (void (*)(struct ev_loop *, ev_check *, int)) nullptr);
    EXPECT_DEATH(ev_check_start(loop, &c), "libev: ev_check_start.*NULL callback");
    ev_async a;
    ev_async_init(&a, (void (*)(struct ev_loop *, ev_async *, int)) nullptr);
    EXPECT_DEATH(ev_async_start(loop, &a), "libev: ev_async_start.*NULL callback");
    ev_fork f;
    ev_fork_init(&f, (void (*)(struct ev_loop *, ev_fork *, int)) nullptr);
    EXPECT_DEATH(ev_fork_start(loop, &f), "libev: ev_fork_start.*NULL callback");
    ev_cleanup cl;
    ev_cleanup_init(&cl, (void (*)(struct ev_loop *, ev_cleanup *, int)) nullptr);
    EXPECT_DEATH(ev_cleanup_start(loop, &cl), "libev: ev_cleanup_start.*NULL callback");
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

EV_ALL_BACKENDS(MisuseDeathTest);

} // namespace
