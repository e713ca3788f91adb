// ev_async and threads: coalescing, ev_async_pending, N threads x M sends with
// no lost wake-up (the loop must see the final count, or the deadline trips),
// a ping-pong that needs every single wake-up, sends from a signal handler,
// 8 loops in 8 threads, and the release/acquire locking pattern of the
// manual's THREAD LOCKING EXAMPLE. Runs under TSan in CI.
#include "test_util.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <pthread.h>
#include <signal.h>

namespace {

struct AsyncState {
    std::atomic<long> sent{0};
    long target = 0;
    long seen = 0; // loop thread only
    int calls = 0;
    int revents = 0;
    int sent_flag_in_cb = -1;
};

void CountAsyncCb(struct ev_loop *, ev_async *w, int revents)
{
    auto *s = static_cast<AsyncState *>(w->data);
    ++s->calls;
    s->revents = revents;
    s->seen = s->sent.load();
}

// Single-threaded tests only: ev_async_pending is a plain read of `sent`
// (as in libev), which TSan reports when other threads send concurrently.
void PendingAsyncCb(struct ev_loop *l, ev_async *w, int revents)
{
    CountAsyncCb(l, w, revents);
    static_cast<AsyncState *>(w->data)->sent_flag_in_cb = ev_async_pending(w);
}

class AsyncTest : public evtest::LoopTest {};

TEST_P(AsyncTest, SendsCoalesceAndPendingFlag)
{
    AsyncState s;
    ev_async a;
    ev_async_init(&a, PendingAsyncCb);
    a.data = &s;
    ev_async_start(loop, &a);
    EXPECT_FALSE(ev_async_pending(&a));
    ev_async_send(loop, &a);
    EXPECT_TRUE(ev_async_pending(&a));
    ev_async_send(loop, &a);
    ev_async_send(loop, &a);
    EXPECT_TRUE(RunUntil([&] { return s.calls > 0; }));
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(s.calls, 1) << "sends before the loop notices coalesce";
    EXPECT_EQ(s.revents, EV_ASYNC);
    EXPECT_EQ(s.sent_flag_in_cb, 0) << "reset before the callback";
    EXPECT_FALSE(ev_async_pending(&a));
    ev_async_send(loop, &a);
    EXPECT_TRUE(RunUntil([&] { return s.calls == 2; }));
    ev_async_stop(loop, &a);
}

TEST_P(AsyncTest, AsyncHoldsReferenceAndStopReleases)
{
    ev_async a;
    ev_async_init(&a, CountAsyncCb);
    ev_async_start(loop, &a);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
    ev_async_stop(loop, &a);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    // internal wake-up watcher holds none
}

TEST_P(AsyncTest, TwoAsyncsOnlySentOneFires)
{
    AsyncState s1, s2;
    ev_async a1, a2;
    ev_async_init(&a1, CountAsyncCb);
    ev_async_init(&a2, CountAsyncCb);
    a1.data = &s1;
    a2.data = &s2;
    ev_async_start(loop, &a1);
    ev_async_start(loop, &a2);
    ev_async_send(loop, &a2);
    EXPECT_TRUE(RunUntil([&] { return s2.calls > 0; }));
    EXPECT_EQ(s1.calls, 0);
    ev_async_stop(loop, &a1);
    ev_async_stop(loop, &a2);
}

// N threads x M sends: the loop must eventually observe every send, which
// needs at least one callback after the last send (libuv#189).
TEST_P(AsyncTest, ManyThreadsManySendsNoLostWakeup)
{
    constexpr int kThreads = 4, kSends = 5000;
    AsyncState s;
    s.target = kThreads * kSends;
    ev_async a;
    ev_async_init(&a, CountAsyncCb);
    a.data = &s;
    ev_async_start(loop, &a);
    Deadline(20.);
    std::vector<std::thread> th;
    for (int t = 0; t < kThreads; ++t)
        th.emplace_back([&] {
            for (int i = 0; i < kSends; ++i) {
                s.sent.fetch_add(1);
                ev_async_send(loop, &a);
            }
        });
    EXPECT_TRUE(RunUntil([&] { return s.seen == s.target; }))
        << "seen " << s.seen << " of " << s.target << " after " << s.calls << " callbacks";
    for (auto &t : th)
        t.join();
    EXPECT_GE(s.calls, 1);
    EXPECT_LE(s.calls, s.target);
    ev_async_stop(loop, &a);
}

// Every round needs its own wake-up: a lost one hangs until the deadline.
struct PingPong {
    std::mutex m;
    std::condition_variable cv;
    long acked = 0;
};

void AckCb(struct ev_loop *, ev_async *w, int)
{
    auto *p = static_cast<PingPong *>(w->data);
    std::lock_guard<std::mutex> g(p->m);
    ++p->acked;
    p->cv.notify_one();
}

TEST_P(AsyncTest, PingPongEveryWakeupDelivered)
{
    constexpr long kRounds = 3000;
    PingPong p;
    ev_async a;
    ev_async_init(&a, AckCb);
    a.data = &p;
    ev_async_start(loop, &a);
    Deadline(20.);
    std::atomic<bool> stop{false};
    std::thread t([&] {
        for (long i = 0; i < kRounds && !stop; ++i) {
            std::unique_lock<std::mutex> lk(p.m);
            long want = p.acked + 1;
            lk.unlock();
            ev_async_send(loop, &a);
            lk.lock();
            while (p.acked < want && !stop)
                p.cv.wait_for(lk, std::chrono::milliseconds(100));
        }
    });
    EXPECT_TRUE(RunUntil([&] {
        std::lock_guard<std::mutex> g(p.m);
        return p.acked >= kRounds;
    }));
    stop = true;
    t.join();
    ev_async_stop(loop, &a);
}

// ev_async_send is async-signal-safe: send from a signal handler.
struct ev_loop *g_sig_loop;
ev_async *g_sig_async;
std::atomic<int> g_handled;

void SigHandler(int)
{
    ev_async_send(g_sig_loop, g_sig_async);
    g_handled.fetch_add(1);
}

TEST_P(AsyncTest, SendFromSignalHandler)
{
    AsyncState s;
    ev_async a;
    ev_async_init(&a, CountAsyncCb);
    a.data = &s;
    ev_async_start(loop, &a);
    g_sig_loop = loop;
    g_sig_async = &a;
    g_handled = 0;
    struct sigaction sa = {}, old;
    sa.sa_handler = SigHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);

