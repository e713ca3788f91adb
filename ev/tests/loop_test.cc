// Loop lifecycle: ev_run return values and NOWAIT/ONCE, ev_break ONE/ALL and
// nesting, ev_ref/ev_unref, depth and iteration, userdata, the invoke-pending,
// release and acquire callbacks, suspend/resume, the clocks, LIBEV_FLAGS,
// backend masks and versions, the allocator, the default loop, cleanup
// watchers and ev_once.
#include "test_util.h"

#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Count {
    int calls = 0;
    int revents = 0;
};

template <class W> void CountCb(struct ev_loop *, W *w, int revents)
{
    auto *c = static_cast<Count *>(w->data);
    ++c->calls;
    c->revents = revents;
}

class LoopRunTest : public evtest::LoopTest {
  protected:
    template <class W> void Init(W *w, Count *c) { w->data = c; }
};

TEST_P(LoopRunTest, ReturnsReferenceCount)
{
    // The fixture's deadline timer is unreferenced.
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    EXPECT_EQ(ev_run(loop, 0), 0) << "nothing referenced: returns at once";
    Count c;
    ev_timer t1, t2, t3;
    ev_idle i;
    ev_timer_init(&t1, CountCb<ev_timer>, 10., 0.);
    ev_timer_init(&t2, CountCb<ev_timer>, 10., 0.);
    ev_timer_init(&t3, CountCb<ev_timer>, 10., 0.);
    ev_idle_init(&i, CountCb<ev_idle>);
    for (ev_timer *t : {&t1, &t2, &t3}) {
        t->data = &c;
        ev_timer_start(loop, t);
    }
    i.data = &c;
    ev_idle_start(loop, &i);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 4);
    ev_idle_stop(loop, &i);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 3);
    ev_timer_stop(loop, &t1);
    ev_timer_stop(loop, &t2);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
    ev_unref(loop);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    ev_ref(loop);
    ev_timer_stop(loop, &t3);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
}

TEST_P(LoopRunTest, RunUntilNoReferencedWatchers)
{
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 0.01, 0.);
    t.data = &c;
    ev_timer_start(loop, &t);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(c.calls, 1);
    EXPECT_FALSE(timed_out);
}

TEST_P(LoopRunTest, NowaitDoesNotBlock)
{
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 30., 0.);
    t.data = &c;
    ev_timer_start(loop, &t);
    Deadline(5.);
    unsigned it = ev_iteration(loop);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
    EXPECT_EQ(ev_iteration(loop), it + 1) << "exactly one poll";
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(c.calls, 0);
    ev_timer_stop(loop, &t);
}

TEST_P(LoopRunTest, OnceBlocksForOneEvent)
{
    Count c1, c2;
    ev_timer t1, t2;
    ev_timer_init(&t1, CountCb<ev_timer>, 0.01, 0.);
    ev_timer_init(&t2, CountCb<ev_timer>, 30., 0.);
    t1.data = &c1;
    t2.data = &c2;
    ev_timer_start(loop, &t1);
    ev_timer_start(loop, &t2);
    // One iteration blocks until something happens; a signal (EINTR) may end it without a
    // callback, as in libev ("no guarantee that a user-registered callback will be called"),
    // so repeat until the timer fired. Each run returns the one reference left (t2).
    int iterations = 0, left = 0;
    while (!c1.calls && !timed_out && iterations < 1000) {
        left = ev_run(loop, EVRUN_ONCE);
        ++iterations;
    }
    EXPECT_EQ(left, 1);
    EXPECT_EQ(c1.calls, 1);
    EXPECT_EQ(c2.calls, 0);
    ev_timer_stop(loop, &t2);
}

