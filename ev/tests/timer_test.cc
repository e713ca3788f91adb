// ev_timer on every backend: never early (measured on the monotonic clock and
// with ev_now), deadline order, zero/negative timeouts, ev_timer_again and
// ev_timer_remaining (abi-facts §7), no double calls in ONCE/NOWAIT, huge
// timeouts, 20k timers added and removed at random from callbacks, timers
// started from prepare and check watchers.
#include "test_util.h"

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace {

double Mono()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct Fire {
    int calls = 0;
    int revents = 0;
    double mono = 0; // steady clock at the call
    double now = 0;  // ev_now at the call
    std::vector<int> *order = nullptr;
    int id = 0;
};

void FireCb(struct ev_loop *l, ev_timer *w, int revents)
{
    auto *f = static_cast<Fire *>(w->data);
    ++f->calls;
    f->revents = revents;
    f->mono = Mono();
    f->now = ev_now(l);
    if (f->order)
        f->order->push_back(f->id);
}

class TimerTest : public evtest::LoopTest {
  protected:
    void Start(ev_timer *w, Fire *f, double after, double repeat = 0.)
    {
        ev_timer_init(w, FireCb, after, repeat);
        w->data = f;
        ev_timer_start(loop, w);
    }
};

TEST_P(TimerTest, NeverEarly)
{
    for (double after : {0.001, 0.011, 0.05}) {
        Fire f;
        ev_timer w;
        double t0 = Mono(); // read before the loop's clock: a lower bound for its start
        ev_now_update(loop);
        double now0 = ev_now(loop);
        Start(&w, &f, after);
        EXPECT_TRUE(RunUntil([&] { return f.calls > 0; }));
        EXPECT_EQ(f.revents, EV_TIMER);
        EXPECT_GE(f.mono - t0, after) << "fired early (monotonic) for " << after;
        // ev_now is monotonic time plus an offset re-synchronised with the
        // wall clock every half second; allow for that re-read only.
        EXPECT_GE(f.now - now0, after - 1e-4) << "fired early (ev_now) for " << after;
        EXPECT_FALSE(ev_is_active(&w)) << "a one-shot timer is stopped before its callback";
    }
}

TEST_P(TimerTest, RepeatingNeverEarly)
{
    Fire f;
    ev_timer w;
    double t0 = Mono();
    ev_now_update(loop);
    Start(&w, &f, 0.005, 0.01);
    std::vector<double> at;
    while (at.size() < 4 && !timed_out) {
        int before = f.calls;
        RunUntil([&] { return f.calls > before; });
        at.push_back(f.mono);
    }
    ASSERT_EQ(at.size(), 4u);
    EXPECT_GE(at[0] - t0, 0.005);
    for (size_t i = 1; i < at.size(); ++i)
        EXPECT_GE(at[i] - t0, 0.005 + 0.01 * (double)i - 1e-9) << "period " << i;
    ev_timer_stop(loop, &w);
}

TEST_P(TimerTest, EarlierDeadlineRunsFirst)
{
    std::vector<int> order;
    double afters[] = {0.03, 0.01, 0.02, 0.0, 0.015};
    Fire f[5];
    ev_timer w[5];
    for (int i = 0; i < 5; ++i) {
        f[i].order = &order;
        f[i].id = i;
        Start(&w[i], &f[i], afters[i]);
    }
    EXPECT_TRUE(RunUntil([&] { return order.size() == 5; }));
    EXPECT_EQ(order, (std::vector<int>{3, 1, 4, 2, 0}));
}

// Many timers expiring in the same iteration still run in deadline order.
TEST_P(TimerTest, ExpiredTogetherRunInDeadlineOrder)
{
    constexpr int N = 64;
    std::vector<int> order;
    std::vector<Fire> f(N);
    std::vector<ev_timer> w(N);
    std::mt19937 rng(7);
    std::vector<int> ids(N);
    for (int i = 0; i < N; ++i)
        ids[i] = i;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (int id : ids) {
        f[id].order = &order;
        f[id].id = id;
        Start(&w[id], &f[id], -1.0 + 0.001 * id); // all in the past, distinct
    }
    ev_run(loop, EVRUN_NOWAIT);
    ASSERT_EQ(order.size(), (size_t)N) << "all expired timers fire in one iteration";
    for (int i = 0; i < N; ++i)
        EXPECT_EQ(order[i], i);
}

// Expired timers of several priorities, with an io event queued before them: each priority runs its
// timers in deadline order, higher priorities first (the per-priority reversal of the queue).
TEST_P(TimerTest, ExpiredTogetherAcrossPrioritiesRunInDeadlineOrder)
{
    static constexpr int N = 48;
    std::vector<int> order;
    std::vector<Fire> f(N);
    std::vector<ev_timer> w(N);
    std::mt19937 rng(11);
    std::vector<int> ids(N);
    for (int i = 0; i < N; ++i)
        ids[i] = i;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (int id : ids) {
        f[id].order = &order;
        f[id].id = id;
        ev_timer_init(&w[id], FireCb, -1.0 + 0.001 * id, 0.);
        w[id].data = &f[id];
        ev_set_priority(&w[id], id % 3 - 1); /* -1, 0, 1 */
        ev_timer_start(loop, &w[id]);
    }
    // A ready priority-0 io watcher: queued by the poll, before the timers of its level, so it
    // runs after them (each level runs from its end).
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    ASSERT_EQ(write(p[1], "x", 1), 1);
    ev_io io;
    static std::vector<int> *io_order;
    io_order = &order;
    ev_io_init(
        &io, [](struct ev_loop *, ev_io *, int) { io_order->push_back(N); }, p[0], EV_READ);
    ev_io_start(loop, &io);
    ev_run(loop, EVRUN_NOWAIT);
    std::vector<int> want;
    for (int pri = 1; pri >= -1; --pri) {
        for (int id = 0; id < N; ++id)
            if (id % 3 - 1 == pri)
                want.push_back(id);
        if (pri == 0)
            want.push_back(N);
    }
    EXPECT_EQ(order, want);
    ev_io_stop(loop, &io);
    close(p[0]);
    close(p[1]);
}

TEST_P(TimerTest, ZeroAndNegativeFireNextIteration)
{
    Fire z, n;
    ev_timer wz, wn;
    Start(&wz, &z, 0.);
    Start(&wn, &n, -5.);
    EXPECT_EQ(z.calls, 0) << "never from inside ev_timer_start";
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(z.calls, 1);
    EXPECT_EQ(n.calls, 1);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(z.calls, 1);
    EXPECT_EQ(n.calls, 1);
}

// ev_timer_remaining is (mn_now + after) - mn_now in doubles, which may exceed
// `after` by a rounding error (seen with the -O0 build of tools/coverage.sh).
constexpr double kRoundoff = 1e-9;

TEST_P(TimerTest, RemainingAndStop)
{
    ev_timer w;
    Fire f;
    ev_timer_init(&w, FireCb, 3., 0.);
    w.data = &f;
    EXPECT_DOUBLE_EQ(ev_timer_remaining(loop, &w), 3.) << "not started: the set value";
    ev_timer_start(loop, &w);
    double r = ev_timer_remaining(loop, &w);
    EXPECT_LE(r, 3. + kRoundoff);
    EXPECT_GT(r, 2.);
    ev_timer_stop(loop, &w);
    double s = ev_timer_remaining(loop, &w);
    EXPECT_LE(s, 3. + kRoundoff);
    EXPECT_GT(s, 2.) << "stopped: the time that was left";
    // restarting continues from the time left
    ev_timer_start(loop, &w);
    EXPECT_LE(ev_timer_remaining(loop, &w), s);
    EXPECT_GT(ev_timer_remaining(loop, &w), 2.);
    ev_timer_stop(loop, &w);
}

TEST_P(TimerTest, AgainSemantics)
{
    Fire f;
    ev_timer w;
    // inactive, repeat 0: nothing
    ev_timer_init(&w, FireCb, 0.5, 0.);
    w.data = &f;
    ev_timer_again(loop, &w);
    EXPECT_FALSE(ev_is_active(&w));
    // inactive, repeat: started with the repeat value
    w.repeat = 2.;
    ev_timer_again(loop, &w);
    EXPECT_TRUE(ev_is_active(&w));
    EXPECT_GT(ev_timer_remaining(loop, &w), 1.5);
    EXPECT_LE(ev_timer_remaining(loop, &w), 2. + kRoundoff);
    // active, repeat: re-armed at now + repeat
    w.repeat = 4.;
    ev_timer_again(loop, &w);
    EXPECT_TRUE(ev_is_active(&w));
    EXPECT_GT(ev_timer_remaining(loop, &w), 3.5);
    EXPECT_LE(ev_timer_remaining(loop, &w), 4. + kRoundoff);
    // shortening works too (heap moves up)
    Fire g;
    ev_timer other;
    Start(&other, &g, 1.);
    w.repeat = 0.01;
    ev_timer_again(loop, &w);
    EXPECT_TRUE(RunUntil([&] { return f.calls > 0; }));
    EXPECT_EQ(g.calls, 0);
    EXPECT_TRUE(ev_is_active(&w)) << "repeating";
    // pending: again clears it
    ev_feed_event(loop, &w, EV_TIMER);
    EXPECT_TRUE(ev_is_pending(&w));
    int calls = f.calls;
    w.repeat = 5.;
    ev_timer_again(loop, &w);
    EXPECT_FALSE(ev_is_pending(&w));
    ev_invoke_pending(loop);
    EXPECT_EQ(f.calls, calls);
    // active, repeat 0: stopped
    w.repeat = 0.;
    ev_timer_again(loop, &w);
    EXPECT_FALSE(ev_is_active(&w));
    ev_timer_stop(loop, &other);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
}

// A repeating timer that missed many periods runs once per iteration, not in
// a catch-up burst, and never twice in one EVRUN_ONCE/NOWAIT.
TEST_P(TimerTest, NoDoubleCallInOnceOrNowait)
{
    Fire f;
    ev_timer w;
    Start(&w, &f, 0.001, 0.001);
    ev_sleep(0.03); // let ~30 periods pass without the loop
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(f.calls, 1);
    ev_sleep(0.01);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(f.calls, 2);
    ev_timer_stop(loop, &w);
}

void RestartSelfCb(struct ev_loop *l, ev_timer *w, int revents)
{
    FireCb(l, w, revents);
    ev_timer_set(w, 0., 0.);
    ev_timer_start(l, w);
}

TEST_P(TimerTest, RestartFromOwnCallbackFiresOncePerIteration)
{
    Fire f;
    ev_timer w;
    ev_timer_init(&w, RestartSelfCb, 0., 0.);
    w.data = &f;
    ev_timer_start(loop, &w);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(f.calls, 1);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(f.calls, 2);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(f.calls, 3);
    ev_timer_stop(loop, &w);
}

TEST_P(TimerTest, HugeTimeoutsNeverFire)
{
    Fire h1, h2, s;
    ev_timer w1, w2, ws;
    Start(&w1, &h1, 1e30);
    Start(&w2, &h2, 1e300, 1e300);
    EXPECT_GT(ev_timer_remaining(loop, &w1), 1e29);
    for (int i = 0; i < 3; ++i)
        ev_run(loop, EVRUN_NOWAIT);
    Start(&ws, &s, 0.02);
    EXPECT_TRUE(RunUntil([&] { return s.calls > 0; })) << "a huge timer blocked a short one";
    EXPECT_EQ(h1.calls, 0);
    EXPECT_EQ(h2.calls, 0);
    EXPECT_TRUE(ev_is_active(&w1));
    ev_timer_stop(loop, &w1);
    ev_timer_stop(loop, &w2);
}

// Timeouts between ~25 days and 1e9 s used to overflow the millisecond
// conversion for poll/epoll (UBSan: double outside the range of int; without
// it a negative timeout = block forever). Only a sanitizer build sees it.
TEST_P(TimerTest, LongFiniteTimeoutsConvertSafely)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    StopDeadline(); // the huge timer must be the earliest one
    for (double after : {1e4, 2.2e6, 1e7, 1e8, 9.9e8, 2e9}) {
        Fire f;
        ev_timer w;
        Start(&w, &f, after);
        int io_calls = 0;
        ev_io io;
        ev_io_init(
            &io, [](struct ev_loop *, ev_io *w, int) { ++*static_cast<int *>(w->data); }, sv[0],
            EV_READ);
        io.data = &io_calls;
        ev_io_start(loop, &io);
        ev_run(loop, EVRUN_ONCE);
        EXPECT_EQ(io_calls, 1) << after;
        EXPECT_EQ(f.calls, 0) << after;
        ev_io_stop(loop, &io);
        ev_timer_stop(loop, &w);
    }
    close(sv[0]);
    close(sv[1]);
}

