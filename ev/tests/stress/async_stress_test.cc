// 64 threads x 10,000 ev_async_send on every backend, with no lost wake-up:
// each thread publishes its progress before every send, and the loop must
// reach a callback that sees every thread's final count (which needs a
// callback after the last send). A second async, sent from the callback of
// the first while the threads are still sending, must not be lost either.
#include "ev/tests/stress/stress_util.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 64, kSends = 10000;

struct AsyncRun {
    std::unique_ptr<std::atomic<long>[]> done { new std::atomic<long>[ kThreads ] };
    std::atomic<bool> go{false};
    long calls = 0;
    bool saw_all = false; // a callback observed every thread at kSends
    long echo_sent = 0, echo_calls = 0;
    ev_async echo;
};

void WorkCb(struct ev_loop *l, ev_async *w, int)
{
    auto *r = static_cast<AsyncRun *>(w->data);
    ++r->calls;
    long sum = 0;
    for (int t = 0; t < kThreads; ++t)
        sum += r->done[t].load(std::memory_order_acquire);
    if (sum == (long)kThreads * kSends)
        r->saw_all = true;
    // Chain: a send from inside a callback while other sends are in flight.
    ++r->echo_sent;
    ev_async_send(l, &r->echo);
}

void EchoCb(struct ev_loop *, ev_async *w, int)
{
    ++static_cast<AsyncRun *>(w->data)->echo_calls;
}

class AsyncStress : public evtest::LoopTest {};

TEST_P(AsyncStress, SixtyFourThreadsNoLostWakeup)
{
    AsyncRun r;
    for (int t = 0; t < kThreads; ++t)
        r.done[t].store(0);
    ev_async work;
    ev_async_init(&work, WorkCb);
    work.data = &r;
    ev_async_init(&r.echo, EchoCb);
    r.echo.data = &r;
    ev_async_start(loop, &work);
    ev_async_start(loop, &r.echo);
    Deadline(50.);

    std::vector<std::thread> th;
    for (int t = 0; t < kThreads; ++t)
        th.emplace_back([&r, &work, t, l = loop] {
            while (!r.go.load(std::memory_order_acquire))
                std::this_thread::yield();
            for (int i = 1; i <= kSends; ++i) {
                r.done[t].store(i, std::memory_order_release);
                ev_async_send(l, &work);
            }
        });
    r.go.store(true, std::memory_order_release);
    EXPECT_TRUE(RunUntil([&] { return r.saw_all; }))
        << "no callback saw all " << kThreads * kSends << " sends after " << r.calls
        << " callbacks: a wake-up was lost";
    for (auto &t : th)
        t.join();
    // The echo sent by the last callback must arrive too.
    EXPECT_TRUE(RunUntil([&] { return r.echo_calls >= 1 && !ev_async_pending(&r.echo); }));
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_FALSE(ev_async_pending(&work));
    EXPECT_GE(r.calls, 1);
    EXPECT_LE(r.calls, (long)kThreads * kSends);
    EXPECT_LE(r.echo_calls, r.echo_sent);
    ev_async_stop(loop, &work);
    ev_async_stop(loop, &r.echo);
    ev_verify(loop);
}

EV_ALL_BACKENDS(AsyncStress);

} // namespace
