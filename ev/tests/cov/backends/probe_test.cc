/*
 * probe_test.cc - what ev does when the kernel refuses io_uring or Linux AIO, or offers an
 * io_uring without the features ev needs. ev asks the kernel once per process (the answer is
 * cached), so every case runs in a forked child of a parent that never called ev: the child
 * injects the refusal (sysfault.h) before its first call. A child reports a failed expectation
 * on stderr and with exit status 1.
 */
#include "ev/tests/cov/backends/sysfault.h"

#include <ev.h>
#include <gtest/gtest.h>

#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "ev/tests/fault/child.h"

namespace {

int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);                     \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

template <class F> void ExpectChildPasses(F fn)
{
    std::string err;
    int status = evfault::RunInChild(
        [&] {
            failures = 0;
            fn();
            _exit(failures ? 1 : 0);
        },
        &err);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << ": " << err;
}

/* Whether ev finds Linux AIO usable, asked in a child: ev keeps what it probed, and the tests
 * fault the probe in children of their own, which must not inherit a result. */
bool LinuxAioSupported()
{
    std::string err;
    int status = evfault::RunInChild(
        [] { _exit(ev_supported_backends() & EVBACKEND_LINUXAIO ? 0 : 1); }, &err);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void OnRead(struct ev_loop *l, ev_io *w, int revents)
{
    *static_cast<int *>(w->data) |= revents;
    ev_break(l, EVBREAK_ALL);
}

/* One readable socket, watched by loop: its EV_READ arrives. */
bool DeliversARead(struct ev_loop *loop)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return false;
    int got = 0;
    ev_io w;
    ev_io_init(&w, OnRead, sv[0], EV_READ);
    w.data = &got;
    ev_io_start(loop, &w);
    ev_timer guard;
    ev_timer_init(
        &guard, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ALL); }, 10., 0.);
    ev_timer_start(loop, &guard);
    bool ok = write(sv[1], "x", 1) == 1;
    ev_run(loop, 0);
    ev_timer_stop(loop, &guard);
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
    return ok && got == EV_READ;
}

TEST(ProbeTest, RefusedIoUringAndAioAreNotSupportedAndTheLoopFallsBack)
{
    ExpectChildPasses([] {
        sysfault::Arm(sysfault::IO_URING_SETUP, EPERM, 1000); /* seccomp, io_uring_disabled */
        sysfault::Arm(sysfault::IO_SETUP, ENOSYS, 1000);      /* CONFIG_AIO=n */
        CHECK(!(ev_supported_backends() & EVBACKEND_IOURING));
        CHECK(!(ev_supported_backends() & EVBACKEND_LINUXAIO));
        CHECK(ev_supported_backends() & EVBACKEND_EPOLL);
        CHECK(ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING) == nullptr);
        CHECK(ev_loop_new(EVFLAG_NOENV | EVBACKEND_LINUXAIO) == nullptr);
        struct ev_loop *loop =
            ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING | EVBACKEND_LINUXAIO | EVBACKEND_EPOLL);
        CHECK(loop != nullptr);
        if (loop) {
            CHECK(ev_backend(loop) == EVBACKEND_EPOLL);
            CHECK(DeliversARead(loop));
            ev_loop_destroy(loop);
        }
    });
}

TEST(ProbeTest, IoUringWithoutNodropOrExtArgIsNotUsed)
{
    for (unsigned hide : {(unsigned)IORING_FEAT_NODROP, (unsigned)IORING_FEAT_EXT_ARG}) {
        SCOPED_TRACE(hide);
        ExpectChildPasses([hide] {
            sysfault::HideUringFeatures(hide); /* a kernel before 5.11 */
            CHECK(!(ev_supported_backends() & EVBACKEND_IOURING));
            struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING | EVBACKEND_POLL);
            CHECK(loop && ev_backend(loop) == EVBACKEND_POLL);
            if (loop)
                ev_loop_destroy(loop);
        });
    }
}