TEST_P(LoopRunTest, OnceWithIo)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    Count c, ct;
    ev_io w;
    ev_io_init(&w, CountCb<ev_io>, sv[0], EV_READ);
    w.data = &c;
    ev_io_start(loop, &w);
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 30., 0.);
    t.data = &ct;
    ev_timer_start(loop, &t);
    EXPECT_EQ(ev_run(loop, EVRUN_ONCE), 2);
    EXPECT_EQ(c.calls, 1);
    ev_io_stop(loop, &w);
    ev_timer_stop(loop, &t);
    close(sv[0]);
    close(sv[1]);
}

struct Nest {
    ev_timer outer_t, inner_t, later_t;
    int how = EVBREAK_ONE;
    int inner_returned = 0;
    unsigned depth_in_outer = 0, depth_in_inner = 0;
    int later_calls = 0;
};

void InnerCb(struct ev_loop *l, ev_timer *w, int)
{
    auto *n = static_cast<Nest *>(w->data);
    n->depth_in_inner = ev_depth(l);
    ev_break(l, n->how);
}

void OuterCb(struct ev_loop *l, ev_timer *w, int)
{
    auto *n = static_cast<Nest *>(w->data);
    n->depth_in_outer = ev_depth(l);
    ev_timer_init(&n->inner_t, InnerCb, 0., 0.);
    n->inner_t.data = n;
    ev_timer_start(l, &n->inner_t);
    ev_run(l, 0); // nested
    ++n->inner_returned;
}

TEST_P(LoopRunTest, BreakOneLeavesOnlyInnerRun)
{
    Nest n;
    n.how = EVBREAK_ONE;
    ev_timer_init(&n.outer_t, OuterCb, 0., 0.);
    n.outer_t.data = &n;
    ev_timer_start(loop, &n.outer_t);
    ev_timer_init(
        &n.later_t,
        [](struct ev_loop *, ev_timer *w, int) { ++static_cast<Nest *>(w->data)->later_calls; },
        0.05, 0.);
    n.later_t.data = &n;
    ev_timer_start(loop, &n.later_t);
    EXPECT_EQ(ev_depth(loop), 0u);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(n.inner_returned, 1);
    EXPECT_EQ(n.depth_in_outer, 1u);
    EXPECT_EQ(n.depth_in_inner, 2u);
    EXPECT_EQ(n.later_calls, 1) << "the outer run went on after the inner one broke";
    EXPECT_EQ(ev_depth(loop), 0u);
}

TEST_P(LoopRunTest, BreakAllLeavesAllRuns)
{
    Nest n;
    n.how = EVBREAK_ALL;
    ev_timer_init(&n.outer_t, OuterCb, 0., 0.);
    n.outer_t.data = &n;
    ev_timer_start(loop, &n.outer_t);
    ev_timer_init(&n.later_t, CountCb<ev_timer>, 5., 0.);
    Count c;
    n.later_t.data = &c;
    ev_timer_start(loop, &n.later_t);
    EXPECT_EQ(ev_run(loop, 0), 1) << "the later timer is still active";
    EXPECT_EQ(n.inner_returned, 1);
    EXPECT_EQ(c.calls, 0);
    EXPECT_FALSE(timed_out);
    ev_timer_stop(loop, &n.later_t);
}

TEST_P(LoopRunTest, BreakOutsideRunHasNoLastingEffect)
{
    ev_break(loop, EVBREAK_ALL);
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 0.01, 0.);
    t.data = &c;
    ev_timer_start(loop, &t);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(c.calls, 1) << "uv:loop_stop_before_run: the break is reset on entry";
}

TEST_P(LoopRunTest, BreakCancel)
{
    Count c;
    ev_timer t1, t2;
    ev_timer_init(
        &t1,
        [](struct ev_loop *l, ev_timer *, int) {
            ev_break(l, EVBREAK_ALL);
            ev_break(l, EVBREAK_CANCEL);
        },
        0., 0.);
    ev_timer_init(&t2, CountCb<ev_timer>, 0.02, 0.);
    t2.data = &c;
    ev_timer_start(loop, &t1);
    ev_timer_start(loop, &t2);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(c.calls, 1);
}

