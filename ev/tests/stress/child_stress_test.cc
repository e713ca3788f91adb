// 200 children exiting at once (SIGCHLD coalesces), each watched by its own
// ev_child in the default loop, on every backend, with the SIGCHLD handler and
// with EVFLAG_SIGNALFD: every one is reported once, with its own exit status.
// The children wait on a pipe that the parent closes, so they exit together;
// they only ever _exit.
#include "ev/tests/stress/stress_util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace {

constexpr int kChildren = 200;

struct Kid {
    ev_child w;
    int calls = 0;
    int status = -1;
    int code = 0;
};

void ChildCb(struct ev_loop *l, ev_child *w, int revents)
{
    Kid &k = *reinterpret_cast<Kid *>(w);
    ++k.calls;
    k.status = revents == EV_CHILD && w->rpid == w->pid ? w->rstatus : -2;
    ev_child_stop(l, w);
}

class ChildStressBase : public ::testing::TestWithParam<unsigned> {
  protected:
    virtual unsigned ExtraFlags() const { return 0; }
    struct ev_loop *loop = nullptr;

    void SetUp() override
    {
        ASSERT_EQ(ev_default_loop_ptr, nullptr);
        loop = ev_default_loop(EVFLAG_NOENV | GetParam() | ExtraFlags());
        ASSERT_NE(loop, nullptr);
        ASSERT_EQ(ev_backend(loop), GetParam());
    }

    void TearDown() override
    {
        if (loop)
            ev_loop_destroy(loop);
        while (waitpid(-1, nullptr, WNOHANG) > 0)
            ;
    }

    void Body()
    {
        int gate[2];
        ASSERT_EQ(pipe2(gate, O_CLOEXEC), 0);
        std::vector<Kid> kids(kChildren);
        fflush(nullptr);
        for (int i = 0; i < kChildren; ++i) {
            pid_t pid = fork();
            ASSERT_GE(pid, 0) << strerror(errno);
            if (pid == 0) {
                close(gate[1]);
                char c;
                while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                    ;
                _exit(i % 251);
            }
            kids[i].code = i % 251;
            ev_child_init(&kids[i].w, ChildCb, pid, 0);
            ev_child_start(loop, &kids[i].w);
        }
        close(gate[0]);
        close(gate[1]); // all children see EOF and exit together
        ev_timer deadline;
        bool late = false;
        ev_timer_init(
            &deadline,
            [](struct ev_loop *l, ev_timer *w, int) {
                *static_cast<bool *>(w->data) = true;
                ev_break(l, EVBREAK_ALL);
            },
            50., 0.);
        deadline.data = &late;
        ev_timer_start(loop, &deadline);
        ev_unref(loop);
        ev_run(loop, 0); // returns when every ev_child has stopped itself
        ev_ref(loop);
        ev_timer_stop(loop, &deadline);
        EXPECT_FALSE(late) << "deadline: not every child was reported";
        int reported = 0;
        for (Kid &k : kids) {
            reported += k.calls == 1;
            EXPECT_EQ(k.calls, 1) << "pid " << k.w.pid;
            ASSERT_TRUE(WIFEXITED(k.status)) << "pid " << k.w.pid << " status " << k.status;
            EXPECT_EQ(WEXITSTATUS(k.status), k.code);
        }
        EXPECT_EQ(reported, kChildren);
        ev_verify(loop);
        errno = 0;
        EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1) << "the loop reaped every child";
        EXPECT_EQ(errno, ECHILD);
    }
};

class ChildStress : public ChildStressBase {};
class ChildStressSignalFd : public ChildStressBase {
  protected:
    unsigned ExtraFlags() const override { return EVFLAG_SIGNALFD; }
};

TEST_P(ChildStress, TwoHundredChildrenExitTogether)
{
    Body();
}
TEST_P(ChildStressSignalFd, TwoHundredChildrenExitTogether)
{
    Body();
}

EV_ALL_BACKENDS(ChildStress);
EV_ALL_BACKENDS(ChildStressSignalFd);

} // namespace