TEST(ProbeTest, IoUringWithoutSingleMmapMapsTheCompletionRingApart)
{
    ExpectChildPasses([] {
        sysfault::HideUringFeatures(IORING_FEAT_SINGLE_MMAP); /* before 5.4 */
        if (!(ev_supported_backends() & EVBACKEND_IOURING)) {
            fprintf(stderr, "no io_uring here\n");
            return;
        }
        struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING);
        CHECK(loop && ev_backend(loop) == EVBACKEND_IOURING);
        if (loop) {
            CHECK(DeliversARead(loop));
            ev_loop_destroy(loop);
        }
        /* Each of the three mappings failing fails the loop, and leaks nothing: the next works. */
        for (int skip = 0; skip < 3; ++skip) {
            sysfault::Arm(sysfault::MMAP, ENOMEM, 1, skip);
            CHECK(ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING) == nullptr);
            CHECK(sysfault::Injected(sysfault::MMAP) == 1);
            sysfault::Arm(sysfault::MMAP, 0, 0);
            sysfault::Reset();
            sysfault::HideUringFeatures(IORING_FEAT_SINGLE_MMAP);
        }
        loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING);
        CHECK(loop != nullptr);
        if (loop) {
            CHECK(DeliversARead(loop));
            ev_loop_destroy(loop);
        }
    });
}

TEST(ProbeTest, AioOnAnOldKernelIsNotSupported)
{
    if (!LinuxAioSupported())
        GTEST_SKIP() << "no Linux AIO poll here (qemu-user emulates none): nothing to refuse";
    ExpectChildPasses([] {
        /* io_setup(0) says EINVAL where AIO exists; anything else means no AIO */
        sysfault::Arm(sysfault::IO_SETUP, EPERM, 1);
        CHECK(!(ev_supported_backends() & EVBACKEND_LINUXAIO));
        CHECK(ev_loop_new(EVFLAG_NOENV | EVBACKEND_LINUXAIO) == nullptr);
    });
    /* IOCB_CMD_POLL on epoll files came with 4.19 */
    for (const char *release : {"4.18.0-old", "3.10.0", "junk"}) {
        SCOPED_TRACE(release);
        ExpectChildPasses([release] {
            sysfault::FakeKernelRelease(release);
            CHECK(!(ev_supported_backends() & EVBACKEND_LINUXAIO));
        });
    }
    ExpectChildPasses([] {
        sysfault::FakeKernelRelease("4.19.0");
        CHECK(ev_supported_backends() & EVBACKEND_LINUXAIO);
    });
}

TEST(ProbeTest, AioContextRefusedAtInitFailsTheLoopOnly)
{
    if (!LinuxAioSupported())
        GTEST_SKIP() << "no Linux AIO poll here (qemu-user emulates none): nothing to refuse";
    ExpectChildPasses([] {
        CHECK(ev_supported_backends() & EVBACKEND_LINUXAIO);
        sysfault::Arm(sysfault::IO_SETUP, EAGAIN, 1); /* fs.aio-max-nr reached */
        CHECK(ev_loop_new(EVFLAG_NOENV | EVBACKEND_LINUXAIO) == nullptr);
        sysfault::Arm(sysfault::EPOLL_CREATE1, EMFILE, 1);
        CHECK(ev_loop_new(EVFLAG_NOENV | EVBACKEND_LINUXAIO) == nullptr);
        struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_LINUXAIO);
        CHECK(loop != nullptr);
        if (loop) {
            CHECK(DeliversARead(loop));
            ev_loop_destroy(loop);
        }
    });
}

TEST(ProbeTest, IoUringRingRefusedAtInitFailsTheLoopOnly)
{
    ExpectChildPasses([] {
        if (!(ev_supported_backends() & EVBACKEND_IOURING))
            return;
        sysfault::Arm(sysfault::IO_URING_SETUP, ENOMEM, 1);
        CHECK(ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING) == nullptr);
        /* a kernel before 5.18 refuses IORING_SETUP_SUBMIT_ALL: the ring is made without it */
        sysfault::Arm(sysfault::IO_URING_SETUP, EINVAL, 1);
        int calls = sysfault::Calls(sysfault::IO_URING_SETUP);
        struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING);
        CHECK(loop != nullptr);
        CHECK(sysfault::Calls(sysfault::IO_URING_SETUP) == calls + 2);
        if (loop) {
            CHECK(DeliversARead(loop));
            ev_loop_destroy(loop);
        }
    });
}

} // namespace
