/*
 * metrics_test.cc - ev_metrics.h on every backend: exact counters for a scripted workload, idle +
 * busy == elapsed, the slow-callback hook, loop lag, disabled loops, reset, the versioned struct,
 * foreign invoke callbacks, ev_loop_fork and a real fork, LIBEV_METRICS for the default loop, and
 * the Prometheus text. No check depends on how fast the machine is: durations are only bounded
 * from below by sleeps the test itself makes.
 */
#include "test_util.h"

#include <ev_metrics.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

double Mono()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct ev_metrics Get(struct ev_loop *loop)
{
    struct ev_metrics m;
    memset(&m, 0xff, sizeof m);
    EXPECT_EQ(ev_metrics_get(loop, &m, sizeof m), sizeof m);
    EXPECT_EQ(m.size, sizeof m);
    EXPECT_EQ(m.version, (uint32_t)EV_METRICS_VERSION);
    return m;
}

class MetricsTest : public evtest::LoopTest {
  protected:
    int fds[2] = {-1, -1};

    void SetUp() override
    {
        LoopTest::SetUp();
        ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    }
    void TearDown() override
    {
        LoopTest::TearDown();
        close(fds[0]);
        close(fds[1]);
    }
    void Write() { ASSERT_EQ(write(fds[1], "x", 1), 1); }
};

struct Counts {
    int io = 0, timer = 0, periodic = 0, idle = 0, prepare = 0, check = 0, async = 0, fork = 0,
        custom = 0, signal = 0;
};
Counts *counts;

void IoCb(struct ev_loop *, ev_io *w, int)
{
    char c;
    while (read(w->fd, &c, 1) == 1)
        ;
    ++counts->io;
}
void TimerCb(struct ev_loop *, ev_timer *, int)
{
    ++counts->timer;
}
void PeriodicCb(struct ev_loop *, ev_periodic *, int)
{
    ++counts->periodic;
}
void IdleCb(struct ev_loop *loop, ev_idle *w, int)
{
    if (++counts->idle == 3)
        ev_idle_stop(loop, w);
}
void PrepareCb(struct ev_loop *, ev_prepare *, int)
{
    ++counts->prepare;
}
void CheckCb(struct ev_loop *, ev_check *, int)
{
    ++counts->check;
}
void AsyncCb(struct ev_loop *, ev_async *, int)
{
    ++counts->async;
}
void ForkCb(struct ev_loop *, ev_fork *, int)
{
    ++counts->fork;
}
void CustomCb(struct ev_loop *, ev_check *, int revents)
{
    if (revents == EV_CUSTOM)
        ++counts->custom;
}
void SignalCb(struct ev_loop *, ev_signal *, int)
{
    ++counts->signal;
}

TEST_P(MetricsTest, DisabledLoopReportsZeros)
{
    ev_io io;
    ev_io_init(&io, IoCb, fds[0], EV_READ);
    ev_io_start(loop, &io);
    Counts c;
    counts = &c;
    Write();
    RunUntil([&] { return c.io == 1; });
    ev_feed_event(loop, &io, EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.io, 2);
    EXPECT_FALSE(ev_metrics_enabled(loop));
    struct ev_metrics m = Get(loop);
    struct ev_metrics zero;
    memset(&zero, 0, sizeof zero);
    zero.size = sizeof zero;
    zero.version = EV_METRICS_VERSION;
    EXPECT_EQ(memcmp(&m, &zero, sizeof m), 0);
    ev_metrics_reset(loop); /* no effect, no state */
    EXPECT_FALSE(ev_metrics_enabled(loop));
    ev_io_stop(loop, &io);
}

