/*
 * emu_fault_test.cc - the kqueue and event-port backends (built against the emulations of
 * ev/tests/emu) under failures injected into their kernel calls (emufault.h): no kqueue or port
 * at init or in a forked child, failing waits and flushes, and port events ev must not take at
 * face value (POLLNVAL, a stale user pointer); plus a full kqueue event array.
 */
#include "ev/tests/cov/backends/emufault.h"

#include <ev.h>
#include <gtest/gtest.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ev/tests/cov/backends/fault_fixture.h"

namespace {

using covfault::CountCb;
using covfault::Counter;
using covfault::RecordSyserr;
std::vector<std::string> &syserrs = covfault::Syserrs();

class EmuFault : public ::testing::TestWithParam<unsigned>, protected covfault::LoopUnderTest {
  protected:
    void SetUp() override
    {
        emufault::Reset();
        syserrs.clear();
        ev_set_syserr_cb(RecordSyserr);
        loop = ev_loop_new(EVFLAG_NOENV | GetParam());
        ASSERT_NE(loop, nullptr);
        ASSERT_EQ(ev_backend(loop), GetParam());
    }

    void TearDown() override
    {
        emufault::Reset();
        if (loop)
            ev_loop_destroy(loop);
        for (int fd : fds)
            close(fd);
        ev_set_syserr_cb(nullptr);
    }

    bool Kqueue() const { return GetParam() == EVBACKEND_KQUEUE; }
    emufault::Call Create() const { return Kqueue() ? emufault::KQUEUE : emufault::PORT_CREATE; }
    emufault::Call Wait() const { return Kqueue() ? emufault::KEVENT : emufault::PORT_GETN; }
};

TEST_P(EmuFault, NoKernelObjectAtInitFailsTheLoop)
{
    emufault::Arm(Create(), EMFILE, 1);
    EXPECT_EQ(ev_loop_new(EVFLAG_NOENV | GetParam()), nullptr);
    EXPECT_EQ(emufault::Injected(Create()), 1);
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | GetParam() | EVBACKEND_POLL);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(ev_backend(l), (unsigned)GetParam());
    ev_loop_destroy(l);
}

TEST_P(EmuFault, ChildRetriesUntilItHasItsOwn)
{
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    for (bool loop_fork : {false, true}) {
        SCOPED_TRACE(loop_fork);
        InChild([&] {
            if (loop_fork)
                ev_loop_fork(loop);
            emufault::Arm(Create(), EMFILE, 2);
            ASSERT_EQ(write(sv[1], "x", 1), 1);
            EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
            EXPECT_EQ(c.revents, EV_READ);
            ASSERT_EQ(syserrs.size(), 2u);
            EXPECT_EQ(syserrs[0],
                      Kqueue() ? "(libev) kqueue after fork" : "(libev) port_create after fork");
        });
    }
}

TEST_P(EmuFault, FailingWaitGoesToSyserrAndTheLoopGoesOn)
{
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_READ);
    ev_run(loop, EVRUN_NOWAIT);
    emufault::Arm(Wait(), EINTR, 1);
    ev_run(loop, EVRUN_NOWAIT);
    if (!Kqueue()) {
        emufault::Arm(Wait(), ETIME, 1);
        ev_run(loop, EVRUN_NOWAIT);
    }
    EXPECT_TRUE(syserrs.empty());
    emufault::Arm(Wait(), ENOMEM, 1);
    ev_run(loop, EVRUN_NOWAIT);
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], Kqueue() ? "(libev) kevent" : "(libev) port_getn");
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_READ);
}

/* A timer decades away: the wait is clamped to 1e9 s; an interrupted wait returns from
 * EVRUN_ONCE (in a child, so that a missed injection ends as SIGALRM, not a hang). */
