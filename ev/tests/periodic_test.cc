// ev_periodic: absolute, interval and reschedule_cb modes, ev_periodic_again,
// ev_periodic_at, and wall-clock jumps injected through the library's
// test-only hook (the real clock cannot be set in CI). Runs on every backend,
// with timerfd jump detection and with EVFLAG_NOTIMERFD (clock comparison).
#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fcntl.h>

extern "C" void ev__test_clock_jump(struct ev_loop *loop, double by);
extern "C" double ev__test_wall_offset;

namespace {

struct Counter {
    int calls = 0;
    int revents = 0;
    double at_call = 0; // ev_now() when called
};

template <class W> void CountCb(struct ev_loop *loop, W *w, int revents)
{
    auto *c = static_cast<Counter *>(w->data);
    ++c->calls;
    c->revents = revents;
    c->at_call = ev_now(loop);
}

class PeriodicTest : public evtest::LoopTest {
  protected:
    void TearDown() override
    {
        LoopTest::TearDown();
        ev__test_wall_offset = 0; // never leak a jump into the next test
    }
};

TEST_P(PeriodicTest, AbsoluteFiresOnceNotEarly)
{
    Counter c;
    ev_periodic p;
    double when = ev_now(loop) + 0.05;
    ev_periodic_init(&p, CountCb<ev_periodic>, when, 0., nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    EXPECT_EQ(ev_periodic_at(&p), when);
    EXPECT_TRUE(RunUntil([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_PERIODIC);
    EXPECT_GE(c.at_call, when);
    EXPECT_FALSE(ev_is_active(&p)) << "an absolute periodic is stopped before its callback";
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    EXPECT_EQ(c.calls, 1);
}

TEST_P(PeriodicTest, AbsoluteInThePastFiresNextIteration)
{
    Counter c;
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, ev_now(loop) - 100., 0., nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(c.calls, 1);
}

TEST_P(PeriodicTest, IntervalModeAlignsToOffset)
{
    Counter c;
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, 0.25, 0.1, nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    double at = ev_periodic_at(&p);
    EXPECT_GT(at, ev_now(loop));
    EXPECT_LE(at, ev_now(loop) + 0.1 + 1e-6);
    // at == 0.25 + N * 0.1 for an integer N
    double n = (at - 0.25) / 0.1;
    EXPECT_NEAR(n, std::round(n), 1e-3);
    EXPECT_TRUE(RunUntil([&] { return c.calls >= 3; }));
    EXPECT_TRUE(ev_is_active(&p)) << "interval periodics keep running";
    EXPECT_GT(ev_periodic_at(&p), c.at_call);
    ev_periodic_stop(loop, &p);
}

static double every_fifth(ev_periodic *, ev_tstamp now)
{
    return std::floor(now * 20. + 1.) / 20.; // the next multiple of 0.05 s
}

TEST_P(PeriodicTest, RescheduleCallbackDecides)
{
    Counter c;
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, 0., 0., every_fifth);
    p.data = &c;
    ev_periodic_start(loop, &p);
    EXPECT_EQ(ev_periodic_at(&p), every_fifth(&p, ev_now(loop)));
    EXPECT_TRUE(RunUntil([&] { return c.calls >= 2; }));
    EXPECT_GE(c.at_call + 1e-9, std::floor(c.at_call * 20.) / 20.);
    ev_periodic_stop(loop, &p);
}

TEST_P(PeriodicTest, AgainReschedulesAfterChange)
{
    Counter c;
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, ev_now(loop) + 1000., 0., nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    p.offset = ev_now(loop) + 0.02;
    ev_periodic_again(loop, &p);
    EXPECT_TRUE(ev_is_active(&p));
    EXPECT_EQ(ev_periodic_at(&p), p.offset);
    EXPECT_TRUE(RunUntil([&] { return c.calls > 0; }));
}

TEST_P(PeriodicTest, StopPreventsFiringAndClearsPending)
{
    Counter c;
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, ev_now(loop) - 1., 0., nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    ev_feed_event(loop, &p, EV_PERIODIC);
    EXPECT_TRUE(ev_is_pending(&p));
    ev_periodic_stop(loop, &p);
    EXPECT_FALSE(ev_is_pending(&p));
    EXPECT_FALSE(ev_is_active(&p));
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 0);
}

TEST_P(PeriodicTest, ManyPeriodicsFireInDeadlineOrder)
{
    constexpr int N = 200;
    std::vector<ev_periodic> ps(N);
    // Deadlines in milliseconds since the epoch: beyond a 32-bit long (lround) on i386.
    std::vector<long long> order;
    double base = ev_now(loop) - 10.;
    for (int i = 0; i < N; ++i) {
        // shuffled deadlines, all in the past: they fire in one iteration
        int k = (i * 37) % N;
        ev_periodic_init(
            &ps[i],
            [](struct ev_loop *, ev_periodic *w, int) {
                static_cast<std::vector<long long> *>(w->data)->push_back(
                    std::llround((w->offset + 10.) * 1000.));
            },
            base + k * 0.001, 0., nullptr);
        ps[i].offset = base + k * 0.001;
        ps[i].data = &order;
        ev_periodic_start(loop, &ps[i]);
    }
    ev_verify(loop);
    ev_run(loop, EVRUN_NOWAIT);
    ASSERT_EQ(order.size(), (size_t)N);
    for (int i = 1; i < N; ++i)
        EXPECT_LT(order[i - 1], order[i]) << "earlier deadline first";
}

TEST_P(PeriodicTest, NegativeIntervalDies)
{
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, 0., -1., nullptr);
    EXPECT_DEATH(ev_periodic_start(loop, &p), "negative interval");
}

// --- wall-clock jumps ---------------------------------------------------

class PeriodicJumpTest : public PeriodicTest {
  protected:
    // Wait until the loop has noticed a jump: with timerfd at once; with the
    // clock comparison after half a second of monotonic time, so a short
    // repeating timer keeps the loop waking up meanwhile.
    void AfterJump(const std::function<bool()> &done)
    {
        ev_timer waker;
        ev_timer_init(
            &waker, [](struct ev_loop *, ev_timer *, int) {}, 0.05, 0.05);
        ev_timer_start(loop, &waker);
        EXPECT_TRUE(RunUntil(done));
        ev_timer_stop(loop, &waker);
    }
};

TEST_P(PeriodicJumpTest, ForwardJumpFiresPassedAbsoluteAndReschedulesInterval)
{
    Counter a, h;
    ev_periodic abs_w, hourly;
    // absolute, half an hour ahead: a one-hour forward jump passes it
    ev_periodic_init(&abs_w, CountCb<ev_periodic>, ev_now(loop) + 1800., 0., nullptr);
    abs_w.data = &a;
    ev_periodic_start(loop, &abs_w);
    // interval, 2 h aligned: rescheduled to the next boundary after the jump
    // (as libev 4.33: the boundaries jumped over are not replayed)
    ev_periodic_init(&hourly, CountCb<ev_periodic>, 0., 7200., nullptr);
    hourly.data = &h;
    ev_periodic_start(loop, &hourly);
    ev__test_clock_jump(loop, 3600.);
    AfterJump([&] { return a.calls > 0; });
    EXPECT_EQ(a.calls, 1);
    EXPECT_GT(ev_periodic_at(&hourly), ev_now(loop));
    EXPECT_LE(ev_periodic_at(&hourly), ev_now(loop) + 7200.);
    double n = ev_periodic_at(&hourly) / 7200.;
    EXPECT_NEAR(n, std::round(n), 1e-6);
    ev_periodic_stop(loop, &hourly);
}

TEST_P(PeriodicJumpTest, BackwardJumpReschedulesEarlier)
{
    Counter c;
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, 0., 600., nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    double before = ev_periodic_at(&p);
    ev__test_clock_jump(loop, -3600.);
    AfterJump([&] { return ev_periodic_at(&p) < before - 3000.; });
    EXPECT_EQ(c.calls, 0) << "a backward jump must not fire it";
    EXPECT_GT(ev_periodic_at(&p), ev_now(loop));
    EXPECT_LE(ev_periodic_at(&p), ev_now(loop) + 600.);
    ev_periodic_stop(loop, &p);
}

TEST_P(PeriodicJumpTest, TimersIgnoreWallClockJumps)
{
    Counter t, p;
    ev_timer tw;
    ev_timer_init(&tw, CountCb<ev_timer>, 30., 0.);
    tw.data = &t;
    ev_timer_start(loop, &tw);
    ev_periodic pw;
    ev_periodic_init(&pw, CountCb<ev_periodic>, ev_now(loop) + 1800., 0., nullptr);
    pw.data = &p;
    ev_periodic_start(loop, &pw);
    double remaining = ev_timer_remaining(loop, &tw);
    ev__test_clock_jump(loop, 3600.);
    AfterJump([&] { return p.calls > 0; });
    EXPECT_EQ(t.calls, 0) << "the monotonic timer must not fire after a wall-clock jump";
    EXPECT_LE(ev_timer_remaining(loop, &tw), remaining);
    EXPECT_GT(ev_timer_remaining(loop, &tw), 25.);
    ev_timer_stop(loop, &tw);
}

TEST_P(PeriodicJumpTest, EvNowFollowsTheJump)
{
    double before = ev_now(loop);
    ev__test_clock_jump(loop, 7200.);
    ev_periodic p;
    Counter c;
    ev_periodic_init(&p, CountCb<ev_periodic>, 0., 3600., nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    AfterJump([&] { return ev_now(loop) > before + 7000.; });
    ev_periodic_stop(loop, &p);
}

TEST_P(PeriodicJumpTest, ResumeReschedulesPeriodicsAndShiftsTimers)
{
    Counter t, iv, ab;
    ev_timer tw;
    ev_timer_init(&tw, CountCb<ev_timer>, 1000., 0.);
    tw.data = &t;
    ev_timer_start(loop, &tw);
    ev_periodic interval_w, abs_w;
    ev_periodic_init(&interval_w, CountCb<ev_periodic>, 0., 7200., nullptr);
    interval_w.data = &iv;
    ev_periodic_start(loop, &interval_w);
    ev_periodic_init(&abs_w, CountCb<ev_periodic>, ev_now(loop) + 1800., 0., nullptr);
    abs_w.data = &ab;
    ev_periodic_start(loop, &abs_w);
    double remaining = ev_timer_remaining(loop, &tw);

    ev_suspend(loop);
    ev__test_clock_jump(loop, 3600.); // an hour of wall-clock time "while suspended"
    ev_resume(loop);

    EXPECT_GT(ev_periodic_at(&interval_w), ev_now(loop)) << "rescheduled after the new now";
    EXPECT_LE(ev_periodic_at(&interval_w), ev_now(loop) + 7200.);
    EXPECT_NEAR(ev_timer_remaining(loop, &tw), remaining, 0.5)
        << "suspended time does not count for timers";
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(ab.calls, 1) << "the absolute periodic passed during the suspension fires";
    EXPECT_EQ(iv.calls, 0);
    EXPECT_EQ(t.calls, 0);
    ev_periodic_stop(loop, &interval_w);
    ev_timer_stop(loop, &tw);
}

class PeriodicNoTimerfdTest : public PeriodicJumpTest {
  protected:
    unsigned ExtraFlags() const override { return EVFLAG_NOTIMERFD; }
};

TEST_P(PeriodicNoTimerfdTest, ForwardJumpDetectedByClockComparison)
{
    Counter c;
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, ev_now(loop) + 1800., 0., nullptr);
    p.data = &c;
    ev_periodic_start(loop, &p);
    ev__test_clock_jump(loop, 3600.);
    AfterJump([&] { return c.calls > 0; });
    EXPECT_EQ(c.calls, 1);
    ev_periodic_stop(loop, &p);
}

TEST_P(PeriodicNoTimerfdTest, NoTimerfdIsCreated)
{
    // Count fds before and after the first periodic start: NOTIMERFD must
    // not create one.
    auto count_fds = [] {
        int n = 0;
        for (int fd = 0; fd < 1024; ++fd)
            if (fcntl(fd, F_GETFD) >= 0)
                ++n;
        return n;
    };
    int before = count_fds();
    ev_periodic p;
    ev_periodic_init(&p, CountCb<ev_periodic>, 0., 10., nullptr);
    ev_periodic_start(loop, &p);
    EXPECT_EQ(count_fds(), before);
    ev_periodic_stop(loop, &p);
}

TEST_P(PeriodicJumpTest, TimerfdCreatedLazilyAndCloexec)
{
    auto open_fds = [] {
        std::vector<int> v;
        for (int fd = 0; fd < 1024; ++fd)
            if (fcntl(fd, F_GETFD) >= 0)
                v.push_back(fd);
        return v;
    };
    std::vector<int> before = open_fds();
    ev_periodic p, q;
    ev_periodic_init(&p, CountCb<ev_periodic>, 0., 10., nullptr);
    ev_periodic_init(&q, CountCb<ev_periodic>, 0., 20., nullptr);
    ev_periodic_start(loop, &p);
    ev_periodic_start(loop, &q);
    std::vector<int> after = open_fds();
    EXPECT_EQ(after.size(), before.size() + 1)
        << "one timerfd per loop, made at the first periodic";
    for (int fd : after) {
        if (std::find(before.begin(), before.end(), fd) == before.end()) {
            EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC) << "fd " << fd;
        }
    }
    ev_periodic_stop(loop, &p);
    ev_periodic_stop(loop, &q);
}

} // namespace

EV_ALL_BACKENDS(PeriodicTest);
EV_ALL_BACKENDS(PeriodicJumpTest);
EV_ALL_BACKENDS(PeriodicNoTimerfdTest);