TEST_P(LoopRunTest, UnrefdTimerDoesNotKeepLoopAlive)
{
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 5., 0.);
    t.data = &c;
    ev_timer_start(loop, &t);
    ev_unref(loop);
    Deadline(3.);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(c.calls, 0);
    ev_ref(loop);
    ev_timer_stop(loop, &t);
}

// uv:unref_in_prepare_cb: a prepare callback that unrefs the last watcher
// ends ev_run.
TEST_P(LoopRunTest, UnrefInPrepare)
{
    ev_prepare p;
    ev_prepare_init(&p, [](struct ev_loop *l, ev_prepare *, int) { ev_unref(l); });
    ev_prepare_start(loop, &p);
    Deadline(3.);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_FALSE(timed_out);
    ev_ref(loop);
    ev_prepare_stop(loop, &p);
}

TEST_P(LoopRunTest, IterationCountsPolls)
{
    unsigned it = ev_iteration(loop);
    ev_run(loop, EVRUN_NOWAIT);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(ev_iteration(loop), it + 2);
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 0., 0.001);
    t.data = &c;
    ev_timer_start(loop, &t);
    it = ev_iteration(loop);
    while (c.calls < 3)
        ev_run(loop, EVRUN_ONCE);
    EXPECT_GE(ev_iteration(loop), it + 3);
    ev_timer_stop(loop, &t);
}

TEST(LoopTest, UserdataDefaultsToNull)
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(ev_userdata(l), nullptr);
    int x;
    ev_set_userdata(l, &x);
    EXPECT_EQ(ev_userdata(l), &x);
    ev_loop_destroy(l);
}

int g_invokes;
void CountingInvoke(struct ev_loop *l)
{
    ++g_invokes;
    ev_invoke_pending(l);
}

TEST_P(LoopRunTest, InvokePendingCallbackReplacesInvokeStep)
{
    g_invokes = 0;
    ev_set_invoke_pending_cb(loop, CountingInvoke);
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 0., 0.);
    t.data = &c;
    ev_timer_start(loop, &t);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(c.calls, 1);
    EXPECT_GE(g_invokes, 1);
    // A callback that invokes nothing leaves the watcher pending.
    ev_set_invoke_pending_cb(loop, [](struct ev_loop *) {});
    ev_timer_set(&t, 0., 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, EVRUN_NOWAIT);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 1);
    EXPECT_TRUE(ev_is_pending(&t));
    ev_set_invoke_pending_cb(loop, ev_invoke_pending); // reset
    int before = g_invokes;
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 2);
    EXPECT_EQ(g_invokes, before);
}

struct RelAcq {
    int released = 0, acquired = 0;
    bool order_ok = true;
};

TEST_P(LoopRunTest, ReleaseAndAcquireAroundPoll)
{
    RelAcq ra;
    ev_set_userdata(loop, &ra); // the deadline callback is not expected to run
    ev_set_loop_release_cb(
        loop,
        [](struct ev_loop *l) noexcept {
            auto *r = static_cast<RelAcq *>(ev_userdata(l));
            if (r->released != r->acquired)
                r->order_ok = false;
            ++r->released;
        },
        [](struct ev_loop *l) noexcept {
            auto *r = static_cast<RelAcq *>(ev_userdata(l));
            ++r->acquired;
            if (r->released != r->acquired)
                r->order_ok = false;
        });
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 0.01, 0.);
    t.data = &c;
    ev_timer_start(loop, &t);
    unsigned it = ev_iteration(loop);
    ev_run(loop, 0);
    EXPECT_EQ(c.calls, 1);
    EXPECT_TRUE(ra.order_ok);
    EXPECT_EQ((unsigned)ra.released, ev_iteration(loop) - it) << "once per poll";
    EXPECT_EQ(ra.released, ra.acquired);
    ev_set_loop_release_cb(loop, nullptr, nullptr);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(ra.released, ra.acquired);
    EXPECT_EQ((unsigned)ra.released, ev_iteration(loop) - it - 1);
    ev_set_userdata(loop, this);
}