// le test-time.c: many timers, callbacks stop and (re)start others at random.
struct Storm {
    struct ev_loop *loop;
    std::vector<ev_timer> w;
    std::vector<char> expect_active;
    std::mt19937 rng{12345};
    int budget = 40000; // restarts allowed
    long fired = 0, started = 0, stopped = 0;
    bool bad = false;
};

void StormCb(struct ev_loop *l, ev_timer *w, int)
{
    auto *s = static_cast<Storm *>(w->data);
    size_t me = (size_t)(w - s->w.data());
    if (!s->expect_active[me])
        s->bad = true; // a stopped timer was called
    s->expect_active[me] = 0;
    ++s->fired;
    for (int k = 0; k < 2; ++k) {
        size_t j = s->rng() % s->w.size();
        if (s->expect_active[j]) {
            if (s->rng() % 4 == 0) {
                // re-arm (moves it in the heap), and let it fire once more
                s->w[j].repeat = (double)(s->rng() % 1000) * 1e-5 + 1e-6;
                ev_timer_again(l, &s->w[j]);
                s->w[j].repeat = 0.;
            } else if (s->rng() % 2) {
                ev_timer_stop(l, &s->w[j]);
                s->expect_active[j] = 0;
                ++s->stopped;
            }
        } else if (s->budget > 0) {
            --s->budget;
            ev_timer_set(&s->w[j], (double)(s->rng() % 1000) * 1e-5 - 0.002, 0.);
            ev_timer_start(l, &s->w[j]);
            s->expect_active[j] = 1;
            ++s->started;
        }
    }
}

