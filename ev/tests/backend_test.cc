// The generic backend suite: what every backend (select, poll, epoll, io_uring,
// and kqueue / event ports where compiled in, e.g. emulated in //ev/tests/emu)
// must do the same way: readiness, level-triggered refire exactly once per
// iteration, several watchers per fd, stop/start, close-and-reuse of an fd
// number (with the old file still open elsewhere), EBADF -> EV_ERROR, hundreds
// of fds and churn, timeouts that never end early, fork, embedding, and the
// backend masks / LIBEV_FLAGS selection.
#include "test_util.h"

#include <cstdlib>
#include <string>
#include <vector>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <sys/syscall.h>
#endif

namespace {

struct Count {
    int calls = 0;
    int revents = 0; // OR of all calls
    unsigned last_iter = ~0u;
    int per_iter_max = 0; // most calls seen within one loop iteration
    int this_iter = 0;
};

void CountCb(struct ev_loop *l, ev_io *w, int revents)
{
    auto *c = static_cast<Count *>(w->data);
    unsigned it = ev_iteration(l);
    c->this_iter = it == c->last_iter ? c->this_iter + 1 : 1;
    c->last_iter = it;
    if (c->this_iter > c->per_iter_max)
        c->per_iter_max = c->this_iter;
    ++c->calls;
    c->revents |= revents;
}

struct Pair {
    int fd[2] = {-1, -1};
    Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0); }
    ~Pair()
    {
        for (int f : fd)
            if (f >= 0)
                close(f);
    }
};

void Put(int fd)
{
    ASSERT_EQ(send(fd, "x", 1, MSG_NOSIGNAL), 1);
}

class BackendTest : public evtest::LoopTest {
  protected:
    void Watch(ev_io *w, Count *c, int fd, int events)
    {
        ev_io_init(w, CountCb, fd, events);
        w->data = c;
        ev_io_start(loop, w);
    }
    void Once()
    {
        ev_ref(loop);
        ev_run(loop, EVRUN_ONCE);
        ev_unref(loop);
    }
    // Runs the loop for `seconds` (a timer ends it), whatever happens.
    void RunFor(double seconds)
    {
        ev_timer t;
        ev_timer_init(
            &t, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ONE); }, seconds, 0.);
        ev_timer_start(loop, &t);
        ev_run(loop, 0);
        ev_timer_stop(loop, &t);
    }
};

TEST_P(BackendTest, ReadableAndWritable)
{
    Pair p;
    Count r, w;
    ev_io rw, ww;
    Watch(&rw, &r, p.fd[0], EV_READ);
    Watch(&ww, &w, p.fd[1], EV_WRITE);
    ASSERT_TRUE(RunUntil([&] { return w.calls > 0; }));
    EXPECT_EQ(w.revents, EV_WRITE);
    EXPECT_EQ(r.calls, 0); // nothing written yet
    Put(p.fd[1]);
    ASSERT_TRUE(RunUntil([&] { return r.calls > 0; }));
    EXPECT_EQ(r.revents, EV_READ);
    ev_io_stop(loop, &rw);
    ev_io_stop(loop, &ww);
}

TEST_P(BackendTest, LevelTriggeredExactlyOncePerIteration)
{
    Pair p;
    Put(p.fd[1]);
    Count r, w;
    ev_io rw, ww;
    Watch(&rw, &r, p.fd[0], EV_READ);
    Watch(&ww, &w, p.fd[0], EV_WRITE);
    for (int i = 0; i < 6; ++i)
        Once();
    // Never drained, never full: reported in each of the 6 iterations, once.
    EXPECT_EQ(r.calls, 6);
    EXPECT_EQ(w.calls, 6);
    EXPECT_EQ(r.per_iter_max, 1);
    EXPECT_FALSE(timed_out);
    ev_io_stop(loop, &rw);
    ev_io_stop(loop, &ww);
}