TEST_P(MetricsTest, CountersMatchAScriptedWorkload)
{
    ASSERT_EQ(ev_metrics_enable(loop, 1), 0);
    ASSERT_TRUE(ev_metrics_enabled(loop));
    Counts c;
    counts = &c;
    ev_io io;
    ev_io_init(&io, IoCb, fds[0], EV_READ);
    ev_io_start(loop, &io);
    ev_prepare prep;
    ev_prepare_init(&prep, PrepareCb);
    ev_prepare_start(loop, &prep);
    ev_check chk;
    ev_check_init(&chk, CheckCb);
    ev_check_start(loop, &chk);
    ev_async as;
    ev_async_init(&as, AsyncCb);
    ev_async_start(loop, &as);
    ev_fork fk;
    ev_fork_init(&fk, ForkCb);
    ev_fork_start(loop, &fk);
    ev_check custom; /* never started: only fed */
    ev_check_init(&custom, CustomCb);
    ev_signal sig;
    ev_signal_init(&sig, SignalCb, SIGUSR2);
    ev_signal_start(loop, &sig);

    const int kIo = 5, kTimers = 4;
    for (int i = 0; i < kIo; ++i) {
        Write();
        RunUntil([&] { return c.io == i + 1; });
    }
    std::vector<ev_timer> timers(kTimers);
    for (auto &t : timers) {
        ev_timer_init(&t, TimerCb, 0.001, 0.);
        ev_timer_start(loop, &t);
    }
    RunUntil([&] { return c.timer == kTimers; });
    ev_periodic per;
    ev_periodic_init(&per, PeriodicCb, ev_now(loop) + 0.002, 0., nullptr);
    ev_periodic_start(loop, &per);
    RunUntil([&] { return c.periodic == 1; });
    ev_idle idle;
    ev_idle_init(&idle, IdleCb);
    ev_idle_start(loop, &idle);
    RunUntil([&] { return c.idle == 3; });
    ev_async_send(loop, &as);
    RunUntil([&] { return c.async == 1; });
    ev_feed_event(loop, &custom, EV_CUSTOM);
    ev_feed_fd_event(loop, fds[0], EV_READ); /* io callback once more, reading nothing */
    ev_run(loop, EVRUN_NOWAIT);              /* fed events run on entry */
    EXPECT_EQ(c.custom, 1);
    EXPECT_EQ(c.io, kIo + 1);
    ev_loop_fork(loop);
    Write(); /* the fork watcher runs first in the next iteration, which then polls */
    RunUntil([&] { return c.fork == 1 && c.io == kIo + 2; });
    kill(getpid(), SIGUSR2);
    RunUntil([&] { return c.signal == 1; });
    ASSERT_FALSE(timed_out);

    struct ev_metrics m = Get(loop);
    EXPECT_EQ(m.enabled, 1);
    EXPECT_EQ(m.events[EV_METRICS_IO], (uint64_t)c.io);
    EXPECT_EQ(c.io, kIo + 2);
    EXPECT_EQ(m.events[EV_METRICS_TIMER], (uint64_t)kTimers);
    EXPECT_EQ(m.events[EV_METRICS_PERIODIC], 1u);
    EXPECT_EQ(m.events[EV_METRICS_IDLE], 3u);
    EXPECT_EQ(m.events[EV_METRICS_ASYNC], 1u);
    EXPECT_EQ(m.events[EV_METRICS_FORK], 1u);
    EXPECT_EQ(m.events[EV_METRICS_SIGNAL], 1u);
    EXPECT_EQ(m.events[EV_METRICS_CUSTOM], 1u);
    EXPECT_EQ(m.events[EV_METRICS_CHILD], 0u);
    EXPECT_EQ(m.events[EV_METRICS_STAT], 0u);
    EXPECT_EQ(m.events[EV_METRICS_EMBED], 0u);
    EXPECT_EQ(m.events[EV_METRICS_CLEANUP], 0u);
    EXPECT_EQ(m.fed, 2u);
    /* Prepare and check watchers run once per iteration: before and after the poll. */
    EXPECT_EQ(m.events[EV_METRICS_PREPARE], (uint64_t)c.prepare);
    EXPECT_EQ(m.events[EV_METRICS_CHECK], (uint64_t)c.check);
    EXPECT_EQ(m.iterations, (uint64_t)c.prepare);
    EXPECT_EQ(m.iterations, (uint64_t)c.check);
    uint64_t sum = 0;
    for (int t = 0; t < EV_METRICS_NTYPES; ++t)
        sum += m.events[t];
    EXPECT_EQ(m.events_total, sum);
    /* Every timer and periodic that fired has a lag, none negative. */
    EXPECT_EQ(m.lag_count, (uint64_t)(kTimers + 1));
    EXPECT_GE(m.lag_sum, 0.);
    EXPECT_GE(m.lag_max, 0.);
    EXPECT_LE(m.lag_max, m.lag_sum);
    EXPECT_GE(m.max_pending, (uint64_t)kTimers);
    EXPECT_EQ(m.slow_callbacks, 0u);
    EXPECT_DOUBLE_EQ(m.idle + m.busy, m.elapsed);

    ev_io_stop(loop, &io);
    ev_prepare_stop(loop, &prep);
    ev_check_stop(loop, &chk);
    ev_async_stop(loop, &as);
    ev_fork_stop(loop, &fk);
    ev_signal_stop(loop, &sig);
    ev_periodic_stop(loop, &per);
}