TEST_P(TimerTest, TwentyThousandTimersRandomAddDel)
{
    constexpr int N = 20000;
    Storm s;
    s.loop = loop;
    s.w.resize(N);
    s.expect_active.assign(N, 0);
    for (int i = 0; i < N; ++i) {
        ev_timer_init(&s.w[i], StormCb, (double)(s.rng() % 1000) * 1e-5, 0.);
        s.w[i].data = &s;
        ev_timer_start(loop, &s.w[i]);
        s.expect_active[i] = 1;
        ++s.started;
    }
    // Runs until no timer is left (the deadline is unreferenced).
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_FALSE(timed_out);
    EXPECT_FALSE(s.bad);
    EXPECT_EQ(s.fired + s.stopped, s.started);
    EXPECT_GT(s.stopped, 1000);
    for (int i = 0; i < N; ++i)
        EXPECT_FALSE(ev_is_active(&s.w[i])) << i;
    ev_verify(loop);
}

// Lazy later deadlines (timer.c): ev_timer_again that moves deadlines later
// leaves heap keys below the true deadlines. Timers re-armed in random order
// must still fire never early, each at most once per deadline, in deadline
// order, with ev_timer_remaining exact and ev_verify content after every step.
struct Lazy {
    std::vector<ev_timer> w;
    std::vector<double> deadline; // true deadline of each timer (its `at`, monotonic)
    std::vector<int> order;
    int early = 0;
};

