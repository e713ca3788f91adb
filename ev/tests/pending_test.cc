// The pending queue and priorities: invocation order (higher priority first,
// LIFO within a priority, as libev 4.33 does - probed), feeding from inside a
// callback, clamping of out-of-range priorities at start, ev_feed_event
// merging, ev_clear_pending, ev_invoke, stop clearing pending status, idle
// lock-out, and the prepare -> poll -> check order.
#include "test_util.h"

#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Log {
    std::vector<std::string> calls;
    std::vector<int> revents;
};

struct Tagged {
    Log *log;
    std::string name;
};

template <class W> void LogCb(struct ev_loop *, W *w, int revents)
{
    auto *t = static_cast<Tagged *>(w->data);
    t->log->calls.push_back(t->name);
    t->log->revents.push_back(revents);
}

using Names = std::vector<std::string>;

class PendingTest : public evtest::LoopTest {};

TEST_P(PendingTest, HigherPriorityFirstLifoWithinPriority)
{
    Log log;
    std::vector<Tagged> tags;
    tags.reserve(8);
    ev_watcher w[8];
    int pri[8] = {0, -2, 2, 0, 1, -1, 2, 0};
    const char *names[8] = {"a0", "b-2", "c2", "d0", "e1", "f-1", "g2", "h0"};
    for (int i = 0; i < 8; ++i) {
        tags.push_back({&log, names[i]});
        ev_init(&w[i], LogCb<ev_watcher>);
        ev_set_priority(&w[i], pri[i]);
        w[i].data = &tags[i];
        ev_feed_event(loop, &w[i], EV_CUSTOM);
    }
    EXPECT_EQ(ev_pending_count(loop), 8u);
    ev_invoke_pending(loop);
    EXPECT_EQ(log.calls, (Names{"g2", "c2", "e1", "h0", "d0", "a0", "f-1", "b-2"}));
    EXPECT_EQ(ev_pending_count(loop), 0u);
}

TEST_P(PendingTest, FeedTwiceMergesIntoOneInvocation)
{
    Log log;
    Tagged t{&log, "w"};
    ev_watcher w;
    ev_init(&w, LogCb<ev_watcher>);
    w.data = &t;
    ev_feed_event(loop, &w, EV_READ);
    int slot = ev_is_pending(&w);
    EXPECT_NE(slot, 0);
    ev_feed_event(loop, &w, EV_WRITE);
    EXPECT_EQ(ev_is_pending(&w), slot);
    EXPECT_EQ(ev_pending_count(loop), 1u);
    ev_invoke_pending(loop);
    EXPECT_EQ(log.calls, (Names{"w"}));
    EXPECT_EQ(log.revents[0], EV_READ | EV_WRITE);
}

struct Feeder {
    Tagged tag;
    ev_watcher *to_feed = nullptr;
    bool fed = false;
};

void FeedHigherCb(struct ev_loop *l, ev_watcher *w, int revents)
{
    auto *f = static_cast<Feeder *>(w->data);
    f->tag.log->calls.push_back(f->tag.name);
    f->tag.log->revents.push_back(revents);
    if (f->to_feed && !f->fed) {
        f->fed = true;
        ev_feed_event(l, f->to_feed, EV_CUSTOM);
    }
}

// libevent priority_active_inversion; libev probed: the fed higher watcher
// runs right after the current callback, before the remaining ones.
TEST_P(PendingTest, FeedingHigherPriorityFromCallbackRunsItNext)
{
    Log log;
    Tagged th{&log, "hi"};
    ev_watcher hi;
    ev_init(&hi, LogCb<ev_watcher>);
    ev_set_priority(&hi, 2);
    hi.data = &th;
    Feeder f1{{&log, "l1"}, &hi}, f2{{&log, "l2"}, &hi};
    ev_watcher l1, l2;
    ev_init(&l1, FeedHigherCb);
    ev_init(&l2, FeedHigherCb);
    l1.data = &f1;
    l2.data = &f2;
    ev_feed_event(loop, &l1, EV_CUSTOM);
    ev_feed_event(loop, &l2, EV_CUSTOM);
    ev_invoke_pending(loop);
    EXPECT_EQ(log.calls, (Names{"l2", "hi", "l1", "hi"}));
}