TEST_P(BackendTest, SeveralWatchersOnOneFd)
{
    Pair p;
    Count a, b, c;
    ev_io wa, wb, wc;
    Watch(&wa, &a, p.fd[0], EV_READ);
    Watch(&wb, &b, p.fd[0], EV_READ | EV_WRITE);
    Watch(&wc, &c, p.fd[0], EV_WRITE);
    Once();
    EXPECT_EQ(a.calls, 0);
    EXPECT_EQ(b.revents, EV_WRITE);
    EXPECT_EQ(c.revents, EV_WRITE);
    Put(p.fd[1]);
    ASSERT_TRUE(RunUntil([&] { return a.calls > 0; }));
    EXPECT_EQ(a.revents, EV_READ);
    EXPECT_EQ(b.revents, EV_READ | EV_WRITE);
    // Stopping the write watchers narrows what the backend waits for.
    ev_io_stop(loop, &wb);
    ev_io_stop(loop, &wc);
    int bc = b.calls, cc = c.calls, ac = a.calls;
    Once();
    EXPECT_EQ(b.calls, bc);
    EXPECT_EQ(c.calls, cc);
    EXPECT_EQ(a.calls, ac + 1);
    ev_io_stop(loop, &wa);
}

TEST_P(BackendTest, StopAndRestart)
{
    Pair p;
    Put(p.fd[1]);
    Count r;
    ev_io rw;
    Watch(&rw, &r, p.fd[0], EV_READ);
    Once();
    EXPECT_EQ(r.calls, 1);
    ev_io_stop(loop, &rw);
    RunFor(0.02);
    EXPECT_EQ(r.calls, 1); // stopped: never reported
    ev_io_start(loop, &rw);
    Once();
    EXPECT_EQ(r.calls, 2);
    // Stop and start again before the loop sees the change: no loss, no double.
    ev_io_stop(loop, &rw);
    ev_io_start(loop, &rw);
    Once();
    EXPECT_EQ(r.calls, 3);
    EXPECT_EQ(r.per_iter_max, 1);
    ev_io_stop(loop, &rw);
}

