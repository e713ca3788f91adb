// The libev 3.x compatibility names (EV_COMPAT3, on by default) used from
// C++: ev_loop(), ev_unloop(), ev_default_destroy(), ev_default_fork(),
// ev_loop_count/depth/verify, EVLOOP_*, EVUNLOOP_*, EV_TIMEOUT, EVFLAG_NOSIGFD,
// with callbacks written as C functions (extern "C") through the EV_P/EV_A
// macros. The same program in plain C is ev/tests/c/compat3_prog.c.
#include "test_util.h"

#include <type_traits>

#include <unistd.h>

extern "C" {
static int compat_timeouts, compat_reads;

static void compat_timeout_cb(EV_P_ ev_timer *w, int revents)
{
    (void)w;
    EXPECT_EQ(revents, EV_TIMEOUT);
    EXPECT_EQ(ev_loop_depth(EV_A), 1u);
    ++compat_timeouts;
    ev_unloop(EV_A_ EVUNLOOP_ALL);
}

static void compat_read_cb(EV_P_ ev_io *w, int revents)
{
    char c;
    EXPECT_EQ(revents, EV_READ);
    EXPECT_EQ(read(w->fd, &c, 1), 1);
    ++compat_reads;
    ev_io_stop(EV_A_ w);
}

static void compat_arm(EV_P_ ev_timer *t, ev_tstamp after)
{
    ev_timer_init(t, compat_timeout_cb, after, 0.);
    ev_timer_start(EV_A_ t);
}
}

namespace {

static_assert(EV_TIMEOUT == EV_TIMER, "EV_TIMEOUT");
static_assert(EVLOOP_NONBLOCK == EVRUN_NOWAIT && EVLOOP_ONESHOT == EVRUN_ONCE, "EVLOOP_*");
static_assert(EVUNLOOP_CANCEL == 0 && EVUNLOOP_ONE == 1 && EVUNLOOP_ALL == 2, "EVUNLOOP_*");
static_assert(EVFLAG_NOSIGFD == 0, "EVFLAG_NOSIGFD");
static_assert(std::is_same<decltype(ev_loop_count(nullptr)), unsigned int>::value, "count");
static_assert(std::is_same<decltype(ev_loop_depth(nullptr)), unsigned int>::value, "depth");
static_assert(
    std::is_same<decltype(&ev_unloop), void (*)(struct ev_loop *, int)>::value ||
        std::is_same<decltype(&ev_unloop), void (*)(struct ev_loop *, int) noexcept>::value,
    "ev_unloop(EV_P_ int)");

TEST(Compat3Test, DefaultLoopWithOldNames)
{
    if (ev_default_loop_uc_())
        ev_default_destroy();
    struct ev_loop *loop = ev_default_loop(EVFLAG_NOENV);
    ASSERT_NE(loop, nullptr);
    EXPECT_EQ(EV_DEFAULT, loop);
    compat_timeouts = compat_reads = 0;

    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ev_io w;
    ev_io_init(&w, compat_read_cb, fds[0], EV_READ);
    ev_io_start(EV_DEFAULT_ & w);
    ASSERT_EQ(write(fds[1], "x", 1), 1);
    unsigned count = ev_loop_count(EV_DEFAULT);
    ev_loop(EV_DEFAULT_ EVLOOP_ONESHOT);
    EXPECT_EQ(compat_reads, 1);
    EXPECT_EQ(ev_loop_count(EV_DEFAULT), count + 1);
    ev_loop(EV_DEFAULT_ EVLOOP_NONBLOCK);
    EXPECT_EQ(ev_loop_count(EV_DEFAULT), count + 2);

    ev_timer keep, t;
    ev_timer_init(&keep, compat_timeout_cb, 60., 60.);
    ev_timer_start(EV_DEFAULT_ & keep);
    compat_arm(EV_DEFAULT_ & t, 0.01);
    ev_loop(EV_DEFAULT_ 0); // ends by ev_unloop(EVUNLOOP_ALL)
    EXPECT_EQ(compat_timeouts, 1);
    EXPECT_TRUE(ev_is_active(&keep));
    ev_timer_stop(EV_DEFAULT_ & keep);
    ev_loop_verify(EV_DEFAULT);
    EXPECT_EQ(ev_loop_depth(EV_DEFAULT), 0u);

    ev_default_fork(); // marks the default loop for re-init; the next run does it
    ev_io_start(EV_DEFAULT_ & w);
    ASSERT_EQ(write(fds[1], "y", 1), 1);
    ev_loop(EV_DEFAULT_ EVLOOP_ONESHOT);
    EXPECT_EQ(compat_reads, 2) << "io still works after ev_default_fork";

    ev_default_destroy();
    EXPECT_EQ(ev_default_loop_uc_(), nullptr);
    close(fds[0]);
    close(fds[1]);
}

} // namespace
