// event_test.cc - the libevent 1.x shim (//ev:event): libevent 1.4's core
// regression scenarios in our own words, on every backend. Each test makes its
// own base with event_base_new() after setting LIBEV_FLAGS to the backend under
// test (event_base_new() is ev_loop_new(0), which reads LIBEV_FLAGS). Where the
// shim deliberately differs from libev 4.33's emulation, a comment says so.
#include <event.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "test_util.h"

#ifndef EV_IS_CLEANROOM_EVENT
#error "compiled against a foreign event.h: the include path is wrong"
#endif

// struct event keeps libev 4.33's layout (abi-facts.md section 8) so that
// binaries built against libev's event.h work with this library.
#if defined(__x86_64__) && EV_MINPRI == -2 && EV_MAXPRI == 2
static_assert(sizeof(struct event) == 144, "struct event size");
static_assert(offsetof(struct event, iosig) == 0, "iosig");
static_assert(sizeof(((struct event *)0)->iosig) == 48, "iosig size");
static_assert(offsetof(struct event, to) == 48, "to");
static_assert(offsetof(struct event, ev_base) == 96, "ev_base");
static_assert(offsetof(struct event, ev_callback) == 104, "ev_callback");
static_assert(offsetof(struct event, ev_arg) == 112, "ev_arg");
static_assert(offsetof(struct event, ev_fd) == 120, "ev_fd");
static_assert(offsetof(struct event, ev_pri) == 124, "ev_pri");
static_assert(offsetof(struct event, ev_res) == 128, "ev_res");
static_assert(offsetof(struct event, ev_flags) == 132, "ev_flags");
static_assert(offsetof(struct event, ev_events) == 136, "ev_events");
static_assert(sizeof(((struct event *)0)->ev_events) == 2, "ev_events is a short");
#endif
static_assert(EVLIST_TIMEOUT == 0x01 && EVLIST_INSERTED == 0x02 && EVLIST_SIGNAL == 0x04 &&
                  EVLIST_ACTIVE == 0x08 && EVLIST_INTERNAL == 0x10 && EVLIST_INIT == 0x80,
              "EVLIST_*");
static_assert(EV_PERSIST == 0x10 && EV_ET == 0x20, "EV_PERSIST/EV_ET");
static_assert(EV_READ == 0x01 && EV_WRITE == 0x02 && EV_TIMEOUT == 0x100 && EV_SIGNAL == 0x400,
              "event bits are ev's, as in libev's emulation");
static_assert(EVLOOP_ONCE == EVRUN_ONCE && EVLOOP_ONESHOT == EVRUN_ONCE &&
                  EVLOOP_NONBLOCK == EVRUN_NOWAIT,
              "EVLOOP_*");
static_assert(_EVENT_LOG_DEBUG == 0 && _EVENT_LOG_MSG == 1 && _EVENT_LOG_WARN == 2 &&
                  _EVENT_LOG_ERR == 3,
              "log severities");

namespace {

// What callbacks saw; each records (fd, events, tag).
struct Call {
    int fd;
    short what;
    int tag;
};

std::vector<Call> *g_calls;
std::vector<std::string> g_log;

void LogCb(int severity, const char *msg)
{
    g_log.push_back(std::to_string(severity) + ":" + msg);
}

class EventTest : public evtest::LoopTest {
  protected:
    struct event_base *base = nullptr;
    std::vector<Call> calls;
    ev_timer base_deadline_{};
    bool base_timed_out = false;
    std::vector<int> fds_;

    void SetUp() override
    {
        LoopTest::SetUp();
        g_calls = &calls;
        g_log.clear();
        event_set_log_callback(LogCb);
        base = NewBase();
        ASSERT_NE(base, nullptr);
        // A hang fails fast: an unreferenced timer on the base ends any run.
        ev_timer_init(&base_deadline_, &EventTest::BaseDeadlineCb, 10., 0.);
        base_deadline_.data = this;
        ev_timer_start(Loop(base), &base_deadline_);
        ev_unref(Loop(base));
    }

    void TearDown() override
    {
        if (base) {
            if (ev_is_active(&base_deadline_)) {
                ev_ref(Loop(base));
                ev_timer_stop(Loop(base), &base_deadline_);
            }
            event_base_free(base);
        }
        for (int fd : fds_)
            close(fd);
        event_set_log_callback(nullptr);
        g_calls = nullptr;
        LoopTest::TearDown();
    }

    struct event_base *NewBase()
    {
        setenv("LIBEV_FLAGS", std::to_string(GetParam()).c_str(), 1);
        struct event_base *b = event_base_new();
        unsetenv("LIBEV_FLAGS");
        if (b) {
            EXPECT_EQ(ev_backend(Loop(b)), GetParam());
        }
        return b;
    }

    static struct ev_loop *Loop(struct event_base *b)
    {
        return reinterpret_cast<struct ev_loop *>(b);
    }

    // A connected socketpair; both ends closed in TearDown.
    void Pair(int sv[2])
    {
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        fds_.push_back(sv[0]);
        fds_.push_back(sv[1]);
    }