    // synchronous, before the loop runs
    raise(SIGUSR1);
    EXPECT_TRUE(RunUntil([&] { return s.calls == 1; }));

    // from another thread while the loop blocks in its backend
    std::thread t([&] {
        for (int i = 0; i < 50; ++i)
            pthread_kill(pthread_self(), SIGUSR1); // handler runs on this thread
    });
    t.join();
    EXPECT_TRUE(RunUntil([&] { return s.calls >= 2; }));
    int calls = s.calls;
    std::thread t2([&] { kill(getpid(), SIGUSR1); });
    EXPECT_TRUE(RunUntil([&] { return s.calls > calls; }));
    t2.join();
    sigaction(SIGUSR1, &old, nullptr);
    ev_async_stop(loop, &a);
}

// Loops in different threads share nothing (TSan: 8 loops in 8 threads).
TEST_P(AsyncTest, EightLoopsInEightThreads)
{
    constexpr int kLoops = 8, kSends = 200;
    struct PerLoop {
        struct ev_loop *loop = nullptr;
        ev_async a;
        ev_timer t;
        std::atomic<int> received{0};
        std::atomic<bool> ready{false};
        int timer_calls = 0;
    };
    std::vector<PerLoop> pl(kLoops);
    unsigned backend = GetParam();
    // A loop is destroyed only once every ev_async_send to it has returned: the last send's
    // callback may run (and end ev_run) before that send is back in the sending thread.
    std::atomic<bool> sent_all{false};
    std::vector<std::thread> th;
    for (int i = 0; i < kLoops; ++i)
        th.emplace_back([&pl, &sent_all, i, backend] {
            PerLoop &p = pl[i];
            p.loop = ev_loop_new(EVFLAG_NOENV | backend);
            ev_async_init(&p.a, [](struct ev_loop *l, ev_async *w, int) {
                auto *p = static_cast<PerLoop *>(w->data);
                if (p->received.fetch_add(1) + 1 >= kSends)
                    ev_break(l, EVBREAK_ALL);
            });
            p.a.data = &p;
            ev_async_start(p.loop, &p.a);
            ev_timer_init(
                &p.t,
                [](struct ev_loop *, ev_timer *w, int) {
                    ++static_cast<PerLoop *>(w->data)->timer_calls;
                },
                0.001, 0.001);
            p.t.data = &p;
            ev_timer_start(p.loop, &p.t);
            // a deadline of its own
            ev_timer dl;
            ev_timer_init(
                &dl, [](struct ev_loop *l, ev_timer *, int) { ev_break(l, EVBREAK_ALL); }, 15., 0.);
            ev_timer_start(p.loop, &dl);
            p.ready = true;
            ev_run(p.loop, 0);
            ev_timer_stop(p.loop, &dl);
            ev_timer_stop(p.loop, &p.t);
            ev_async_stop(p.loop, &p.a);
            while (!sent_all.load())
                std::this_thread::yield();
            ev_loop_destroy(p.loop);
        });
    for (auto &p : pl)
        while (!p.ready)
            std::this_thread::yield();
    // Each send is followed by waiting until that loop saw it, so the count
    // is exact (sends do not coalesce).
    for (int k = 0; k < kSends; ++k)
        for (auto &p : pl) {
            ev_async_send(p.loop, &p.a);
            while (p.received.load() <= k)
                std::this_thread::yield();
        }
    sent_all = true;
    for (auto &t : th)
        t.join();
    for (auto &p : pl)
        EXPECT_EQ(p.received.load(), kSends);
}

// ev(3) THREAD LOCKING EXAMPLE: the loop thread holds a mutex except while it
// blocks in the backend (release/acquire callbacks); another thread takes the
// mutex, changes the loop, and wakes it with ev_async_send.
struct Locked {
    std::mutex m;
    ev_async wake;
    ev_timer t;
    int fired = 0;
};

TEST_P(AsyncTest, ReleaseAcquireLockingExample)
{
    static Locked *cur;
    Locked lk;
    cur = &lk;
    ev_set_loop_release_cb(
        loop, [](struct ev_loop *) noexcept { cur->m.unlock(); },
        [](struct ev_loop *) noexcept { cur->m.lock(); });
    ev_async_init(&lk.wake, [](struct ev_loop *, ev_async *, int) {});
    ev_async_start(loop, &lk.wake);
    ev_timer_init(
        &lk.t, [](struct ev_loop *, ev_timer *w, int) { ++static_cast<Locked *>(w->data)->fired; },
        0., 0.);
    lk.t.data = &lk;
    lk.m.lock();
    std::thread other([&] {
        std::lock_guard<std::mutex> g(lk.m); // only while the loop waits
        ev_timer_start(loop, &lk.t);
        ev_async_send(loop, &lk.wake);
    });
    EXPECT_TRUE(RunUntil([&] { return lk.fired > 0; }));
    lk.m.unlock();
    other.join();
    ev_set_loop_release_cb(loop, nullptr, nullptr);
    ev_async_stop(loop, &lk.wake);
}

} // namespace

EV_ALL_BACKENDS(AsyncTest);
