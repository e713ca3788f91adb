// Backend fall-back where the kernel (or an emulator) refuses io_uring: ev then reports io_uring
// as unsupported, a loop that asks for io_uring or epoll gets epoll, one that asks for io_uring
// alone is not created, and the epoll loop it fell back to delivers io events. qemu-user
// (--config=aarch64) emulates no io_uring, so there this is what runs; on a kernel that allows
// io_uring the fall-back cannot be provoked and the test says so in its skip reason.
#include "test_util.h"

#include <cerrno>
#include <cstdlib>
#include <string>

#include <linux/io_uring.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

// Whether io_uring_setup works here at all (ENOSYS under qemu-user, EPERM where it is disabled).
bool IoUringSetupWorks()
{
    struct io_uring_params p = {};
    int fd = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

void OnRead(struct ev_loop *loop, ev_io *w, int revents)
{
    *static_cast<int *>(w->data) |= revents;
    ev_break(loop, EVBREAK_ALL);
}

TEST(FallbackTest, QemuUserHasNoIoUring)
{
    if (!evtest::Emulator())
        GTEST_SKIP() << "not under an emulator (EV_TEST_EMULATOR unset)";
    // If a later qemu emulates io_uring, the fall-back test below no longer runs there: say so.
    EXPECT_FALSE(IoUringSetupWorks()) << evtest::Emulator() << " now emulates io_uring";
}

TEST(FallbackTest, WithoutIoUringEpollIsChosen)
{
    if (IoUringSetupWorks())
        GTEST_SKIP() << "this kernel allows io_uring, so the fall-back cannot happen here; it runs "
                        "under qemu-user (bazel test --config=aarch64)";
    EXPECT_EQ(ev_supported_backends() & EVBACKEND_IOURING, 0u);
    EXPECT_EQ(ev_recommended_backends() & EVBACKEND_IOURING, 0u);

    struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING | EVBACKEND_EPOLL);
    ASSERT_NE(loop, nullptr);
    EXPECT_EQ(ev_backend(loop), (unsigned)EVBACKEND_EPOLL);

    // The same through LIBEV_FLAGS.
    setenv("LIBEV_FLAGS", std::to_string(EVBACKEND_IOURING | EVBACKEND_EPOLL).c_str(), 1);
    struct ev_loop *env_loop = ev_loop_new(0);
    unsetenv("LIBEV_FLAGS");
    ASSERT_NE(env_loop, nullptr);
    EXPECT_EQ(ev_backend(env_loop), (unsigned)EVBACKEND_EPOLL);
    ev_loop_destroy(env_loop);

    // io_uring alone: no backend left, no loop.
    EXPECT_EQ(ev_loop_new(EVFLAG_NOENV | EVBACKEND_IOURING), nullptr);

    // The loop it fell back to works: one readable socket, one EV_READ.
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int got = 0;
    ev_io w;
    ev_io_init(&w, OnRead, sv[0], EV_READ);
    w.data = &got;
    ev_io_start(loop, &w);
    ev_timer guard; // a hang fails instead of blocking the test
    ev_timer_init(
        &guard, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ALL); }, 10., 0.);
    ev_timer_start(loop, &guard);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    ev_run(loop, 0);
    ev_timer_stop(loop, &guard);
    EXPECT_EQ(got, EV_READ);
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
    ev_loop_destroy(loop);
}

} // namespace