    static void Put(int fd, int n = 1)
    {
        for (int i = 0; i < n; ++i)
            ASSERT_EQ(write(fd, "x", 1), 1);
    }

    static void Record(int fd, short what, void *arg)
    {
        g_calls->push_back({fd, what, (int)(intptr_t)arg});
    }

    static void RecordAndRead(int fd, short what, void *arg)
    {
        char c;
        if (what & EV_READ) {
            EXPECT_EQ(read(fd, &c, 1), 1);
        }
        Record(fd, what, arg);
    }

    int CountTag(int tag) const
    {
        return (int)std::count_if(calls.begin(), calls.end(),
                                  [tag](const Call &c) { return c.tag == tag; });
    }

    // Runs the base until pred() holds or the deadline passes.
    template <class Pred> bool RunBaseUntil(Pred pred)
    {
        while (!pred() && !base_timed_out) {
            ev_ref(Loop(base));
            event_base_loop(base, EVLOOP_ONCE);
            ev_unref(Loop(base));
        }
        return pred();
    }

    static double Tv(const struct timeval &tv) { return (double)tv.tv_sec + tv.tv_usec * 1e-6; }

  private:
    static void BaseDeadlineCb(struct ev_loop *l, ev_timer *w, int)
    {
        static_cast<EventTest *>(w->data)->base_timed_out = true;
        ev_ref(l);
        ev_break(l, EVBREAK_ALL);
    }
};

TEST_P(EventTest, VersionAndMethod)
{
    EXPECT_STREQ(event_get_version(), "4.33");
    EXPECT_STREQ(event_get_method(), "libev");
    EXPECT_STREQ(event_base_get_method(base), "libev");
}

TEST_P(EventTest, EmptyBaseLoopReturnsOne)
{
    EXPECT_EQ(event_base_dispatch(base), 1);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

TEST_P(EventTest, ReadEventFiresOnceAndIsDeleted)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_READ, RecordAndRead, (void *)1);
    ASSERT_EQ(event_base_set(base, &ev), 0);
    EXPECT_TRUE(event_initialized(&ev));
    EXPECT_EQ(EVENT_FD(&ev), sv[0]);
    EXPECT_EQ(event_get_callback(&ev), (event_callback_fn)RecordAndRead);
    ASSERT_EQ(event_add(&ev, nullptr), 0);
    EXPECT_EQ(ev.ev_flags, EVLIST_INIT | EVLIST_INSERTED | EVLIST_ACTIVE);
    Put(sv[1], 2);
    // Not persistent: one callback, then the event is gone and the loop ends.
    EXPECT_EQ(event_base_dispatch(base), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].fd, sv[0]);
    EXPECT_EQ(calls[0].what, EV_READ);
    EXPECT_EQ(ev.ev_res, EV_READ);
    EXPECT_EQ(ev.ev_flags, EVLIST_INIT);
    EXPECT_EQ(event_pending(&ev, EV_READ, nullptr), 0);
}

TEST_P(EventTest, WriteEventFires)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_WRITE, Record, (void *)2);
    event_base_set(base, &ev);
    ASSERT_EQ(event_add(&ev, nullptr), 0);
    EXPECT_EQ(event_base_dispatch(base), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_WRITE);
}

TEST_P(EventTest, PersistentEventFiresUntilDeleted)
{
    int sv[2];
    Pair(sv);
    static struct event ev;
    struct Ctx {
        int n = 0;
    } ctx;
    event_set(
        &ev, sv[0], EV_READ | EV_PERSIST,
        [](int fd, short what, void *arg) {
            char c;
            EXPECT_EQ(read(fd, &c, 1), 1);
            EXPECT_EQ(what, EV_READ);
            if (++static_cast<Ctx *>(arg)->n == 3)
                event_del(&ev); // from inside its own callback
        },
        &ctx);
    event_base_set(base, &ev);
    ASSERT_EQ(event_add(&ev, nullptr), 0);
    Put(sv[1], 5);
    EXPECT_EQ(event_base_dispatch(base), 1);
    EXPECT_EQ(ctx.n, 3);
    EXPECT_FALSE(base_timed_out);
}

TEST_P(EventTest, TimerFiresNotEarly)
{
    struct event ev;
    evtimer_set(&ev, Record, (void *)3);
    event_base_set(base, &ev);
    struct timeval tv = {0, 30000};
    ev_now_update(Loop(base));
    double t0 = ev_now(Loop(base));
    ASSERT_EQ(evtimer_add(&ev, &tv), 0);
    EXPECT_EQ(ev.ev_flags, EVLIST_INIT | EVLIST_TIMEOUT | EVLIST_ACTIVE);
    EXPECT_EQ(event_base_dispatch(base), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_TIMEOUT);
    EXPECT_EQ(calls[0].fd, -1);
    EXPECT_GE(ev_now(Loop(base)) - t0, 0.03);
    EXPECT_EQ(evtimer_pending(&ev, nullptr), 0);
}