TEST_P(LoopRunTest, SuspendResumeShiftsTimers)
{
    Count c;
    ev_timer t;
    ev_now_update(loop);
    ev_timer_init(&t, CountCb<ev_timer>, 1., 0.);
    t.data = &c;
    ev_timer_start(loop, &t);
    ev_suspend(loop);
    double now_suspend = ev_now(loop);
    ev_sleep(0.3);
    ev_resume(loop);
    EXPECT_GE(ev_now(loop) - now_suspend, 0.3 - 1e-3) << "resume updates ev_now";
    // Without the shift only <= 0.7 s would be left.
    EXPECT_GT(ev_timer_remaining(loop, &t), 0.75);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(c.calls, 0);
    ev_timer_stop(loop, &t);
}

TEST_P(LoopRunTest, NowTimeAndNowUpdate)
{
    ev_now_update(loop);
    double n0 = ev_now(loop);
    double t0 = ev_time();
    EXPECT_GE(t0, n0 - 1e-3);
    EXPECT_NEAR(t0, n0, 1.);
    ev_sleep(0.02);
    EXPECT_EQ(ev_now(loop), n0) << "ev_now is cached";
    EXPECT_GE(ev_time() - t0, 0.02 - 1e-4);
    ev_now_update(loop);
    EXPECT_GE(ev_now(loop) - n0, 0.02 - 1e-4);
    // an iteration updates it too
    double n1 = ev_now(loop);
    ev_sleep(0.01);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_GT(ev_now(loop), n1);
}

TEST_P(LoopRunTest, VerifyDoesNotAbortOnHealthyLoop)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Count c;
    ev_io w;
    ev_io_init(&w, CountCb<ev_io>, sv[0], EV_READ);
    w.data = &c;
    ev_io_start(loop, &w);
    ev_timer t[10];
    for (int i = 0; i < 10; ++i) {
        ev_timer_init(&t[i], CountCb<ev_timer>, 1. + i, 0.);
        t[i].data = &c;
        ev_timer_start(loop, &t[i]);
    }
    ev_verify(loop);
    for (auto &x : t)
        ev_timer_stop(loop, &x);
    ev_io_stop(loop, &w);
    ev_verify(loop);
    close(sv[0]);
    close(sv[1]);
}

EV_ALL_BACKENDS(LoopRunTest);

// ev_default_loop_ptr is read through ev_default_loop_uc_(): libev's header
// declares the variable only inside that inline function.

// ---- process-wide state: default loop, environment, allocator ----------

class EnvGuard {
  public:
    explicit EnvGuard(const char *value) { setenv("LIBEV_FLAGS", value, 1); }
    ~EnvGuard() { unsetenv("LIBEV_FLAGS"); }
};

unsigned BackendOf(unsigned flags)
{
    struct ev_loop *l = ev_loop_new(flags);
    if (!l)
        return 0;
    unsigned b = ev_backend(l);
    ev_loop_destroy(l);
    return b;
}

