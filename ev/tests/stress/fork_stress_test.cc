// fork() 50 times in a row on every backend, with an io watcher, a repeating
// timer and an async active. Each child calls ev_loop_fork and must see its
// inherited io watcher, timer and async work (and a new one-shot timer), then
// exits with a status that encodes the round, which the parent checks. After
// each child the parent's own loop must still deliver io, timer and async.
// Children only use ev and syscalls and leave with _exit.
#include "ev/tests/stress/stress_util.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int kRounds = 50;

struct ForkRun {
    int reads = 0, ticks = 0, asyncs = 0, onces = 0;
};

ForkRun *Self(struct ev_loop *l)
{
    return static_cast<ForkRun *>(ev_userdata(l));
}

void ReadCb(struct ev_loop *l, ev_io *w, int)
{
    char buf[64];
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n > 0)
        Self(l)->reads += (int)n;
}

void TickCb(struct ev_loop *l, ev_timer *, int)
{
    ++Self(l)->ticks;
}
void AsyncCb(struct ev_loop *l, ev_async *, int)
{
    ++Self(l)->asyncs;
}
void OnceCb(struct ev_loop *l, ev_timer *, int)
{
    ++Self(l)->onces;
}

class ForkStress : public evtest::LoopTest {
  protected:
    int sv[2] = {-1, -1};
    void TearDown() override
    {
        LoopTest::TearDown();
        for (int fd : sv)
            if (fd >= 0)
                close(fd);
    }

    /* Runs the loop until pred() or about `limit` seconds (a deadline of its
     * own, usable in the child where the fixture's state is not looked at). */
    template <class P> static bool Spin(struct ev_loop *l, P pred, double limit)
    {
        double end = ev_time() + limit;
        while (!pred() && ev_time() < end) {
            ev_ref(l);
            ev_run(l, EVRUN_ONCE);
            ev_unref(l);
        }
        return pred();
    }
};

TEST_P(ForkStress, FiftyForksChildUsesLoop)
{
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ForkRun st;
    void *fixture = ev_userdata(loop);
    ev_set_userdata(loop, &st);
    // The fixture's deadline callback needs the fixture as userdata: use ours.
    StopDeadline();
    ev_io rd;
    ev_io_init(&rd, ReadCb, sv[0], EV_READ);
    ev_io_start(loop, &rd);
    ev_timer tick;
    ev_timer_init(&tick, TickCb, 0.001, 0.001);
    ev_timer_start(loop, &tick);
    ev_async as;
    ev_async_init(&as, AsyncCb);
    ev_async_start(loop, &as);

    for (int round = 0; round < kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        fflush(nullptr);
        pid_t pid = fork();
        ASSERT_GE(pid, 0) << strerror(errno);
        if (pid == 0) {
            ev_loop_fork(loop);
            st = ForkRun();
            int code = 0;
            ev_timer once;
            ev_timer_init(&once, OnceCb, 0.002, 0.);
            ev_timer_start(loop, &once);
            if (write(sv[1], "child", 5) != 5)
                code = 1;
            ev_async_send(loop, &as);
            if (!code && !Spin(
                             loop, [&] { return st.reads >= 5; }, 20.))
                code = 2;
            if (!code && !Spin(
                             loop, [&] { return st.asyncs >= 1; }, 20.))
                code = 3;
            if (!code && !Spin(
                             loop, [&] { return st.ticks >= 3; }, 20.))
                code = 4;
            if (!code && !Spin(
                             loop, [&] { return st.onces == 1; }, 20.))
                code = 5;
            if (!code) {
                ev_verify(loop);
                code = 10 + round; // success, and proves which child this was
            }
            _exit(code);
        }
        int status = 0;
        pid_t got;
        while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
            ;
        ASSERT_EQ(got, pid);
        ASSERT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
        ASSERT_EQ(WEXITSTATUS(status), 10 + round)
            << "child failed check " << WEXITSTATUS(status)
            << " (1 write, 2 io, 3 async, 4 timer, 5 new timer)";
        // The parent's loop is unaffected: its io, timer and async still work.
        // (The child's bytes went to the shared socket; the parent may read some.)
        ForkRun before = st;
        ASSERT_EQ(write(sv[1], "p", 1), 1);
        ev_async_send(loop, &as);
        EXPECT_TRUE(Spin(
            loop,
            [&] {
                return st.reads > before.reads && st.asyncs > before.asyncs &&
                       st.ticks > before.ticks;
            },
            20.))
            << "parent loop stopped working after fork";
    }
    ev_io_stop(loop, &rd);
    ev_timer_stop(loop, &tick);
    ev_async_stop(loop, &as);
    ev_verify(loop);
    ev_set_userdata(loop, fixture);
}

EV_ALL_BACKENDS(ForkStress);

} // namespace
