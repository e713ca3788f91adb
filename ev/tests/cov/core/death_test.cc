// The ways ev/core ends the process: allocation failures, unrecoverable system errors without a
// syserr callback, usage errors (EV__ASSERT) and every check of ev_verify that a program can
// break through the public watcher structs. Each dies with its message (death tests); with
// tools/coverage.sh the lines on the way count too (cov_util.h writes the counters on SIGABRT).
#include "ev/tests/cov/core/cov_util.h"
#include "ev/tests/test_util.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <sys/socket.h>
#include <unistd.h>

namespace {

template <class W> void Nop(struct ev_loop *, W *, int) {}

class CovDeathTest : public ::testing::Test {
  protected:
    struct ev_loop *loop = nullptr;
    void SetUp() override
    {
        ::testing::FLAGS_gtest_death_test_style = "threadsafe";
        loop = ev_loop_new(EVFLAG_NOENV);
        ASSERT_NE(loop, nullptr);
    }
    void TearDown() override { ev_loop_destroy(loop); }
};

int alloc_calls;

void *CountingAlloc(void *p, long size)
{
    ++alloc_calls;
    if (size)
        return realloc(p, (size_t)size);
    free(p);
    return nullptr;
}

void *NullAlloc(void *p, long size)
{
    if (!size)
        free(p);
    return nullptr;
}

/* Refuses blocks above 1 GiB, as an allocator near its limit would. */
void *CappedAlloc(void *p, long size)
{
    if (size > (1L << 30))
        return nullptr;
    if (size)
        return realloc(p, (size_t)size);
    free(p);
    return nullptr;
}

TEST_F(CovDeathTest, AllocatorIsUsedAndNullRestoresTheDefault)
{
    alloc_calls = 0;
    ev_set_allocator(CountingAlloc);
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    ev_loop_destroy(l);
    EXPECT_GT(alloc_calls, 0);
    ev_set_allocator(nullptr); // back to the library's own
    int before = alloc_calls;
    l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    ev_loop_destroy(l);
    EXPECT_EQ(alloc_calls, before);
}

TEST_F(CovDeathTest, AllocationFailureAbortsWithTheSize)
{
    EXPECT_DEATH(
        {
            ev_set_allocator(NullAlloc);
            ev_loop_new(EVFLAG_NOENV);
        },
        "\\(libev\\) cannot allocate [0-9]+ bytes, aborting\\.");
}

// An fd near INT_MAX: the fd table would need more than INT_MAX entries' worth of growth, its
// capacity is capped at INT_MAX, and the allocator's refusal of that block is fatal.
TEST_F(CovDeathTest, HugeFdTableIsCappedThenRefused)
{
    EXPECT_DEATH(
        {
            ev_set_allocator(CappedAlloc);
            ev_io w;
            ev_io_init(&w, Nop<ev_io>, INT_MAX - 1, EV_READ);
            ev_io_start(loop, &w);
        },
        "cannot allocate [0-9]+ bytes");
}

TEST_F(CovDeathTest, SyscallErrorWithoutCallbackAborts)
{
    COV_NEED_SECCOMP();
    EXPECT_DEATH(
        {
            covcore::FailSyscalls({{SYS_eventfd2, EMFILE},
#ifdef SYS_pipe
                                   {SYS_pipe, EMFILE},
#endif
                                   {SYS_pipe2, EMFILE}});
            ev_async a;
            ev_async_init(&a, Nop<ev_async>);
            ev_async_start(loop, &a);
        },
        "error creating signal/async pipe");
}

TEST_F(CovDeathTest, IoUsageErrors)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io w, v;
    ev_io_init(&w, Nop<ev_io>, -1, EV_READ);
    EXPECT_DEATH(ev_io_start(loop, &w), "ev_io_start called with negative fd");
    ev_io_init(&w, Nop<ev_io>, sv[0], EV_READ | EV_SIGNAL);
    EXPECT_DEATH(ev_io_start(loop, &w), "illegal event mask");
    ev_io_init(&w, Nop<ev_io>, sv[0], EV_READ);
    ev_io_init(&v, Nop<ev_io>, sv[1], EV_READ);
    ev_io_start(loop, &w);
    ev_io_start(loop, &v);
    w.fd = sv[1];
    EXPECT_DEATH(ev_io_stop(loop, &w), "watcher not found on its fd");
    w.fd = 1 << 24;
    EXPECT_DEATH(ev_io_stop(loop, &w), "illegal fd");
    w.fd = sv[0];
    ev_io_stop(loop, &w);
    ev_io_stop(loop, &v);
    close(sv[0]);
    close(sv[1]);
}

TEST_F(CovDeathTest, TimerRepeatMadeNegativeWhileActive)
{
    ev_timer t;
    ev_timer_init(&t, Nop<ev_timer>, 0., 0.);
    EXPECT_DEATH(
        {
            ev_timer_start(loop, &t);
            t.repeat = -1.;
            ev_run(loop, EVRUN_NOWAIT);
        },
        "negative ev_timer repeat value found while processing timers");
    ev_timer_init(&t, Nop<ev_timer>, 1., -2.);
    EXPECT_DEATH(ev_timer_start(loop, &t), "ev_timer_start called with negative timer repeat");
}