TEST(LoopTest, LibevFlagsEnvironment)
{
    unsetenv("LIBEV_FLAGS");
    EXPECT_EQ(BackendOf(0), (unsigned)EVBACKEND_EPOLL) << "recommended order picks epoll";
    {
        EnvGuard g("1");
        EXPECT_EQ(BackendOf(0), (unsigned)EVBACKEND_SELECT);
        EXPECT_EQ(BackendOf(EVBACKEND_POLL), (unsigned)EVBACKEND_SELECT) << "replaces the flags";
        EXPECT_EQ(BackendOf(EVFLAG_NOENV), (unsigned)EVBACKEND_EPOLL);
        EXPECT_EQ(BackendOf(EVFLAG_NOENV | EVBACKEND_POLL), (unsigned)EVBACKEND_POLL);
    }
    {
        EnvGuard g("2");
        EXPECT_EQ(BackendOf(EVBACKEND_SELECT), (unsigned)EVBACKEND_POLL);
    }
    {
        EnvGuard g("0x2"); // decimal only: 0 -> automatic
        EXPECT_EQ(BackendOf(EVBACKEND_SELECT), (unsigned)EVBACKEND_EPOLL);
    }
    for (const char *bad : {"16", "8"}) {
        EnvGuard g(bad); // ports / kqueue: not usable here
        EXPECT_EQ(ev_loop_new(0), nullptr) << bad;
        EXPECT_EQ(ev_loop_new(EVBACKEND_EPOLL), nullptr) << bad;
        EXPECT_NE(BackendOf(EVFLAG_NOENV), 0u) << bad;
    }
    {
        // the default loop obeys it too
        EnvGuard g("8");
        if (ev_default_loop_uc_())
            ev_loop_destroy(ev_default_loop_uc_());
        EXPECT_EQ(ev_default_loop(0), nullptr);
        EXPECT_EQ(ev_default_loop_uc_(), nullptr);
    }
    EXPECT_NE(ev_default_loop(0), nullptr);
    ev_loop_destroy(EV_DEFAULT);
}

TEST(LoopTest, BackendSelection)
{
    // Explicit flags may pick io_uring (first in the preference order, as in
    // libev 4.33) where the kernel allows it; backend_test probes the kernel.
    unsigned uring = ev_supported_backends() & EVBACKEND_IOURING;
    EXPECT_EQ(BackendOf(EVFLAG_NOENV | EVBACKEND_ALL), uring ? uring : (unsigned)EVBACKEND_EPOLL);
    EXPECT_EQ(BackendOf(EVFLAG_NOENV | EVBACKEND_KQUEUE | EVBACKEND_POLL),
              (unsigned)EVBACKEND_POLL);
    EXPECT_EQ(BackendOf(EVFLAG_NOENV | EVBACKEND_SELECT | EVBACKEND_POLL),
              (unsigned)EVBACKEND_POLL);
    EXPECT_EQ(BackendOf(EVFLAG_NOENV | EVBACKEND_KQUEUE), 0u);
}

TEST(LoopTest, BackendMasksAndVersions)
{
    // This build: select, poll, epoll, and io_uring and linuxaio where the
    // kernel allows them (never recommended); embeddable is libev's fixed
    // mask, not intersected with the supported ones.
    EXPECT_EQ(ev_supported_backends() & ~(unsigned)(EVBACKEND_IOURING | EVBACKEND_LINUXAIO), 0x07u);
    EXPECT_EQ(ev_recommended_backends(), 0x07u);
    EXPECT_EQ(ev_embeddable_backends(), 0xACu);
    EXPECT_EQ(ev_version_major(), 4);
    EXPECT_EQ(ev_version_minor(), 33);
    EXPECT_EQ(EV_VERSION_MAJOR, 4);
    EXPECT_EQ(EV_VERSION_MINOR, 33);
}

// ---- allocator -----------------------------------------------------------

std::set<void *> *g_live;
long g_allocs;

void *CountingAlloc(void *ptr, long size) noexcept
{
    if (size == 0) {
        if (ptr)
            g_live->erase(ptr);
        free(ptr);
        return nullptr;
    }
    void *p = realloc(ptr, (size_t)size);
    if (p) {
        if (ptr)
            g_live->erase(ptr);
        g_live->insert(p);
        ++g_allocs;
    }
    return p;
}

void *PlainAlloc(void *ptr, long size) noexcept
{
    if (size)
        return realloc(ptr, (size_t)size);
    free(ptr);
    return nullptr;
}