TEST_P(EventTest, TimeoutReAddReplacesTheTimeout)
{
    struct event ev;
    timeout_set(&ev, Record, (void *)4);
    event_base_set(base, &ev);
    struct timeval far = {100, 0}, near = {0, 20000};
    ASSERT_EQ(timeout_add(&ev, &far), 0);
    ASSERT_EQ(timeout_add(&ev, &near), 0); // double add: only the timeout changes
    EXPECT_EQ(event_base_dispatch(base), 1);
    EXPECT_FALSE(base_timed_out);
    EXPECT_EQ(CountTag(4), 1);
}

struct event g_readd_ev;
int g_readd_n;

void ReAddSelf(int, short what, void *)
{
    EXPECT_EQ(what, EV_TIMEOUT);
    struct timeval tv = {0, 1000};
    if (++g_readd_n < 4) {
        EXPECT_EQ(evtimer_add(&g_readd_ev, &tv), 0);
    }
}

TEST_P(EventTest, TimerReAddedFromItsCallback)
{
    g_readd_n = 0;
    evtimer_set(&g_readd_ev, ReAddSelf, nullptr);
    event_base_set(base, &g_readd_ev);
    struct timeval tv = {0, 1000};
    evtimer_add(&g_readd_ev, &tv);
    EXPECT_EQ(event_base_dispatch(base), 1);
    EXPECT_EQ(g_readd_n, 4);
}

// libevent 1.4: event_add(ev, NULL) on an event with a timeout keeps the
// timeout. libev's emulation stops the timer instead.
TEST_P(EventTest, ReAddWithoutTimeoutKeepsTheTimeout)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_READ, Record, (void *)5);
    event_base_set(base, &ev);
    struct timeval tv = {0, 10000};
    ASSERT_EQ(event_add(&ev, &tv), 0);
    ASSERT_EQ(event_add(&ev, nullptr), 0);
    EXPECT_EQ(event_pending(&ev, EV_TIMEOUT | EV_READ, nullptr), EV_TIMEOUT | EV_READ);
    EXPECT_EQ(event_base_dispatch(base), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_TIMEOUT);
}

// As in libevent 1.4 (and libev's emulation), a timeout deletes even a
// persistent event.
TEST_P(EventTest, TimeoutDeletesPersistentEvent)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_READ | EV_PERSIST, Record, (void *)6);
    event_base_set(base, &ev);
    struct timeval tv = {0, 10000};
    ASSERT_EQ(event_add(&ev, &tv), 0);
    EXPECT_EQ(event_base_dispatch(base), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_TIMEOUT);
    EXPECT_EQ(ev.ev_flags, EVLIST_INIT);
}

// Readiness and an expired timeout in the same iteration make one callback.
TEST_P(EventTest, ReadAndTimeoutTogetherMakeOneCallback)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_READ, Record, (void *)7);
    event_base_set(base, &ev);
    Put(sv[1]);
    struct timeval zero = {0, 0};
    ASSERT_EQ(event_add(&ev, &zero), 0);
    event_base_loop(base, EVLOOP_ONCE);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_READ | EV_TIMEOUT);
}

// A zero timeout is due at once: the next iteration fires it without
// blocking. libev's emulation turns 0 into a 1e-6 s timer, and a blocking
// iteration then sleeps the backend's minimum (about 0.5-0.7 ms per zero
// timeout on poll/epoll, measured). The deadline itself shows the difference
// without timing anything: the timer has no time left.
TEST_P(EventTest, ZeroTimeoutFiresInNextNonBlockingIteration)
{
    struct event ev;
    evtimer_set(&ev, Record, (void *)8);
    event_base_set(base, &ev);
    struct timeval zero = {0, 0};
    ASSERT_EQ(evtimer_add(&ev, &zero), 0);
    EXPECT_LE(ev_timer_remaining(Loop(base), &ev.to), 0.);
    struct timeval at;
    ASSERT_EQ(evtimer_pending(&ev, &at), EV_TIMEOUT);
    EXPECT_LE(Tv(at), ev_now(Loop(base)) + 1e-6); // expires now, not later
    unsigned it = ev_iteration(Loop(base));
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1); // 1: nothing left afterwards
    EXPECT_EQ(ev_iteration(Loop(base)), it + 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_TIMEOUT);
}

TEST_P(EventTest, LoopexitEndsAfterTheCurrentIteration)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    // Always writable and persistent: without loopexit the loop never ends.
    event_set(&ev, sv[0], EV_WRITE | EV_PERSIST, Record, (void *)9);
    event_base_set(base, &ev);
    event_add(&ev, nullptr);
    ASSERT_EQ(event_base_loopexit(base, nullptr), 0);
    EXPECT_EQ(event_base_dispatch(base), 0);
    EXPECT_FALSE(base_timed_out);
    EXPECT_GE(CountTag(9), 1);
    event_del(&ev);
}

TEST_P(EventTest, LoopexitWithTimeout)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_READ | EV_PERSIST, Record, (void *)10);
    event_base_set(base, &ev);
    event_add(&ev, nullptr); // never ready: keeps the loop alive
    struct timeval tv = {0, 30000};
    ev_now_update(Loop(base));
    double t0 = ev_now(Loop(base));
    ASSERT_EQ(event_base_loopexit(base, &tv), 0);
    EXPECT_EQ(event_base_dispatch(base), 0);
    EXPECT_FALSE(base_timed_out);
    EXPECT_GE(ev_now(Loop(base)) - t0, 0.03);
    EXPECT_EQ(CountTag(10), 0);
    event_del(&ev);
}

