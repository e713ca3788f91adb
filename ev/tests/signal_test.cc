/*
 * signal_test.cc - ev_signal on every backend, once with handlers (the
 * default) and once with EVFLAG_SIGNALFD: delivery of signals raised before
 * ev_run or inside callbacks, several watchers per signal, one owner loop per
 * signal, the disposition and mask left behind, no fd leaks, ev_feed_signal
 * from another thread, and the misuse aborts.
 */
#include "test_util.h"

#include <dirent.h>
#include <signal.h>
#include <string.h>

#include <atomic>
#include <thread>

namespace {

int CountOpenFds()
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (struct dirent *e = readdir(d))
        if (e->d_name[0] != '.')
            ++n;
    closedir(d);
    return n;
}

bool IsBlocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, nullptr, &cur);
    return sigismember(&cur, sig) == 1;
}

bool HasDefaultDisposition(int sig)
{
    struct sigaction old;
    sigaction(sig, nullptr, &old);
    return !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL;
}

/* A watcher that counts its calls. */
struct Counted {
    ev_signal w;
    int calls = 0;
    int revents = 0;
    void (*also)(struct ev_loop *, Counted *) = nullptr;

    static void Cb(struct ev_loop *l, ev_signal *w, int revents)
    {
        auto *self = reinterpret_cast<Counted *>(w);
        ++self->calls;
        self->revents |= revents;
        if (self->also)
            self->also(l, self);
    }
    void Init(int sig) { ev_signal_init(&w, &Counted::Cb, sig); }
};

/* A second loop with its own (unreferenced) deadline, for ownership tests. */
struct OtherLoop {
    struct ev_loop *loop;
    ev_timer deadline;

    explicit OtherLoop(unsigned flags) : loop(ev_loop_new(flags))
    {
        ev_timer_init(
            &deadline, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ALL); }, 10.,
            0.);
        if (loop) {
            ev_timer_start(loop, &deadline);
            ev_unref(loop);
        }
    }
    ~OtherLoop()
    {
        if (loop)
            ev_loop_destroy(loop);
    }
    template <class Pred> bool RunUntil(Pred pred)
    {
        while (!pred() && ev_is_active(&deadline)) {
            ev_ref(loop);
            ev_run(loop, EVRUN_ONCE);
            ev_unref(loop);
        }
        return pred();
    }
};

class SignalBase : public evtest::LoopTest {
  protected:
    unsigned Flags() const { return EVFLAG_NOENV | GetParam() | ExtraFlags(); }
    bool SignalFd() const { return ExtraFlags() & EVFLAG_SIGNALFD; }

    void RaiseBeforeRunDelivered()
    {
        Counted c;
        c.Init(SIGUSR1);
        ev_signal_start(loop, &c.w);
        raise(SIGUSR1);
        EXPECT_EQ(c.calls, 0); /* only ever from inside ev_run */
        ASSERT_TRUE(RunUntil([&] { return c.calls > 0; }));
        EXPECT_EQ(c.calls, 1);
        EXPECT_EQ(c.revents, EV_SIGNAL);
        EXPECT_TRUE(ev_is_active(&c.w)); /* signal watchers are never auto-stopped */
        ev_signal_stop(loop, &c.w);
    }

    void AllWatchersOfOneSignalRun()
    {
        Counted c[5];
        for (auto &x : c) {
            x.Init(SIGUSR1);
            ev_signal_start(loop, &x.w);
            EXPECT_EQ(ev_is_active(&x.w), 1);
        }
        /* Bursts coalesce to at least one call each. */
        raise(SIGUSR1);
        raise(SIGUSR1);
        ASSERT_TRUE(RunUntil([&] {
            for (auto &x : c)
                if (!x.calls)
                    return false;
            return true;
        }));
        for (auto &x : c) {
            EXPECT_GE(x.calls, 1);
            ev_signal_stop(loop, &x.w);
        }
    }