TEST_P(PendingTest, FeedingEqualPriorityFromCallbackRunsItNext)
{
    Log log;
    Tagged tx{&log, "x"};
    ev_watcher x;
    ev_init(&x, LogCb<ev_watcher>);
    x.data = &tx;
    Feeder f1{{&log, "a"}, nullptr}, f2{{&log, "b"}, &x};
    ev_watcher a, b;
    ev_init(&a, FeedHigherCb);
    ev_init(&b, FeedHigherCb);
    a.data = &f1;
    b.data = &f2;
    ev_feed_event(loop, &a, EV_CUSTOM);
    ev_feed_event(loop, &b, EV_CUSTOM);
    ev_invoke_pending(loop);
    EXPECT_EQ(log.calls, (Names{"b", "x", "a"})) << "LIFO: the newest entry runs first";
}

template <class W> void NopCb(struct ev_loop *, W *, int) {}

TEST_P(PendingTest, OutOfRangePriorityClampedAtStart)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    for (int p : {7, -9}) {
        int want = p > 0 ? EV_MAXPRI : EV_MINPRI;
        ev_io io;
        ev_io_init(&io, NopCb<ev_io>, sv[0], EV_READ);
        ev_set_priority(&io, p);
        ev_io_start(loop, &io);
        EXPECT_EQ(ev_priority(&io), want);
        ev_io_stop(loop, &io);
        ev_timer t;
        ev_timer_init(&t, NopCb<ev_timer>, 1., 0.);
        ev_set_priority(&t, p);
        ev_timer_start(loop, &t);
        EXPECT_EQ(ev_priority(&t), want);
        ev_timer_stop(loop, &t);
        ev_idle i;
        ev_idle_init(&i, NopCb<ev_idle>);
        ev_set_priority(&i, p);
        ev_idle_start(loop, &i);
        EXPECT_EQ(ev_priority(&i), want);
        ev_idle_stop(loop, &i);
        ev_prepare pr;
        ev_prepare_init(&pr, NopCb<ev_prepare>);
        ev_set_priority(&pr, p);
        ev_prepare_start(loop, &pr);
        EXPECT_EQ(ev_priority(&pr), want);
        ev_prepare_stop(loop, &pr);
        ev_check c;
        ev_check_init(&c, NopCb<ev_check>);
        ev_set_priority(&c, p);
        ev_check_start(loop, &c);
        EXPECT_EQ(ev_priority(&c), want);
        ev_check_stop(loop, &c);
        ev_async a;
        ev_async_init(&a, NopCb<ev_async>);
        ev_set_priority(&a, p);
        ev_async_start(loop, &a);
        EXPECT_EQ(ev_priority(&a), want);
        ev_async_stop(loop, &a);
    }
    // and a clamped idle really runs at that level
    Log log;
    Tagged t{&log, "idle"};
    ev_idle i;
    ev_idle_init(&i, LogCb<ev_idle>);
    i.data = &t;
    ev_set_priority(&i, 100);
    ev_idle_start(loop, &i);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"idle"}));
    ev_idle_stop(loop, &i);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(PendingTest, ClearPendingReturnsReventsAndUnqueues)
{
    Log log;
    Tagged t{&log, "w"};
    ev_timer w;
    ev_timer_init(&w, LogCb<ev_timer>, 5., 0.);
    w.data = &t;
    EXPECT_EQ(ev_clear_pending(loop, &w), 0) << "not pending";
    ev_timer_start(loop, &w);
    ev_feed_event(loop, &w, EV_TIMER);
    ev_feed_event(loop, &w, EV_CUSTOM);
    EXPECT_EQ(ev_clear_pending(loop, &w), EV_TIMER | EV_CUSTOM);
    EXPECT_FALSE(ev_is_pending(&w));
    EXPECT_TRUE(ev_is_active(&w)) << "clearing does not stop";
    EXPECT_EQ(ev_clear_pending(loop, &w), 0);
    ev_invoke_pending(loop);
    EXPECT_TRUE(log.calls.empty());
    // fed again after clearing: one invocation
    ev_feed_event(loop, &w, EV_TIMER);
    ev_invoke_pending(loop);
    EXPECT_EQ(log.calls, (Names{"w"}));
    ev_timer_stop(loop, &w);
}