TEST_P(MetricsTest, IdlePlusBusyIsTheLifetime)
{
    double before = Mono();
    ev_metrics_enable(loop, 1);
    double after = Mono();
    ev_timer t;
    bool fired = false;
    ev_timer_init(
        &t,
        [](struct ev_loop *l, ev_timer *w, int) {
            *(bool *)w->data = true;
            double until = Mono() + 0.01; /* busy for 10 ms */
            while (Mono() < until)
                ;
        },
        0.02, 0.);
    t.data = &fired;
    ev_timer_start(loop, &t);
    RunUntil([&] { return fired; });
    double before_get = Mono();
    struct ev_metrics m = Get(loop);
    double after_get = Mono();
    /* idle + busy is the time since enabling, as read inside ev_metrics_get */
    EXPECT_NEAR(m.idle + m.busy, m.elapsed, 1e-9);
    EXPECT_GE(m.elapsed, before_get - after - 1e-6);
    EXPECT_LE(m.elapsed, after_get - before + 1e-6);
    EXPECT_GE(m.busy, 0.01); /* the callback's busy wait is not idle */
    EXPECT_GT(m.idle, 0.);   /* the loop blocked until the timer */
    EXPECT_GE(m.iterations, 1u);
}

struct SlowSeen {
    int calls = 0;
    void *w = nullptr;
    int type = -1, priority = 99;
    double duration = 0.;
    struct ev_loop *loop = nullptr;
};

void SlowHook(struct ev_loop *loop, void *w, int type, int priority, double duration, void *data)
{
    auto *s = static_cast<SlowSeen *>(data);
    ++s->calls;
    s->w = w;
    s->type = type;
    s->priority = priority;
    s->duration = duration;
    s->loop = loop;
}

int released;
void Release(void *)
{
    ++released;
}

TEST_P(MetricsTest, SlowCallbackHook)
{
    SlowSeen seen;
    released = 0;
    ev_metrics_set_slow_cb(loop, 0.04, SlowHook, &seen, Release);
    EXPECT_TRUE(ev_metrics_enabled(loop)); /* the hook turns metrics on */
    int slow_runs = 0, fast_runs = 0;
    ev_timer slow, fast;
    ev_timer_init(
        &slow,
        [](struct ev_loop *, ev_timer *w, int) {
            ++*(int *)w->data;
            usleep(50000);
        },
        0., 0.);
    slow.data = &slow_runs;
    ev_set_priority(&slow, 1);
    ev_timer_init(
        &fast, [](struct ev_loop *, ev_timer *w, int) { ++*(int *)w->data; }, 0., 0.);
    fast.data = &fast_runs;
    ev_timer_start(loop, &fast);
    RunUntil([&] { return fast_runs == 1; });
    EXPECT_EQ(seen.calls, 0); /* a fast callback is not reported */
    ev_timer_start(loop, &slow);
    RunUntil([&] { return slow_runs == 1; });
    ASSERT_EQ(seen.calls, 1);
    EXPECT_EQ(seen.w, (void *)&slow);
    EXPECT_EQ(seen.type, EV_METRICS_TIMER);
    EXPECT_EQ(seen.priority, 1);
    EXPECT_GE(seen.duration, 0.05);
    EXPECT_EQ(seen.loop, loop);
    EXPECT_EQ(Get(loop).slow_callbacks, 1u);
    EXPECT_EQ(released, 0);
    ev_metrics_set_slow_cb(loop, 0., nullptr, nullptr, nullptr); /* removed: released */
    EXPECT_EQ(released, 1);
    ev_timer_start(loop, &slow);
    RunUntil([&] { return slow_runs == 2; });
    EXPECT_EQ(seen.calls, 1);
    ev_metrics_set_slow_cb(loop, 0.04, SlowHook, &seen, Release);
    ev_loop_destroy(loop); /* the loop's end releases the hook's data */
    loop = nullptr;
    EXPECT_EQ(released, 2);
}