// event_loopbreak (not in libev's emulation): the loop ends after the running
// callback; events that were ready too run at the start of the next run.
TEST_P(EventTest, LoopbreakStopsBeforeOtherReadyCallbacks)
{
    int a[2], b[2];
    Pair(a);
    Pair(b);
    static struct event_base *s_base;
    s_base = base;
    auto breaker = [](int fd, short what, void *arg) {
        RecordAndRead(fd, what, arg);
        EXPECT_EQ(event_base_loopbreak(s_base), 0);
    };
    struct event e1, e2;
    event_set(&e1, a[0], EV_READ | EV_PERSIST, breaker, (void *)11);
    event_set(&e2, b[0], EV_READ | EV_PERSIST, breaker, (void *)12);
    event_base_set(base, &e1);
    event_base_set(base, &e2);
    event_add(&e1, nullptr);
    event_add(&e2, nullptr);
    Put(a[1]);
    Put(b[1]);
    EXPECT_EQ(event_base_dispatch(base), 0);
    ASSERT_EQ(calls.size(), 1u);
    int other = calls[0].tag == 11 ? 12 : 11;
    // The held-back callback runs first in the next run (which it breaks again).
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 0);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].tag, other);
    event_del(&e1);
    event_del(&e2);
}

// libevent 1.4: a loopbreak while the loop is not running makes the next run
// return at once.
TEST_P(EventTest, LoopbreakOutsideTheLoopEndsTheNextRun)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_WRITE, Record, (void *)13);
    event_base_set(base, &ev);
    event_add(&ev, nullptr);
    ASSERT_EQ(event_base_loopbreak(base), 0);
    EXPECT_EQ(event_base_dispatch(base), 0);
    EXPECT_EQ(calls.size(), 0u);
    EXPECT_EQ(event_base_dispatch(base), 1);
    EXPECT_EQ(calls.size(), 1u);
}

TEST_P(EventTest, OnceOnFdAndOnTimeout)
{
    int sv[2];
    Pair(sv);
    Put(sv[1]);
    struct timeval tv = {0, 5000};
    ASSERT_EQ(event_base_once(base, sv[0], EV_READ, Record, (void *)14, nullptr), 0);
    ASSERT_EQ(event_base_once(base, -1, EV_TIMEOUT, Record, (void *)15, &tv), 0);
    ASSERT_EQ(event_base_once(base, -1, EV_TIMEOUT, Record, (void *)16, nullptr),
              0); // next iteration
    EXPECT_EQ(event_base_dispatch(base), 1);
    ASSERT_EQ(calls.size(), 3u);
    for (const Call &c : calls) {
        if (c.tag == 14) {
            EXPECT_EQ(c.fd, sv[0]);
            EXPECT_EQ(c.what, EV_READ);
        } else {
            EXPECT_EQ(c.fd, -1);
            EXPECT_EQ(c.what, EV_TIMEOUT);
        }
    }
    EXPECT_EQ(CountTag(14) + CountTag(15) + CountTag(16), 3);
    // Signals cannot be one-shot; nothing to wait for is an error too.
    EXPECT_EQ(event_base_once(base, SIGUSR1, EV_SIGNAL, Record, nullptr, nullptr), -1);
    EXPECT_EQ(event_base_once(base, -1, 0, Record, nullptr, nullptr), -1);
}

TEST_P(EventTest, OnceTimesOutOnAQuietFd)
{
    int sv[2];
    Pair(sv);
    struct timeval tv = {0, 5000};
    ASSERT_EQ(event_base_once(base, sv[0], EV_READ, Record, (void *)17, &tv), 0);
    EXPECT_EQ(event_base_dispatch(base), 1);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_TIMEOUT);
    EXPECT_EQ(calls[0].fd, sv[0]);
}

TEST_P(EventTest, SignalEventsFireAndStayAdded)
{
    struct event s1, s2;
    signal_set(&s1, SIGUSR1, Record, (void *)18);
    signal_set(&s2, SIGUSR1, Record, (void *)19); // two events, one signal
    event_base_set(base, &s1);
    event_base_set(base, &s2);
    ASSERT_EQ(signal_add(&s1, nullptr), 0);
    ASSERT_EQ(signal_add(&s2, nullptr), 0);
    EXPECT_EQ(EVENT_SIGNAL(&s1), SIGUSR1);
    EXPECT_EQ(s1.ev_flags, EVLIST_INIT | EVLIST_SIGNAL | EVLIST_ACTIVE);
    EXPECT_EQ(signal_pending(&s1, nullptr), EV_SIGNAL);
    raise(SIGUSR1);
    EXPECT_TRUE(RunBaseUntil([&] { return calls.size() >= 2; }));
    EXPECT_EQ(CountTag(18), 1);
    EXPECT_EQ(CountTag(19), 1);
    EXPECT_EQ(calls[0].fd, SIGUSR1);
    EXPECT_EQ(calls[0].what, EV_SIGNAL);
    // Persistent (signal_set adds EV_PERSIST): a second signal is seen too.
    raise(SIGUSR1);
    EXPECT_TRUE(RunBaseUntil([&] { return calls.size() >= 4; }));
    EXPECT_EQ(signal_del(&s1), 0);
    EXPECT_EQ(signal_del(&s2), 0);
    EXPECT_EQ(signal_pending(&s1, nullptr), 0);
}