TEST_P(PendingTest, InvokeCallsDirectly)
{
    Log log;
    Tagged t{&log, "w"};
    ev_watcher w;
    ev_init(&w, LogCb<ev_watcher>);
    w.data = &t;
    ev_feed_event(loop, &w, EV_READ);
    ev_invoke(loop, &w, EV_WRITE);
    EXPECT_EQ(log.calls, (Names{"w"}));
    EXPECT_EQ(log.revents[0], EV_WRITE);
    EXPECT_TRUE(ev_is_pending(&w)) << "ev_invoke does not touch the queue";
    ev_invoke_pending(loop);
    EXPECT_EQ(log.calls.size(), 2u);
    EXPECT_EQ(log.revents[1], EV_READ);
}

TEST_P(PendingTest, PendingIsZeroInsideOwnCallback)
{
    struct Seen {
        int pending = -1;
    } seen;
    ev_watcher w;
    ev_init(
        &w,
        (void (*)(struct ev_loop *, ev_watcher *, int))[](struct ev_loop *, ev_watcher * w, int) {
            static_cast<Seen *>(w->data)->pending = ev_is_pending(w);
        });
    w.data = &seen;
    ev_feed_event(loop, &w, EV_CUSTOM);
    ev_invoke_pending(loop);
    EXPECT_EQ(seen.pending, 0);
}

// Every stop clears the pending status, also of a watcher that is pending
// but was never started.
TEST_P(PendingTest, StopClearsPending)
{
    Log log;
    Tagged t{&log, "x"};
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io io;
    ev_io_init(&io, LogCb<ev_io>, sv[0], EV_READ);
    ev_timer tm;
    ev_timer_init(&tm, LogCb<ev_timer>, 1., 0.);
    ev_periodic pe;
    ev_periodic_init(&pe, LogCb<ev_periodic>, 0., 10., nullptr);
    ev_idle id;
    ev_idle_init(&id, LogCb<ev_idle>);
    ev_prepare pr;
    ev_prepare_init(&pr, LogCb<ev_prepare>);
    ev_check ck;
    ev_check_init(&ck, LogCb<ev_check>);
    ev_async as;
    ev_async_init(&as, LogCb<ev_async>);
    ev_cleanup cl;
    ev_cleanup_init(&cl, LogCb<ev_cleanup>);
    ev_fork fk;
    ev_fork_init(&fk, LogCb<ev_fork>);
    ev_watcher *all[] = {(ev_watcher *)&io, (ev_watcher *)&tm, (ev_watcher *)&pe,
                         (ev_watcher *)&id, (ev_watcher *)&pr, (ev_watcher *)&ck,
                         (ev_watcher *)&as, (ev_watcher *)&cl, (ev_watcher *)&fk};
    for (ev_watcher *w : all)
        w->data = &t;
    auto stop_all = [&] {
        ev_io_stop(loop, &io);
        ev_timer_stop(loop, &tm);
        ev_periodic_stop(loop, &pe);
        ev_idle_stop(loop, &id);
        ev_prepare_stop(loop, &pr);
        ev_check_stop(loop, &ck);
        ev_async_stop(loop, &as);
        ev_cleanup_stop(loop, &cl);
        ev_fork_stop(loop, &fk);
    };
    for (int started = 0; started < 2; ++started) {
        if (started) {
            ev_io_start(loop, &io);
            ev_timer_start(loop, &tm);
            ev_periodic_start(loop, &pe);
            ev_idle_start(loop, &id);
            ev_prepare_start(loop, &pr);
            ev_check_start(loop, &ck);
            ev_async_start(loop, &as);
            ev_cleanup_start(loop, &cl);
            ev_fork_start(loop, &fk);
        }
        for (ev_watcher *w : all)
            ev_feed_event(loop, w, EV_CUSTOM);
        stop_all();
        for (ev_watcher *w : all) {
            EXPECT_FALSE(ev_is_pending(w));
            EXPECT_FALSE(ev_is_active(w));
        }
        ev_invoke_pending(loop);
        EXPECT_TRUE(log.calls.empty()) << "started=" << started;
    }
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    close(sv[0]);
    close(sv[1]);
}

