/*
 * found_test.cc - the library bugs the API fuzzer found, as plain tests on every backend (the
 * fuzzer's inputs for them are in regressions/ and replayed by corpus_test).
 */
#include "ev/tests/test_util.h"

#include <unistd.h>

namespace {

class FoundTest : public evtest::LoopTest {};

int fired;

/* block_time() took an expired timer's negative wait for "no timer" when a periodic was active,
 * and waited for the periodic (here an hour away; ~60 s with EVFLAG_NOTIMERFD). */
TEST_P(FoundTest, ExpiredTimerWithAFarPeriodicDoesNotBlock)
{
    ev_periodic p;
    ev_periodic_init(
        &p, [](struct ev_loop *, ev_periodic *, int) {}, ev_now(loop) + 3600., 0., nullptr);
    ev_periodic_start(loop, &p);
    ev_timer t;
    ev_timer_init(
        &t, [](struct ev_loop *, ev_timer *, int) { ++fired; }, -1., 0.);
    ev_timer_start(loop, &t);
    fired = 0;
    alarm(20); /* the bug blocks for an hour: end as a crash rather than a bazel timeout */
    ev_tstamp t0 = ev_time();
    ev_run(loop, EVRUN_ONCE);
    alarm(0);
    EXPECT_EQ(fired, 1);
    EXPECT_LT(ev_time() - t0, 15.);
    ev_periodic_stop(loop, &p);
}

/* ev_async_send before the loop's first ev_async_start left the async flag set with no channel
 * to clear it; every later send returned early and was never delivered. */
TEST_P(FoundTest, AsyncSendBeforeTheFirstStartLosesNoLaterWakeup)
{
    ev_async a;
    ev_async_init(&a, [](struct ev_loop *, ev_async *, int) { ++fired; });
    fired = 0;
    ev_async_send(loop, &a);    /* not started: dropped, as in libev */
    ev_run(loop, EVRUN_NOWAIT); /* the loop had no channel to look at */
    ev_async_start(loop, &a);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(fired, 0);
    ev_async_send(loop, &a);
    EXPECT_TRUE(RunUntil([] { return fired > 0; }));
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(fired, 1);
    ev_async_stop(loop, &a);
}

EV_ALL_BACKENDS(FoundTest);

} // namespace