TEST(LoopTest, AllocatorSeesEveryAllocationAndFree)
{
    std::set<void *> live;
    g_live = &live;
    g_allocs = 0;
    ev_set_allocator(CountingAlloc);
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    EXPECT_GE(g_allocs, 1) << "the loop itself";
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    std::vector<ev_timer> ts(100);
    for (auto &t : ts) {
        ev_timer_init(&t, CountCb<ev_timer>, 10., 0.);
        ev_timer_start(l, &t);
    }
    ev_io w;
    ev_io_init(&w, CountCb<ev_io>, sv[0], EV_READ);
    ev_io_start(l, &w);
    ev_once(
        l, -1, 0, 0., [](int, void *) {}, nullptr);
    ev_run(l, EVRUN_ONCE);
    EXPECT_GT(g_allocs, 3);
    ev_loop_destroy(l);
    EXPECT_TRUE(live.empty()) << live.size() << " blocks not freed through the allocator";
    ev_set_allocator(PlainAlloc);
    g_live = nullptr;
    close(sv[0]);
    close(sv[1]);
}

void *FailingAlloc(void *ptr, long size) noexcept
{
    if (size)
        return nullptr;
    free(ptr);
    return nullptr;
}

TEST(LoopDeathTest, FailingAllocatorAbortsWithMessage)
{
    ::testing::FLAGS_gtest_death_test_style = "threadsafe";
    EXPECT_DEATH(
        {
            ev_set_allocator(FailingAlloc);
            ev_loop_new(EVFLAG_NOENV);
        },
        "cannot allocate");
    // the allocator failing later, while growing the timer heap
    EXPECT_DEATH(
        {
            struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
            ev_set_allocator(FailingAlloc);
            static ev_timer t;
            ev_timer_init(&t, CountCb<ev_timer>, 1., 0.);
            ev_timer_start(l, &t);
        },
        "cannot allocate [0-9]+ bytes");
}

// Allocator failing on call k (SQLite-style fault injection): the process
// either completes the scenario or aborts with the allocator message; never a
// sanitizer report or any other crash.
long g_fail_at, g_calls;
void *FailAtAlloc(void *ptr, long size) noexcept
{
    if (size && ++g_calls == g_fail_at)
        return nullptr;
    return PlainAlloc(ptr, size);
}

void AllocScenario()
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    if (!l)
        exit(2);
    static ev_timer t[40];
    for (auto &x : t) {
        ev_timer_init(&x, CountCb<ev_timer>, 0., 0.);
        ev_timer_start(l, &x);
    }
    static ev_idle i;
    ev_idle_init(&i, CountCb<ev_idle>);
    ev_idle_start(l, &i);
    static ev_async a;
    ev_async_init(&a, CountCb<ev_async>);
    ev_async_start(l, &a);
    ev_once(
        l, -1, 0, 0., [](int, void *) {}, nullptr);
    ev_run(l, EVRUN_NOWAIT);
    ev_loop_destroy(l);
    exit(0);
}

TEST(LoopDeathTest, AllocatorFailingOnCallK)
{
    ::testing::FLAGS_gtest_death_test_style = "threadsafe";
    auto ok = [](int st) {
        return (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
               (WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    };
    for (long k = 1; k <= 14; ++k) {
        EXPECT_EXIT(
            {
                g_fail_at = k;
                g_calls = 0;
                ev_set_allocator(FailAtAlloc);
                AllocScenario();
            },
            ok, "^$|cannot allocate")
            << "failing allocation " << k;
    }
}

// ---- resource exhaustion --------------------------------------------------

std::string *g_syserr;
void RecordSyserr(const char *msg) noexcept
{
    *g_syserr = msg;
}

// No fd left: a backend that needs one is unusable (NULL, no leak), the poll
// backend still works, and the wake-up channel failing goes to the syserr
// callback instead of corrupting the loop.
TEST(LoopTest, NoFileDescriptorsLeft)
{
    struct rlimit old;
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
    int probe = dup(0);
    ASSERT_GE(probe, 0);
    close(probe);
    struct rlimit tiny = old;
    tiny.rlim_cur = (rlim_t)probe; // probe is the lowest free number: no new fd
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tiny), 0);
    EXPECT_EQ(ev_loop_new(EVFLAG_NOENV | EVBACKEND_EPOLL), nullptr);
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | EVBACKEND_POLL);
    EXPECT_NE(l, nullptr);
    std::string msg;
    g_syserr = &msg;
    ev_set_syserr_cb(RecordSyserr);
    if (l) {
        ev_async a;
        ev_async_init(&a, CountCb<ev_async>);
        ev_async_start(l, &a);
        EXPECT_NE(msg.find("(libev)"), std::string::npos) << msg;
        ev_async_stop(l, &a);
        Count c;
        ev_timer t;
        ev_timer_init(&t, CountCb<ev_timer>, 0., 0.);
        t.data = &c;
        ev_timer_start(l, &t);
        EXPECT_EQ(ev_run(l, 0), 0);
        EXPECT_EQ(c.calls, 1);
        ev_loop_destroy(l);
    }
    ev_set_syserr_cb(nullptr);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
}

