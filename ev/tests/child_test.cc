/*
 * child_test.cc - ev_child in the default loop, on every backend, with the
 * SIGCHLD handler and with EVFLAG_SIGNALFD: a child that died before its
 * watcher started, pid 0, the trace flag, 50 children exiting together,
 * unwatched children reaped, the default-loop-only rule, and SIGCHLD handling
 * across the destruction of non-default and default loops. Forked children
 * only ever _exit (or wait to be killed): they never run gtest code.
 */
#include "test_util.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

namespace {

/* The default loop is process-wide, so this fixture makes its own instead of
 * the LoopTest's ev_loop_new, and destroys it after each test. */
class ChildBase : public ::testing::TestWithParam<unsigned> {
  protected:
    struct ev_loop *loop = nullptr;
    ev_timer deadline_{};
    bool timed_out = false;

    virtual unsigned ExtraFlags() const { return 0; }
    unsigned Flags() const { return EVFLAG_NOENV | GetParam() | ExtraFlags(); }
    bool SignalFd() const { return ExtraFlags() & EVFLAG_SIGNALFD; }

    void SetUp() override
    {
        ASSERT_EQ(ev_default_loop_ptr, nullptr);
        MakeLoop();
    }

    void TearDown() override
    {
        if (loop)
            ev_loop_destroy(loop);
        loop = nullptr;
        /* Nothing may be left for the next test. */
        while (waitpid(-1, nullptr, WNOHANG) > 0)
            ;
    }

    void MakeLoop()
    {
        timed_out = false;
        loop = ev_default_loop(Flags());
        ASSERT_NE(loop, nullptr);
        ASSERT_EQ(ev_backend(loop), GetParam());
        ev_set_userdata(loop, this);
        ev_timer_init(&deadline_, &ChildBase::DeadlineCb, 10., 0.);
        ev_timer_start(loop, &deadline_);
        ev_unref(loop);
    }

    template <class Pred> bool RunUntil(Pred pred)
    {
        while (!pred() && !timed_out) {
            ev_ref(loop);
            ev_run(loop, EVRUN_ONCE);
            ev_unref(loop);
        }
        return pred();
    }

    static void DeadlineCb(struct ev_loop *l, ev_timer *, int)
    {
        static_cast<ChildBase *>(ev_userdata(l))->timed_out = true;
        ev_ref(l);
        ev_break(l, EVBREAK_ALL);
    }

    /* A child that exits with `code` at once. */
    static pid_t SpawnExit(int code)
    {
        pid_t pid = fork();
        if (pid == 0)
            _exit(code);
        return pid;
    }

    /* Blocks until pid is dead, without reaping it. */
    static void AwaitDeath(pid_t pid)
    {
        siginfo_t info;
        while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
            ;
    }

    static bool SigchldCaught()
    {
        struct sigaction old;
        sigaction(SIGCHLD, nullptr, &old);
        return (old.sa_flags & SA_SIGINFO) ||
               (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN);
    }

    static bool SigchldBlocked()
    {
        sigset_t cur;
        sigprocmask(SIG_BLOCK, nullptr, &cur);
        return sigismember(&cur, SIGCHLD) == 1;
    }

    /* SIGCHLD reaches the default loop: by handler, or blocked for the signalfd. */
    bool SigchldHandled() const { return SignalFd() ? SigchldBlocked() : SigchldCaught(); }

    struct Seen {
        ev_child w;
        int calls = 0;
        int rpid = 0;
        int rstatus = 0;
        int revents = 0;
        std::map<int, int> all; /* rpid -> rstatus */

        static void Cb(struct ev_loop *, ev_child *w, int revents)
        {
            auto *self = reinterpret_cast<Seen *>(w);
            ++self->calls;
            self->rpid = w->rpid;
            self->rstatus = w->rstatus;
            self->revents |= revents;
            self->all[w->rpid] = w->rstatus;
        }
        void Init(pid_t pid, int trace) { ev_child_init(&w, &Seen::Cb, pid, trace); }
    };