/* The slow callback starts the watchers it then delays by 50 ms: their deadlines are at most
 * 10 ms after the loop's time when it started them, and they cannot run before it returns. */
struct Delayed {
    std::vector<ev_watcher *> timers, periodics;
};

void SlowStarter(struct ev_loop *loop, ev_timer *w, int)
{
    auto *d = static_cast<Delayed *>(w->data);
    for (ev_watcher *t : d->timers)
        ev_timer_start(loop, (ev_timer *)t);
    for (ev_watcher *p : d->periodics)
        ev_periodic_start(loop, (ev_periodic *)p);
    usleep(50000);
}

void CountAndStop(struct ev_loop *loop, ev_timer *w, int)
{
    ++*(int *)w->data;
    ev_timer_stop(loop, w);
}

TEST_P(MetricsTest, LagOfTimersDelayedByASlowCallback)
{
    ev_metrics_enable(loop, 1);
    int runs = 0;
    ev_timer slow, late, repeating, tick;
    Delayed d;
    ev_timer_init(&slow, SlowStarter, 0., 0.);
    slow.data = &d;
    ev_timer_init(&late, CountAndStop, 0.01, 0.);
    ev_timer_init(&repeating, CountAndStop, 0.01, 0.01); /* > one interval late: moved to now */
    late.data = repeating.data = &runs;
    d.timers = {(ev_watcher *)&late, (ev_watcher *)&repeating};
    ev_timer_start(loop, &slow);
    RunUntil([&] { return runs == 2; });
    struct ev_metrics m = Get(loop);
    EXPECT_EQ(m.lag_count, 3u); /* slow itself, late, repeating */
    EXPECT_GE(m.lag_max, 0.04);
    EXPECT_GE(m.lag_sum, 0.08);

    /* A repeating timer late by less than its interval: the lag is recovered from its watcher. */
    ev_metrics_reset(loop);
    EXPECT_EQ(Get(loop).lag_count, 0u);
    int ticks = 0;
    ev_timer_init(&tick, CountAndStop, 0.001, 1.);
    tick.data = &ticks;
    d.timers = {(ev_watcher *)&tick};
    ev_timer_start(loop, &slow);
    RunUntil([&] { return ticks == 1; });
    m = Get(loop);
    EXPECT_EQ(m.lag_count, 2u);
    EXPECT_GE(m.lag_max, 0.049);
}

TEST_P(MetricsTest, PeriodicLag)
{
    ev_metrics_enable(loop, 1);
    int runs = 0;
    ev_timer slow;
    Delayed d;
    ev_timer_init(&slow, SlowStarter, 0., 0.);
    slow.data = &d;
    ev_periodic p;
    ev_periodic_init(
        &p,
        [](struct ev_loop *l, ev_periodic *w, int) {
            ++*(int *)w->data;
            ev_periodic_stop(l, w);
        },
        0., 0.005, nullptr); /* every 5 ms */
    p.data = &runs;
    d.periodics = {(ev_watcher *)&p};
    ev_timer_start(loop, &slow);
    RunUntil([&] { return runs == 1; });
    struct ev_metrics m = Get(loop);
    EXPECT_EQ(m.events[EV_METRICS_PERIODIC], 1u);
    EXPECT_EQ(m.lag_count, 2u); /* the slow timer and the periodic */
    EXPECT_GE(m.lag_max, 0.04);
}

