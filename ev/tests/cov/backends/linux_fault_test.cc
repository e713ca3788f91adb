/*
 * linux_fault_test.cc - the epoll, io_uring and Linux AIO backends under failures injected into
 * the calls they make (ev/tests/fault/inject.h for the libc calls, sysfault.h for the raw
 * io_uring/AIO system calls, epoll_create1 and mmap), and on the rarer paths of the kernel
 * interface: fds registered behind ev's back, regular files, lazily removed fds whose disarm
 * fails, full event arrays, widened polls, a full completion ring, files AIO refuses, the AIO
 * context limit, a ring layout ev does not know, and forks whose kernel object cannot be made
 * again. Everything is observed through the public API: callbacks, revents, the syserr callback.
 */
#include "ev/tests/cov/backends/sysfault.h"
#include "ev/tests/fault/inject.h"

#include <ev.h>
#include <gtest/gtest.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "ev/tests/cov/backends/fault_fixture.h"

namespace {

using covfault::CountCb;
using covfault::Counter;
using covfault::RecordSyserr;
std::vector<std::string> &syserrs = covfault::Syserrs();

/* The epoll sets this process has open (the public API does not name a loop's backend fd). */
std::set<int> EpollFds()
{
    std::set<int> out;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return out;
    while (struct dirent *e = readdir(d)) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            if (std::string(target) == "anon_inode:[eventpoll]")
                out.insert(atoi(e->d_name));
        }
    }
    closedir(d);
    return out;
}

class BackendFault : public ::testing::Test, protected covfault::LoopUnderTest {
  protected:
    void SetUp() override
    {
        inject::Reset();
        sysfault::Reset();
        syserrs.clear();
        ev_set_syserr_cb(RecordSyserr);
    }

    void TearDown() override
    {
        inject::Reset();
        sysfault::Reset();
        if (loop)
            ev_loop_destroy(loop);
        loop = nullptr;
        for (int fd : fds)
            close(fd);
        ev_set_syserr_cb(nullptr);
    }

    int epfd = -1; /* the epoll set the loop made (epoll, linuxaio) */

    /* A loop on backend b alone; false (the test skips) where b is not usable. */
    bool Make(unsigned b)
    {
        if (!(ev_supported_backends() & b))
            return false;
        std::set<int> before = EpollFds();
        loop = ev_loop_new(EVFLAG_NOENV | b);
        for (int fd : EpollFds())
            if (!before.count(fd))
                epfd = fd;
        return loop && ev_backend(loop) == b;
    }
};

#define NEED(b)                                                                                    \
    do {                                                                                           \
        if (!Make(b))                                                                              \
            GTEST_SKIP() << #b " is not usable here";                                              \
    } while (0)

/* ---- epoll ------------------------------------------------------------------------------- */

TEST_F(BackendFault, EpollFdAddedBehindItsBackIsUpdated)
{
    NEED(EVBACKEND_EPOLL);
    int sv[2];
    Pair(sv);
    struct epoll_event e = {};
    e.events = EPOLLOUT;
    e.data.u64 = (uint64_t)sv[0];
    ASSERT_EQ(epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &e), 0);
    Counter c;
    Watch(c, sv[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 0) << "the foreign EPOLLOUT registration was not replaced";
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, EpollEexistWithoutARegistrationErrorsTheWatcher)
{
    NEED(EVBACKEND_EPOLL);
    int sv[2];
    Pair(sv);
    inject::Arm(inject::EPOLL_CTL, EEXIST, 1, sv[0]); /* the MOD that follows finds nothing */
    Counter c;
    Watch(c, sv[0], EV_READ);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_ERROR | EV_READ | EV_WRITE);
    EXPECT_FALSE(ev_is_active(&c.w));
}