    void ExitedBeforeWatcherStartIsReported()
    {
        pid_t pid = SpawnExit(3);
        ASSERT_GT(pid, 0);
        AwaitDeath(pid); /* SIGCHLD is now pending for the loop */
        Seen s;
        s.Init(pid, 0);
        ev_child_start(loop, &s.w);
        ASSERT_TRUE(RunUntil([&] { return s.calls > 0; }));
        EXPECT_EQ(s.calls, 1);
        EXPECT_EQ(s.rpid, pid);
        EXPECT_EQ(s.revents, EV_CHILD);
        ASSERT_TRUE(WIFEXITED(s.rstatus));
        EXPECT_EQ(WEXITSTATUS(s.rstatus), 3);
        /* Never auto-stopped; fed at the highest priority, as libev does. */
        EXPECT_TRUE(ev_is_active(&s.w));
        EXPECT_EQ(ev_priority(&s.w), EV_MAXPRI);
        ev_child_stop(loop, &s.w);
        ev_child_stop(loop, &s.w); /* twice: harmless */
        EXPECT_FALSE(ev_is_active(&s.w));
        /* Reaped by the loop. */
        EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
    }

    void PidZeroMeansAnyChild()
    {
        Seen any, other;
        any.Init(0, 0);
        other.Init(1, 0); /* init is never our child */
        ev_child_start(loop, &any.w);
        ev_child_start(loop, &other.w);
        pid_t pid = SpawnExit(5);
        ASSERT_GT(pid, 0);
        ASSERT_TRUE(RunUntil([&] { return any.calls > 0; }));
        EXPECT_EQ(any.rpid, pid);
        EXPECT_EQ(WEXITSTATUS(any.rstatus), 5);
        EXPECT_EQ(other.calls, 0);
        ev_child_stop(loop, &any.w);
        ev_child_stop(loop, &other.w);
    }

    void TraceFlagSeesStopAndContinue()
    {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(30); /* never outlive a failed test */
            for (;;)
                pause();
        }
        ASSERT_GT(pid, 0);
        Seen traced, plain;
        traced.Init(pid, 1);
        plain.Init(pid, 0);
        ev_child_start(loop, &traced.w);
        ev_child_start(loop, &plain.w);

        kill(pid, SIGSTOP);
        bool ok = RunUntil([&] { return traced.calls >= 1; });
        EXPECT_TRUE(ok);
        EXPECT_TRUE(WIFSTOPPED(traced.rstatus));
        EXPECT_EQ(plain.calls, 0);

        kill(pid, SIGCONT);
        ok = ok && RunUntil([&] { return traced.calls >= 2; });
        EXPECT_TRUE(ok);
        EXPECT_TRUE(WIFCONTINUED(traced.rstatus));
        EXPECT_EQ(plain.calls, 0);

        kill(pid, SIGKILL);
        ok = ok && RunUntil([&] { return plain.calls >= 1 && traced.calls >= 3; });
        EXPECT_TRUE(ok);
        EXPECT_EQ(plain.calls, 1);
        EXPECT_TRUE(WIFSIGNALED(plain.rstatus));
        EXPECT_EQ(WTERMSIG(plain.rstatus), SIGKILL);
        EXPECT_TRUE(WIFSIGNALED(traced.rstatus));
        ev_child_stop(loop, &traced.w);
        ev_child_stop(loop, &plain.w);
        if (!ok) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }

    void FiftyChildrenExitingTogether()
    {
        constexpr int kChildren = 50;
        int gate[2];
        ASSERT_EQ(pipe(gate), 0);
        Seen any;
        any.Init(0, 0);
        ev_child_start(loop, &any.w);
        std::map<int, int> expect;
        for (int i = 0; i < kChildren; ++i) {
            pid_t pid = fork();
            if (pid == 0) {
                /* Wait for the gate to open (all write ends closed), then go. */
                char c;
                close(gate[1]);
                while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                    ;
                _exit(i + 1);
            }
            ASSERT_GT(pid, 0);
            expect[pid] = i + 1;
        }
        close(gate[1]); /* open the gate: they all exit at once */
        close(gate[0]);
        ASSERT_TRUE(RunUntil([&] { return any.all.size() >= (size_t)kChildren; }))
            << any.all.size() << " of " << kChildren;
        for (auto &e : expect) {
            ASSERT_EQ(any.all.count(e.first), 1u) << e.first;
            EXPECT_TRUE(WIFEXITED(any.all[e.first]));
            EXPECT_EQ(WEXITSTATUS(any.all[e.first]), e.second);
        }
        ev_child_stop(loop, &any.w);
    }