TEST_P(MetricsTest, ResetAndVersionedStruct)
{
    ev_metrics_enable(loop, 1);
    Counts c;
    counts = &c;
    ev_io io;
    ev_io_init(&io, IoCb, fds[0], EV_READ);
    ev_io_start(loop, &io);
    Write();
    RunUntil([&] { return c.io == 1; });
    EXPECT_EQ(Get(loop).events[EV_METRICS_IO], 1u);

    /* An older, shorter struct: only its bytes are written. */
    unsigned char buf[sizeof(struct ev_metrics) + 16];
    memset(buf, 0xab, sizeof buf);
    size_t small = offsetof(struct ev_metrics, iterations);
    EXPECT_EQ(ev_metrics_get(loop, (struct ev_metrics *)(void *)buf, small), small);
    EXPECT_EQ(((struct ev_metrics *)(void *)buf)->size, small);
    for (size_t i = small; i < sizeof buf; ++i)
        ASSERT_EQ(buf[i], 0xab) << i;
    /* A newer, longer one: the known part. */
    EXPECT_EQ(ev_metrics_get(loop, (struct ev_metrics *)(void *)buf, sizeof buf),
              sizeof(struct ev_metrics));

    ev_metrics_reset(loop);
    struct ev_metrics m = Get(loop);
    EXPECT_EQ(m.enabled, 1);
    EXPECT_EQ(m.events_total, 0u);
    EXPECT_EQ(m.iterations, 0u);
    EXPECT_LT(m.elapsed, 5.);
    Write();
    RunUntil([&] { return c.io == 2; });
    m = Get(loop);
    EXPECT_EQ(m.events[EV_METRICS_IO], 1u);
    EXPECT_EQ(m.events_total, 1u);

    ev_metrics_enable(loop, 0);
    EXPECT_EQ(Get(loop).enabled, 0);
    Write();
    RunUntil([&] { return c.io == 3; });
    EXPECT_EQ(Get(loop).events_total, 0u);
    ev_metrics_enable(loop, 1); /* from zero */
    EXPECT_EQ(Get(loop).events_total, 0u);
    ev_io_stop(loop, &io);
}

/* A callback that turns metrics off leaves the rest of the queue to the plain invocation. */
TEST_P(MetricsTest, DisabledFromACallback)
{
    ev_metrics_enable(loop, 1);
    int runs = 0;
    std::vector<ev_timer> ts(4);
    for (auto &t : ts) {
        ev_timer_init(
            &t,
            [](struct ev_loop *l, ev_timer *w, int) {
                ++*(int *)w->data;
                ev_metrics_enable(l, 0);
            },
            0., 0.);
        t.data = &runs;
        ev_timer_start(loop, &t);
    }
    RunUntil([&] { return runs == 4; });
    EXPECT_EQ(runs, 4);
    EXPECT_FALSE(ev_metrics_enabled(loop));
}

int foreign_calls;
void ForeignInvoke(struct ev_loop *loop)
{
    ++foreign_calls;
    ev_invoke_pending(loop);
}

TEST_P(MetricsTest, ForeignInvokeCallback)
{
    foreign_calls = 0;
    ev_set_invoke_pending_cb(loop, ForeignInvoke);
    ev_metrics_enable(loop, 1);
    Counts c;
    counts = &c;
    ev_io io;
    ev_io_init(&io, IoCb, fds[0], EV_READ);
    ev_io_start(loop, &io);
    Write();
    RunUntil([&] { return c.io == 1; });
    EXPECT_GT(foreign_calls, 0);
    EXPECT_EQ(Get(loop).events[EV_METRICS_IO], 1u);
    /* set while metrics are on: still called, still counted */
    ev_set_invoke_pending_cb(loop, nullptr);
    ev_set_invoke_pending_cb(loop, ForeignInvoke);
    int before = foreign_calls;
    Write();
    RunUntil([&] { return c.io == 2; });
    EXPECT_GT(foreign_calls, before);
    EXPECT_EQ(Get(loop).events[EV_METRICS_IO], 2u);
    ev_metrics_enable(loop, 0); /* the foreign callback stays */
    before = foreign_calls;
    Write();
    RunUntil([&] { return c.io == 3; });
    EXPECT_GT(foreign_calls, before);
    ev_io_stop(loop, &io);
}

#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            _exit(100 + (__LINE__ % 100));                                                         \
    } while (0)