struct Cross {
    ev_timer a, b;
    int calls = 0;
};

// Stopping a pending watcher from an earlier callback: it is not invoked.
TEST_P(PendingTest, StoppedFromEarlierCallbackNotInvoked)
{
    Cross c;
    auto cb = [](struct ev_loop *l, ev_timer *w, int) {
        auto *c = static_cast<Cross *>(w->data);
        ++c->calls;
        ev_timer_stop(l, w == &c->a ? &c->b : &c->a);
    };
    ev_timer_init(&c.a, +cb, -1., 0.);
    ev_timer_init(&c.b, +cb, -2., 0.);
    c.a.data = c.b.data = &c;
    ev_timer_start(loop, &c.a);
    ev_timer_start(loop, &c.b);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 1);
    EXPECT_FALSE(ev_is_active(&c.a));
    EXPECT_FALSE(ev_is_active(&c.b));
}

// Idle lock-out: only the highest level with idle watchers is queued, and only
// when nothing of that priority or above is pending.
TEST_P(PendingTest, IdleLockout)
{
    Log log;
    Tagged ti0{&log, "idle0"}, tim{&log, "idle-1"}, tt{&log, "timer"};
    ev_idle i0, im;
    ev_idle_init(&i0, LogCb<ev_idle>);
    ev_idle_init(&im, LogCb<ev_idle>);
    i0.data = &ti0;
    im.data = &tim;
    ev_set_priority(&im, -1);
    ev_idle_start(loop, &i0);
    ev_idle_start(loop, &im);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"idle0"})) << "only the highest idle level";
    log.calls.clear();

    // A pending timer at the same priority locks out idle0; idle-1 is below a
    // level that has idles, so it does not run either.
    ev_timer t;
    ev_timer_init(&t, LogCb<ev_timer>, -1., 0.);
    t.data = &tt;
    ev_timer_start(loop, &t);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"timer"}));
    log.calls.clear();

    // A pending timer below the idle level does not lock it out (probed).
    ev_set_priority(&t, -2);
    ev_timer_set(&t, -1., 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"idle0", "timer"}));
    log.calls.clear();

    // With idle0 gone, idle-1 runs.
    ev_idle_stop(loop, &i0);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"idle-1"}));
    log.calls.clear();
    // A pending timer above it locks it out.
    ev_set_priority(&t, 1);
    ev_timer_set(&t, -1., 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"timer"}));
    ev_idle_stop(loop, &im);
}

// Active idle watchers make the loop not block.
TEST_P(PendingTest, IdleKeepsLoopFromBlocking)
{
    Log log;
    Tagged ti{&log, "idle"}, tt{&log, "timer"};
    ev_timer far;
    ev_timer_init(&far, LogCb<ev_timer>, 5., 0.);
    far.data = &tt;
    ev_timer_start(loop, &far);
    ev_idle i;
    ev_idle_init(&i, LogCb<ev_idle>);
    i.data = &ti;
    ev_idle_start(loop, &i);
    Deadline(3.); // would trip if ONCE blocked until the far timer
    ev_run(loop, EVRUN_ONCE);
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(log.calls, (Names{"idle"}));
    ev_idle_stop(loop, &i);
    ev_timer_stop(loop, &far);
}

// uv:idle_starvation: an always-ready fd at a lower priority does not starve
// a higher-priority idle watcher, while a same-priority one locks idles out.
TEST_P(PendingTest, IdleNotStarvedByLowerPriorityIo)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    Log log;
    Tagged ti{&log, "idle"}, tio{&log, "io"};
    ev_io io;
    ev_io_init(&io, LogCb<ev_io>, sv[0], EV_READ);
    io.data = &tio;
    ev_set_priority(&io, -1);
    ev_io_start(loop, &io);
    ev_idle i;
    ev_idle_init(&i, LogCb<ev_idle>);
    i.data = &ti;
    ev_idle_start(loop, &i);
    for (int k = 0; k < 3; ++k)
        ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"idle", "io", "idle", "io", "idle", "io"}));
    log.calls.clear();
    ev_io_stop(loop, &io);
    ev_set_priority(&io, 0);
    ev_io_start(loop, &io);
    for (int k = 0; k < 2; ++k)
        ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(log.calls, (Names{"io", "io"}));
    ev_io_stop(loop, &io);
    ev_idle_stop(loop, &i);
    close(sv[0]);
    close(sv[1]);
}

