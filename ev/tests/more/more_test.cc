// Checklist items and library paths no other suite reaches (issue #9): the io
// and timeout collect intervals (never a wait for an expired timer, never past
// a timer's expiry), feeding a never-started watcher with an out-of-range
// priority, a periodic whose N is beyond 2^52, and a fork with a signalfd and
// a timerfd in use. On every backend.
#include "ev/tests/test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace {

class MoreTest : public evtest::LoopTest {};

void CountTimer(struct ev_loop *, ev_timer *w, int)
{
    ++*static_cast<int *>(w->data);
}

// Collect intervals make the loop sleep longer to batch events, but an
// expired timer must still make the backend wait 0. The margins are huge
// (a 5 s interval against "well under 4 s"), so load cannot flip the result.
TEST_P(MoreTest, ExpiredTimerWaitsZeroDespiteCollectIntervals)
{
    ev_set_io_collect_interval(loop, 5.);
    ev_set_timeout_collect_interval(loop, 5.);
    int fired = 0;
    ev_timer t;
    ev_timer_init(&t, CountTimer, 0., 0.);
    t.data = &fired;
    ev_timer_start(loop, &t);
    double t0 = ev_time();
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(fired, 1);
    EXPECT_LT(ev_time() - t0, 4.) << "an expired timer waited for a collect interval";
}

// The io collect sleep is cut at the next timer's expiry.
TEST_P(MoreTest, IoCollectIntervalNeverDelaysPastTimerExpiry)
{
    ev_set_io_collect_interval(loop, 5.);
    int fired = 0;
    ev_timer t;
    ev_timer_init(&t, CountTimer, 0.05, 0.);
    t.data = &fired;
    double start = ev_now(loop), t0 = ev_time(); // the timer counts from ev_now
    ev_timer_start(loop, &t);
    EXPECT_TRUE(RunUntil([&] { return fired == 1; }));
    ev_now_update(loop);
    EXPECT_GE(ev_now(loop) - start, 0.05 - 1e-6) << "fired early";
    EXPECT_LT(ev_time() - t0, 4.) << "waited for the io collect interval";
}

// io is still delivered with a collect interval (it only batches).
TEST_P(MoreTest, IoCollectIntervalStillDeliversIo)
{
    ev_set_io_collect_interval(loop, 0.01);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    int reads = 0;
    ev_io w;
    ev_io_init(
        &w,
        [](struct ev_loop *l, ev_io *io, int revents) {
            char c;
            if ((revents & EV_READ) && read(io->fd, &c, 1) == 1)
                ++*static_cast<int *>(io->data);
            ev_io_stop(l, io);
        },
        p[0], EV_READ);
    w.data = &reads;
    ev_io_start(loop, &w);
    ASSERT_EQ(write(p[1], "x", 1), 1);
    EXPECT_TRUE(RunUntil([&] { return reads == 1; }));
    close(p[0]);
    close(p[1]);
}

// A timeout collect interval may delay a timer (batching), never advance it.
TEST_P(MoreTest, TimeoutCollectIntervalNeverEarly)
{
    ev_set_timeout_collect_interval(loop, 0.02);
    int fired = 0;
    ev_timer t;
    ev_timer_init(&t, CountTimer, 0.001, 0.);
    t.data = &fired;
    ev_timer_start(loop, &t);
    double start = ev_now(loop);
    EXPECT_TRUE(RunUntil([&] { return fired == 1; }));
    EXPECT_GE(ev_now(loop) - start, 0.001 - 1e-6);
}