TEST_P(MetricsTest, ForkedChildKeepsSaneMetrics)
{
    ev_metrics_enable(loop, 1);
    Counts c;
    counts = &c;
    ev_io io;
    ev_io_init(&io, IoCb, fds[0], EV_READ);
    ev_io_start(loop, &io);
    Write();
    RunUntil([&] { return c.io == 1; });
    struct ev_metrics parent = Get(loop);
    fflush(nullptr);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ev_loop_fork(loop);
        Write();
        while (c.io < 2 && !timed_out) {
            ev_ref(loop);
            ev_run(loop, EVRUN_ONCE);
            ev_unref(loop);
        }
        struct ev_metrics m;
        CHILD_CHECK(ev_metrics_get(loop, &m, sizeof m) == sizeof m);
        CHILD_CHECK(m.enabled == 1);
        CHILD_CHECK(m.events[EV_METRICS_IO] == 2);
        CHILD_CHECK(m.iterations > parent.iterations);
        CHILD_CHECK(m.elapsed >= parent.elapsed);
        CHILD_CHECK(m.idle >= parent.idle && m.idle <= m.elapsed);
        CHILD_CHECK(m.idle + m.busy == m.elapsed);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "failed check at a line ending in " << WEXITSTATUS(status) - 100;
    ev_io_stop(loop, &io);
}

void CleanupCb(struct ev_loop *loop, ev_cleanup *w, int)
{
    struct ev_metrics m;
    ev_metrics_get(loop, &m, sizeof m);
    *(uint64_t *)w->data = m.events[EV_METRICS_CLEANUP];
}

TEST_P(MetricsTest, CleanupCounted)
{
    ev_metrics_enable(loop, 1);
    uint64_t seen = 0;
    ev_cleanup cl;
    ev_cleanup_init(&cl, CleanupCb);
    cl.data = &seen;
    ev_cleanup_start(loop, &cl);
    StopDeadline();
    ev_loop_destroy(loop);
    loop = nullptr;
    EXPECT_EQ(seen, 1u);
}

EV_ALL_BACKENDS(MetricsTest);

TEST(Metrics, DefaultLoopFromEnvironment)
{
    ASSERT_EQ(ev_default_loop_ptr, nullptr);
    setenv("LIBEV_METRICS", "1", 1);
    struct ev_loop *loop = ev_default_loop(0);
    ASSERT_NE(loop, nullptr);
    EXPECT_TRUE(ev_metrics_enabled(loop));
    ev_loop_destroy(loop);
    loop = ev_default_loop(EVFLAG_NOENV);
    EXPECT_FALSE(ev_metrics_enabled(loop));
    ev_loop_destroy(loop);
    setenv("LIBEV_METRICS", "0", 1);
    loop = ev_default_loop(0);
    EXPECT_FALSE(ev_metrics_enabled(loop));
    ev_loop_destroy(loop);
    unsetenv("LIBEV_METRICS");
    loop = ev_loop_new(0); /* only the default loop reads it */
    setenv("LIBEV_METRICS", "1", 1);
    ev_loop_destroy(loop);
    loop = ev_loop_new(0);
    EXPECT_FALSE(ev_metrics_enabled(loop));
    ev_loop_destroy(loop);
    unsetenv("LIBEV_METRICS");
}

TEST(Metrics, TypeNames)
{
    EXPECT_STREQ(ev_metrics_type_name(EV_METRICS_IO), "io");
    EXPECT_STREQ(ev_metrics_type_name(EV_METRICS_CLEANUP), "cleanup");
    EXPECT_STREQ(ev_metrics_type_name(EV_METRICS_CUSTOM), "custom");
    EXPECT_EQ(ev_metrics_type_name(EV_METRICS_NTYPES), nullptr);
    EXPECT_EQ(ev_metrics_type_name(-1), nullptr);
}