// libevent 1.4 deletes a non-persistent signal event when it fires; libev's
// emulation keeps it.
TEST_P(EventTest, NonPersistentSignalEventIsDeleted)
{
    struct event s;
    event_set(&s, SIGUSR2, EV_SIGNAL, Record, (void *)20);
    event_base_set(base, &s);
    ASSERT_EQ(event_add(&s, nullptr), 0);
    raise(SIGUSR2);
    EXPECT_TRUE(RunBaseUntil([&] { return calls.size() >= 1; }));
    EXPECT_EQ(s.ev_flags, EVLIST_INIT);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

volatile sig_atomic_t g_own_handler_calls;
void OwnHandler(int)
{
    ++g_own_handler_calls;
}

// Deleting the last event of a signal gives the signal back to the handler the
// program had installed before event_add (libevent restores it; libev's
// emulation leaves SIG_DFL, and the next signal kills the program).
TEST_P(EventTest, SignalDelRestoresThePreviousDisposition)
{
    struct sigaction own = {}, before = {}, now = {};
    own.sa_handler = OwnHandler;
    sigemptyset(&own.sa_mask);
    ASSERT_EQ(sigaction(SIGUSR1, &own, &before), 0);
    g_own_handler_calls = 0;

    // A persistent event, added and deleted (twice added: one signal, two events).
    struct event s1, s2;
    signal_set(&s1, SIGUSR1, Record, (void *)40);
    signal_set(&s2, SIGUSR1, Record, (void *)41);
    event_base_set(base, &s1);
    event_base_set(base, &s2);
    ASSERT_EQ(signal_add(&s1, nullptr), 0);
    ASSERT_EQ(signal_add(&s2, nullptr), 0);
    raise(SIGUSR1);
    EXPECT_TRUE(RunBaseUntil([&] { return calls.size() >= 2; }));
    EXPECT_EQ(g_own_handler_calls, 0); // the events had it
    ASSERT_EQ(signal_del(&s1), 0);
    ASSERT_EQ(sigaction(SIGUSR1, nullptr, &now), 0);
    EXPECT_NE(now.sa_handler, OwnHandler); // s2 still has it
    ASSERT_EQ(signal_del(&s2), 0);
    ASSERT_EQ(sigaction(SIGUSR1, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, OwnHandler);
    raise(SIGUSR1); // with SIG_DFL this would end the test program
    EXPECT_EQ(g_own_handler_calls, 1);

    // A non-persistent event is deleted by its firing: the same holds.
    struct event once;
    event_set(&once, SIGUSR1, EV_SIGNAL, Record, (void *)42);
    event_base_set(base, &once);
    ASSERT_EQ(event_add(&once, nullptr), 0);
    raise(SIGUSR1);
    EXPECT_TRUE(RunBaseUntil([&] { return CountTag(42) == 1; }));
    ASSERT_EQ(sigaction(SIGUSR1, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, OwnHandler);
    raise(SIGUSR1);
    EXPECT_EQ(g_own_handler_calls, 2);

    ASSERT_EQ(sigaction(SIGUSR1, &before, nullptr), 0);
}

// Each base gets its own signals. One signal in two bases at once is refused
// with -1 (ev allows a signal in only one loop; libev's emulation aborts,
// libevent 1.4 delivers to the base that added it last).
TEST_P(EventTest, SignalsWithSeveralBases)
{
    struct event_base *other = NewBase();
    ASSERT_NE(other, nullptr);
    struct event s1, s2, dup;
    signal_set(&s1, SIGUSR1, Record, (void *)21);
    signal_set(&s2, SIGUSR2, Record, (void *)22);
    signal_set(&dup, SIGUSR1, Record, (void *)23);
    event_base_set(base, &s1);
    event_base_set(other, &s2);
    event_base_set(other, &dup);
    ASSERT_EQ(signal_add(&s1, nullptr), 0);
    ASSERT_EQ(signal_add(&s2, nullptr), 0);
    EXPECT_EQ(signal_add(&dup, nullptr), -1);
    ASSERT_FALSE(g_log.empty());
    EXPECT_NE(g_log.back().find("another base"), std::string::npos) << g_log.back();

    raise(SIGUSR1);
    raise(SIGUSR2);
    EXPECT_TRUE(RunBaseUntil([&] { return CountTag(21) >= 1; }));
    EXPECT_EQ(CountTag(22), 0);
    while (CountTag(22) == 0 && !base_timed_out)
        event_base_loop(other, EVLOOP_ONCE);
    EXPECT_EQ(CountTag(22), 1);
    EXPECT_EQ(CountTag(23), 0);

    // Once the first base lets go, the other may take the signal.
    signal_del(&s1);
    EXPECT_EQ(signal_add(&dup, nullptr), 0);
    raise(SIGUSR1);
    while (CountTag(23) == 0 && !base_timed_out)
        event_base_loop(other, EVLOOP_ONCE);
    EXPECT_EQ(CountTag(23), 1);
    EXPECT_EQ(CountTag(21), 1);
    signal_del(&dup);
    signal_del(&s2);
    event_base_free(other);
}

TEST_P(EventTest, SignalNumberOutOfRange)
{
    struct event s;
    for (int bad : {0, -1, 65, 1000}) {
        signal_set(&s, bad, Record, nullptr);
        event_base_set(base, &s);
        EXPECT_EQ(signal_add(&s, nullptr), -1) << bad;
        EXPECT_EQ(s.ev_flags, EVLIST_INIT);
    }
    EXPECT_EQ(g_log.size(), 4u);
    EXPECT_EQ(event_base_dispatch(base), 1); // nothing was armed
}

// Working priorities (libev's emulation ignores them): of the events ready in
// one iteration the most urgent (lowest number) runs first.
TEST_P(EventTest, PrioritiesOrderReadyCallbacks)
{
    ASSERT_EQ(event_base_priority_init(base, 3), 0);
    int p[3][2];
    struct event ev[3];
    const int pri[3] = {2, 0, 1};
    for (int i = 0; i < 3; ++i) {
        Pair(p[i]);
        event_set(&ev[i], p[i][0], EV_READ, RecordAndRead, (void *)(intptr_t)pri[i]);
        event_base_set(base, &ev[i]);
        EXPECT_EQ(ev[i].ev_pri, 1); // the middle one by default, as libevent
        ASSERT_EQ(event_priority_set(&ev[i], pri[i]), 0);
        ASSERT_EQ(event_add(&ev[i], nullptr), 0);
        Put(p[i][1]);
    }
    EXPECT_EQ(event_base_loop(base, EVLOOP_ONCE), 1);
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].tag, 0);
    EXPECT_EQ(calls[1].tag, 1);
    EXPECT_EQ(calls[2].tag, 2);
}

TEST_P(EventTest, PriorityChangeOnAnAddedEventTakesEffect)
{
    ASSERT_EQ(event_base_priority_init(base, 10), 0);
    int a[2], b[2];
    Pair(a);
    Pair(b);
    struct event ea, eb;
    event_set(&ea, a[0], EV_READ, RecordAndRead, (void *)1);
    event_set(&eb, b[0], EV_READ, RecordAndRead, (void *)2);
    event_base_set(base, &ea);
    event_base_set(base, &eb);
    struct timeval tv = {100, 0};
    ASSERT_EQ(event_add(&ea, &tv), 0);
    ASSERT_EQ(event_add(&eb, &tv), 0);
    ASSERT_EQ(event_priority_set(&ea, 9), 0);
    ASSERT_EQ(event_priority_set(&eb, 0), 0);
    EXPECT_NE(event_pending(&ea, EV_TIMEOUT, nullptr), 0); // timeout kept
    Put(a[1]);
    Put(b[1]);
    event_base_loop(base, EVLOOP_ONCE);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0].tag, 2);
    EXPECT_EQ(calls[1].tag, 1);
}

