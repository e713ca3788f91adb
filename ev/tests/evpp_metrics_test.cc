// ev++.h's part of ev_metrics.h: loop_ref::metrics() with std::chrono durations, the slow-callback
// hook taking any callable (freed by the loop), and events of ev++ watchers counted like C ones.
// On every backend.
#include <ev++.h>

#include "test_util.h"

#include <chrono>
#include <memory>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace {

class EvppMetricsTest : public evtest::LoopTest {};

TEST_P(EvppMetricsTest, MetricsWithChronoDurations)
{
    ev::loop_ref l(loop);
    EXPECT_FALSE(l.metrics_enabled());
    ev::loop_ref::metrics_view m = l.metrics();
    EXPECT_EQ(m.enabled, 0);
    EXPECT_EQ(m.events_total, 0u);
    EXPECT_EQ(m.utilization(), 0.);

    l.enable_metrics();
    EXPECT_TRUE(l.metrics_enabled());
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    int reads = 0, ticks = 0;
    ev::io io(l);
    io.set([&reads](ev::io &w, int) {
        char c;
        while (read(w.fd, &c, 1) == 1)
            ++reads;
    });
    io.start(fds[0], ev::READ);
    ev::timer t(l);
    t.set([&ticks](ev::timer &, int) { ++ticks; });
    t.start(std::chrono::milliseconds(1));
    ASSERT_EQ(write(fds[1], "ab", 2), 2);
    RunUntil([&] { return reads == 2 && ticks == 1; });
    io.feed_event(ev::READ); // fed through ev++: counted as fed and as io
    l.run(ev::NOWAIT);

    m = l.metrics();
    EXPECT_EQ(m.enabled, 1);
    EXPECT_EQ(m.events[EV_METRICS_IO], 2u);
    EXPECT_EQ(m.events[EV_METRICS_TIMER], 1u);
    EXPECT_EQ(m.fed, 1u);
    EXPECT_EQ(m.lag_count, 1u);
    std::chrono::duration<double> sum = m.idle_time() + m.busy_time();
    EXPECT_NEAR(sum.count(), m.elapsed_time().count(), 1e-9);
    EXPECT_GE(m.utilization(), 0.);
    EXPECT_LE(m.utilization(), 1.);
    EXPECT_GE(m.lag_max_time(), std::chrono::duration<double>::zero());
    EXPECT_LE(m.lag_max_time(), m.lag_sum_time());
    static_assert(std::is_same<decltype(m.busy_time()), std::chrono::duration<double>>::value,
                  "seconds as double");

    l.reset_metrics();
    EXPECT_EQ(l.metrics().events_total, 0u);
    l.enable_metrics(false);
    EXPECT_FALSE(l.metrics_enabled());
    io.stop();
    close(fds[0]);
    close(fds[1]);
}

// A callable with state, moved in: destroyed exactly once when the loop lets go of it.
struct Hook {
    std::shared_ptr<int> calls;
    std::string *seen;
    void operator()(const ev::loop_ref::slow_callback_info &info)
    {
        ++*calls;
        *seen = std::string(info.type_name()) + " " + std::to_string(info.priority) + " " +
                (info.duration >= std::chrono::milliseconds(50) ? "slow" : "fast");
    }
};

TEST_P(EvppMetricsTest, SlowCallbackTakesAnyCallable)
{
    ev::loop_ref l(loop);
    auto calls = std::make_shared<int>(0);
    std::string seen;
    void *which = nullptr;
    ev::timer slow(l), fast(l);
    slow.set([](ev::timer &, int) { usleep(50000); });
    slow.priority = -1;
    fast.set([](ev::timer &, int) {});
    l.set_slow_callback(std::chrono::milliseconds(40), Hook{calls, &seen});
    EXPECT_TRUE(l.metrics_enabled());
    EXPECT_EQ(calls.use_count(), 2); // the loop holds a copy

    fast.start(0.);
    RunUntil([&] { return !fast.is_active(); });
    EXPECT_EQ(*calls, 0);
    slow.start(0.);
    RunUntil([&] { return !slow.is_active(); });
    EXPECT_EQ(*calls, 1);
    EXPECT_EQ(seen, "timer -1 slow");
    EXPECT_EQ(l.metrics().slow_callbacks, 1u);

    // Replaced by a lambda: the first callable is destroyed.
    l.set_slow_callback(
        std::chrono::milliseconds(40),
        [&which](const ev::loop_ref::slow_callback_info &info) { which = info.watcher; });
    EXPECT_EQ(calls.use_count(), 1);
    slow.start(0.);
    RunUntil([&] { return !slow.is_active(); });
    EXPECT_EQ(which, static_cast<void *>(static_cast<ev_timer *>(&slow)));

    // The loop's end destroys the callable it holds.
    l.set_slow_callback(std::chrono::seconds(1), Hook{calls, &seen});
    EXPECT_EQ(calls.use_count(), 2);
    l.clear_slow_callback();
    EXPECT_EQ(calls.use_count(), 1);
    l.set_slow_callback(std::chrono::seconds(1), Hook{calls, &seen});
    EXPECT_EQ(calls.use_count(), 2);
    slow.loop = nullptr;
    fast.loop = nullptr;
    StopDeadline();
    ev_loop_destroy(loop);
    loop = nullptr;
    EXPECT_EQ(calls.use_count(), 1);
}

EV_ALL_BACKENDS(EvppMetricsTest);

} // namespace