TEST(Metrics, PrometheusText)
{
    struct ev_metrics ms[2];
    memset(ms, 0, sizeof ms);
    ms[0].elapsed = 2.;
    ms[0].idle = 1.5;
    ms[0].busy = 0.5;
    ms[0].iterations = 7;
    ms[0].events[EV_METRICS_IO] = 3;
    ms[1].lag_count = 4;
    ms[1].lag_sum = 0.25;
    const char *labels[2] = {"worker=\"0\"", "worker=\"1\""};
    size_t need = ev_metrics_prometheus(nullptr, 0, ms, labels, 2);
    std::string text(need + 1, '\0');
    EXPECT_EQ(ev_metrics_prometheus(&text[0], text.size(), ms, labels, 2), need);
    text.resize(need);
    EXPECT_NE(text.find("# TYPE ev_loop_idle_seconds_total counter\n"), std::string::npos);
    EXPECT_NE(text.find("ev_loop_idle_seconds_total{worker=\"0\"} 1.5\n"), std::string::npos);
    EXPECT_NE(text.find("ev_loop_utilization{worker=\"0\"} 0.25\n"), std::string::npos);
    EXPECT_NE(text.find("ev_loop_iterations_total{worker=\"0\"} 7\n"), std::string::npos);
    EXPECT_NE(text.find("ev_loop_events_total{worker=\"0\",type=\"io\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("ev_loop_lag_seconds_count{worker=\"1\"} 4\n"), std::string::npos);
    EXPECT_NE(text.find("ev_loop_lag_seconds_sum{worker=\"1\"} 0.25\n"), std::string::npos);
    /* each family's TYPE line once */
    size_t first = text.find("# TYPE ev_loop_events_total");
    EXPECT_EQ(text.find("# TYPE ev_loop_events_total", first + 1), std::string::npos);
    /* truncated: NUL-terminated, same length reported */
    char small[32];
    EXPECT_EQ(ev_metrics_prometheus(small, sizeof small, ms, labels, 2), need);
    EXPECT_EQ(strlen(small), sizeof small - 1);
    /* no labels */
    need = ev_metrics_prometheus(nullptr, 0, ms, nullptr, 1);
    text.assign(need + 1, '\0');
    ev_metrics_prometheus(&text[0], text.size(), ms, nullptr, 1);
    EXPECT_NE(text.find("ev_loop_iterations_total 7\n"), std::string::npos);
    EXPECT_NE(text.find("ev_loop_events_total{type=\"io\"} 3\n"), std::string::npos);
}

} // namespace

namespace {

/* The documented locking rule: another thread reads a loop's metrics while holding the mutex that
 * the loop's release/acquire callbacks drop and retake around the poll. While the loop is blocked,
 * the time it has been blocked counts as idle. (Run under TSan in CI.) */
struct Locked {
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    ev_async stop;
    bool stopping = false;
};

void ReleaseCb(struct ev_loop *loop)
{
    pthread_mutex_unlock(&static_cast<Locked *>(ev_userdata(loop))->mu);
}
void AcquireCb(struct ev_loop *loop)
{
    pthread_mutex_lock(&static_cast<Locked *>(ev_userdata(loop))->mu);
}

TEST(Metrics, ReadFromAnotherThreadUnderTheLoopLock)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(loop, nullptr);
    Locked l;
    ev_set_userdata(loop, &l);
    ev_set_loop_release_cb(loop, ReleaseCb, AcquireCb);
    ev_metrics_enable(loop, 1);
    ev_async_init(&l.stop, [](struct ev_loop *lp, ev_async *w, int) { ev_async_stop(lp, w); });
    ev_async_start(loop, &l.stop);
    pthread_t t;
    ASSERT_EQ(pthread_create(
                  &t, nullptr,
                  [](void *arg) -> void * {
                      auto *lp = static_cast<struct ev_loop *>(arg);
                      auto *lk = static_cast<Locked *>(ev_userdata(lp));
                      pthread_mutex_lock(&lk->mu);
                      ev_run(lp, 0); /* blocks until the async watcher stops */
                      pthread_mutex_unlock(&lk->mu);
                      return nullptr;
                  },
                  loop),
              0);
    double last_idle = -1.;
    uint64_t polls = 0;
    for (int i = 0; i < 5000 && (i < 20 || polls == 0); ++i) { /* until the loop has polled */
        pthread_mutex_lock(&l.mu);
        struct ev_metrics m;
        ev_metrics_get(loop, &m, sizeof m);
        pthread_mutex_unlock(&l.mu);
        EXPECT_EQ(m.enabled, 1);
        EXPECT_NEAR(m.idle + m.busy, m.elapsed, 1e-9);
        EXPECT_GE(m.idle, last_idle); /* grows while the loop is blocked */
        last_idle = m.idle;
        polls = m.iterations;
        usleep(2000);
    }
    EXPECT_GE(polls, 1u);
    EXPECT_GT(last_idle, 0.);
    ev_async_send(loop, &l.stop);
    pthread_join(t, nullptr);
    struct ev_metrics m;
    ev_metrics_get(loop, &m, sizeof m);
    EXPECT_EQ(m.events[EV_METRICS_ASYNC], 1u);
    EXPECT_GE(m.idle, last_idle);
    ev_loop_destroy(loop);
}

} // namespace