TEST_F(BackendFault, EpollWatcherWantedAgainAsRegisteredCostsNoSyscall)
{
    NEED(EVBACKEND_EPOLL);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    ev_io_stop(loop, &c.w);
    ev_run(loop, EVRUN_NOWAIT); /* lazily removed: still registered */
    int ctl = inject::Calls(inject::EPOLL_CTL);
    ev_io_start(loop, &c.w);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(inject::Calls(inject::EPOLL_CTL), ctl);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
}

TEST_F(BackendFault, EpollRegularFileEventsFollowTheWatcher)
{
    NEED(EVBACKEND_EPOLL);
    char path[] = "/tmp/ev-cov-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    unlink(path);
    fds.push_back(fd);
    Counter c;
    Watch(c, fd, EV_READ); /* epoll says EPERM: always ready */
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
    /* wider, same file: no new question to epoll */
    ev_io_stop(loop, &c.w);
    ev_io_modify(&c.w, EV_READ | EV_WRITE);
    ev_io_start(loop, &c.w);
    c.calls = c.revents = 0;
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ | EV_WRITE);
    /* set again (maybe another file), several times: epoll is asked again, and says EPERM */
    for (int i = 0; i < 3; ++i) {
        ev_io_stop(loop, &c.w);
        ev_io_set(&c.w, fd, EV_WRITE);
        ev_io_start(loop, &c.w);
        c.calls = c.revents = 0;
        ev_run(loop, EVRUN_NOWAIT);
        EXPECT_EQ(c.calls, 1);
        EXPECT_EQ(c.revents, EV_WRITE);
    }
    ev_io_stop(loop, &c.w);
    c.calls = 0;
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 0);
    ev_verify(loop);
}