TEST_P(EventTest, PriorityArgumentsChecked)
{
    struct event ev;
    evtimer_set(&ev, Record, nullptr);
    event_base_set(base, &ev);
    EXPECT_EQ(event_priority_set(&ev, 1), -1); // one priority by default
    EXPECT_EQ(event_priority_set(&ev, 0), 0);
    EXPECT_EQ(event_base_priority_init(base, 0), -1);
    EXPECT_EQ(event_base_priority_init(base, 257), -1);
    ASSERT_EQ(event_base_priority_init(base, 4), 0);
    EXPECT_EQ(event_priority_set(&ev, 3), 0);
    EXPECT_EQ(event_priority_set(&ev, 4), -1);
    EXPECT_EQ(event_priority_set(&ev, -1), -1);
    // Refused while the callback is queued (libevent: while active).
    event_active(&ev, EV_TIMEOUT, 1);
    EXPECT_EQ(event_priority_set(&ev, 0), -1);
    event_del(&ev);
}

// The first of two ready events deletes the other: it is not called.
TEST_P(EventTest, DeleteAnotherReadyEventFromCallback)
{
    int a[2], b[2];
    Pair(a);
    Pair(b);
    static struct event e[2];
    auto cb = [](int fd, short what, void *arg) {
        RecordAndRead(fd, what, arg);
        int me = (int)(intptr_t)arg;
        EXPECT_EQ(event_del(&e[1 - me]), 0);
    };
    event_set(&e[0], a[0], EV_READ | EV_PERSIST, cb, (void *)0);
    event_set(&e[1], b[0], EV_READ | EV_PERSIST, cb, (void *)1);
    for (auto &x : e) {
        event_base_set(base, &x);
        event_add(&x, nullptr);
    }
    Put(a[1]);
    Put(b[1]);
    event_base_loop(base, EVLOOP_ONCE);
    ASSERT_EQ(calls.size(), 1u);
    event_del(&e[calls[0].tag]);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(calls.size(), 1u);
}