    void SignalDuringCallbackNotLost()
    {
        Counted a, b;
        a.Init(SIGUSR1);
        b.Init(SIGUSR2);
        /* a's first call raises both its own signal and another one. */
        a.also = [](struct ev_loop *, Counted *self) {
            if (self->calls == 1) {
                raise(SIGUSR2);
                raise(SIGUSR1);
            }
        };
        ev_signal_start(loop, &a.w);
        ev_signal_start(loop, &b.w);
        raise(SIGUSR1);
        ASSERT_TRUE(RunUntil([&] { return a.calls >= 2 && b.calls >= 1; }))
            << "a=" << a.calls << " b=" << b.calls;
        EXPECT_EQ(a.calls, 2);
        EXPECT_EQ(b.calls, 1);
        ev_signal_stop(loop, &a.w);
        ev_signal_stop(loop, &b.w);
    }

    void OtherSignalsInOtherLoops()
    {
        OtherLoop other(Flags());
        ASSERT_NE(other.loop, nullptr);
        Counted mine, theirs;
        mine.Init(SIGUSR1);
        theirs.Init(SIGUSR2);
        ev_signal_start(loop, &mine.w);
        ev_signal_start(other.loop, &theirs.w);
        raise(SIGUSR1);
        raise(SIGUSR2);
        ASSERT_TRUE(RunUntil([&] { return mine.calls > 0; }));
        ASSERT_TRUE(other.RunUntil([&] { return theirs.calls > 0; }));
        EXPECT_EQ(mine.calls, 1);
        EXPECT_EQ(theirs.calls, 1);

        /* Once the first loop lets go of SIGUSR1, the other may take it. */
        ev_signal_stop(loop, &mine.w);
        Counted moved;
        moved.Init(SIGUSR1);
        ev_signal_start(other.loop, &moved.w);
        raise(SIGUSR1);
        ASSERT_TRUE(other.RunUntil([&] { return moved.calls > 0; }));
        EXPECT_EQ(mine.calls, 1);
        ev_signal_stop(other.loop, &moved.w);
        ev_signal_stop(other.loop, &theirs.w);
    }

    void StoppedWatcherNeverFires()
    {
        Counted keep, gone, fed;
        keep.Init(SIGUSR1);
        gone.Init(SIGUSR1);
        fed.Init(SIGUSR1);
        ev_signal_start(loop, &keep.w);
        ev_signal_start(loop, &gone.w);
        ev_signal_start(loop, &fed.w);
        if (!SignalFd()) {
            EXPECT_FALSE(HasDefaultDisposition(SIGUSR1));
        }
        /* Queued, then stopped before it runs: never invoked. */
        ev_feed_signal_event(loop, SIGUSR1);
        EXPECT_TRUE(ev_is_pending(&fed.w));
        ev_signal_stop(loop, &fed.w);
        EXPECT_FALSE(ev_is_pending(&fed.w));
        /* Stopped after the signal arrived but before the loop looked. */
        raise(SIGUSR1);
        ev_signal_stop(loop, &gone.w);
        ASSERT_TRUE(RunUntil([&] { return keep.calls >= 2; }));
        EXPECT_EQ(gone.calls, 0);
        EXPECT_EQ(fed.calls, 0);
        /* Stopping twice is harmless; the last stop restores SIG_DFL. */
        ev_signal_stop(loop, &gone.w);
        ev_signal_stop(loop, &keep.w);
        EXPECT_TRUE(HasDefaultDisposition(SIGUSR1));
        EXPECT_FALSE(IsBlocked(SIGUSR1));
    }