TEST_F(BackendFault, EpollFailedLazyDisarmRebuildsTheSet)
{
    NEED(EVBACKEND_EPOLL);
    int a[2], b[2];
    Pair(a);
    Pair(b);
    Counter ca, cb;
    Watch(ca, a[0], EV_READ);
    Watch(cb, b[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    ev_io_stop(loop, &ca.w); /* lazy: a[0] stays registered */
    int backend_fd = epfd;
    inject::Arm(inject::EPOLL_CTL, EBADF, 1, a[0]); /* its disarm fails */
    ASSERT_EQ(write(a[1], "x", 1), 1);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(inject::Injected(inject::EPOLL_CTL), 1);
    EXPECT_EQ(ca.calls, 0);
    ev_run(loop, EVRUN_NOWAIT); /* the set is made again */
    EXPECT_EQ(epfd, backend_fd);
    ASSERT_EQ(write(b[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return cb.calls > 0; }));
    EXPECT_EQ(ca.calls, 0);
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, EpollFullEventArrayThenAFailedSecondLook)
{
    NEED(EVBACKEND_EPOLL);
    std::vector<Counter> cs(64);
    for (auto &c : cs) {
        int sv[2];
        Pair(sv);
        ASSERT_EQ(write(sv[1], "x", 1), 1);
        Watch(c, sv[0], EV_READ);
    }
    inject::Arm(inject::EPOLL_WAIT, EINTR, 1, -1, 1); /* the look for more fails */
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(inject::Injected(inject::EPOLL_WAIT), 1);
    for (auto &c : cs)
        EXPECT_EQ(c.calls, 1);
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, EpollChildThatCannotMakeItsOwnSet)
{
    NEED(EVBACKEND_EPOLL);
    int a[2], b[2];
    Pair(a);
    Pair(b);
    Counter ca, cb;
    Watch(ca, a[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    ev_io_stop(loop, &ca.w); /* lazily removed */
    ASSERT_EQ(write(a[1], "x", 1), 1);
    InChild([&] {
        /* a change in a child that did not call ev_loop_fork needs a set of its own */
        sysfault::Arm(sysfault::EPOLL_CREATE1, EMFILE, 1);
        Watch(cb, b[0], EV_READ);
        ev_run(loop, EVRUN_NOWAIT);
        ASSERT_EQ(syserrs.size(), 1u);
        EXPECT_EQ(syserrs[0], "(libev) epoll_create1");
    });
    InChild([&] {
        /* the event of the lazily removed fd asks for a rebuild, which fails */
        ev_run(loop, EVRUN_NOWAIT);
        EXPECT_TRUE(syserrs.empty());
        sysfault::Arm(sysfault::EPOLL_CREATE1, EMFILE, 1);
        ev_run(loop, EVRUN_NOWAIT);
        ASSERT_EQ(syserrs.size(), 1u);
        EXPECT_EQ(syserrs[0], "(libev) epoll_create1");
        EXPECT_EQ(ca.calls, 0);
    });
}

/* ---- io_uring ---------------------------------------------------------------------------- */

TEST_F(BackendFault, IoUringWiderEventsUpdateTheArmedPoll)
{
    NEED(EVBACKEND_IOURING);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT); /* armed for POLLIN */
    EXPECT_EQ(c.calls, 0);
    ev_io_stop(loop, &c.w);
    ev_io_modify(&c.w, EV_READ | EV_WRITE);
    ev_io_start(loop, &c.w);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_WRITE);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    c.calls = c.revents = 0;
    EXPECT_TRUE(Spin([&] { return (c.revents & EV_READ) != 0; }));
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, IoUringSubmitFailuresWithoutSubmitAll)
{
    if (!(ev_supported_backends() & EVBACKEND_IOURING))
        GTEST_SKIP() << "no io_uring";
    sysfault::Arm(sysfault::IO_URING_SETUP, EINVAL, 1); /* before 5.18: no SUBMIT_ALL */
    loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING);
    ASSERT_NE(loop, nullptr);
    int sv[2];
    Pair(sv);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    /* ENOMEM from the submitting call: syserr, and the loop goes on */
    Counter c;
    Watch(c, sv[0], EV_READ);
    sysfault::Arm(sysfault::IO_URING_ENTER, ENOMEM, 1);
    ev_run(loop, EVRUN_NOWAIT);
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], "(libev) io_uring_enter");
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    /* EAGAIN and EBUSY (completions backed up): room is made and the submission goes on */
    sysfault::Reset();
    for (int err : {EAGAIN, EBUSY, 0}) {
        SCOPED_TRACE(err);
        Counter d;
        int p[2];
        Pair(p);
        ASSERT_EQ(write(p[1], "x", 1), 1);
        Watch(d, p[0], EV_READ);
        sysfault::Arm(sysfault::IO_URING_ENTER, err, 1); /* 0: the kernel takes none now */
        EXPECT_TRUE(Spin([&] { return d.calls > 0; }));
        EXPECT_EQ(d.revents, EV_READ);
        EXPECT_EQ(sysfault::Injected(sysfault::IO_URING_ENTER), 1);
        sysfault::Reset();
        ev_io_stop(loop, &d.w);
    }
    EXPECT_EQ(syserrs.size(), 1u);
}

TEST_F(BackendFault, IoUringWaitFailures)
{
    NEED(EVBACKEND_IOURING);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    sysfault::Arm(sysfault::IO_URING_ENTER, EINTR, 1);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_TRUE(syserrs.empty());
    sysfault::Arm(sysfault::IO_URING_ENTER, ENOMEM, 1);
    ev_run(loop, EVRUN_NOWAIT);
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], "(libev) io_uring_enter");
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
}

TEST_F(BackendFault, IoUringFlushFailureFromAnEmbeddingLoop)
{
    NEED(EVBACKEND_IOURING);
    struct ev_loop *outer = ev_loop_new(EVFLAG_NOENV | EVBACKEND_EPOLL);
    ASSERT_NE(outer, nullptr);
    ev_embed e;
    ev_embed_init(&e, nullptr, loop);
    ev_embed_start(outer, &e);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ); /* queued: the embedding loop's prepare hands it over */
    sysfault::Arm(sysfault::IO_URING_ENTER, ENOMEM, 1);
    ev_run(outer, EVRUN_NOWAIT);
    EXPECT_EQ(sysfault::Injected(sysfault::IO_URING_ENTER), 1);
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], "(libev) io_uring_enter");
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    for (int i = 0; i < 200 && !c.calls; ++i)
        ev_run(outer, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 1);
    ev_embed_stop(outer, &e);
    ev_loop_destroy(outer);
}