// ---- default loop ----------------------------------------------------------

TEST(LoopTest, DefaultLoopPointerSetResetAndRecreated)
{
    if (ev_default_loop_uc_())
        ev_loop_destroy(ev_default_loop_uc_());
    EXPECT_EQ(ev_default_loop_uc_(), nullptr);
    struct ev_loop *d = ev_default_loop(EVFLAG_NOENV);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(ev_default_loop_uc_(), d);
    EXPECT_TRUE(ev_is_default_loop(d));
    EXPECT_EQ(ev_default_loop(EVBACKEND_SELECT), d) << "created once; flags ignored later";
    EXPECT_EQ(EV_DEFAULT_UC, d);
    struct ev_loop *other = ev_loop_new(EVFLAG_NOENV);
    EXPECT_FALSE(ev_is_default_loop(other));
    ev_loop_destroy(other);
    ev_loop_destroy(d);
    EXPECT_EQ(ev_default_loop_uc_(), nullptr);
    // gevent#1100: destroy, then create again and use it
    d = ev_default_loop(EVFLAG_NOENV | EVBACKEND_POLL);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(ev_backend(d), (unsigned)EVBACKEND_POLL);
    Count c;
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 0.01, 0.);
    t.data = &c;
    ev_timer_start(d, &t);
    EXPECT_EQ(ev_run(d, 0), 0);
    EXPECT_EQ(c.calls, 1);
    ev_loop_destroy(d);
    EXPECT_EQ(ev_default_loop_uc_(), nullptr);
}

TEST(LoopTest, DestroyWithActiveWatchers)
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev_io w;
    ev_io_init(&w, CountCb<ev_io>, sv[0], EV_READ);
    ev_io_start(l, &w);
    ev_timer t;
    ev_timer_init(&t, CountCb<ev_timer>, 1., 0.);
    ev_timer_start(l, &t);
    ev_async a;
    ev_async_init(&a, CountCb<ev_async>);
    ev_async_start(l, &a);
    ev_idle i;
    ev_idle_init(&i, CountCb<ev_idle>);
    ev_idle_start(l, &i);
    ev_feed_event(l, &t, EV_TIMER);
    ev_loop_destroy(l); // must not crash or leak (ASan)
    close(sv[0]);
    close(sv[1]);
}

// ---- cleanup watchers ----------------------------------------------------