TEST_P(EmuFault, WaitForATimerDecadesAwayIsClamped)
{
    ev_timer t;
    ev_timer_init(
        &t, [](struct ev_loop *, ev_timer *, int) {}, 2e9, 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, EVRUN_NOWAIT);
    InChild([&] {
        ev_loop_fork(loop);
        ev_run(loop, EVRUN_NOWAIT);
        emufault::Arm(Wait(), EINTR, 1);
        ev_run(loop, EVRUN_ONCE);
        EXPECT_EQ(emufault::Injected(Wait()), 1);
        EXPECT_TRUE(ev_is_active(&t));
        EXPECT_TRUE(syserrs.empty());
    });
    ev_timer_stop(loop, &t);
}

TEST_P(EmuFault, ManyReadyFdsInOneIteration)
{
    std::vector<std::unique_ptr<Counter>> cs;
    auto all = [&] {
        for (auto &c : cs)
            if (c->revents != (EV_READ | EV_WRITE))
                return false;
        return true;
    };
    /* 32 fds with two filters each fill kqueue's first event array (64) exactly; 150 more than
     * any array holds */
    for (int round : {32, 118}) {
        for (int i = 0; i < round; ++i) {
            int sv[2];
            Pair(sv);
            ASSERT_EQ(write(sv[1], "x", 1), 1);
            cs.emplace_back(new Counter);
            Watch(*cs.back(), sv[0], EV_READ | EV_WRITE);
        }
        EXPECT_TRUE(Spin(all, 20));
    }
    for (auto &c : cs)
        ev_io_stop(loop, &c->w);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_TRUE(syserrs.empty());
}

TEST_P(EmuFault, KqueueFlushFailureFromAnEmbeddingLoop)
{
    if (!Kqueue())
        GTEST_SKIP() << "ports apply changes at once";
    struct ev_loop *outer = ev_loop_new(EVFLAG_NOENV | EVBACKEND_EPOLL);
    ASSERT_NE(outer, nullptr);
    ev_embed e;
    ev_embed_init(&e, nullptr, loop);
    ev_embed_start(outer, &e);
    int sv[2];
    Pair(sv);
    Counter c;
    for (int err : {EINTR, ENOMEM}) {
        Watch(c, sv[0], EV_READ); /* queued: the host's prepare hands it over */
        emufault::Arm(emufault::KEVENT, err, 1);
        ev_run(outer, EVRUN_NOWAIT);
        ev_io_stop(loop, &c.w);
    }
    EXPECT_EQ(emufault::Injected(emufault::KEVENT), 2);
    ASSERT_EQ(syserrs.size(), 1u);
    EXPECT_EQ(syserrs[0], "(libev) kevent");
    ev_embed_stop(outer, &e);
    ev_loop_destroy(outer);
}

TEST_P(EmuFault, PortEventsEvMustNotTakeAtFaceValue)
{
    if (Kqueue())
        GTEST_SKIP() << "event ports only";
    int sv[2];
    Pair(sv);
    Counter c;
    Watch(c, sv[0], EV_WRITE); /* always ready */
    /* an event of an association ev no longer knows: not reported, the fd associated again */
    emufault::RewritePortEvent(0, true);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 0);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_WRITE);
    /* POLLNVAL: the fd was closed under the port */
    c.calls = c.revents = 0;
    emufault::RewritePortEvent(POLLNVAL, false);
    EXPECT_TRUE(Spin([&] { return c.calls > 0; }));
    EXPECT_EQ(c.revents, EV_ERROR | EV_READ | EV_WRITE);
    EXPECT_FALSE(ev_is_active(&c.w));
    EXPECT_TRUE(syserrs.empty());
}

INSTANTIATE_TEST_SUITE_P(Emulated, EmuFault, ::testing::Values(EVBACKEND_KQUEUE, EVBACKEND_PORT),
                         [](const ::testing::TestParamInfo<unsigned> &i) {
                             return std::string(i.param == EVBACKEND_KQUEUE ? "kqueue" : "port");
                         });

} // namespace