TEST_F(BackendFault, IoUringChildThatCannotMakeItsOwnRing)
{
    NEED(EVBACKEND_IOURING);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    /* With or without ev_loop_fork: the syserr callback is told, and ev tries again (as libev);
     * the ring it then makes serves the child's watchers. */
    for (bool loop_fork : {false, true}) {
        SCOPED_TRACE(loop_fork);
        InChild([&] {
            if (loop_fork)
                ev_loop_fork(loop);
            sysfault::Arm(sysfault::IO_URING_SETUP, ENOMEM, 2);
            ASSERT_EQ(write(sv[1], "x", 1), 1);
            EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
            EXPECT_EQ(c.revents, EV_READ);
            EXPECT_EQ(sysfault::Injected(sysfault::IO_URING_SETUP), 2);
            ASSERT_EQ(syserrs.size(), 2u);
            EXPECT_EQ(syserrs[0], "(libev) io_uring_setup after fork");
        });
    }
}

TEST_F(BackendFault, IoUringCompletionRingOverflowLosesNothing)
{
    NEED(EVBACKEND_IOURING);
    /* More completions at once than twice what the completion ring holds: the kernel keeps the
     * rest (NODROP) and flags the overflow, and ev fetches them until it is gone. */
    const int n = 2 * 8192 + 300;
    struct rlimit rl;
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < (rlim_t)n + 100) {
        struct rlimit want = rl;
        want.rlim_cur = rl.rlim_max;
        if (rl.rlim_max < (rlim_t)n + 100 || setrlimit(RLIMIT_NOFILE, &want) < 0)
            GTEST_SKIP() << "needs " << n + 100 << " fds";
    }
    std::vector<std::unique_ptr<Counter>> cs;
    for (int i = 0; i < n; ++i) {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        ASSERT_GE(fd, 0);
        fds.push_back(fd);
        cs.emplace_back(new Counter);
        Watch(*cs.back(), fd, EV_READ);
    }
    ev_run(loop, EVRUN_NOWAIT); /* every poll armed, none ready */
    for (int fd : fds) {
        uint64_t one = 1;
        ASSERT_EQ(write(fd, &one, sizeof one), (ssize_t)sizeof one); /* all complete at once */
    }
    auto all = [&] {
        for (auto &c : cs)
            if (!c->calls)
                return false;
        return true;
    };
    EXPECT_TRUE(Spin(all, 20));
    EXPECT_TRUE(syserrs.empty()) << syserrs[0];
    for (auto &c : cs)
        ev_io_stop(loop, &c->w);
    ev_run(loop, EVRUN_NOWAIT);
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* A timer decades away: io_uring and AIO clamp the wait to 1e9 s (the kernel's timespec is
 * fine, but the loop wakes and waits again anyway); an interrupted wait returns from EVRUN_ONCE.
 * In a child, so that a wait the injection missed ends as SIGALRM, not a hang. */
