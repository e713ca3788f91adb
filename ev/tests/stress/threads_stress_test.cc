// 8 loops in 8 threads, each with its own timers, io (a socketpair ping-pong)
// and an async fed by its own sender thread, all running at once and sharing
// nothing; the backends are spread over the loops. Every loop must finish its
// own work exactly. Runs under ThreadSanitizer in CI (tag "tsan"), which
// reports any state the loops share without synchronisation.
#include "ev/tests/stress/stress_util.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

constexpr int kLoops = 8, kTicks = 100, kPings = 2000, kAsyncs = 2000;

struct LoopWork {
    unsigned backend = 0;
    struct ev_loop *loop = nullptr;
    int sv[2] = {-1, -1};
    ev_timer tick, once, deadline;
    ev_io rd0, rd1;
    ev_async as;
    int ticks = 0, onces = 0, pings = 0, pongs = 0;
    std::atomic<long> asyncs_sent{0};
    long asyncs_seen = 0;
    bool timed_out = false, ok_revents = true;

    bool Done() const
    {
        return ticks >= kTicks && pongs >= kPings && asyncs_seen >= kAsyncs && onces == 50;
    }
    void StopIfDone(struct ev_loop *l)
    {
        if (Done())
            ev_break(l, EVBREAK_ALL);
    }
};

LoopWork *Self(struct ev_loop *l)
{
    return static_cast<LoopWork *>(ev_userdata(l));
}

void TickCb(struct ev_loop *l, ev_timer *w, int revents)
{
    LoopWork *s = Self(l);
    s->ok_revents &= revents == EV_TIMER;
    if (++s->ticks >= kTicks)
        ev_timer_stop(l, w);
    s->StopIfDone(l);
}

void OnceCb(struct ev_loop *l, ev_timer *w, int)
{
    LoopWork *s = Self(l);
    if (++s->onces < 50) {
        ev_timer_set(w, 0.0005 * (s->onces % 3), 0.);
        ev_timer_start(l, w);
    }
    s->StopIfDone(l);
}

void Rd0Cb(struct ev_loop *l, ev_io *w, int revents) // pong side: counts replies
{
    LoopWork *s = Self(l);
    s->ok_revents &= revents == EV_READ;
    char c;
    while (read(w->fd, &c, 1) == 1) {
        if (++s->pongs < kPings && write(w->fd, "p", 1) != 1)
            s->ok_revents = false;
    }
    s->StopIfDone(l);
}

void Rd1Cb(struct ev_loop *l, ev_io *w, int) // echo side
{
    LoopWork *s = Self(l);
    char c;
    while (read(w->fd, &c, 1) == 1) {
        ++s->pings;
        if (write(w->fd, &c, 1) != 1)
            s->ok_revents = false;
    }
}

void AsyncCb(struct ev_loop *l, ev_async *, int)
{
    LoopWork *s = Self(l);
    s->asyncs_seen = s->asyncs_sent.load(std::memory_order_acquire);
    s->StopIfDone(l);
}

void DeadlineCb(struct ev_loop *l, ev_timer *, int)
{
    Self(l)->timed_out = true;
    ev_break(l, EVBREAK_ALL);
}

void RunLoop(LoopWork *s)
{
    s->loop = ev_loop_new(EVFLAG_NOENV | s->backend);
    if (!s->loop)
        return;
    struct ev_loop *l = s->loop;
    ev_set_userdata(l, s);
    ev_timer_init(&s->deadline, DeadlineCb, 50., 0.);
    ev_timer_start(l, &s->deadline);
    ev_timer_init(&s->tick, TickCb, 0.0005, 0.0005);
    ev_timer_start(l, &s->tick);
    ev_timer_init(&s->once, OnceCb, 0., 0.);
    ev_timer_start(l, &s->once);
    ev_io_init(&s->rd0, Rd0Cb, s->sv[0], EV_READ);
    ev_io_init(&s->rd1, Rd1Cb, s->sv[1], EV_READ);
    ev_io_start(l, &s->rd0);
    ev_io_start(l, &s->rd1);
    ev_async_init(&s->as, AsyncCb);
    ev_async_start(l, &s->as);
    std::thread sender([s, l] {
        for (int i = 1; i <= kAsyncs; ++i) {
            s->asyncs_sent.store(i, std::memory_order_release);
            ev_async_send(l, &s->as);
        }
    });
    if (write(s->sv[0], "p", 1) != 1)
        s->ok_revents = false;
    while (!s->Done() && !s->timed_out)
        ev_run(l, 0);
    sender.join();
    ev_verify(l);
    ev_timer_stop(l, &s->deadline);
    ev_timer_stop(l, &s->tick);
    ev_timer_stop(l, &s->once);
    ev_io_stop(l, &s->rd0);
    ev_io_stop(l, &s->rd1);
    ev_async_stop(l, &s->as);
    ev_loop_destroy(l);
}

TEST(ThreadsStress, EightLoopsInEightThreads)
{
    std::vector<unsigned> backends = evtest::Backends();
    ASSERT_FALSE(backends.empty());
    std::vector<LoopWork> work(kLoops);
    for (int i = 0; i < kLoops; ++i) {
        work[i].backend = backends[i % backends.size()];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, work[i].sv),
                  0);
    }
    std::vector<std::thread> th;
    for (auto &w : work)
        th.emplace_back(RunLoop, &w);
    for (auto &t : th)
        t.join();
    for (auto &w : work) {
        SCOPED_TRACE("backend " + evtest::BackendName(w.backend));
        EXPECT_NE(w.loop, nullptr);
        EXPECT_FALSE(w.timed_out);
        EXPECT_EQ(w.ticks, kTicks);
        EXPECT_EQ(w.onces, 50);
        EXPECT_EQ(w.pongs, kPings);
        EXPECT_EQ(w.pings, kPings);
        EXPECT_EQ(w.asyncs_seen, kAsyncs);
        EXPECT_TRUE(w.ok_revents);
        close(w.sv[0]);
        close(w.sv[1]);
    }
}

} // namespace