ev_tstamp InThePast(ev_periodic *, ev_tstamp now)
{
    return now - 10.;
}

TEST_F(CovDeathTest, PeriodicUsageErrors)
{
    ev_periodic p;
    ev_periodic_init(&p, Nop<ev_periodic>, 0., -1., nullptr);
    EXPECT_DEATH(ev_periodic_start(loop, &p), "negative interval");
    ev_periodic_init(&p, Nop<ev_periodic>, 0., 0., InThePast);
    EXPECT_DEATH(ev_periodic_start(loop, &p), "reschedule callback returned time in the past");
}

TEST_F(CovDeathTest, SignalUsageErrors)
{
    ev_signal s;
    ev_signal_init(&s, Nop<ev_signal>, 0);
    EXPECT_DEATH(ev_signal_start(loop, &s), "illegal signal number");
    ev_signal_init(&s, Nop<ev_signal>, 4096);
    EXPECT_DEATH(ev_signal_start(loop, &s), "illegal signal number");
    ev_signal_init(&s, Nop<ev_signal>, SIGUSR2);
    ev_signal_start(loop, &s);
    EXPECT_DEATH(
        {
            struct ev_loop *other = ev_loop_new(EVFLAG_NOENV);
            ev_signal s2;
            ev_signal_init(&s2, Nop<ev_signal>, SIGUSR2);
            ev_signal_start(other, &s2);
        },
        "must not be attached to two different loops");
    ev_signal_stop(loop, &s);
}

TEST_F(CovDeathTest, ChildWatcherOutsideTheDefaultLoop)
{
    ev_child c;
    ev_child_init(&c, Nop<ev_child>, 0, 0);
    EXPECT_DEATH(ev_child_start(loop, &c), "only supported in the default loop");
}

TEST_F(CovDeathTest, StatWithoutPath)
{
    ev_stat st;
    ev_stat_init(&st, Nop<ev_stat>, "/", 0.);
    st.path = nullptr;
    EXPECT_DEATH(ev_stat_start(loop, &st), "NULL path");
}

TEST_F(CovDeathTest, EmbedUsageErrors)
{
    ev_embed e;
    ev_embed_init(&e, nullptr, nullptr);
    EXPECT_DEATH(ev_embed_start(loop, &e), "loop is not embeddable");
    if (ev_supported_backends() & EVBACKEND_POLL) {
        struct ev_loop *p = ev_loop_new(EVFLAG_NOENV | EVBACKEND_POLL);
        ASSERT_NE(p, nullptr);
        ev_embed_init(&e, nullptr, p);
        EXPECT_DEATH(ev_embed_start(loop, &e), "loop is not embeddable");
        ev_loop_destroy(p);
    }
    unsigned emb = ev_embeddable_backends() & ev_supported_backends();
    if (!emb)
        GTEST_SKIP() << "no embeddable backend";
    struct ev_loop *self = ev_loop_new(EVFLAG_NOENV | (emb & -emb));
    ASSERT_NE(self, nullptr);
    ev_embed_init(&e, nullptr, self);
    EXPECT_DEATH(ev_embed_start(self, &e), "cannot embed itself");
    ev_loop_destroy(self);
}

// ev_verify: each check a program can break by writing the public fields of its watchers.
class VerifyDeathTest : public CovDeathTest {};

TEST_F(VerifyDeathTest, SaneLoopWithEveryWatcherKindPasses)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io io1, io2;
    ev_io_init(&io1, Nop<ev_io>, sv[0], EV_READ);
    ev_io_init(&io2, Nop<ev_io>, sv[0], EV_WRITE);
    ev_timer t[6];
    for (int i = 0; i < 6; ++i) {
        ev_timer_init(&t[i], Nop<ev_timer>, 10. + i, 0.);
        ev_timer_start(loop, &t[i]);
    }
    ev_periodic p[6];
    for (int i = 0; i < 6; ++i) {
        ev_periodic_init(&p[i], Nop<ev_periodic>, 0., 100. + i, nullptr);
        ev_periodic_start(loop, &p[i]);
    }
    ev_idle id;
    ev_idle_init(&id, Nop<ev_idle>);
    ev_prepare pr;
    ev_prepare_init(&pr, Nop<ev_prepare>);
    ev_check ck;
    ev_check_init(&ck, Nop<ev_check>);
    ev_fork fk;
    ev_fork_init(&fk, Nop<ev_fork>);
    ev_cleanup cl;
    ev_cleanup_init(&cl, Nop<ev_cleanup>);
    ev_async as;
    ev_async_init(&as, Nop<ev_async>);
    ev_io_start(loop, &io1);
    ev_io_start(loop, &io2);
    ev_idle_start(loop, &id);
    ev_prepare_start(loop, &pr);
    ev_check_start(loop, &ck);
    ev_fork_start(loop, &fk);
    ev_cleanup_start(loop, &cl);
    ev_async_start(loop, &as);
    ev_feed_event(loop, &t[0], EV_CUSTOM);
    ev_verify(loop);
    ev_run(loop, EVRUN_NOWAIT);
    ev_verify(loop);
    // A timer whose deadline is NaN: the lazy-key check accepts the unordered key.
    ev_timer nan_t;
    ev_timer_init(&nan_t, Nop<ev_timer>, NAN, 0.);
    for (int i = 0; i < 6; ++i)
        ev_timer_stop(loop, &t[i]);
    ev_timer_start(loop, &nan_t);
    ev_verify(loop);
    ev_timer_stop(loop, &nan_t);
    EXPECT_FALSE(ev_is_active(&nan_t));
    for (int i = 0; i < 6; ++i)
        ev_periodic_stop(loop, &p[i]);
    ev_io_stop(loop, &io1);
    ev_io_stop(loop, &io2);
    ev_idle_stop(loop, &id);
    ev_prepare_stop(loop, &pr);
    ev_check_stop(loop, &ck);
    ev_fork_stop(loop, &fk);
    ev_cleanup_stop(loop, &cl);
    ev_async_stop(loop, &as);
    ev_verify(loop);
    close(sv[0]);
    close(sv[1]);
}