TEST_F(BackendFault, WaitForATimerDecadesAwayIsClamped)
{
    for (unsigned b : {(unsigned)EVBACKEND_IOURING, (unsigned)EVBACKEND_LINUXAIO}) {
        if (!(ev_supported_backends() & b))
            continue;
        SCOPED_TRACE(b);
        if (loop)
            ev_loop_destroy(loop);
        loop = ev_loop_new(EVFLAG_NOENV | b);
        ASSERT_NE(loop, nullptr);
        ev_timer t;
        ev_timer_init(
            &t, [](struct ev_loop *, ev_timer *, int) {}, 2e9, 0.);
        ev_timer_start(loop, &t);
        ev_run(loop, EVRUN_NOWAIT);
        InChild([&] {
            ev_loop_fork(loop);
            ev_run(loop, EVRUN_NOWAIT); /* the child's own ring or context */
            sysfault::Call wait =
                b == EVBACKEND_IOURING ? sysfault::IO_URING_ENTER : sysfault::IO_GETEVENTS;
            sysfault::Arm(wait, EINTR, 1);
            ev_run(loop, EVRUN_ONCE);
            EXPECT_EQ(sysfault::Injected(wait), 1);
            EXPECT_TRUE(ev_is_active(&t));
            EXPECT_TRUE(syserrs.empty());
        });
        ev_timer_stop(loop, &t);
    }
}

/* ---- Linux AIO --------------------------------------------------------------------------- */

TEST_F(BackendFault, AioRefusedFileIsWatchedThroughEpoll)
{
    NEED(EVBACKEND_LINUXAIO);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    sysfault::Arm(sysfault::IO_SUBMIT, EINVAL, 1); /* a file AIO cannot poll */
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(sysfault::Injected(sysfault::IO_SUBMIT), 1);
    EXPECT_EQ(c.calls, 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
    /* other events, in the epoll set */
    ev_io_stop(loop, &c.w);
    ev_io_modify(&c.w, EV_READ | EV_WRITE);
    ev_io_start(loop, &c.w);
    c.calls = c.revents = 0;
    EXPECT_TRUE(Spin([&] { return c.revents == (EV_READ | EV_WRITE); }));
    /* the same events again: nothing to change */
    ev_io_stop(loop, &c.w);
    ev_io_start(loop, &c.w);
    ev_run(loop, EVRUN_NOWAIT);
    /* a failing change errors the watcher */
    ev_io_stop(loop, &c.w);
    ev_io_modify(&c.w, EV_WRITE);
    ev_io_start(loop, &c.w);
    inject::Arm(inject::EPOLL_CTL, EBADF, 1, sv[0]);
    c.calls = c.revents = 0;
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents & EV_ERROR, EV_ERROR);
    EXPECT_FALSE(ev_is_active(&c.w));
    /* stopped: out of the set; set again: AIO first again */
    ev_io_set(&c.w, sv[0], EV_READ);
    ev_io_start(loop, &c.w);
    c.calls = c.revents = 0;
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
    ev_io_stop(loop, &c.w);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, AioFileNeitherAioNorEpollCanWatch)
{
    NEED(EVBACKEND_LINUXAIO);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    sysfault::Arm(sysfault::IO_SUBMIT, EINVAL, 1);
    inject::Arm(inject::EPOLL_CTL, EPERM, 1, sv[0]);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_ERROR | EV_READ | EV_WRITE);
    /* in the epoll set already (added behind ev's back): updated instead */
    int p[2];
    Pair(p);
    struct epoll_event e = {};
    e.events = EPOLLOUT;
    e.data.u64 = (uint64_t)p[0];
    ASSERT_EQ(epoll_ctl(epfd, EPOLL_CTL_ADD, p[0], &e), 0);
    Counter d;
    Watch(d, p[0], EV_READ);
    sysfault::Arm(sysfault::IO_SUBMIT, EINVAL, 1);
    ev_run(loop, EVRUN_NOWAIT);
    ASSERT_EQ(write(p[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return d.calls > 0; }));
    EXPECT_EQ(d.revents, EV_READ);
}