TEST_P(BackendTest, ModifyEventsWhileActiveViaRestart)
{
    Pair p;
    Count c;
    ev_io w;
    Watch(&w, &c, p.fd[0], EV_READ);
    RunFor(0.01);
    EXPECT_EQ(c.calls, 0);
    ev_io_stop(loop, &w);
    ev_io_set(&w, p.fd[0], EV_WRITE);
    ev_io_start(loop, &w);
    ASSERT_TRUE(RunUntil([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_WRITE);
    ev_io_stop(loop, &w);
}

// The fd number is closed and reused while the old file stays open through a
// dup: nothing of the old file may reach the watcher of the new one.
TEST_P(BackendTest, CloseAndReuseFdNumber)
{
    int old_pipe[2], new_pipe[2];
    ASSERT_EQ(pipe2(old_pipe, O_NONBLOCK), 0);
    int keep = dup(old_pipe[0]);
    ASSERT_GE(keep, 0);
    Count c;
    ev_io w;
    Watch(&w, &c, old_pipe[0], EV_READ);
    RunFor(0.01); // registered with the kernel now
    EXPECT_EQ(c.calls, 0);
    int num = old_pipe[0];
    ev_io_stop(loop, &w);
    close(num);
    ASSERT_EQ(pipe2(new_pipe, O_NONBLOCK), 0);
    if (new_pipe[0] != num) {
        ASSERT_EQ(dup2(new_pipe[0], num), num);
        close(new_pipe[0]);
    }
    ev_io_set(&w, num, EV_READ);
    ev_io_start(loop, &w);
    ASSERT_EQ(write(old_pipe[1], "o", 1), 1); // the old file becomes readable
    RunFor(0.03);
    EXPECT_EQ(c.calls, 0) << "event of the closed file reached the new one";
    ASSERT_EQ(write(new_pipe[1], "n", 1), 1);
    ASSERT_TRUE(RunUntil([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
    ev_io_stop(loop, &w);
    close(num);
    close(keep);
    close(old_pipe[1]);
    close(new_pipe[1]);
}

// Same fd number, other file, and the watcher was never stopped: libev's
// contract is to stop, close, and ev_io_set again. Here without a dup, so
// the kernel forgets the old registration with the close.
TEST_P(BackendTest, CloseAndReuseWithoutStopBetweenIterations)
{
    Count c;
    ev_io w;
    int a[2], b[2];
    ASSERT_EQ(pipe2(a, O_NONBLOCK), 0);
    Watch(&w, &c, a[0], EV_READ);
    RunFor(0.01); // registered with the kernel now
    ev_io_stop(loop, &w);
    int num = a[0];
    close(a[0]);
    close(a[1]);
    ASSERT_EQ(pipe2(b, O_NONBLOCK), 0);
    if (b[0] != num) {
        ASSERT_EQ(dup2(b[0], num), num);
        close(b[0]);
    }
    ASSERT_EQ(write(b[1], "n", 1), 1);
    ev_io_set(&w, num, EV_READ);
    ev_io_start(loop, &w);
    ASSERT_TRUE(RunUntil([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
    ev_io_stop(loop, &w);
    close(num);
    close(b[1]);
}

TEST_P(BackendTest, ClosedFdGetsEvError)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    close(p[1]);
    close(p[0]); // p[0] now names nothing
    Count c;
    ev_io w;
    Watch(&w, &c, p[0], EV_READ);
    ASSERT_TRUE(RunUntil([&] { return c.calls > 0; }));
    EXPECT_TRUE(c.revents & EV_ERROR);
    EXPECT_FALSE(ev_is_active(&w)); // stopped by the loop
    RunFor(0.01);
    EXPECT_EQ(c.calls, 1);
}

TEST_P(BackendTest, TwoHundredFdsAtOnce)
{
    const int n = 200;
    std::vector<Pair> pairs(n);
    std::vector<Count> counts(n);
    std::vector<ev_io> ws(n);
    for (int i = 0; i < n; ++i)
        Watch(&ws[i], &counts[i], pairs[i].fd[0], EV_READ);
    RunFor(0.01);
    for (int i = 0; i < n; i += 2)
        Put(pairs[i].fd[1]); // every other one becomes readable
    auto even_done = [&] {
        for (int i = 0; i < n; i += 2)
            if (!counts[i].calls)
                return false;
        return true;
    };
    ASSERT_TRUE(RunUntil(even_done));
    for (int i = 1; i < n; i += 2)
        EXPECT_EQ(counts[i].calls, 0) << i;
    // Churn: every watcher switches events, twice, in one iteration; more
    // changes than fit into one io_uring submission ring.
    for (int i = 0; i < n; ++i) {
        ev_io_stop(loop, &ws[i]);
        ev_io_set(&ws[i], pairs[i].fd[0], EV_WRITE);
        ev_io_start(loop, &ws[i]);
        ev_io_stop(loop, &ws[i]);
        ev_io_set(&ws[i], pairs[i].fd[0], EV_READ | EV_WRITE);
        ev_io_start(loop, &ws[i]);
        counts[i] = Count();
    }
    auto all_done = [&] {
        for (int i = 0; i < n; ++i)
            if (!(counts[i].revents & EV_WRITE))
                return false;
        return true;
    };
    ASSERT_TRUE(RunUntil(all_done));
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(counts[i].revents & EV_READ, i % 2 == 0 ? EV_READ : 0) << i;
        EXPECT_EQ(counts[i].per_iter_max, 1) << i;
        ev_io_stop(loop, &ws[i]);
    }
}

TEST_P(BackendTest, TimeoutNeverEarly)
{
    Pair p;
    Count c;
    ev_io w;
    Watch(&w, &c, p.fd[0], EV_READ); // an fd that stays quiet
    for (double d : {0.0005, 0.003, 0.021}) {
        ev_now_update(loop);
        ev_tstamp t0 = ev_now(loop);
        ev_tstamp fired = 0.;
        ev_timer t;
        ev_timer_init(
            &t,
            [](struct ev_loop *l, ev_timer *tw, int) {
                *static_cast<ev_tstamp *>(tw->data) = ev_now(l);
            },
            d, 0.);
        t.data = &fired;
        ev_timer_start(loop, &t);
        ASSERT_TRUE(RunUntil([&] { return fired > 0.; }));
        EXPECT_GE(fired - t0, d) << d;
        EXPECT_GE(ev_time() - t0, d - 1e-3) << d; // the monotonic wait was long enough too
    }
    EXPECT_EQ(c.calls, 0);
    ev_io_stop(loop, &w);
}

// In the child after fork: the backend is re-created, watchers keep working
// there, and the parent's loop is undisturbed.
TEST_P(BackendTest, ForkReinit)
{
    Pair p;
    Count c;
    ev_io w;
    Watch(&w, &c, p.fd[0], EV_READ);
    RunFor(0.01);
    EXPECT_EQ(c.calls, 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ev_loop_fork(loop);
        Put(p.fd[1]);
        bool ok = RunUntil([&] { return c.calls > 0; });
        char b;
        ok = ok && read(p.fd[0], &b, 1) == 1; // consume it: the parent waits for its own
        int calls = c.calls;
        RunFor(0.01);
        _exit(ok && c.calls == calls ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "watcher did not work in the child";
    EXPECT_EQ(c.calls, 0);
    Put(p.fd[1]);
    ASSERT_TRUE(RunUntil([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
    ev_io_stop(loop, &w);
}

// An embeddable backend's fd polls readable when events wait, and an embed
// watcher in a poll (or select) loop runs the inner loop's watchers.
TEST_P(BackendTest, Embedded)
{
    if (!(ev_embeddable_backends() & GetParam()))
        GTEST_SKIP() << "not embeddable";
    unsigned outer_b = ev_supported_backends() & EVBACKEND_POLL ? EVBACKEND_POLL : EVBACKEND_SELECT;
    struct ev_loop *outer = ev_loop_new(EVFLAG_NOENV | outer_b);
    ASSERT_NE(outer, nullptr);
    ev_embed e;
    ev_embed_init(&e, nullptr, loop);
    ev_embed_start(outer, &e);
    Pair p;
    Count c;
    ev_io w;
    Watch(&w, &c, p.fd[0], EV_READ);
    ev_timer guard;
    ev_timer_init(
        &guard, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ALL); }, 5., 0.);
    ev_timer_start(outer, &guard);
    for (int round = 1; round <= 3; ++round) {
        Put(p.fd[1]);
        while (c.calls < round && ev_is_active(&guard))
            ev_run(outer, EVRUN_ONCE);
        ASSERT_EQ(c.calls, round) << "round " << round;
        char b;
        ASSERT_EQ(read(p.fd[0], &b, 1), 1);
    }
    ev_timer_stop(outer, &guard);
    ev_io_stop(loop, &w);
    ev_embed_stop(outer, &e);
    ev_loop_destroy(outer);
}

EV_ALL_BACKENDS(BackendTest);

#ifdef __linux__
bool KernelHasIoUring()
{
    struct io_uring_params p = {};
    int fd = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (fd < 0)
        return false;
    close(fd);
    return (p.features & (1u << 8)) != 0; // EXT_ARG, which the backend needs
}

bool KernelHasAio()
{
    aio_context_t ctx = 0;
    if (syscall(__NR_io_setup, 1, &ctx) < 0)
        return false;
    syscall(__NR_io_destroy, ctx);
    return true; // IOCB_CMD_POLL is there since 4.18
}
#endif

TEST(BackendMasks, WhatIsTrueHere)
{
    unsigned sup = ev_supported_backends();
    unsigned emulated = sup & (EVBACKEND_KQUEUE | EVBACKEND_PORT); // only in //ev/tests/emu
#ifdef __linux__
    unsigned want = EVBACKEND_SELECT | EVBACKEND_POLL | EVBACKEND_EPOLL;
    if (KernelHasIoUring())
        want |= EVBACKEND_IOURING;
    if (KernelHasAio())
        want |= EVBACKEND_LINUXAIO;
    EXPECT_EQ(sup & ~emulated, want); // 0xc7 on a kernel that allows io_uring and AIO
#endif
    // io_uring and linuxaio are opt-in; everything else compiled in is recommended.
    EXPECT_EQ(ev_recommended_backends(), sup & ~(unsigned)(EVBACKEND_IOURING | EVBACKEND_LINUXAIO));
    EXPECT_EQ(ev_embeddable_backends(),
              (unsigned)(EVBACKEND_EPOLL | EVBACKEND_KQUEUE | EVBACKEND_PORT | EVBACKEND_IOURING));
    // Each supported backend can be had, explicitly and through LIBEV_FLAGS.
    for (unsigned b = 1; b <= EVBACKEND_ALL; b <<= 1) {
        if (!(sup & b))
            continue;
        struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | b);
        ASSERT_NE(l, nullptr) << b;
        EXPECT_EQ(ev_backend(l), b);
        ev_loop_destroy(l);
        setenv("LIBEV_FLAGS", std::to_string(b).c_str(), 1);
        l = ev_loop_new(0);
        ASSERT_NE(l, nullptr) << b;
        EXPECT_EQ(ev_backend(l), b) << "LIBEV_FLAGS=" << b;
        ev_loop_destroy(l);
        unsetenv("LIBEV_FLAGS");
    }
    // The default choice is the first recommended in preference order.
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    EXPECT_NE(ev_backend(l) & ev_recommended_backends(), 0u);
    EXPECT_NE(ev_backend(l), (unsigned)EVBACKEND_IOURING);
    ev_loop_destroy(l);
}

} // namespace