    void UnwatchedChildrenAreReaped()
    {
        pid_t unwatched = SpawnExit(1);
        ASSERT_GT(unwatched, 0);
        AwaitDeath(unwatched);
        pid_t watched = SpawnExit(2);
        ASSERT_GT(watched, 0);
        Seen s;
        s.Init(watched, 0);
        ev_child_start(loop, &s.w);
        ASSERT_TRUE(RunUntil([&] { return s.calls > 0; }));
        EXPECT_EQ(waitpid(unwatched, nullptr, WNOHANG), -1);
        EXPECT_EQ(errno, ECHILD);
        ev_child_stop(loop, &s.w);
    }

    void OnlyChildWatchersKeepTheLoopAlive()
    {
        /* The internal SIGCHLD watcher holds no reference. */
        ev_ref(loop); /* balance the deadline's unref while we look */
        EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
        ev_unref(loop);
        Seen s;
        s.Init(0, 0);
        ev_child_start(loop, &s.w);
        ev_ref(loop);
        EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 2);
        ev_unref(loop);
        ev_child_stop(loop, &s.w);
    }

    void NonDefaultLoopDies()
    {
        GTEST_FLAG_SET(death_test_style, "threadsafe");
        EXPECT_DEATH(StartInNewLoop(),
                     "libev: child watchers are only supported in the default loop");
    }

    void StartInNewLoop()
    {
        struct ev_loop *other = ev_loop_new(EVFLAG_NOENV | GetParam());
        Seen s;
        s.Init(0, 0);
        ev_child_start(other, &s.w);
    }

    void NonDefaultLoopDestroyKeepsSigchld()
    {
        struct ev_loop *other = ev_loop_new(Flags());
        ASSERT_NE(other, nullptr);
        ev_signal sw;
        ev_signal_init(
            &sw, [](struct ev_loop *, ev_signal *, int) {}, SIGUSR1);
        ev_signal_start(other, &sw);
        ev_run(other, EVRUN_NOWAIT);
        ev_loop_destroy(other);
        EXPECT_TRUE(SigchldHandled());

        pid_t pid = SpawnExit(7);
        ASSERT_GT(pid, 0);
        Seen s;
        s.Init(pid, 0);
        ev_child_start(loop, &s.w);
        ASSERT_TRUE(RunUntil([&] { return s.calls > 0; }));
        EXPECT_EQ(WEXITSTATUS(s.rstatus), 7);
        ev_child_stop(loop, &s.w);
    }

    void DefaultLoopDestroyAndRecreate()
    {
        EXPECT_TRUE(SigchldHandled());
        ev_loop_destroy(loop);
        loop = nullptr;
        EXPECT_EQ(ev_default_loop_ptr, nullptr);
        EXPECT_FALSE(SigchldCaught());
        EXPECT_FALSE(SigchldBlocked());

        MakeLoop();
        EXPECT_TRUE(SigchldHandled());
        pid_t pid = SpawnExit(9);
        ASSERT_GT(pid, 0);
        Seen s;
        s.Init(pid, 0);
        ev_child_start(loop, &s.w);
        ASSERT_TRUE(RunUntil([&] { return s.calls > 0; }));
        EXPECT_EQ(WEXITSTATUS(s.rstatus), 9);
        ev_child_stop(loop, &s.w);
    }
};

class ChildTest : public ChildBase {};

class ChildSignalFdTest : public ChildBase {
  protected:
    unsigned ExtraFlags() const override { return EVFLAG_SIGNALFD; }
};

#define CHILD_TEST(Name)                                                                           \
    TEST_P(ChildTest, Name)                                                                        \
    {                                                                                              \
        Name();                                                                                    \
    }                                                                                              \
    TEST_P(ChildSignalFdTest, Name)                                                                \
    {                                                                                              \
        Name();                                                                                    \
    }

CHILD_TEST(ExitedBeforeWatcherStartIsReported)
CHILD_TEST(PidZeroMeansAnyChild)
CHILD_TEST(TraceFlagSeesStopAndContinue)
CHILD_TEST(FiftyChildrenExitingTogether)
CHILD_TEST(UnwatchedChildrenAreReaped)
CHILD_TEST(OnlyChildWatchersKeepTheLoopAlive)
CHILD_TEST(NonDefaultLoopDies)
CHILD_TEST(NonDefaultLoopDestroyKeepsSigchld)
CHILD_TEST(DefaultLoopDestroyAndRecreate)

EV_ALL_BACKENDS(ChildTest);
EV_ALL_BACKENDS(ChildSignalFdTest);

} // namespace
