/*
 * syscall_fault_test.cc - the loop under injected syscall failures (inject.h), on every backend:
 *  - EINTR from the wait call (epoll_wait, poll, select) is retried silently: no syserr;
 *  - EBADF from epoll_ctl stops the fd's watchers and calls them with EV_ERROR|EV_READ|EV_WRITE
 *    (README: "A watched fd that is closed under the loop ..."); EBADF from select makes the
 *    loop probe its fds and error only the closed ones (none here); from poll or epoll_wait (the
 *    kernel never says EBADF there for a watched fd) it is an unrecoverable error: syserr;
 *  - ENOMEM from the wait call goes to the ev_set_syserr_cb callback, after which the loop goes on;
 *    without a callback the process aborts with a message (observed in a forked child);
 *  - EAGAIN on the wake-up channel (a full async/signal pipe, or an eventfd write that fails):
 *    ev_async_send and the signal handler never block, errno is preserved, no wake-up is lost.
 * io_uring does not use these calls (raw io_uring syscalls); its cases are skipped.
 */
#include "ev/tests/fault/inject.h"
#include "ev/tests/test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "ev/tests/fault/child.h"
#include <vector>

namespace {

std::vector<std::string> syserr_msgs;

void RecordSyserr(const char *msg)
{
    syserr_msgs.push_back(msg);
}

/* The wait call of a backend, or NFN for io_uring. */
inject::Fn WaitFn(unsigned backend)
{
    switch (backend) {
    case EVBACKEND_EPOLL:
        return inject::EPOLL_WAIT;
    case EVBACKEND_POLL:
        return inject::POLL;
    case EVBACKEND_SELECT:
        return inject::SELECT;
    default:
        return inject::NFN;
    }
}

using evfault::RunInChild;

extern int async_calls;
void AsyncCb(struct ev_loop *, ev_async *, int);
void SendBeforePoll(struct ev_loop *l);
extern ev_async *send_me;

class FaultTest : public evtest::LoopTest {
  protected:
    int fds[2] = {-1, -1};
    ev_io io{};
    int io_calls = 0;
    int io_revents = 0;

    void SetUp() override
    {
        inject::Reset();
        syserr_msgs.clear();
        ev_set_syserr_cb(RecordSyserr);
        LoopTest::SetUp();
        ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
        ev_io_init(&io, IoCb, fds[0], EV_READ);
        io.data = this;
    }

    void TearDown() override
    {
        inject::Reset();
        if (loop)
            ev_io_stop(loop, &io);
        LoopTest::TearDown();
        ev_set_syserr_cb(nullptr);
        for (int fd : fds)
            if (fd >= 0)
                close(fd);
    }

    static void IoCb(struct ev_loop *, ev_io *w, int revents)
    {
        auto *self = static_cast<FaultTest *>(w->data);
        ++self->io_calls;
        self->io_revents = revents;
    }