    void StopWithSignalStillQueuedDoesNotKill()
    {
        /* signalfd mode: the signal waits blocked in the kernel; unblocking
         * it on stop must not hand it to SIG_DFL (which would terminate). */
        Counted c;
        c.Init(SIGUSR2);
        ev_signal_start(loop, &c.w);
        raise(SIGUSR2);
        ev_signal_stop(loop, &c.w);
        EXPECT_TRUE(HasDefaultDisposition(SIGUSR2));
        EXPECT_FALSE(IsBlocked(SIGUSR2));
        /* A new watcher does not see the old, stale signal. */
        Counted later, tick;
        later.Init(SIGUSR2);
        tick.Init(SIGUSR1);
        ev_signal_start(loop, &later.w);
        ev_signal_start(loop, &tick.w);
        raise(SIGUSR1);
        ASSERT_TRUE(RunUntil([&] { return tick.calls > 0; }));
        EXPECT_EQ(later.calls, 0);
        ev_signal_stop(loop, &later.w);
        ev_signal_stop(loop, &tick.w);
    }

    void MaskOnlyBlockedWhileSignalFdWatches()
    {
        ASSERT_FALSE(IsBlocked(SIGUSR1));
        Counted c;
        c.Init(SIGUSR1);
        ev_signal_start(loop, &c.w);
        /* Exec'd children inherit the mask: only signalfd mode blocks. */
        EXPECT_EQ(IsBlocked(SIGUSR1), SignalFd());
        ev_signal_stop(loop, &c.w);
        EXPECT_FALSE(IsBlocked(SIGUSR1));
    }

    void DestroyClosesEverything()
    {
        int before = CountOpenFds();
        ASSERT_GT(before, 0);
        {
            OtherLoop other(Flags());
            ASSERT_NE(other.loop, nullptr);
            Counted c;
            c.Init(SIGUSR2);
            ev_signal_start(other.loop, &c.w);
            raise(SIGUSR2);
            ASSERT_TRUE(other.RunUntil([&] { return c.calls > 0; }));
            /* Destroyed with the watcher still active. */
        }
        EXPECT_EQ(CountOpenFds(), before);
        EXPECT_TRUE(HasDefaultDisposition(SIGUSR2));
        EXPECT_FALSE(IsBlocked(SIGUSR2));
        /* The signal is free again for any loop. */
        Counted again;
        again.Init(SIGUSR2);
        ev_signal_start(loop, &again.w);
        raise(SIGUSR2);
        ASSERT_TRUE(RunUntil([&] { return again.calls > 0; }));
        ev_signal_stop(loop, &again.w);
    }

    void FeedSignalFromThread()
    {
        /* Also under qemu-aarch64, which without the loop's explicit fence between the
         * handshake's store and load (EV__STORE_LOAD_FENCE) lost a wake-up about once in three
         * runs. */
        OtherLoop other(Flags() | EVFLAG_NOSIGMASK);
        ASSERT_NE(other.loop, nullptr);
        std::atomic<int> calls{0};
        ev_signal w;
        ev_signal_init(
            &w,
            [](struct ev_loop *l, ev_signal *, int) {
                ++*static_cast<std::atomic<int> *>(ev_userdata(l));
            },
            SIGUSR1);
        ev_set_userdata(other.loop, &calls);
        ev_signal_start(other.loop, &w);
        EXPECT_FALSE(IsBlocked(SIGUSR1)); /* NOSIGMASK: mask untouched */
        constexpr int kRounds = 200;
        std::atomic<bool> stop{false};
        std::thread feeder([&] {
            /* Each feed waits for the previous one to be delivered, so a lost
             * wake-up shows as a missing call (and the deadline). */
            for (int i = 0; i < kRounds && !stop; ++i) {
                ev_feed_signal(SIGUSR1);
                while (calls.load() <= i && !stop)
                    std::this_thread::yield();
            }
        });
        bool ok = other.RunUntil([&] { return calls.load() >= kRounds; });
        stop = true;
        feeder.join();
        EXPECT_TRUE(ok) << calls.load();
        EXPECT_EQ(calls.load(), kRounds);
        ev_signal_stop(other.loop, &w);
        /* Nobody watches it now: ignored. */
        ev_feed_signal(SIGUSR1);
        ev_feed_signal(0);
        ev_feed_signal(65);
    }