// ev_feed_event on a watcher that was never started, whose priority is out of
// range: it is clamped (as ev_*_start would) and the callback runs.
TEST_P(MoreTest, FeedUnstartedWatcherWithOutOfRangePriority)
{
    int hi = 0, lo = 0;
    ev_timer a, b;
    ev_timer_init(&a, CountTimer, 1., 0.);
    ev_timer_init(&b, CountTimer, 1., 0.);
    a.data = &hi;
    b.data = &lo;
    ev_set_priority(&a, 42);
    ev_set_priority(&b, -42);
    ev_feed_event(loop, &a, EV_TIMER);
    ev_feed_event(loop, &b, EV_TIMER);
    EXPECT_EQ(ev_priority(&a), EV_MAXPRI);
    EXPECT_EQ(ev_priority(&b), EV_MINPRI);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(hi, 1);
    EXPECT_EQ(lo, 1);
}

// offset + N * interval with N beyond 2^52 (offset 10^12 s in the past,
// interval 1/8192 s): the next time is still after now, within one interval
// or so, and the watcher fires.
TEST_P(MoreTest, PeriodicWithHugeMultipleStaysExact)
{
    int fired = 0;
    ev_periodic p;
    ev_periodic_init(
        &p,
        [](struct ev_loop *l, ev_periodic *w, int) {
            ++*static_cast<int *>(w->data);
            ev_periodic_stop(l, w);
        },
        -1e12, 1. / 8192., nullptr);
    p.data = &fired;
    ev_periodic_start(loop, &p);
    double at = ev_periodic_at(&p);
    EXPECT_GT(at, ev_now(loop));
    EXPECT_LT(at, ev_now(loop) + 1.);
    EXPECT_TRUE(RunUntil([&] { return fired == 1; }));
}

// ev_loop_fork with a signalfd (EVFLAG_SIGNALFD) and a timerfd (a periodic
// is active) in use: the child's loop gets its own, and a signal and the
// periodic reach it; the parent's loop still gets its signals.
class MoreSignalFdTest : public evtest::LoopTest {
  protected:
    unsigned ExtraFlags() const override { return EVFLAG_SIGNALFD; }
};

struct ForkState {
    int sigs = 0, ticks = 0;
};

