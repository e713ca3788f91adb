// event_cov_test.cc - the libevent 1.x shim (//ev:event) on paths that ev/tests/event_test.cc
// does not take: bases destroyed with events still added, priorities clamped, callbacks held
// back by a loopbreak and then deleted, fd errors, events whose base the program assigned
// directly, re-added timeouts and signals, event_active and event_pending on events that are
// pending but not armed, and the misuse cases that must give -1 and a message. Every backend.
#include "ev/tests/cov/compat/event_cov_test.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>

namespace {

using evcov::CompatTest;
using evcov::Log;

volatile sig_atomic_t g_own_calls;
void OwnHandler(int)
{
    ++g_own_calls;
}

double Tv(const struct timeval &tv)
{
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

// libevent's event_base_free puts back the handlers the program had before its signal events
// were added, also for events still added; ev's loop teardown would leave SIG_DFL, and the next
// signal would end the program.
TEST_P(CompatTest, BaseFreeRestoresSignalDispositions)
{
    struct sigaction own = {}, before = {}, now = {};
    own.sa_handler = OwnHandler;
    sigemptyset(&own.sa_mask);
    ASSERT_EQ(sigaction(SIGUSR2, &own, &before), 0);
    g_own_calls = 0;

    struct event_base *other = NewBase();
    ASSERT_NE(other, nullptr);
    struct event s;
    signal_set(&s, SIGUSR2, Record, (void *)1);
    ASSERT_EQ(event_base_set(other, &s), 0);
    ASSERT_EQ(signal_add(&s, nullptr), 0);
    ASSERT_EQ(sigaction(SIGUSR2, nullptr, &now), 0);
    EXPECT_NE(now.sa_handler, OwnHandler); // the base has it now
    event_base_free(other);                // s is still added

    ASSERT_EQ(sigaction(SIGUSR2, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, OwnHandler);
    if (now.sa_handler == OwnHandler) {
        raise(SIGUSR2);
        EXPECT_EQ(g_own_calls, 1);
    }

    // The signal is free again for another base.
    struct event s2;
    signal_set(&s2, SIGUSR2, Record, (void *)2);
    ASSERT_EQ(event_base_set(base, &s2), 0);
    ASSERT_EQ(signal_add(&s2, nullptr), 0);
    raise(SIGUSR2);
    EXPECT_TRUE(RunBaseUntil([&] { return CountTag(2) == 1; }));
    EXPECT_EQ(CountTag(1), 0);
    ASSERT_EQ(signal_del(&s2), 0);
    ASSERT_EQ(sigaction(SIGUSR2, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, OwnHandler);
    ASSERT_EQ(sigaction(SIGUSR2, &before, nullptr), 0);
}

// A program that destroys the current base with ev's own API: the shim forgets it, and the next
// event_set makes a new current base instead of using the freed one.
TEST_P(CompatTest, CurrentBaseDestroyedThroughEv)
{
    void *cur = event_init();
    ASSERT_NE(cur, nullptr);
    if (cur == ev_default_loop_ptr)
        cur = event_init(); // later calls make new loops
    ASSERT_NE(cur, nullptr);
    ASSERT_NE(cur, ev_default_loop_ptr);
    ev_loop_destroy(static_cast<struct ev_loop *>(cur));

    struct event t;
    evtimer_set(&t, Record, (void *)3);
    ASSERT_NE(t.ev_base, nullptr);
    struct timeval zero = {0, 0};
    ASSERT_EQ(evtimer_add(&t, &zero), 0);
    EXPECT_EQ(event_dispatch(), 1); // runs t, then nothing is left
    EXPECT_EQ(CountTag(3), 1);
    event_base_free(nullptr);
}

// Events keep their libevent priority when the number of priorities changes; out-of-range
// values (also one the program stored in ev_pri itself) count as the nearest level.
TEST_P(CompatTest, PrioritiesOutOfRangeAreClamped)
{
    int sv[2];
    Pair(sv);
    ASSERT_EQ(event_base_priority_init(base, 10), 0);
    struct event low, mid, high;
    event_set(&low, sv[0], EV_WRITE, Record, (void *)1);
    event_set(&mid, sv[0], EV_WRITE, Record, (void *)2);
    event_set(&high, sv[0], EV_WRITE, Record, (void *)3);
    for (struct event *e : {&low, &mid, &high})
        ASSERT_EQ(event_base_set(base, e), 0);
    ASSERT_EQ(event_priority_set(&low, 9), 0);
    ASSERT_EQ(event_base_priority_init(base, 3), 0);
    ASSERT_EQ(event_priority_set(&mid, 1), 0);
    high.ev_pri = -4;
    // Added in the opposite order of their urgency.
    ASSERT_EQ(event_add(&low, nullptr), 0);
    ASSERT_EQ(event_add(&mid, nullptr), 0);
    ASSERT_EQ(event_add(&high, nullptr), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 1); // all three ran: none is left
    EXPECT_EQ(Tags(), (std::vector<int>{3, 2, 1}));
}

// A callback held back by a loopbreak is dropped when its event is deleted before the next run.
TEST_P(CompatTest, DeletingAHeldBackEventDropsItsCallback)
{
    int sv[2];
    Pair(sv);
    static struct event_base *s_base;
    s_base = base;
    ASSERT_EQ(event_base_priority_init(base, 3), 0);
    struct event e1, e2, e3;
    event_set(
        &e1, sv[0], EV_WRITE,
        [](int fd, short what, void *arg) {
            Record(fd, what, arg);
            EXPECT_EQ(event_base_loopbreak(s_base), 0);
        },
        (void *)1);
    event_set(&e2, sv[0], EV_WRITE, Record, (void *)2);
    event_set(&e3, sv[0], EV_WRITE, Record, (void *)3);
    int pri = 0;
    for (struct event *e : {&e1, &e2, &e3}) {
        ASSERT_EQ(event_base_set(base, e), 0);
        ASSERT_EQ(event_priority_set(e, pri++), 0);
        ASSERT_EQ(event_add(e, nullptr), 0);
    }
    EXPECT_EQ(event_base_dispatch(base), 0);
    EXPECT_EQ(Tags(), (std::vector<int>{1}));
    ASSERT_EQ(event_del(&e3), 0);
    EXPECT_EQ(event_pending(&e3, EV_WRITE, nullptr), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(Tags(), (std::vector<int>{1, 2}));
}

// More callbacks held back than the first allocation holds: none is lost, each runs once.
TEST_P(CompatTest, ManyCallbacksHeldBackByALoopbreak)
{
    int sv[2];
    Pair(sv);
    static struct event_base *s_base;
    s_base = base;
    ASSERT_EQ(event_base_priority_init(base, 2), 0);
    struct event breaker;
    event_set(
        &breaker, sv[0], EV_WRITE,
        [](int fd, short what, void *arg) {
            Record(fd, what, arg);
            event_base_loopbreak(s_base);
        },
        (void *)100);
    ASSERT_EQ(event_base_set(base, &breaker), 0);
    ASSERT_EQ(event_priority_set(&breaker, 0), 0);
    ASSERT_EQ(event_add(&breaker, nullptr), 0);
    const int n = 40;
    std::vector<struct event> evs(n);
    for (int i = 0; i < n; ++i) {
        event_set(&evs[i], sv[0], EV_WRITE, Record, (void *)(intptr_t)i);
        ASSERT_EQ(event_base_set(base, &evs[i]), 0);
        ASSERT_EQ(event_priority_set(&evs[i], 1), 0);
        ASSERT_EQ(event_add(&evs[i], nullptr), 0);
    }
    EXPECT_EQ(event_base_dispatch(base), 0);
    EXPECT_EQ(Tags(), (std::vector<int>{100}));
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    ASSERT_EQ(calls.size(), (size_t)n + 1);
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(CountTag(i), 1) << i;
        EXPECT_EQ(event_pending(&evs[i], EV_WRITE, nullptr), 0);
    }
}

// An fd that is not open: ev reports an error for it, the shim hands the event's own bits to the
// callback once and deletes the event (as libevent 1.4 does when the backend rejects the fd),
// and the loop goes on serving the others.
TEST_P(CompatTest, BadFdFiresOnceAndIsDeleted)
{
    int sv[2];
    Pair(sv);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    int bad = p[0];
    close(p[0]);
    close(p[1]);
    struct event e, ok;
    event_set(&e, bad, EV_READ | EV_PERSIST, Record, (void *)1);
    event_set(&ok, sv[0], EV_READ, Record, (void *)2);
    ASSERT_EQ(event_base_set(base, &e), 0);
    ASSERT_EQ(event_base_set(base, &ok), 0);
    ASSERT_EQ(event_add(&e, nullptr), 0);
    ASSERT_EQ(event_add(&ok, nullptr), 0);
    EXPECT_TRUE(RunBaseUntil([&] { return CountTag(1) == 1; }));
    ASSERT_EQ(CountTag(1), 1);
    EXPECT_EQ(calls[0].what, EV_READ);
    EXPECT_EQ(calls[0].fd, bad);
    EXPECT_EQ(event_pending(&e, EV_READ, nullptr), 0);
    Put(sv[1]);
    EXPECT_TRUE(RunBaseUntil([&] { return CountTag(2) == 1; }));
    EXPECT_EQ(CountTag(1), 1);
}

// libevent 1.x programs sometimes store ev_base themselves instead of calling event_base_set.
TEST_P(CompatTest, BaseAssignedDirectly)
{
    int sv[2];
    Pair(sv);
    struct event e;
    event_set(&e, sv[0], EV_WRITE, Record, (void *)1);
    e.ev_base = base;
    ASSERT_EQ(event_add(&e, nullptr), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(Tags(), (std::vector<int>{1}));

    // And NULL: nothing to add to, nothing to delete.
    event_set(&e, sv[0], EV_WRITE, Record, (void *)2);
    e.ev_base = nullptr;
    EXPECT_EQ(event_add(&e, nullptr), -1);
    EXPECT_TRUE(LogHas("has no base"));
    EXPECT_EQ(event_del(&e), 0);
    event_active(&e, EV_WRITE, 1);
    EXPECT_EQ(event_pending(&e, EV_WRITE | EV_TIMEOUT, nullptr), 0);
    EXPECT_EQ(event_priority_set(&e, 0), 0); // one priority without a base
    EXPECT_EQ(event_priority_set(&e, 1), -1);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(Tags(), (std::vector<int>{1}));
}

TEST_P(CompatTest, MisuseIsRefusedWithAMessage)
{
    struct event zero;
    memset(&zero, 0, sizeof zero);
    EXPECT_EQ(event_base_set(base, &zero), -1);
    EXPECT_TRUE(LogHas("event_base_set"));
    zero.ev_base = base; // a base, but never set
    EXPECT_EQ(event_add(&zero, nullptr), -1);
    EXPECT_TRUE(LogHas("event_add: event"));
    EXPECT_EQ(event_priority_set(&zero, 0), -1);
    EXPECT_TRUE(LogHas("event_priority_set"));
    event_active(&zero, EV_READ, 1);
    EXPECT_TRUE(LogHas("event_active"));
    EXPECT_EQ(event_pending(nullptr, EV_READ, nullptr), 0);

    struct event sr;
    event_set(&sr, SIGUSR1, EV_SIGNAL | EV_READ, Record, nullptr);
    ASSERT_EQ(event_base_set(base, &sr), 0);
    Log().clear();
    EXPECT_EQ(event_add(&sr, nullptr), -1);
    EXPECT_TRUE(LogHas("EV_SIGNAL cannot be combined"));

    Log().clear();
    EXPECT_EQ(event_base_once(base, -1, EV_READ, Record, nullptr, nullptr), -1);
    EXPECT_TRUE(LogHas("negative fd"));
    EXPECT_EQ(event_base_priority_init(nullptr, 2), -1);
    EXPECT_EQ(event_base_priority_init(base, 0), -1);
    EXPECT_EQ(event_base_priority_init(base, 257), -1);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_TRUE(calls.empty());
}

// Deleting a signal event that was set but never added is harmless, and leaves the signal to
// the events that have it.
TEST_P(CompatTest, DeletingAnUnaddedSignalEvent)
{
    struct event added, unadded;
    signal_set(&added, SIGUSR1, Record, (void *)1);
    signal_set(&unadded, SIGUSR1, Record, (void *)2);
    ASSERT_EQ(event_base_set(base, &added), 0);
    ASSERT_EQ(event_base_set(base, &unadded), 0);
    ASSERT_EQ(signal_add(&added, nullptr), 0);
    EXPECT_EQ(signal_del(&unadded), 0);
    EXPECT_EQ(signal_pending(&added, nullptr), EV_SIGNAL);
    raise(SIGUSR1);
    EXPECT_TRUE(RunBaseUntil([&] { return CountTag(1) == 1; }));
    EXPECT_EQ(CountTag(2), 0);
    EXPECT_EQ(signal_del(&added), 0);
}

// A signal event re-added with a timeout gets the timeout; the timeout deletes it.
TEST_P(CompatTest, SignalEventReAddedWithATimeout)
{
    struct event s;
    signal_set(&s, SIGUSR1, Record, (void *)1);
    ASSERT_EQ(event_base_set(base, &s), 0);
    ASSERT_EQ(signal_add(&s, nullptr), 0);
    struct timeval zero = {0, 0};
    ASSERT_EQ(signal_add(&s, &zero), 0);
    EXPECT_EQ(event_pending(&s, EV_SIGNAL | EV_TIMEOUT, nullptr), EV_SIGNAL | EV_TIMEOUT);
    EXPECT_TRUE(RunBaseUntil([&] { return CountTag(1) == 1; }));
    EXPECT_EQ(calls[0].what, EV_TIMEOUT);
    EXPECT_EQ(calls[0].fd, SIGUSR1);
    EXPECT_EQ(event_pending(&s, EV_SIGNAL | EV_TIMEOUT, nullptr), 0);
}

// A running timeout re-added with {0, 0} fires in the next iteration; one re-added after the
// number of priorities changed moves to its new priority and keeps the new expiry.
TEST_P(CompatTest, RunningTimeoutReAdded)
{
    struct event t;
    evtimer_set(&t, Record, (void *)1);
    ASSERT_EQ(event_base_set(base, &t), 0);
    struct timeval ten = {10, 0}, zero = {0, 0}, two = {2, 0}, at = {};
    ASSERT_EQ(evtimer_add(&t, &ten), 0);
    ASSERT_EQ(evtimer_add(&t, &zero), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(Tags(), (std::vector<int>{1}));

    ASSERT_EQ(evtimer_add(&t, &ten), 0);
    ASSERT_EQ(event_base_priority_init(base, 5), 0);
    ASSERT_EQ(evtimer_add(&t, &two), 0);
    ASSERT_EQ(evtimer_pending(&t, &at), EV_TIMEOUT);
    double now = ev_now(Loop(base));
    EXPECT_GT(Tv(at), now + 1.);
    EXPECT_LT(Tv(at), now + 3.);
    ASSERT_EQ(event_priority_set(&t, 4), 0);
    ASSERT_EQ(evtimer_pending(&t, &at), EV_TIMEOUT);
    EXPECT_LT(Tv(at), now + 3.);
    ASSERT_EQ(evtimer_del(&t), 0);
}

// A timeout that expired and waits for its callback, re-added from an earlier callback of the
// same iteration: the new timeout replaces the expired one, whose callback does not run.
TEST_P(CompatTest, ExpiredTimeoutReAddedBeforeItsCallback)
{
    static struct event a, b;
    ASSERT_EQ(event_base_priority_init(base, 2), 0);
    event_callback_fn readd_b = [](int fd, short what, void *arg) {
        Record(fd, what, arg);
        struct timeval ten = {10, 0};
        EXPECT_EQ(evtimer_add(&b, &ten), 0);
    };
    evtimer_set(&a, readd_b, (void *)1);
    evtimer_set(&b, Record, (void *)2);
    ASSERT_EQ(event_base_set(base, &a), 0);
    ASSERT_EQ(event_base_set(base, &b), 0);
    ASSERT_EQ(event_priority_set(&a, 0), 0);
    ASSERT_EQ(event_priority_set(&b, 1), 0);
    struct timeval zero = {0, 0}, at = {};
    ASSERT_EQ(evtimer_add(&a, &zero), 0);
    ASSERT_EQ(evtimer_add(&b, &zero), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    EXPECT_EQ(Tags(), (std::vector<int>{1}));
    ASSERT_EQ(evtimer_pending(&b, &at), EV_TIMEOUT);
    EXPECT_GT(Tv(at), ev_now(Loop(base)) + 5.);
    ASSERT_EQ(evtimer_del(&b), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(Tags(), (std::vector<int>{1}));
}

// event_active on an added event (fd watcher and timeout armed): one callback with the given
// bits, EV_TIMEOUT and EV_READ together in one call, and the event is deleted as by a firing.
TEST_P(CompatTest, ActiveOnAnAddedEvent)
{
    int sv[2];
    Pair(sv);
    struct event e;
    event_set(&e, sv[0], EV_READ, Record, (void *)1);
    ASSERT_EQ(event_base_set(base, &e), 0);
    struct timeval ten = {10, 0};
    ASSERT_EQ(event_add(&e, &ten), 0);
    event_active(&e, EV_TIMEOUT | EV_READ, 1);
    event_active(&e, EV_READ, 1); // already queued: still one callback
    EXPECT_EQ(event_pending(&e, EV_READ | EV_TIMEOUT, nullptr), EV_READ | EV_TIMEOUT);
    EXPECT_EQ(event_priority_set(&e, 0), -1); // queued: refused, as libevent does
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_TIMEOUT | EV_READ);
    EXPECT_EQ(event_pending(&e, EV_READ | EV_TIMEOUT, nullptr), 0);
}

// event_active on events that are not added: event_pending reports the queued callback (a
// timeout "expiring" now), event_del cancels it.
TEST_P(CompatTest, ActiveOnEventsNotAdded)
{
    int sv[2];
    Pair(sv);
    struct event t, s, io;
    evtimer_set(&t, Record, (void *)1);
    signal_set(&s, SIGUSR1, Record, (void *)2);
    event_set(&io, sv[0], EV_READ, Record, (void *)3);
    for (struct event *e : {&t, &s, &io})
        ASSERT_EQ(event_base_set(base, e), 0);
    event_active(&t, EV_TIMEOUT, 1);
    event_active(&s, EV_SIGNAL, 1);
    event_active(&io, EV_READ, 1);
    event_active(&t, EV_TIMEOUT, 1); // queued already: still one callback each
    event_active(&s, EV_SIGNAL, 1);
    struct timeval at = {};
    ASSERT_EQ(evtimer_pending(&t, &at), EV_TIMEOUT);
    EXPECT_NEAR(Tv(at), ev_now(Loop(base)), 0.001);
    EXPECT_EQ(signal_pending(&s, nullptr), EV_SIGNAL);
    EXPECT_EQ(event_pending(&io, EV_READ, nullptr), EV_READ);
    ASSERT_EQ(event_del(&io), 0);
    EXPECT_EQ(event_pending(&io, EV_READ, nullptr), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    std::vector<int> tags = Tags();
    std::sort(tags.begin(), tags.end());
    EXPECT_EQ(tags, (std::vector<int>{1, 2}));
    for (const evcov::Call &c : calls)
        EXPECT_EQ(c.what, c.tag == 1 ? EV_TIMEOUT : EV_SIGNAL);
}

// event_active with no bits: the callback runs once with none (as in libevent).
TEST_P(CompatTest, ActiveWithNoBits)
{
    int sv[2];
    Pair(sv);
    struct event e;
    event_set(&e, sv[0], EV_READ, Record, (void *)1);
    ASSERT_EQ(event_base_set(base, &e), 0);
    event_active(&e, 0, 1);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, 0);
    EXPECT_EQ(e.ev_res, 0);
}

// ev watchers of the program share the loop with the shim's events: one of them, running after a
// loopbreak in the same iteration, deletes an event whose callback the loopbreak held back; that
// callback is then dropped, the others run in the next run.
TEST_P(CompatTest, EvWatcherDeletesAHeldBackEvent)
{
    int sv[2];
    Pair(sv);
    static struct event_base *s_base;
    static struct event e1, e2, e3, e4;
    s_base = base;
    ASSERT_EQ(event_base_priority_init(base, 3), 0); // 0 and 1 are more urgent than EV_MINPRI
    event_callback_fn brk = [](int fd, short what, void *arg) {
        Record(fd, what, arg);
        EXPECT_EQ(event_base_loopbreak(s_base), 0);
    };
    event_set(&e1, sv[0], EV_WRITE, brk, (void *)1);
    event_set(&e2, sv[0], EV_WRITE, Record, (void *)2);
    event_set(&e3, sv[0], EV_WRITE, Record, (void *)3);
    evtimer_set(&e4, Record, (void *)4);
    int pri = 0;
    struct timeval zero = {0, 0};
    for (struct event *e : {&e1, &e2, &e3, &e4}) {
        ASSERT_EQ(event_base_set(base, e), 0);
        ASSERT_EQ(event_priority_set(e, pri), 0);
        ASSERT_EQ(event_add(e, e == &e4 ? &zero : nullptr), 0);
        pri = 1;
    }
    // Less urgent than every event: runs after e2, e3 and e4 were held back.
    ev_timer deleter;
    ev_timer_init(
        &deleter,
        [](struct ev_loop *, ev_timer *, int) {
            Record(-1, 0, (void *)5);
            EXPECT_EQ(event_del(&e3), 0);
            EXPECT_EQ(event_del(&e4), 0);
        },
        0., 0.);
    ev_set_priority(&deleter, EV_MINPRI);
    ev_timer_start(Loop(base), &deleter);
    EXPECT_EQ(event_base_dispatch(base), 0);
    EXPECT_EQ(Tags(), (std::vector<int>{1, 5}));
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(Tags(), (std::vector<int>{1, 5, 2}));
}

// A priority change on an added signal event takes effect: signals that arrive together are
// handled most urgent first.
TEST_P(CompatTest, PriorityChangeOnAddedSignalEvents)
{
    ASSERT_EQ(event_base_priority_init(base, 2), 0);
    struct event s1, s2;
    signal_set(&s1, SIGUSR1, Record, (void *)1);
    signal_set(&s2, SIGUSR2, Record, (void *)2);
    ASSERT_EQ(event_base_set(base, &s1), 0);
    ASSERT_EQ(event_base_set(base, &s2), 0);
    ASSERT_EQ(event_priority_set(&s1, 1), 0);
    ASSERT_EQ(event_priority_set(&s2, 0), 0);
    ASSERT_EQ(signal_add(&s1, nullptr), 0);
    ASSERT_EQ(signal_add(&s2, nullptr), 0);
    ASSERT_EQ(event_priority_set(&s1, 0), 0);
    ASSERT_EQ(event_priority_set(&s2, 1), 0);
    // Blocked while both are raised, so that both arrive in one iteration.
    sigset_t both, old;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &both, &old), 0);
    raise(SIGUSR2);
    raise(SIGUSR1);
    ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
    EXPECT_TRUE(RunBaseUntil([&] { return calls.size() >= 2; }));
    EXPECT_EQ(Tags(), (std::vector<int>{1, 2}));
    EXPECT_EQ(signal_del(&s1), 0);
    EXPECT_EQ(signal_del(&s2), 0);
}

EV_ALL_BACKENDS(CompatTest);

} // namespace