void LazyCb(struct ev_loop *l, ev_timer *w, int)
{
    auto *z = static_cast<Lazy *>(w->data);
    size_t me = (size_t)(w - z->w.data());
    // The loop has re-armed the repeating timer from its deadline d (clamped
    // to now): d + repeat - now is below repeat exactly when d was passed.
    if (ev_timer_remaining(l, w) >= w->repeat)
        ++z->early;
    z->order.push_back((int)me);
    ev_timer_stop(l, w);
}

TEST_P(TimerTest, LazyAgainFiresInDeadlineOrderNeverEarly)
{
    constexpr int N = 300;
    Lazy z;
    z.w.resize(N);
    z.deadline.resize(N);
    std::mt19937 rng{777};
    for (int i = 0; i < N; ++i) {
        ev_timer_init(&z.w[i], LazyCb, 0., 0.01 + 1e-4 * (double)(rng() % 50));
        z.w[i].data = &z;
        ev_timer_again(loop, &z.w[i]);
        z.deadline[i] = z.w[i].at;
    }
    // Re-arm in random order with later deadlines (and now and then an
    // earlier one), letting time pass, checking every step.
    for (int round = 0; round < 2000; ++round) {
        int i = (int)(rng() % N);
        if (round % 97 == 0) {
            ev_sleep(0.0005);
            ev_now_update(loop);
        }
        z.w[i].repeat = (rng() % 8 == 0) ? 0.005 : 0.02 + 1e-4 * (double)(rng() % 300);
        ev_timer_again(loop, &z.w[i]);
        z.deadline[i] = z.w[i].at;
        ASSERT_NEAR(ev_timer_remaining(loop, &z.w[i]), z.w[i].repeat, 1e-9);
        ev_verify(loop);
    }
    // remaining = deadline - the loop's monotonic now, for every timer
    double mono_now = z.deadline[0] - ev_timer_remaining(loop, &z.w[0]);
    for (int i = 0; i < N; ++i)
        ASSERT_NEAR(ev_timer_remaining(loop, &z.w[i]), z.deadline[i] - mono_now, 1e-9);
    ev_check c;
    ev_check_init(&c, [](struct ev_loop *l, ev_check *, int) { ev_verify(l); });
    ev_check_start(loop, &c);
    ev_unref(loop);
    EXPECT_TRUE(RunUntil([&] { return z.order.size() == (size_t)N; }));
    ev_ref(loop);
    ev_check_stop(loop, &c);
    EXPECT_EQ(z.early, 0);
    ASSERT_EQ(z.order.size(), (size_t)N);
    for (size_t k = 1; k < z.order.size(); ++k)
        EXPECT_LE(z.deadline[z.order[k - 1]], z.deadline[z.order[k]]) << k;
}