TEST_F(BackendFault, AioSubmitInterruptedOrTakingNone)
{
    NEED(EVBACKEND_LINUXAIO);
    for (int err : {EINTR, 0, EAGAIN}) {
        SCOPED_TRACE(err);
        int sv[2];
        Pair(sv);
        ASSERT_EQ(write(sv[1], "x", 1), 1);
        Counter c;
        Watch(c, sv[0], EV_READ);
        sysfault::Arm(sysfault::IO_SUBMIT, err, 1); /* 0 and EAGAIN: a larger context */
        EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
        EXPECT_EQ(c.revents, EV_READ);
        EXPECT_EQ(sysfault::Injected(sysfault::IO_SUBMIT), 1);
        ev_io_stop(loop, &c.w);
        sysfault::Reset();
    }
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, AioEpollPollThatCannotBeSubmitted)
{
    NEED(EVBACKEND_LINUXAIO);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    /* the fd to the epoll set, whose own poll is submitted in the same round: refused too */
    sysfault::Arm(sysfault::IO_SUBMIT, EINVAL, 2);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(sysfault::Injected(sysfault::IO_SUBMIT), 2);
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], "(libev) linuxaio io_submit");
}

TEST_F(BackendFault, AioEpollSetFailingToWaitGoesToSyserr)
{
    NEED(EVBACKEND_LINUXAIO);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    sysfault::Arm(sysfault::IO_SUBMIT, EINVAL, 1); /* to the epoll set */
    ev_run(loop, EVRUN_NOWAIT);
    ASSERT_EQ(write(sv[1], "x", 1), 1); /* the set's fd polls ready: it is drained */
    inject::Arm(inject::EPOLL_WAIT, ENOMEM, 1);
    EXPECT_TRUE(Spin([&] { return inject::Injected(inject::EPOLL_WAIT) > 0; }));
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], "(libev) linuxaio epoll_wait");
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
}

TEST_F(BackendFault, AioContextGrowsWithAnFdInTheEpollSet)
{
    NEED(EVBACKEND_LINUXAIO);
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    sysfault::Arm(sysfault::IO_SUBMIT, EINVAL, 1); /* to the epoll set */
    ev_run(loop, EVRUN_NOWAIT);
    /* more polls than the context holds: a larger one, the epoll set's fd polled on it too */
    std::vector<std::unique_ptr<Counter>> cs;
    for (int i = 0; i < 300; ++i) {
        int p[2];
        Pair(p);
        ASSERT_EQ(write(p[1], "x", 1), 1);
        cs.emplace_back(new Counter);
        Watch(*cs.back(), p[0], EV_READ);
    }
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    auto all = [&] {
        for (auto &d : cs)
            if (!d->calls)
                return false;
        return c.calls > 0;
    };
    EXPECT_TRUE(Spin(all, 20));
    for (auto &d : cs)
        ev_io_stop(loop, &d->w);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, AioContextLimitFallsBackToEpoll)
{
    NEED(EVBACKEND_LINUXAIO);
    /* more polls than the first context holds: a larger one is refused (fs.aio-max-nr) */
    sysfault::Arm(sysfault::IO_SETUP, EAGAIN, 1000);
    std::vector<std::unique_ptr<Counter>> cs;
    for (int i = 0; i < 300; ++i) {
        int sv[2];
        Pair(sv);
        ASSERT_EQ(write(sv[1], "x", 1), 1);
        cs.emplace_back(new Counter);
        Watch(*cs.back(), sv[0], EV_READ);
    }
    auto all = [&] {
        for (auto &c : cs)
            if (!c->calls)
                return false;
        return true;
    };
    EXPECT_TRUE(Spin(all, 20));
    /* epoll only from now on: new watchers and changes go to the set */
    int sv[2];
    Pair(sv);
    Counter d;
    Watch(d, sv[0], EV_WRITE);
    EXPECT_TRUE(Spin([&] { return d.calls > 0; }));
    EXPECT_EQ(d.revents, EV_WRITE);
    ev_io_stop(loop, &d.w);
    for (auto &c : cs)
        ev_io_stop(loop, &c->w);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_TRUE(syserrs.empty());
}

