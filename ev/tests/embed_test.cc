/*
 * embed_test.cc - ev_embed: an epoll loop (the inner, embedded loop) run from
 * inside the fixture's loop (the outer, embedding loop) on every backend.
 * Only the outer loop is ever run here; everything that happens in the inner
 * loop must come through the embed watcher. Fork behaviour of embedding is in
 * fork_test.cc.
 */
#include "test_util.h"

#include <sys/socket.h>
#include <unistd.h>

namespace {

class EmbedTest : public evtest::LoopTest {
  public: /* the callbacks below reach the counters through ev_userdata */
    struct ev_loop *inner = nullptr;
    int sv[2] = {-1, -1};
    ev_io inner_io{};
    int inner_reads = 0;
    int inner_timers = 0;
    ev_embed embed{};
    int embed_calls = 0;
    int embed_revents = 0;
    bool sweep_in_cb = true;

    void SetUp() override
    {
        LoopTest::SetUp();
        if (!(ev_supported_backends() & EVBACKEND_EPOLL))
            GTEST_SKIP() << "no epoll: nothing to embed";
        inner = ev_loop_new(EVFLAG_NOENV | EVBACKEND_EPOLL);
        ASSERT_NE(inner, nullptr);
        ASSERT_TRUE(ev_embeddable_backends() & ev_backend(inner));
        ev_set_userdata(inner, this);
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        ev_io_init(&inner_io, &EmbedTest::InnerReadCb, sv[0], EV_READ);
        embed.data = this;
    }

    void TearDown() override
    {
        if (inner) {
            if (loop)
                ev_embed_stop(loop, &embed);
            ev_io_stop(inner, &inner_io);
            ev_loop_destroy(inner);
        }
        for (int fd : sv)
            if (fd >= 0)
                close(fd);
        LoopTest::TearDown();
    }

    void Poke() { ASSERT_EQ(write(sv[1], "x", 1), 1); }

    static void InnerReadCb(struct ev_loop *l, ev_io *w, int revents)
    {
        auto *self = static_cast<EmbedTest *>(ev_userdata(l));
        EXPECT_EQ(revents, EV_READ);
        char c;
        EXPECT_EQ(read(w->fd, &c, 1), 1);
        ++self->inner_reads;
    }

