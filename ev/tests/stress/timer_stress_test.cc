// 100,000 timers started and stopped at random from callbacks, on every
// backend: every timer that was started and not stopped fires exactly once,
// never before its expiry (measured from ev_now, as the manual defines it),
// stopped ones never fire, and ev_verify finds the heap sound throughout.
#include "ev/tests/stress/stress_util.h"

#include <random>
#include <vector>

namespace {

constexpr double kUlps = 1e-6;

enum State : unsigned char { kNew, kActive, kStopped, kFired };

struct Slot {
    ev_timer w;
    double due; // ev_now at start + after
    State state;
};

struct TimerRun {
    std::vector<Slot> slots;
    size_t next = 0; // first never-started slot
    std::mt19937 rng;
    long fired = 0, stopped = 0, restarted = 0, early = 0, wrong_state = 0, calls = 0;
    struct ev_loop *loop;
};

void TimerCb(struct ev_loop *l, ev_timer *w, int revents);

void Start(TimerRun &r, Slot &s)
{
    std::uniform_real_distribution<double> after(0., 0.05);
    double a = after(r.rng);
    ev_timer_init(&s.w, TimerCb, a, 0.);
    s.w.data = &r;
    s.due = ev_now(r.loop) + a;
    s.state = kActive;
    ev_timer_start(r.loop, &s.w);
}

void TimerCb(struct ev_loop *l, ev_timer *w, int revents)
{
    TimerRun &r = *static_cast<TimerRun *>(w->data);
    Slot &s = *reinterpret_cast<Slot *>(w); // w is the first member
    ++r.calls;
    if (revents != EV_TIMER || s.state != kActive || ev_is_active(w))
        ++r.wrong_state;
    // Timers run on the monotonic clock; ev_now is that plus an offset, a
    // double near 1.7e9 whose unit in the last place is 2.4e-7 s. So "not
    // early" is checked to within kUlps of ev_now's own resolution.
    if (ev_now(l) < s.due - kUlps)
        ++r.early;
    s.state = kFired;
    ++r.fired;

    std::uniform_int_distribution<int> pct(0, 99);
    // Start up to two new timers.
    for (int k = 0; k < 2 && r.next < r.slots.size(); ++k)
        Start(r, r.slots[r.next++]);
    // Stop a random started timer (if still active), sometimes restart one.
    if (r.next > 0) {
        std::uniform_int_distribution<size_t> any(0, r.next - 1);
        int p = pct(r.rng);
        Slot &v = r.slots[any(r.rng)];
        if (p < 30 && v.state == kActive) {
            ev_timer_stop(l, &v.w);
            v.state = kStopped;
            ++r.stopped;
        } else if (p < 40 && v.state == kStopped) {
            --r.stopped;
            ++r.restarted;
            Start(r, v);
        } else if (p < 45 && v.state == kActive) {
            // restart an active one with a new expiry (stop + start)
            ev_timer_stop(l, &v.w);
            Start(r, v);
        }
    }
    if (r.calls % 20000 == 0)
        ev_verify(l);
}

class TimerStress : public evtest::LoopTest {};

TEST_P(TimerStress, HundredThousandRandomTimers)
{
    constexpr size_t kTimers = 100000;
    const unsigned seed = evstress::Seed();
    SCOPED_TRACE("EV_STRESS_SEED=" + std::to_string(seed));
    TimerRun r;
    r.slots.resize(kTimers);
    r.rng.seed(seed);
    r.loop = loop;
    for (Slot &s : r.slots)
        s.state = kNew;
    Deadline(50.);
    for (int i = 0; i < 1000; ++i)
        Start(r, r.slots[r.next++]);
    ev_verify(loop);
    // The deadline is unreferenced: ev_run returns when no timer is left.
    ev_run(loop, 0);
    ASSERT_FALSE(timed_out) << "fired " << r.fired << " of " << r.next << " started";
    ev_verify(loop);
    EXPECT_EQ(r.next, kTimers) << "every slot was started";
    long active = 0, fired = 0, stopped = 0;
    for (Slot &s : r.slots) {
        active += s.state == kActive || s.state == kNew;
        fired += s.state == kFired;
        stopped += s.state == kStopped;
        EXPECT_FALSE(ev_is_active(&s.w));
        EXPECT_FALSE(ev_is_pending(&s.w));
    }
    EXPECT_EQ(active, 0) << "a started timer never fired";
    EXPECT_EQ(fired + stopped, (long)kTimers);
    EXPECT_EQ(r.stopped, stopped);
    EXPECT_EQ(r.early, 0) << "timers fired before ev_now reached their expiry";
    EXPECT_EQ(r.wrong_state, 0) << "a stopped or already fired timer was called";
    EXPECT_GT(stopped, 1000) << "the random stops did happen";
    EXPECT_GT(r.restarted, 100);
}

// Lazy later deadlines (timer.c) under load: 100,000 repeating timers re-armed
// with ev_timer_again (later and earlier), stopped, restarted and fired, from
// their callbacks and from a check watcher, with ev_verify after every
// iteration. No timer fires early, none stopped fires, none is lost: at the
// end every active timer is re-armed to 1 ms and must fire once more.
struct AgainRun {
    std::vector<ev_timer> w;
    std::vector<unsigned char> active; // what the test expects
    std::vector<unsigned char> last_call;
    std::mt19937 rng;
    long fired = 0, early = 0, wrong = 0, again_later = 0, again_earlier = 0, stops = 0,
         restarts = 0, iterations = 0;
    bool final_phase = false;
};

double Repeat(AgainRun &r)
{
    return 0.002 + 0.04 * std::uniform_real_distribution<double>(0., 1.)(r.rng);
}

void Rearm(AgainRun &r, size_t i, struct ev_loop *l)
{
    double before = ev_is_active(&r.w[i]) ? ev_timer_remaining(l, &r.w[i]) : 0.;
    r.w[i].repeat = Repeat(r);
    ev_timer_again(l, &r.w[i]);
    ++(r.w[i].repeat >= before ? r.again_later : r.again_earlier);
    r.active[i] = 1;
}

void AgainCb(struct ev_loop *l, ev_timer *w, int revents)
{
    AgainRun &r = *static_cast<AgainRun *>(w->data);
    size_t i = (size_t)(w - r.w.data());
    ++r.fired;
    if (revents != EV_TIMER || !r.active[i] || !ev_is_active(w))
        ++r.wrong;
    // Re-armed from its deadline d (clamped to now): d + repeat - now < repeat
    // exactly when d had passed.
    if (ev_timer_remaining(l, w) >= w->repeat)
        ++r.early;
    if (r.final_phase) {
        r.last_call[i] = 1;
        ev_timer_stop(l, w);
        r.active[i] = 0;
        return;
    }
    int p = (int)(r.rng() % 100);
    if (p < 40)
        Rearm(r, i, l);
    else if (p < 50) {
        ev_timer_stop(l, w);
        r.active[i] = 0;
        ++r.stops;
    }
}

void AgainCheckCb(struct ev_loop *l, ev_check *c, int)
{
    AgainRun &r = *static_cast<AgainRun *>(c->data);
    ev_verify(l);
    if (r.final_phase)
        return;
    ++r.iterations;
    for (int k = 0; k < 300; ++k) {
        size_t i = r.rng() % r.w.size();
        if (r.active[i]) {
            if (r.rng() % 5 == 0) {
                ev_timer_stop(l, &r.w[i]);
                r.active[i] = 0;
                ++r.stops;
            } else {
                Rearm(r, i, l);
            }
        } else {
            Rearm(r, i, l);
            ++r.restarts;
        }
    }
    if (r.iterations == 200) {
        // Last round: every active timer gets 1 ms and must fire once more.
        r.final_phase = true;
        for (size_t i = 0; i < r.w.size(); ++i)
            if (r.active[i]) {
                r.w[i].repeat = 0.001;
                ev_timer_again(l, &r.w[i]);
            }
        ev_verify(l);
    }
}

TEST_P(TimerStress, HundredThousandTimersAgainStopRestart)
{
    constexpr size_t kTimers = 100000;
    const unsigned seed = evstress::Seed();
    SCOPED_TRACE("EV_STRESS_SEED=" + std::to_string(seed));
    AgainRun r;
    r.rng.seed(seed);
    r.w.resize(kTimers);
    r.active.assign(kTimers, 0);
    r.last_call.assign(kTimers, 0);
    for (size_t i = 0; i < kTimers; ++i) {
        ev_timer_init(&r.w[i], AgainCb, 0., 0.);
        r.w[i].data = &r;
        Rearm(r, i, loop);
    }
    ev_check c;
    ev_check_init(&c, AgainCheckCb);
    c.data = &r;
    ev_check_start(loop, &c);
    ev_unref(loop); // the run ends when no timer is left
    Deadline(100.);
    ev_run(loop, 0);
    ASSERT_FALSE(timed_out) << "fired " << r.fired;
    ev_ref(loop);
    ev_check_stop(loop, &c);
    ev_verify(loop);
    EXPECT_TRUE(r.final_phase);
    EXPECT_EQ(r.early, 0) << "a timer fired before its deadline";
    EXPECT_EQ(r.wrong, 0) << "a stopped timer was called";
    for (size_t i = 0; i < kTimers; ++i) {
        EXPECT_FALSE(ev_is_active(&r.w[i])) << i;
        if (r.active[i])
            ADD_FAILURE() << "timer " << i << " still expected active";
    }
    EXPECT_GT(r.again_later, 10000);
    EXPECT_GT(r.again_earlier, 10000);
    EXPECT_GT(r.stops, 1000);
    EXPECT_GT(r.restarts, 1000);
    EXPECT_GT(r.fired, (long)kTimers);
}

// A million timers: started with random timeouts, a quarter stopped before
// they fire; every other one fires exactly once and never early, the stopped
// ones never, and the heap stays sound (checklist: 1M timers).
struct Million {
    std::vector<ev_timer> w;
    std::vector<double> due;
    std::vector<unsigned char> calls, stopped;
    long early = 0;
};

void MillionCb(struct ev_loop *l, ev_timer *w, int)
{
    Million &m = *static_cast<Million *>(w->data);
    size_t i = (size_t)(w - m.w.data());
    if (m.calls[i] < 255)
        ++m.calls[i];
    if (ev_now(l) < m.due[i] - kUlps)
        ++m.early;
}

TEST_P(TimerStress, MillionTimers)
{
    constexpr size_t kTimers = 1000000;
    const unsigned seed = evstress::Seed();
    SCOPED_TRACE("EV_STRESS_SEED=" + std::to_string(seed));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> after(0., 0.2);
    Million m;
    m.w.resize(kTimers);
    m.due.resize(kTimers);
    m.calls.assign(kTimers, 0);
    m.stopped.assign(kTimers, 0);
    Deadline(100.);
    for (size_t i = 0; i < kTimers; ++i) {
        double a = after(rng);
        ev_timer_init(&m.w[i], MillionCb, a, 0.);
        m.w[i].data = &m;
        m.due[i] = ev_now(loop) + a;
        ev_timer_start(loop, &m.w[i]);
    }
    ev_verify(loop);
    long stopped = 0;
    for (size_t i = 0; i < kTimers; ++i)
        if (rng() % 4 == 0) {
            ev_timer_stop(loop, &m.w[i]);
            m.stopped[i] = 1;
            ++stopped;
        }
    ev_verify(loop);
    ev_run(loop, 0); // the deadline is unreferenced: returns when no timer is left
    ASSERT_FALSE(timed_out);
    ev_verify(loop);
    long lost = 0, twice = 0, called_stopped = 0;
    for (size_t i = 0; i < kTimers; ++i) {
        if (m.stopped[i])
            called_stopped += m.calls[i] != 0;
        else {
            lost += m.calls[i] == 0;
            twice += m.calls[i] > 1;
        }
    }
    EXPECT_GT(stopped, 200000);
    EXPECT_EQ(lost, 0);
    EXPECT_EQ(twice, 0);
    EXPECT_EQ(called_stopped, 0);
    EXPECT_EQ(m.early, 0);
}

EV_ALL_BACKENDS(TimerStress);

} // namespace