TEST_F(BackendFault, AioForkedChildWithoutAContext)
{
    NEED(EVBACKEND_LINUXAIO);
    int a[2], b[2];
    Pair(a);
    Pair(b);
    Counter ca, cb;
    Watch(ca, a[0], EV_READ);
    Watch(cb, b[0], EV_READ);
    sysfault::Arm(sysfault::IO_SUBMIT, EINVAL, 1); /* a[0]: in the epoll set */
    ev_run(loop, EVRUN_NOWAIT);
    sysfault::Reset();
    InChild([&] {
        ev_loop_fork(loop);
        sysfault::Arm(sysfault::IO_SETUP, EAGAIN, 1000);
        ASSERT_EQ(write(a[1], "x", 1), 1);
        ASSERT_EQ(write(b[1], "x", 1), 1);
        EXPECT_TRUE(Spin([&] { return ca.calls > 0 && cb.calls > 0; }));
        int p[2];
        ASSERT_EQ(pipe(p), 0);
        Counter d;
        Watch(d, p[1], EV_WRITE);
        EXPECT_TRUE(Spin([&] { return d.calls > 0; }));
        EXPECT_TRUE(syserrs.empty());
    });
    InChild([&] {
        /* no new epoll set at first: the syserr callback is told, and ev tries again */
        sysfault::Arm(sysfault::EPOLL_CREATE1, EMFILE, 1);
        ASSERT_EQ(write(b[1], "x", 1), 1);
        EXPECT_TRUE(Spin([&] { return cb.calls > 0; }));
        ASSERT_EQ(syserrs.size(), 1u);
        EXPECT_EQ(syserrs[0], "(libev) linuxaio io_setup after fork");
    });
    InChild([&] {
        /* destroyed in a child that made nothing of its own: the parent's context is not its */
        ev_loop_destroy(loop);
        loop = nullptr;
    });
    ASSERT_EQ(write(b[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return cb.calls > 0; }));
    EXPECT_EQ(cb.revents, EV_READ);
}

TEST_F(BackendFault, AioRingOfAnUnknownLayoutIsReadWithGetevents)
{
    if (!(ev_supported_backends() & EVBACKEND_LINUXAIO))
        GTEST_SKIP() << "no linuxaio";
    sysfault::SpoilAioRingMagic(true);
    loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_LINUXAIO);
    ASSERT_NE(loop, nullptr);
    sysfault::SpoilAioRingMagic(false);
    std::vector<std::unique_ptr<Counter>> cs;
    for (int i = 0; i < 100; ++i) { /* more than one io_getevents call takes */
        int sv[2];
        Pair(sv);
        ASSERT_EQ(write(sv[1], "x", 1), 1);
        cs.emplace_back(new Counter);
        Watch(*cs.back(), sv[0], EV_READ);
    }
    auto all = [&] {
        for (auto &c : cs)
            if (!c->calls)
                return false;
        return true;
    };
    EXPECT_TRUE(Spin(all, 20));
    for (auto &c : cs)
        ev_io_stop(loop, &c->w);
    ev_run(loop, EVRUN_NOWAIT);

    /* completions with a result about the request, not the file: polled again */
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_WRITE);
    for (long res : {-EINTR, -EAGAIN, -ECANCELED}) {
        c.calls = 0;
        sysfault::RewriteAioResult(res, 1);
        ev_run(loop, EVRUN_NOWAIT);
        EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
        EXPECT_EQ(c.revents, EV_WRITE);
    }
    /* a result about the file: the watcher is errored */
    c.calls = c.revents = 0;
    sysfault::RewriteAioResult(-EBADF, 1);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_ERROR | EV_READ | EV_WRITE);
    /* a failing wait: syserr, and the loop goes on */
    ev_timer t;
    ev_timer_init(
        &t, [](struct ev_loop *, ev_timer *, int) {}, 0.001, 0.);
    ev_timer_start(loop, &t);
    sysfault::Arm(sysfault::IO_GETEVENTS, ENOMEM, 1);
    ev_run(loop, EVRUN_ONCE);
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], "(libev) linuxaio io_getevents");
    ev_timer_stop(loop, &t);
}

} // namespace