TEST_P(EventTest, ManyEventsReadyAtOnce)
{
    const int n = 100;
    std::vector<std::array<int, 2>> p(n);
    std::vector<struct event> ev(n);
    for (int i = 0; i < n; ++i) {
        Pair(p[i].data());
        event_set(&ev[i], p[i][0], EV_READ | EV_PERSIST, RecordAndRead, (void *)(intptr_t)i);
        event_base_set(base, &ev[i]);
        ASSERT_EQ(event_add(&ev[i], nullptr), 0);
        Put(p[i][1]);
    }
    // A backend may take more than one iteration (epoll's event buffer grows
    // on demand), but each event is called exactly once.
    EXPECT_TRUE(RunBaseUntil([&] { return (int)calls.size() >= n; }));
    event_base_loop(base, EVLOOP_NONBLOCK);
    ASSERT_EQ((int)calls.size(), n);
    std::vector<int> seen(n);
    for (const Call &c : calls)
        ++seen[c.tag];
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int k) { return k == 1; }));
    for (auto &e : ev)
        event_del(&e);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
}

// libevent handles every ready fd in one event_loop(EVLOOP_ONCE), however many
// there are; an epoll backend whose event array is smaller than the number of
// ready fds must collect the rest in the same call (issue 18, item 6).
TEST_P(EventTest, OnceHandlesEveryReadyFd)
{
    const int n = 300; // more than two doublings of epoll's first array
    std::vector<std::array<int, 2>> p(n);
    std::vector<struct event> ev(n);
    for (int i = 0; i < n; ++i) {
        Pair(p[i].data());
        event_set(&ev[i], p[i][0], EV_READ | EV_PERSIST, RecordAndRead, (void *)(intptr_t)i);
        event_base_set(base, &ev[i]);
        ASSERT_EQ(event_add(&ev[i], nullptr), 0);
        Put(p[i][1]);
    }
    ASSERT_EQ(event_base_loop(base, EVLOOP_ONCE), 0);
    ASSERT_EQ((int)calls.size(), n);
    std::vector<int> seen(n);
    for (const Call &c : calls)
        ++seen[c.tag];
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int k) { return k == 1; }));
    // Nothing is left over for the next iteration.
    calls.clear();
    event_base_loop(base, EVLOOP_NONBLOCK);
    EXPECT_TRUE(calls.empty());
    for (auto &e : ev)
        event_del(&e);
}

// event_pending reports the expiry time on the wall clock (libevent); libev's
// emulation fills in ev_now instead.
TEST_P(EventTest, PendingReportsExpiryTime)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_READ | EV_WRITE, Record, nullptr);
    event_base_set(base, &ev);
    EXPECT_EQ(event_pending(&ev, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, nullptr), 0);
    struct timeval tv = {10, 250000};
    ASSERT_EQ(event_add(&ev, &tv), 0);
    EXPECT_EQ(event_pending(&ev, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, nullptr),
              EV_READ | EV_WRITE | EV_TIMEOUT);
    EXPECT_EQ(event_pending(&ev, EV_READ, nullptr), EV_READ);
    struct timeval at = {0, 0};
    EXPECT_EQ(event_pending(&ev, EV_TIMEOUT, &at), EV_TIMEOUT);
    EXPECT_NEAR(Tv(at), ev_now(Loop(base)) + 10.25, 2e-6);
    // tv is only written when a timeout is asked for and pending.
    struct timeval untouched = {1, 2};
    EXPECT_EQ(event_pending(&ev, EV_READ, &untouched), EV_READ);
    EXPECT_EQ(untouched.tv_sec, 1);
    EXPECT_EQ(untouched.tv_usec, 2);
    ASSERT_EQ(event_del(&ev), 0);
    EXPECT_EQ(event_pending(&ev, EV_READ | EV_WRITE | EV_TIMEOUT, &at), 0);
}

TEST_P(EventTest, ActiveRunsTheCallbackWithTheGivenBits)
{
    struct event ev;
    int sv[2];
    Pair(sv);
    event_set(&ev, sv[0], EV_READ, Record, (void *)24);
    event_base_set(base, &ev);
    event_active(&ev, EV_READ, 1); // not added: still runs once
    EXPECT_EQ(event_pending(&ev, EV_READ, nullptr), EV_READ);
    event_base_loop(base, EVLOOP_NONBLOCK);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].what, EV_READ);
    event_active(&ev, EV_WRITE | EV_TIMEOUT, 1);
    event_base_loop(base, EVLOOP_NONBLOCK);
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].what, EV_WRITE | EV_TIMEOUT);
}

TEST_P(EventTest, EventDeletedBeforeItsCallbackRunsIsNotCalled)
{
    struct event ev;
    evtimer_set(&ev, Record, nullptr);
    event_base_set(base, &ev);
    event_active(&ev, EV_TIMEOUT, 1);
    EXPECT_EQ(event_del(&ev), 0);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(calls.size(), 0u);
}