TEST_F(VerifyDeathTest, TimerActiveCorrupted)
{
    ev_timer t;
    ev_timer_init(&t, Nop<ev_timer>, 10., 0.);
    ev_timer_start(loop, &t);
    EXPECT_DEATH(
        {
            t.active += 5;
            ev_verify(loop);
        },
        "ev_verify: heap index does not match");
    ev_timer_stop(loop, &t);
}

TEST_F(VerifyDeathTest, TimerDeadlineBeforeItsKey)
{
    ev_timer t;
    ev_timer_init(&t, Nop<ev_timer>, 10., 0.);
    ev_timer_start(loop, &t);
    EXPECT_DEATH(
        {
            t.at -= 100.;
            ev_verify(loop);
        },
        "ev_verify: heap key after its timer's deadline");
    ev_timer_stop(loop, &t);
}

TEST_F(VerifyDeathTest, HeapOrderBrokenByANaNDeadline)
{
    ev_timer a, b;
    ev_timer_init(&a, Nop<ev_timer>, NAN, 0.);
    ev_timer_init(&b, Nop<ev_timer>, 5., 0.);
    ev_timer_start(loop, &a);
    ev_timer_start(loop, &b);
    EXPECT_DEATH(ev_verify(loop), "ev_verify: heap order violated");
    ev_timer_stop(loop, &a);
    ev_timer_stop(loop, &b);
}

TEST_F(VerifyDeathTest, PeriodicDeadlineChanged)
{
    ev_periodic p;
    ev_periodic_init(&p, Nop<ev_periodic>, 0., 60., nullptr);
    ev_periodic_start(loop, &p);
    EXPECT_DEATH(
        {
            p.at += 1.;
            ev_verify(loop);
        },
        "ev_verify: cached heap deadline differs");
    ev_periodic_stop(loop, &p);
}

TEST_F(VerifyDeathTest, ArrayWatcherActiveCorrupted)
{
    ev_prepare p;
    ev_prepare_init(&p, Nop<ev_prepare>);
    ev_prepare_start(loop, &p);
    EXPECT_DEATH(
        {
            p.active = 7;
            ev_verify(loop);
        },
        "ev_verify: array watcher's active is not its index \\+ 1");
    ev_prepare_stop(loop, &p);
}

TEST_F(VerifyDeathTest, PendingSlotCorrupted)
{
    ev_timer t;
    ev_timer_init(&t, Nop<ev_timer>, 10., 0.);
    ev_feed_event(loop, &t, EV_CUSTOM);
    EXPECT_DEATH(
        {
            t.pending = 9;
            ev_verify(loop);
        },
        "ev_verify: pending watcher's slot does not match");
    ev_clear_pending(loop, &t);
}

TEST_F(VerifyDeathTest, IoWatcherCorruptions)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io w, v;
    ev_io_init(&w, Nop<ev_io>, sv[0], EV_READ);
    ev_io_init(&v, Nop<ev_io>, sv[1], EV_READ);
    ev_io_start(loop, &w);
    ev_io_start(loop, &v);
    EXPECT_DEATH(
        {
            w.active = 2;
            ev_verify(loop);
        },
        "ev_verify: io watcher on an fd list is not active");
    EXPECT_DEATH(
        {
            w.fd = sv[1];
            ev_verify(loop);
        },
        "ev_verify: io watcher is on the wrong fd list");
    EXPECT_DEATH(
        {
            w.next = (ev_watcher_list *)&w;
            ev_verify(loop);
        },
        "ev_verify: io watcher list has a cycle");
    ev_io_stop(loop, &w);
    ev_io_stop(loop, &v);
    close(sv[0]);
    close(sv[1]);
}

} // namespace