    void FeedSignalEventQueuesAll()
    {
        Counted a, b;
        a.Init(SIGUSR1);
        b.Init(SIGUSR1);
        ev_signal_start(loop, &a.w);
        ev_signal_start(loop, &b.w);
        ev_feed_signal_event(loop, SIGUSR1);
        EXPECT_EQ(ev_pending_count(loop), 2u);
        ev_feed_signal_event(loop, SIGUSR2); /* not watched here: nothing */
        ev_feed_signal_event(loop, 0);
        ev_feed_signal_event(loop, 65);
        EXPECT_EQ(ev_pending_count(loop), 2u);
        ev_invoke_pending(loop);
        EXPECT_EQ(a.calls, 1);
        EXPECT_EQ(b.calls, 1);
        ev_signal_stop(loop, &a.w);
        ev_signal_stop(loop, &b.w);
    }

    void HighestSignalAccepted()
    {
        /* 1..64 on Linux, like libev's EV_NSIG of 65. */
        Counted c;
        c.Init(64);
        ev_signal_start(loop, &c.w);
        ev_feed_signal(64);
        ASSERT_TRUE(RunUntil([&] { return c.calls > 0; }));
        ev_signal_stop(loop, &c.w);
        EXPECT_TRUE(HasDefaultDisposition(64));
    }

    void SameSignalTwoLoopsDies()
    {
        GTEST_FLAG_SET(death_test_style, "threadsafe");
        EXPECT_DEATH(
            StartInTwoLoops(),
            "libev: ev_signal_start: a signal must not be attached to two different loops");
    }

    void StartInTwoLoops()
    {
        struct ev_loop *other = ev_loop_new(Flags());
        Counted a, b;
        a.Init(SIGUSR1);
        b.Init(SIGUSR1);
        ev_signal_start(loop, &a.w);
        ev_signal_start(other, &b.w);
    }

    void BadSignumDies()
    {
        GTEST_FLAG_SET(death_test_style, "threadsafe");
        Counted c;
        c.Init(0);
        EXPECT_DEATH(ev_signal_start(loop, &c.w), "libev: ev_signal_start: illegal signal number");
        c.Init(65);
        EXPECT_DEATH(ev_signal_start(loop, &c.w), "libev: ev_signal_start: illegal signal number");
        c.Init(-1);
        EXPECT_DEATH(ev_signal_start(loop, &c.w), "libev: ev_signal_start: illegal signal number");
    }
};

class SignalTest : public SignalBase {};

class SignalFdTest : public SignalBase {
  protected:
    unsigned ExtraFlags() const override { return EVFLAG_SIGNALFD; }
};

#define SIGNAL_TEST(Name)                                                                          \
    TEST_P(SignalTest, Name)                                                                       \
    {                                                                                              \
        Name();                                                                                    \
    }                                                                                              \
    TEST_P(SignalFdTest, Name)                                                                     \
    {                                                                                              \
        Name();                                                                                    \
    }

SIGNAL_TEST(RaiseBeforeRunDelivered)
SIGNAL_TEST(AllWatchersOfOneSignalRun)
SIGNAL_TEST(SignalDuringCallbackNotLost)
SIGNAL_TEST(OtherSignalsInOtherLoops)
SIGNAL_TEST(StoppedWatcherNeverFires)
SIGNAL_TEST(StopWithSignalStillQueuedDoesNotKill)
SIGNAL_TEST(MaskOnlyBlockedWhileSignalFdWatches)
SIGNAL_TEST(DestroyClosesEverything)
SIGNAL_TEST(FeedSignalFromThread)
SIGNAL_TEST(FeedSignalEventQueuesAll)
SIGNAL_TEST(HighestSignalAccepted)
SIGNAL_TEST(SameSignalTwoLoopsDies)
SIGNAL_TEST(BadSignumDies)

EV_ALL_BACKENDS(SignalTest);
EV_ALL_BACKENDS(SignalFdTest);

} // namespace