TEST_P(MoreSignalFdTest, ForkRecreatesSignalFdAndTimerfd)
{
    ForkState st;
    ev_signal s;
    ev_signal_init(
        &s, [](struct ev_loop *, ev_signal *w, int) { ++static_cast<ForkState *>(w->data)->sigs; },
        SIGUSR1);
    s.data = &st;
    ev_signal_start(loop, &s);
    ev_periodic p;
    ev_periodic_init(
        &p,
        [](struct ev_loop *, ev_periodic *w, int) { ++static_cast<ForkState *>(w->data)->ticks; },
        0., 0.002, nullptr);
    p.data = &st;
    ev_periodic_start(loop, &p);
    ev_run(loop, EVRUN_NOWAIT);
    fflush(nullptr);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ev_loop_fork(loop);
        st = ForkState();
        raise(SIGUSR1);
        double end = ev_time() + 20.;
        while ((st.sigs < 1 || st.ticks < 2) && ev_time() < end)
            ev_run(loop, EVRUN_ONCE);
        _exit(st.sigs >= 1 && st.ticks >= 2 ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    raise(SIGUSR1);
    EXPECT_TRUE(RunUntil([&] { return st.sigs >= 1 && st.ticks >= 1; }));
    ev_signal_stop(loop, &s);
    ev_periodic_stop(loop, &p);
}

// ---- fault injection by real signals and fds ------------------------------

std::string *g_syserr;
void RecordSyserr(const char *msg) noexcept
{
    *g_syserr = msg;
}
volatile sig_atomic_t g_alarms;
void OnAlarm(int)
{
    ++g_alarms;
}

// EINTR from the backend's wait (a SIGALRM handler without SA_RESTART,
// installed by the test, not by ev, interrupting it every 5 ms) is retried
// silently: no syserr, and the timer fires once, not early.
TEST_P(MoreTest, EintrFromWaitIsRetriedSilently)
{
    std::string msg;
    g_syserr = &msg;
    ev_set_syserr_cb(RecordSyserr);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnAlarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: the wait call fails with EINTR
    ASSERT_EQ(sigaction(SIGALRM, &sa, &old), 0);
    g_alarms = 0;
    struct itimerval it = {{0, 5000}, {0, 5000}}, off = {{0, 0}, {0, 0}};
    int fired = 0;
    ev_timer t;
    ev_timer_init(&t, CountTimer, 0.2, 0.);
    t.data = &fired;
    ev_timer_start(loop, &t);
    double start = ev_now(loop);
    ASSERT_EQ(setitimer(ITIMER_REAL, &it, nullptr), 0);
    while (fired == 0 && !timed_out)
        ev_run(loop, EVRUN_ONCE);
    setitimer(ITIMER_REAL, &off, nullptr);
    sigaction(SIGALRM, &old, nullptr);
    ev_set_syserr_cb(nullptr);
    EXPECT_EQ(fired, 1);
    EXPECT_GE(ev_now(loop) - start, 0.2 - 1e-6);
    EXPECT_GT(g_alarms, 0) << "no signal interrupted the wait";
    EXPECT_EQ(msg, "") << "EINTR reached the syserr callback";
}

// ev's own signal handlers use SA_RESTART (without EVFLAG_SIGNALFD).
TEST_P(MoreTest, SignalHandlersUseSaRestart)
{
    ev_signal s;
    ev_signal_init(
        &s, [](struct ev_loop *, ev_signal *, int) {}, SIGUSR2);
    ev_signal_start(loop, &s);
    struct sigaction cur;
    ASSERT_EQ(sigaction(SIGUSR2, nullptr, &cur), 0);
    EXPECT_TRUE(cur.sa_flags & SA_RESTART);
    EXPECT_TRUE((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL);
    ev_signal_stop(loop, &s);
}

// An unrecoverable error of the wait call goes to the syserr callback: the
// epoll fd is replaced behind the loop's back by a non-epoll fd (EINVAL).
TEST_P(MoreTest, WaitErrorGoesToSyserrCallback)
{
    if (GetParam() != EVBACKEND_EPOLL)
        GTEST_SKIP() << "epoll only: its fd can be found and replaced";
    int epfd = -1, n = 0;
    DIR *d = opendir("/proc/self/fd");
    ASSERT_NE(d, nullptr);
    while (struct dirent *e = readdir(d)) {
        char path[300], target[128];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len > 0) {
            target[len] = 0;
            if (!strcmp(target, "anon_inode:[eventpoll]")) {
                epfd = atoi(e->d_name);
                ++n;
            }
        }
    }
    closedir(d);
    if (n != 1)
        GTEST_SKIP() << n << " epoll instances in this process";
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(null, 0);
    ASSERT_EQ(dup3(null, epfd, O_CLOEXEC), epfd);
    close(null);
    std::string msg;
    g_syserr = &msg;
    ev_set_syserr_cb(RecordSyserr);
    ev_run(loop, EVRUN_NOWAIT);
    ev_set_syserr_cb(nullptr);
    EXPECT_NE(msg.find("epoll_wait"), std::string::npos) << "syserr: '" << msg << "'";
}

// ev_verify notices a watcher whose memory was overwritten while active (as
// after a free and reuse) and aborts.
using MoreDeathTest = MoreTest;
TEST_P(MoreDeathTest, VerifyCatchesOverwrittenActiveWatcher)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    ev_timer t[3];
    for (ev_timer &x : t) {
        ev_timer_init(&x, CountTimer, 10., 0.);
        ev_timer_start(loop, &x);
    }
    ev_verify(loop);
    EXPECT_DEATH(
        {
            memset(&t[1], 0x5a, sizeof t[1]); // "freed and reused"
            ev_verify(loop);
        },
        "");
    for (ev_timer &x : t)
        ev_timer_stop(loop, &x);
}

EV_ALL_BACKENDS(MoreTest);
EV_ALL_BACKENDS(MoreDeathTest);
EV_ALL_BACKENDS(MoreSignalFdTest);

} // namespace