// Timers whose deadlines were moved later without a sift still make the loop
// sleep until those deadlines: 20 stale keys 1 ms apart would cost 20 wake-ups
// if the loop slept until each key; it wakes once (twice when the poll's
// timeout rounding ends a sleep a hair early, or on a spurious wake-up).
TEST_P(TimerTest, LazyAgainSleepsUntilTheTrueDeadline)
{
    constexpr int N = 20;
    Fire f[N];
    ev_timer w[N];
    for (int i = 0; i < N; ++i) {
        ev_timer_init(&w[i], FireCb, 0., 0.01 + 0.001 * i);
        w[i].data = &f[i];
        ev_timer_again(loop, &w[i]); // keys 1 ms apart
    }
    for (int i = 0; i < N; ++i) {
        w[i].repeat = 0.05;
        ev_timer_again(loop, &w[i]); // one true deadline, later than every key
    }
    double due = ev_now(loop) + 0.05;
    int iterations = 0, fired = 0;
    while (fired < N && iterations < 1000) {
        ev_run(loop, EVRUN_ONCE);
        ++iterations;
        fired = 0;
        for (int i = 0; i < N; ++i)
            fired += f[i].calls;
    }
    EXPECT_EQ(fired, N);
    for (int i = 0; i < N; ++i)
        EXPECT_GE(f[i].now, due) << i;
    EXPECT_LE(iterations, 4);
    for (int i = 0; i < N; ++i)
        ev_timer_stop(loop, &w[i]);
}

// A busy loop (an fd always ready) whose timers are reset by traffic far from
// their deadlines leaves the stale heap keys where they are: no timer moves in
// the heap (w->active is its heap index) across iterations, so a reset costs
// no sift per iteration (the server benchmark spent 142 instructions per
// request re-sifting them before every poll). They still fire on time: see
// the tests above.
TEST_P(TimerTest, LazyAgainBusyLoopLeavesStaleKeysFarFromDue)
{
    constexpr int N = 64;
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    StopDeadline(); // only these timers in the heap
    Fire f[N];
    ev_timer w[N];
    for (int i = 0; i < N; ++i) {
        ev_timer_init(&w[i], FireCb, 0., 100. + i);
        w[i].data = &f[i];
        ev_timer_again(loop, &w[i]);
    }
    int io_calls = 0;
    ev_io io;
    ev_io_init(
        &io, [](struct ev_loop *, ev_io *w, int) { ++*static_cast<int *>(w->data); }, sv[0],
        EV_READ);
    io.data = &io_calls;
    ev_io_start(loop, &io);
    int pos[N];
    for (int i = 0; i < N; ++i)
        pos[i] = w[i].active;
    for (int k = 0; k < 5; ++k) {
        ev_sleep(0.002);
        ev_now_update(loop);
        for (int i = 0; i < N; ++i) {
            w[i].repeat = 150. + i; // later than every key: a sift would move it down
            ev_timer_again(loop, &w[i]);
        }
        ev_run(loop, EVRUN_ONCE); // polls (the fd is ready), does not block
        ev_verify(loop);
        for (int i = 0; i < N; ++i)
            ASSERT_EQ(w[i].active, pos[i]) << "iteration " << k << ", timer " << i;
    }
    EXPECT_EQ(io_calls, 5);
    for (int i = 0; i < N; ++i) {
        EXPECT_EQ(f[i].calls, 0);
        EXPECT_NEAR(ev_timer_remaining(loop, &w[i]), 150. + i, 0.5);
        ev_timer_stop(loop, &w[i]);
    }
    ev_io_stop(loop, &io);
    close(sv[0]);
    close(sv[1]);
}