    static void EmbedCb(struct ev_loop *l, ev_embed *w, int revents)
    {
        auto *self = static_cast<EmbedTest *>(w->data);
        ++self->embed_calls;
        self->embed_revents |= revents;
        if (self->sweep_in_cb)
            ev_embed_sweep(l, w);
    }
};

TEST_P(EmbedTest, InnerIoFiresWithAutomaticSweep)
{
    ev_embed_init(&embed, nullptr, inner);
    ev_embed_start(loop, &embed);
    /* Started after the embed watcher: the embed's prepare watcher must hand
     * it to the inner backend before the outer loop blocks. */
    ev_io_start(inner, &inner_io);
    Poke();
    ASSERT_TRUE(RunUntil([&] { return inner_reads == 1; })) << "timed out";
    Poke();
    ASSERT_TRUE(RunUntil([&] { return inner_reads == 2; })) << "timed out";
    EXPECT_GT(ev_iteration(inner), 0u);
}

TEST_P(EmbedTest, InnerIoFiresThroughSweepingCallback)
{
    ev_io_start(inner, &inner_io); /* before the embed watcher this time */
    ev_embed_init(&embed, &EmbedTest::EmbedCb, inner);
    ev_embed_start(loop, &embed);
    Poke();
    ASSERT_TRUE(RunUntil([&] { return inner_reads == 1; })) << "timed out";
    EXPECT_GE(embed_calls, 1);
    EXPECT_EQ(embed_revents, EV_EMBED);
}

TEST_P(EmbedTest, CallbackIsCalledAgainUntilItSweeps)
{
    ev_io_start(inner, &inner_io);
    ev_embed_init(&embed, &EmbedTest::EmbedCb, inner);
    ev_embed_start(loop, &embed);
    sweep_in_cb = false;
    Poke();
    ASSERT_TRUE(RunUntil([&] { return embed_calls >= 3; })) << "timed out";
    EXPECT_EQ(inner_reads, 0); /* nobody swept: the inner loop never ran */
    sweep_in_cb = true;
    ASSERT_TRUE(RunUntil([&] { return inner_reads == 1; })) << "timed out";
}

/* How inner timers behave, as libev 4.33 does it (probed with gcc -lev: an
 * inner 0.1 s timer in an epoll loop embedded with cb 0 into a poll loop had
 * not fired after the outer loop ran 2 s, even though the outer loop woke for
 * its own timer in between). The inner backend fd becomes readable only for
 * inner io, so inner timers are not a reason to sweep; an expired inner timer
 * fires at the next sweep, whatever caused it. ev(3) says only ev_io is
 * supported in an embedded loop. We match that. */
TEST_P(EmbedTest, InnerTimerFiresOnlyAtTheNextSweep)
{
    ev_embed_init(&embed, nullptr, inner);
    ev_embed_start(loop, &embed);
    ev_io_start(inner, &inner_io);

    ev_timer inner_timer;
    ev_timer_init(
        &inner_timer,
        [](struct ev_loop *l, ev_timer *, int) {
            ++static_cast<EmbedTest *>(ev_userdata(l))->inner_timers;
        },
        0.01, 0.);
    ev_timer_start(inner, &inner_timer);

    /* The outer loop wakes for its own timer well after the inner one is due. */
    bool outer_fired = false;
    ev_timer outer_timer;
    ev_timer_init(
        &outer_timer,
        [](struct ev_loop *l, ev_timer *w, int) {
            *static_cast<bool *>(w->data) = true;
            (void)l;
        },
        0.1, 0.);
    outer_timer.data = &outer_fired;
    ev_timer_start(loop, &outer_timer);
    ASSERT_TRUE(RunUntil([&] { return outer_fired; })) << "timed out";
    EXPECT_EQ(inner_timers, 0) << "libev 4.33 does not sweep for inner timers";
    EXPECT_TRUE(ev_is_active(&inner_timer));

    /* Inner io makes the outer loop sweep, and the sweep runs the timer too. */
    Poke();
    ASSERT_TRUE(RunUntil([&] { return inner_reads == 1; })) << "timed out";
    EXPECT_EQ(inner_timers, 1);

    /* An explicit sweep works as well. */
    ev_timer_set(&inner_timer, 0., 0.);
    ev_timer_start(inner, &inner_timer);
    ev_embed_sweep(loop, &embed);
    EXPECT_EQ(inner_timers, 2);
}

TEST_P(EmbedTest, PrivateWatchersAreActiveAndHoldNoReference)
{
    ASSERT_EQ(ev_run(loop, EVRUN_NOWAIT), 0); /* only the unreferenced deadline */
    ev_embed_init(&embed, nullptr, inner);
    ev_set_priority(&embed, 1);
    ev_embed_start(loop, &embed);
    EXPECT_EQ(embed.active, 1);
    EXPECT_EQ(embed.io.active, 1);
    EXPECT_EQ(embed.prepare.active, 1); /* the first (only) prepare watcher */
    EXPECT_EQ(embed.fork.active, 1);
    EXPECT_EQ(ev_priority(&embed.io), 1) << "io runs at the embed watcher's priority";
    EXPECT_EQ(ev_priority(&embed.prepare), EV_MINPRI);
    EXPECT_GE(embed.io.fd, 0);
    /* Deliberate difference: libev 4.33 returns 4 here (its io, prepare and
     * fork watchers each hold a reference, probed); ours hold none, so
     * ev_unref after ev_embed_start really lets the loop end. */
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
    ev_embed_stop(loop, &embed);
    EXPECT_FALSE(ev_is_active(&embed));
    EXPECT_FALSE(ev_is_active(&embed.io));
    EXPECT_FALSE(ev_is_active(&embed.prepare));
    EXPECT_FALSE(ev_is_active(&embed.fork));
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
}

TEST_P(EmbedTest, StopLeavesInnerLoopUsable)
{
    ev_embed_init(&embed, nullptr, inner);
    ev_embed_start(loop, &embed);
    ev_io_start(inner, &inner_io);
    Poke();
    ASSERT_TRUE(RunUntil([&] { return inner_reads == 1; })) << "timed out";

    ev_embed_stop(loop, &embed);
    ev_embed_stop(loop, &embed); /* stopping twice is harmless */
    Poke();
    /* The outer loop no longer sweeps the inner one. */
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    EXPECT_EQ(inner_reads, 1);
    /* The inner loop runs on its own. */
    ev_run(inner, EVRUN_ONCE);
    EXPECT_EQ(inner_reads, 2);

    /* And it can be embedded again. */
    ev_embed_start(loop, &embed);
    Poke();
    ASSERT_TRUE(RunUntil([&] { return inner_reads == 3; })) << "timed out";
}

TEST_P(EmbedTest, StopWhilePendingDropsTheEvent)
{
    ev_io_start(inner, &inner_io);
    ev_embed_init(&embed, &EmbedTest::EmbedCb, inner);
    ev_embed_start(loop, &embed);
    ev_feed_event(loop, &embed, EV_EMBED);
    EXPECT_TRUE(ev_is_pending(&embed));
    ev_embed_stop(loop, &embed);
    EXPECT_FALSE(ev_is_pending(&embed));
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(embed_calls, 0);
}

using EmbedDeathTest = EmbedTest;

TEST_P(EmbedDeathTest, NonEmbeddableLoopDies)
{
    ::testing::FLAGS_gtest_death_test_style = "threadsafe";
    struct ev_loop *other = ev_loop_new(EVFLAG_NOENV | EVBACKEND_POLL);
    ASSERT_NE(other, nullptr);
    EXPECT_FALSE(ev_embeddable_backends() & ev_backend(other));
    ev_embed e;
    ev_embed_init(&e, nullptr, other);
    EXPECT_DEATH(ev_embed_start(loop, &e), "libev: ev_embed_start: loop is not embeddable");
    ev_loop_destroy(other);
}

EV_ALL_BACKENDS(EmbedTest);
EV_ALL_BACKENDS(EmbedDeathTest);

} // namespace