// Misuse returns -1 with a message through the log callback instead of
// corrupting the loop (libev's emulation crashes or asserts on most of these).
TEST_P(EventTest, BadInputIsRefused)
{
    struct event zero;
    memset(&zero, 0, sizeof zero);
    EXPECT_FALSE(event_initialized(&zero));
    EXPECT_EQ(event_add(&zero, nullptr), -1);
    ASSERT_EQ(g_log.size(), 1u);
    EXPECT_NE(g_log[0].find("event_add"), std::string::npos);
    EXPECT_NE(g_log[0].find("event_set"), std::string::npos);
    EXPECT_EQ(g_log[0][0], '0' + _EVENT_LOG_WARN);
    EXPECT_EQ(event_del(&zero), -1);
    EXPECT_EQ(event_add(nullptr, nullptr), -1);
    EXPECT_EQ(event_pending(&zero, EV_READ, nullptr), 0);

    struct event ev;
    event_set(&ev, -5, EV_READ, Record, nullptr);
    event_base_set(base, &ev);
    EXPECT_EQ(event_add(&ev, nullptr), -1); // negative fd
    EXPECT_EQ(event_del(&ev), 0);           // never added: harmless

    int sv[2];
    Pair(sv);
    event_set(&ev, sv[0], EV_WRITE, Record, nullptr);
    event_base_set(base, &ev);
    EXPECT_EQ(event_add(&ev, nullptr), 0);
    EXPECT_EQ(event_add(&ev, nullptr), 0);    // double add: still one event
    EXPECT_EQ(event_base_set(base, &ev), -1); // cannot move an added event
    EXPECT_EQ(event_base_dispatch(base), 1);
    EXPECT_EQ(calls.size(), 1u);
    EXPECT_EQ(event_del(&ev), 0); // already deleted by firing
    EXPECT_EQ(event_del(&ev), 0);
}

// Without a log callback the messages go to stderr as "[warn] ...".
TEST_P(EventTest, DefaultLogGoesToStderr)
{
    event_set_log_callback(nullptr);
    struct event zero;
    memset(&zero, 0, sizeof zero);
    testing::internal::CaptureStderr();
    EXPECT_EQ(event_add(&zero, nullptr), -1);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(err.rfind("[warn] event_add", 0), 0u) << err;
}

// The global API of libevent 1.x programs: event_init makes the current base
// that event_set, event_dispatch and event_loopexit use.
TEST_P(EventTest, CurrentBaseApi)
{
    setenv("LIBEV_FLAGS", std::to_string(GetParam()).c_str(), 1);
    void *cur = event_init();
    unsetenv("LIBEV_FLAGS");
    ASSERT_NE(cur, nullptr);
    if (cur != ev_default_loop_ptr) { // the default loop keeps its first backend
        EXPECT_EQ(ev_backend(static_cast<struct ev_loop *>(cur)), GetParam());
    }
    int sv[2];
    Pair(sv);
    struct event ev, tmo;
    event_set(&ev, sv[0], EV_WRITE | EV_PERSIST, Record, (void *)25);
    EXPECT_EQ(ev.ev_base, cur);
    ASSERT_EQ(event_add(&ev, nullptr), 0);
    evtimer_set(&tmo, Record, (void *)26);
    struct timeval zero = {0, 0};
    evtimer_add(&tmo, &zero);
    ASSERT_EQ(event_priority_init(1), 0);
    ASSERT_EQ(event_loop(EVLOOP_ONCE), 0);
    EXPECT_EQ(CountTag(26), 1);
    ASSERT_EQ(event_loopexit(nullptr), 0);
    EXPECT_EQ(event_dispatch(), 0);
    EXPECT_GE(CountTag(25), 2);
    static int once_calls;
    once_calls = 0;
    ASSERT_EQ(event_once(
                  -1, EV_TIMEOUT, [](int, short, void *) { ++once_calls; }, nullptr, nullptr),
              0);
    event_del(&ev);
    EXPECT_EQ(event_loop(0), 1);
    EXPECT_EQ(once_calls, 1);
    // loopbreak on the current base while it is not running: next run ends at once.
    event_add(&ev, nullptr);
    EXPECT_EQ(event_loopbreak(), 0);
    size_t before = calls.size();
    EXPECT_EQ(event_loop(0), 0);
    EXPECT_EQ(calls.size(), before);
    event_del(&ev);
    event_base_free(nullptr); // the current base (a no-op for the default loop)
}

// event_reinit in a forked child: events added before the fork keep working.
TEST_P(EventTest, ReinitAfterFork)
{
    int sv[2];
    Pair(sv);
    struct event ev;
    event_set(&ev, sv[0], EV_READ, Record, (void *)27);
    event_base_set(base, &ev);
    ASSERT_EQ(event_add(&ev, nullptr), 0);
    event_base_loop(base, EVLOOP_NONBLOCK); // the fd is registered with the kernel now
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        alarm(10); // the child's deadline
        if (event_reinit(base) != 0)
            _exit(3);
        if (write(sv[1], "x", 1) != 1)
            _exit(4);
        event_base_dispatch(base);
        _exit(calls.size() == 1 && calls[0].what == EV_READ ? 0 : 5);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
    // The parent's base is unaffected: the byte the child wrote is seen here too.
    EXPECT_EQ(event_base_dispatch(base), 1);
    EXPECT_EQ(calls.size(), 1u);
}

EV_ALL_BACKENDS(EventTest);

} // namespace