    void Fill() { ASSERT_EQ(write(fds[1], "x", 1), 1); }
};

TEST_P(FaultTest, EintrFromWaitIsRetriedSilently)
{
    if (WaitFn(GetParam()) == inject::NFN)
        GTEST_SKIP() << evtest::BackendName(GetParam()) << " does not poll through a libc call";
    inject::Fn fn = WaitFn(GetParam());
    ev_io_start(loop, &io);
    Fill();
    inject::Arm(fn, EINTR, 3);
    EXPECT_TRUE(RunUntil([&] { return io_calls > 0; }));
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(inject::Injected(fn), 3) << inject::Name(fn);
    EXPECT_TRUE(syserr_msgs.empty()) << syserr_msgs[0];
    EXPECT_EQ(io_revents, EV_READ);
    EXPECT_TRUE(ev_is_active(&io));
    ev_verify(loop);
}

TEST_P(FaultTest, EbadfFromEpollCtlErrorsTheWatchers)
{
    if (GetParam() != EVBACKEND_EPOLL)
        GTEST_SKIP() << "epoll_ctl is epoll's";
    ev_io w2;
    ev_io_init(&w2, IoCb, fds[0], EV_READ | EV_WRITE);
    w2.data = this;
    inject::Arm(inject::EPOLL_CTL, EBADF, 1, fds[0]);
    ev_io_start(loop, &io);
    ev_io_start(loop, &w2);
    EXPECT_TRUE(RunUntil([&] { return io_calls >= 2; }));
    EXPECT_EQ(inject::Injected(inject::EPOLL_CTL), 1);
    EXPECT_EQ(io_calls, 2);
    EXPECT_EQ(io_revents, EV_ERROR | EV_READ | EV_WRITE);
    EXPECT_FALSE(ev_is_active(&io));
    EXPECT_FALSE(ev_is_active(&w2));
    EXPECT_TRUE(syserr_msgs.empty());
    ev_verify(loop);

    /* The fd itself is fine: started again, the watcher works. */
    io_calls = 0;
    ev_io_start(loop, &io);
    Fill();
    EXPECT_TRUE(RunUntil([&] { return io_calls > 0; }));
    EXPECT_EQ(io_revents, EV_READ);
    EXPECT_TRUE(ev_is_active(&io));
    ev_verify(loop);
}

TEST_P(FaultTest, OtherEpollCtlFailuresErrorTheWatcherToo)
{
    if (GetParam() != EVBACKEND_EPOLL)
        GTEST_SKIP() << "epoll_ctl is epoll's";
    /* ENOSPC: max_user_watches reached; ENOMEM: no kernel memory; EINVAL: an fd epoll refuses */
    for (int err : {ENOSPC, ENOMEM, EINVAL}) {
        SCOPED_TRACE(strerror(err));
        io_calls = 0;
        inject::Reset();
        inject::Arm(inject::EPOLL_CTL, err, 1, fds[0]);
        ev_io_start(loop, &io);
        EXPECT_TRUE(RunUntil([&] { return io_calls > 0; }));
        EXPECT_EQ(inject::Injected(inject::EPOLL_CTL), 1);
        EXPECT_EQ(io_revents, EV_ERROR | EV_READ | EV_WRITE);
        EXPECT_FALSE(ev_is_active(&io));
        ev_verify(loop);
    }
    EXPECT_TRUE(syserr_msgs.empty());
}

TEST_P(FaultTest, FailedReadsOfTheWakeupChannelLoseNothing)
{
    ev_async a;
    ev_async_init(&a, AsyncCb);
    ev_async_start(loop, &a);
    int efd = inject::LastEventfd();
    ASSERT_GE(efd, 0) << "no eventfd";
    ev_set_loop_release_cb(loop, SendBeforePoll, nullptr);
    for (int err : {EINTR, EAGAIN}) {
        SCOPED_TRACE(strerror(err));
        inject::Arm(inject::READ, err, 2, efd);
        async_calls = 0;
        send_me = &a; /* written to the eventfd: the loop wakes and reads it */
        EXPECT_TRUE(RunUntil([] { return async_calls > 0; }));
        EXPECT_EQ(async_calls, 1);
        EXPECT_GE(inject::Injected(inject::READ), 1);
        /* the eventfd stayed readable after the failed read; a later read empties it, and the
         * loop then goes back to sleep: the next wake-up is a new send */
        for (int i = 0; i < 5; ++i)
            ev_run(loop, EVRUN_NOWAIT);
        EXPECT_EQ(async_calls, 1);
        send_me = &a;
        EXPECT_TRUE(RunUntil([] { return async_calls > 1; }));
        EXPECT_EQ(async_calls, 2);
        inject::Reset();
    }
    EXPECT_TRUE(syserr_msgs.empty());
    ev_verify(loop);
    ev_async_stop(loop, &a);
    ev_set_loop_release_cb(loop, nullptr, nullptr);
}

TEST_P(FaultTest, EbadfFromWaitCall)
{
    if (WaitFn(GetParam()) == inject::NFN)
        GTEST_SKIP() << evtest::BackendName(GetParam()) << " does not poll through a libc call";
    inject::Fn fn = WaitFn(GetParam());
    ev_io_start(loop, &io);
    ev_run(loop, EVRUN_NOWAIT); /* registered */
    inject::Arm(fn, EBADF, 1);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(inject::Injected(fn), 1);
    if (GetParam() == EVBACKEND_SELECT) {
        /* every watched fd is probed; none is closed, so nobody is errored */
        EXPECT_TRUE(syserr_msgs.empty());
        EXPECT_EQ(io_calls, 0);
        EXPECT_TRUE(ev_is_active(&io));
    } else {
        ASSERT_EQ(syserr_msgs.size(), 1u);
        EXPECT_NE(syserr_msgs[0].find(inject::Name(fn)), std::string::npos) << syserr_msgs[0];
    }
    ev_verify(loop);
    Fill();
    EXPECT_TRUE(RunUntil([&] { return io_calls > 0; }));
    EXPECT_EQ(io_revents, EV_READ);
}

TEST_P(FaultTest, EnomemFromWaitCallsSyserrAndTheLoopGoesOn)
{
    if (WaitFn(GetParam()) == inject::NFN)
        GTEST_SKIP() << evtest::BackendName(GetParam()) << " does not poll through a libc call";
    inject::Fn fn = WaitFn(GetParam());
    ev_io_start(loop, &io);
    inject::Arm(fn, ENOMEM, 1);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(inject::Injected(fn), 1);
    ASSERT_EQ(syserr_msgs.size(), 1u);
    EXPECT_EQ(syserr_msgs[0], std::string("(libev) ") + inject::Name(fn));
    EXPECT_TRUE(ev_is_active(&io));
    ev_verify(loop);
    Fill();
    EXPECT_TRUE(RunUntil([&] { return io_calls > 0; }));
    EXPECT_EQ(io_revents, EV_READ);
    EXPECT_EQ(syserr_msgs.size(), 1u);
}

TEST_P(FaultTest, EnomemFromWaitWithoutCallbackAbortsWithAMessage)
{
    if (WaitFn(GetParam()) == inject::NFN)
        GTEST_SKIP() << evtest::BackendName(GetParam()) << " does not poll through a libc call";
    inject::Fn fn = WaitFn(GetParam());
    ev_io_start(loop, &io);
    std::string err;
    int status = RunInChild(
        [&] {
            ev_set_syserr_cb(nullptr); /* the default: perror + abort */
            inject::Arm(fn, ENOMEM, 1);
            ev_run(loop, EVRUN_NOWAIT);
            fprintf(stderr, "ev_run returned\n");
            _exit(3);
        },
        &err);
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status << ", stderr: " << err;
    EXPECT_EQ(WTERMSIG(status), SIGABRT) << err;
    EXPECT_NE(err.find(std::string("(libev) ") + inject::Name(fn)), std::string::npos) << err;
    EXPECT_NE(err.find(strerror(ENOMEM)), std::string::npos) << err;
}

/* ---- the wake-up channel ------------------------------------------------------------------- */

int async_calls, signal_calls;
ev_async *send_me;
bool raise_signal;
int errno_after_send;

void AsyncCb(struct ev_loop *, ev_async *, int)
{
    ++async_calls;
}

void SignalCb(struct ev_loop *, ev_signal *, int)
{
    ++signal_calls;
}

/* Runs right before the backend polls, when the loop has announced it may block: the only time
 * ev_async_send and the signal handler write to the wake-up channel. */
void SendBeforePoll(struct ev_loop *l)
{
    if (send_me) {
        errno = 12345;
        ev_async_send(l, send_me);
        errno_after_send = errno;
        send_me = nullptr;
    }
    if (raise_signal) {
        raise_signal = false;
        errno = 12345;
        raise(SIGUSR2);
        errno_after_send = errno;
    }
}

/* Fills a non-blocking pipe; returns the bytes written. */
size_t FillPipe(int fd)
{
    static char buf[4096];
    size_t total = 0;
    ssize_t n;
    while ((n = write(fd, buf, sizeof buf)) > 0)
        total += (size_t)n;
    while ((n = write(fd, buf, 1)) > 0)
        total += (size_t)n;
    return total;
}

TEST_P(FaultTest, FullAsyncAndSignalPipeNeverBlocksNorLosesAWakeup)
{
    /* No eventfd: the loop falls back to a pipe, which can really be full. */
    inject::Arm(inject::EVENTFD, EMFILE, 1000);
    ev_async a;
    ev_async_init(&a, AsyncCb);
    ev_async_start(loop, &a);
    ASSERT_TRUE(ev_is_active(&a));
    ASSERT_EQ(inject::Injected(inject::EVENTFD), 1);
    int wfd = inject::LastPipeWrite();
    ASSERT_GE(wfd, 0);
    EXPECT_GT(FillPipe(wfd), 0u);
    ASSERT_EQ(inject::LastWriteErrno(wfd), EAGAIN);
    ev_set_loop_release_cb(loop, SendBeforePoll, nullptr);

    async_calls = 0;
    send_me = &a;
    int writes = inject::Calls(inject::WRITE);
    EXPECT_TRUE(RunUntil([] { return async_calls > 0; }));
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(async_calls, 1);
    EXPECT_GT(inject::Calls(inject::WRITE), writes) << "the send did not write";
    EXPECT_EQ(inject::LastWriteErrno(wfd), EAGAIN);
    EXPECT_EQ(errno_after_send, 12345);

    /* The pipe was drained: the next send writes for real, and is delivered too. */
    send_me = &a;
    EXPECT_TRUE(RunUntil([] { return async_calls > 1; }));
    EXPECT_EQ(async_calls, 2);

    /* A signal through the same full pipe. */
    ev_signal sig;
    ev_signal_init(&sig, SignalCb, SIGUSR2);
    ev_signal_start(loop, &sig);
    EXPECT_GT(FillPipe(wfd), 0u);
    signal_calls = 0;
    raise_signal = true;
    EXPECT_TRUE(RunUntil([] { return signal_calls > 0; }));
    EXPECT_EQ(signal_calls, 1);
    EXPECT_EQ(errno_after_send, 12345);
    EXPECT_TRUE(syserr_msgs.empty());
    ev_verify(loop);
    ev_signal_stop(loop, &sig);
    ev_async_stop(loop, &a);
    ev_set_loop_release_cb(loop, nullptr, nullptr);
}

TEST_P(FaultTest, EagainOnEventfdWriteLosesNoWakeup)
{
    ev_async a;
    ev_async_init(&a, AsyncCb);
    ev_async_start(loop, &a);
    int efd = inject::LastEventfd();
    ASSERT_GE(efd, 0) << "no eventfd";
    ev_set_loop_release_cb(loop, SendBeforePoll, nullptr);
    /* Keeps the poll from blocking for long now that the write failed and nothing is readable;
     * the wake-up must come from the loop's own bookkeeping, in the same iteration. */
    ev_timer t;
    ev_timer_init(
        &t, [](struct ev_loop *, ev_timer *, int) {}, 0.05, 0.);
    ev_timer_start(loop, &t);
    inject::Arm(inject::WRITE, EAGAIN, 1, efd);
    async_calls = 0;
    send_me = &a;
    unsigned it = ev_iteration(loop);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(inject::Injected(inject::WRITE), 1);
    EXPECT_EQ(errno_after_send, 12345);
    EXPECT_EQ(ev_iteration(loop), it + 1);
    EXPECT_EQ(async_calls, 1) << "the wake-up was lost with the failed write";
    EXPECT_TRUE(syserr_msgs.empty());
    ev_verify(loop);
    ev_timer_stop(loop, &t);
    ev_async_stop(loop, &a);
    ev_set_loop_release_cb(loop, nullptr, nullptr);
}

EV_ALL_BACKENDS(FaultTest);

} // namespace
