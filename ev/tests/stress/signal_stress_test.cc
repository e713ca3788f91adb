// A signal storm on every backend, with handlers and with EVFLAG_SIGNALFD:
// thousands of kill()s of SIGUSR1 and SIGUSR2, from this process (between
// loop iterations) and at the same time from a child process (arriving at any
// moment, also during callbacks). Three watchers on SIGUSR1 and two on
// SIGUSR2; afterwards every watcher must be called at least once after the
// last kill, nothing crashes, and no signal is left pending.
#include "ev/tests/stress/stress_util.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace {

constexpr int kSelfKills = 4000, kChildKills = 4000;

struct SigW {
    ev_signal w;
    long calls = 0;
    bool bad = false;
};

void SigCb(struct ev_loop *, ev_signal *w, int revents)
{
    SigW &s = *reinterpret_cast<SigW *>(w);
    ++s.calls;
    if (revents != EV_SIGNAL)
        s.bad = true;
}

class SignalStressBase : public evtest::LoopTest {
  protected:
    void Body()
    {
        std::vector<SigW> ws(5);
        for (int i = 0; i < 5; ++i) {
            ev_signal_init(&ws[i].w, SigCb, i < 3 ? SIGUSR1 : SIGUSR2);
            ev_signal_start(loop, &ws[i].w);
        }
        Deadline(50.);
        // The storm from outside: starts after the watchers (so the signals
        // are caught), runs concurrently with the loop below.
        fflush(nullptr);
        pid_t parent = getpid();
        pid_t kid = fork();
        ASSERT_GE(kid, 0);
        if (kid == 0) {
            for (int i = 0; i < kChildKills; ++i)
                if (kill(parent, i & 1 ? SIGUSR2 : SIGUSR1) != 0)
                    _exit(1);
            _exit(0);
        }
        for (int i = 0; i < kSelfKills; ++i) {
            ASSERT_EQ(kill(getpid(), i & 1 ? SIGUSR1 : SIGUSR2), 0);
            if (i % 50 == 0)
                ev_run(loop, EVRUN_NOWAIT);
        }
        int status = 0;
        pid_t got;
        while ((got = waitpid(kid, &status, 0)) < 0 && errno == EINTR)
            ev_run(loop, EVRUN_NOWAIT);
        ASSERT_EQ(got, kid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child's kill() failed";
        // One more of each, sent now: every watcher must be called after it.
        ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
        ASSERT_EQ(kill(getpid(), SIGUSR2), 0);
        std::vector<long> before;
        for (SigW &s : ws)
            before.push_back(s.calls);
        EXPECT_TRUE(RunUntil([&] {
            for (int i = 0; i < 5; ++i)
                if (ws[i].calls <= before[i])
                    return false;
            return true;
        })) << "a watcher was not called after the last kill()";
        ev_run(loop, EVRUN_NOWAIT);
        for (SigW &s : ws) {
            EXPECT_FALSE(s.bad);
            EXPECT_GE(s.calls, 2);
            ev_signal_stop(loop, &s.w);
        }
        sigset_t pending;
        sigpending(&pending);
        EXPECT_FALSE(sigismember(&pending, SIGUSR1));
        EXPECT_FALSE(sigismember(&pending, SIGUSR2));
        ev_verify(loop);
    }
};

class SignalStress : public SignalStressBase {};
class SignalStressSignalFd : public SignalStressBase {
  protected:
    unsigned ExtraFlags() const override { return EVFLAG_SIGNALFD; }
};

TEST_P(SignalStress, StormOfTwoSignals)
{
    Body();
}
TEST_P(SignalStressSignalFd, StormOfTwoSignals)
{
    Body();
}

EV_ALL_BACKENDS(SignalStress);
EV_ALL_BACKENDS(SignalStressSignalFd);

} // namespace
