// event_metrics_test.cc - the libevent 1.x shim's events are counted by ev_metrics.h like any
// other: a base is an ev loop (event_base_new() is ev_loop_new(0), which reads LIBEV_FLAGS: set
// to the backend under test), read and timeout events count as io and timer events, and
// event_active goes through ev_feed_event (counted as fed). On every backend.
#include <event.h>

#include <ev_metrics.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "test_util.h"

namespace {

class EventMetricsTest : public ::testing::TestWithParam<unsigned> {};

int reads, timeouts, actives;

void ReadCb(int fd, short what, void *)
{
    char c;
    if (read(fd, &c, 1) == 1)
        ++reads;
}

void TimeoutCb(int, short what, void *)
{
    if (what & EV_TIMEOUT)
        ++timeouts;
}

void ActiveCb(int, short, void *)
{
    ++actives;
}

TEST_P(EventMetricsTest, ShimEventsAreCounted)
{
    setenv("LIBEV_FLAGS", std::to_string(GetParam()).c_str(), 1);
    struct event_base *base = event_base_new();
    unsetenv("LIBEV_FLAGS");
    ASSERT_NE(base, nullptr);
    struct ev_loop *loop = reinterpret_cast<struct ev_loop *>(base);
    ASSERT_EQ(ev_backend(loop), GetParam());
    ev_metrics_enable(loop, 1);
    reads = timeouts = actives = 0;

    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct event rd, to, act;
    event_set(&rd, sv[0], EV_READ | EV_PERSIST, ReadCb, nullptr);
    event_base_set(base, &rd);
    event_add(&rd, nullptr);
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(write(sv[1], "x", 1), 1);
        for (int k = 0; k < 10000 && reads == i; ++k)
            event_base_loop(base, EVLOOP_ONCE);
    }
    EXPECT_EQ(reads, 3);
    evtimer_set(&to, TimeoutCb, nullptr);
    event_base_set(base, &to);
    struct timeval tv = {0, 1000};
    evtimer_add(&to, &tv);
    for (int i = 0; i < 10000 && timeouts == 0; ++i) // a poll may return before the timer is due
        event_base_loop(base, EVLOOP_ONCE);
    EXPECT_EQ(timeouts, 1);
    event_set(&act, -1, 0, ActiveCb, nullptr);
    event_base_set(base, &act);
    event_active(&act, EV_TIMEOUT, 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    EXPECT_EQ(actives, 1);

    struct ev_metrics m;
    ASSERT_EQ(ev_metrics_get(loop, &m, sizeof m), sizeof m);
    EXPECT_EQ(m.events[EV_METRICS_IO], 3u);
    EXPECT_EQ(m.events[EV_METRICS_TIMER], 2u); // the timeout and the activated event
    EXPECT_EQ(m.fed, 1u);
    EXPECT_EQ(m.lag_count, 1u);
    EXPECT_GE(m.iterations, 4u);
    EXPECT_DOUBLE_EQ(m.idle + m.busy, m.elapsed);

    event_del(&rd);
    close(sv[0]);
    close(sv[1]);
    event_base_free(base);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, EventMetricsTest, ::testing::ValuesIn(::evtest::Backends()),
                         ::evtest::BackendNamer());

} // namespace