TEST(LoopTest, CleanupWatchersRunOnDestroyAndHoldNoReference)
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    Count c1, c2;
    ev_cleanup w1, w2;
    ev_cleanup_init(&w1, CountCb<ev_cleanup>);
    ev_cleanup_init(&w2, CountCb<ev_cleanup>);
    w1.data = &c1;
    w2.data = &c2;
    ev_cleanup_start(l, &w1);
    ev_cleanup_start(l, &w2);
    EXPECT_EQ(ev_run(l, 0), 0) << "cleanup watchers hold no reference";
    EXPECT_EQ(c1.calls, 0);
    ev_cleanup_stop(l, &w2);
    EXPECT_EQ(ev_run(l, EVRUN_NOWAIT), 0) << "and stopping one gives none back";
    ev_loop_destroy(l);
    EXPECT_EQ(c1.calls, 1);
    EXPECT_EQ(c1.revents, EV_CLEANUP);
    EXPECT_EQ(c2.calls, 0) << "a stopped cleanup watcher is not called";
}

// The cleanup callback may still stop watchers of the dying loop.
TEST(LoopTest, CleanupCallbackMayStopWatchers)
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    static ev_timer t;
    static ev_cleanup c;
    static int called;
    called = 0;
    ev_timer_init(&t, CountCb<ev_timer>, 5., 0.);
    ev_timer_start(l, &t);
    ev_cleanup_init(&c, [](struct ev_loop *l, ev_cleanup *w, int) {
        ++called;
        ev_timer_stop(l, &t);
        ev_cleanup_stop(l, w);
    });
    ev_cleanup_start(l, &c);
    ev_loop_destroy(l);
    EXPECT_EQ(called, 1);
    EXPECT_FALSE(ev_is_active(&t));
}

// ---- ev_once --------------------------------------------------------------

struct OnceResult {
    int calls = 0;
    int revents = 0;
};

void OnceCb(int revents, void *arg)
{
    auto *r = static_cast<OnceResult *>(arg);
    ++r->calls;
    r->revents = revents;
}

class OnceTest : public evtest::LoopTest {};

TEST_P(OnceTest, FdOnly)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    OnceResult r;
    ev_once(loop, sv[0], EV_READ, -1., OnceCb, &r);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1) << "holds a reference while waiting";
    EXPECT_EQ(r.calls, 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.revents, EV_READ);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    EXPECT_EQ(r.calls, 1);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(OnceTest, TimeoutOnly)
{
    OnceResult r;
    ev_now_update(loop);
    double t0 = ev_now(loop);
    ev_once(loop, -1, 0, 0.02, OnceCb, &r);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.revents, EV_TIMER);
    EXPECT_GE(ev_now(loop) - t0, 0.02 - 1e-4);
}

TEST_P(OnceTest, BothFdFirst)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    OnceResult r;
    ev_once(loop, sv[0], EV_READ, 5., OnceCb, &r);
    EXPECT_EQ(ev_run(loop, 0), 0) << "the timer went away with the io";
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.revents, EV_READ);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(OnceTest, BothTimeoutFirst)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    OnceResult r;
    ev_once(loop, sv[0], EV_READ, 0.01, OnceCb, &r);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.revents, EV_TIMER);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0) << "the io went away with the timer";
    EXPECT_EQ(r.calls, 1);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(OnceTest, BothReadyTogetherOneCall)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    OnceResult r;
    ev_once(loop, sv[0], EV_READ, 0., OnceCb, &r);
    ev_sleep(0.002);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_EQ(r.calls, 1);
    EXPECT_TRUE(r.revents & (EV_READ | EV_TIMER));
    close(sv[0]);
    close(sv[1]);
}

// fd < 0 and timeout < 0: never fires, holds no reference, and (as in libev)
// its memory is only reclaimed by nobody; the test allocator frees it.
TEST_P(OnceTest, NeitherNeverFires)
{
    std::set<void *> live;
    g_live = &live;
    ev_set_allocator(CountingAlloc);
    OnceResult r;
    ev_once(loop, -1, 0, -1., OnceCb, &r);
    EXPECT_EQ(live.size(), 1u);
    ev_set_allocator(PlainAlloc);
    EXPECT_EQ(ev_run(loop, 0), 0);
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(r.calls, 0);
    for (void *p : live)
        free(p);
    g_live = nullptr;
}

EV_ALL_BACKENDS(OnceTest);

} // namespace