// One iteration: prepare, poll, then (queued io -> timers -> idle -> check,
// invoked LIFO) check, timer, io within a priority, as probed with libev.
TEST_P(PendingTest, PrepareCheckOrder)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    Log log;
    Tagged tp{&log, "prepare"}, tc{&log, "check"}, tt{&log, "timer"}, tio{&log, "io"},
        ti{&log, "idle"};
    ev_prepare p;
    ev_prepare_init(&p, LogCb<ev_prepare>);
    p.data = &tp;
    ev_check c;
    ev_check_init(&c, LogCb<ev_check>);
    c.data = &tc;
    ev_timer t;
    ev_timer_init(&t, LogCb<ev_timer>, -1., 0.);
    t.data = &tt;
    ev_io io;
    ev_io_init(&io, LogCb<ev_io>, sv[0], EV_READ);
    io.data = &tio;
    ev_idle id;
    ev_idle_init(&id, LogCb<ev_idle>);
    ev_set_priority(&id, 1);
    id.data = &ti;
    ev_check_start(loop, &c);
    ev_io_start(loop, &io);
    ev_timer_start(loop, &t);
    ev_prepare_start(loop, &p);
    ev_idle_start(loop, &id);
    unsigned it = ev_iteration(loop);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(ev_iteration(loop), it + 1);
    EXPECT_EQ(log.calls, (Names{"prepare", "idle", "check", "timer", "io"}));
    EXPECT_EQ(log.revents, (std::vector<int>{EV_PREPARE, EV_IDLE, EV_CHECK, EV_TIMER, EV_READ}));
    ev_prepare_stop(loop, &p);
    ev_check_stop(loop, &c);
    ev_io_stop(loop, &io);
    ev_idle_stop(loop, &id);
    close(sv[0]);
    close(sv[1]);
}

struct PrepStart {
    ev_io io;
    Log *log;
    unsigned iter_prepare = 0, iter_io = 0;
    int fd;
};

// An io watcher started from a prepare callback is polled in the same
// iteration.
TEST_P(PendingTest, WatcherStartedInPrepareTakesEffectThisIteration)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    PrepStart ps;
    ps.fd = sv[0];
    ev_prepare p;
    ev_prepare_init(&p, [](struct ev_loop *l, ev_prepare *w, int) {
        auto *ps = static_cast<PrepStart *>(w->data);
        ps->iter_prepare = ev_iteration(l);
        ev_io_init(
            &ps->io,
            [](struct ev_loop *l, ev_io *w, int) {
                auto *ps = reinterpret_cast<PrepStart *>(w);
                ps->iter_io = ev_iteration(l);
            },
            ps->fd, EV_READ);
        ev_io_start(l, &ps->io);
        ev_prepare_stop(l, w);
    });
    p.data = &ps;
    ev_prepare_start(loop, &p);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_NE(ps.iter_io, 0u) << "the io watcher fired in the first iteration";
    EXPECT_EQ(ps.iter_io, ps.iter_prepare + 1) << "iteration counts between prepare and check";
    ev_io_stop(loop, &ps.io);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(PendingTest, FeedOnUnstartedWatcherAndPendingCount)
{
    Log log;
    Tagged t{&log, "t"};
    ev_timer w;
    ev_timer_init(&w, LogCb<ev_timer>, 1., 0.);
    w.data = &t;
    ev_feed_event(loop, &w, EV_TIMER);
    EXPECT_EQ(ev_pending_count(loop), 1u);
    EXPECT_FALSE(ev_is_active(&w));
    ev_run(loop, EVRUN_NOWAIT); // ev_run invokes what was pending before
    EXPECT_EQ(log.calls, (Names{"t"}));
    EXPECT_EQ(ev_pending_count(loop), 0u);
}

} // namespace

EV_ALL_BACKENDS(PendingTest);