struct FromHook {
    ev_timer t;
    Fire f;
    int hook_calls = 0;
};

template <class W> void StartTimerCb(struct ev_loop *l, W *w, int)
{
    auto *h = static_cast<FromHook *>(w->data);
    if (h->hook_calls++ == 0) {
        ev_timer_init(&h->t, FireCb, 0., 0.);
        h->t.data = &h->f;
        ev_timer_start(l, &h->t);
    }
}

TEST_P(TimerTest, TimerStartedFromPrepareFires)
{
    FromHook h;
    ev_prepare p;
    ev_prepare_init(&p, StartTimerCb<ev_prepare>);
    p.data = &h;
    ev_prepare_start(loop, &p);
    EXPECT_TRUE(RunUntil([&] { return h.f.calls > 0; }));
    ev_prepare_stop(loop, &p);
}

TEST_P(TimerTest, TimerStartedFromCheckFires)
{
    FromHook h;
    ev_check c;
    ev_check_init(&c, StartTimerCb<ev_check>);
    c.data = &h;
    ev_check_start(loop, &c);
    // Check watchers run after a poll: something must end the first one.
    Fire kick;
    ev_timer k;
    Start(&k, &kick, 0.001);
    // A poll may also end early (a spurious wake-up), so the check's timer may fire first.
    EXPECT_TRUE(RunUntil([&] { return h.f.calls > 0 && kick.calls > 0; }));
    EXPECT_EQ(kick.calls, 1);
    ev_check_stop(loop, &c);
}

// A long callback followed by ev_timer_start: the timer counts from the
// cached (stale) ev_now, as documented; ev_now_update first makes it count
// from the real time.
void SlowCb(struct ev_loop *l, ev_timer *w, int)
{
    auto *h = static_cast<FromHook *>(w->data);
    ev_sleep(0.03);
    ev_now_update(l);
    h->f.now = Mono(); // start reference
    ev_timer_init(&h->t, FireCb, 0.02, 0.);
    Fire *f = &h->f;
    h->t.data = f;
    ev_timer_start(l, &h->t);
    ++h->hook_calls;
}

TEST_P(TimerTest, StartAfterSlowCallbackWithNowUpdateNotEarly)
{
    FromHook h;
    ev_timer slow;
    ev_timer_init(&slow, SlowCb, 0., 0.);
    slow.data = &h;
    ev_timer_start(loop, &slow);
    EXPECT_TRUE(RunUntil([&] { return h.hook_calls > 0; }));
    double start = h.f.now;
    EXPECT_TRUE(RunUntil([&] { return h.f.calls > 0; }));
    EXPECT_GE(h.f.mono - start, 0.02);
}

TEST_P(TimerTest, StopInactiveAndStartActiveAreNoOps)
{
    Fire f;
    ev_timer w;
    ev_timer_init(&w, FireCb, 0.01, 0.);
    w.data = &f;
    ev_timer_stop(loop, &w);
    EXPECT_DOUBLE_EQ(w.at, 0.01);
    ev_timer_start(loop, &w);
    int active = ev_is_active(&w);
    ev_timer_start(loop, &w);
    EXPECT_EQ(ev_is_active(&w), active);
    EXPECT_TRUE(RunUntil([&] { return f.calls > 0; }));
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    EXPECT_EQ(f.calls, 1);
}

} // namespace

EV_ALL_BACKENDS(TimerTest);
