// event_cov_alloc_test.cc - the libevent 1.x shim when its own allocations fail (the state of a
// base, the thunk of event_once, the list of callbacks held back by a loopbreak). This program
// replaces the C library's malloc, calloc, realloc and free with pass-throughs to glibc's
// (__libc_*) that fail on demand; ev's own allocations go straight to glibc through
// ev_set_allocator, since ev ends the process on a failed allocation. Under AddressSanitizer and
// ThreadSanitizer, whose runtimes own malloc, the tests skip.
#include "ev/tests/cov/compat/event_cov_test.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EVCOV_NO_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define EVCOV_NO_INTERPOSE 1
#endif
#endif

namespace {
// How many of the next calls fail (single-threaded: only the test's thread allocates here).
int g_fail_malloc, g_fail_calloc, g_fail_realloc;
} // namespace

#ifndef EVCOV_NO_INTERPOSE
extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);

void *malloc(size_t n)
{
    if (g_fail_malloc > 0) {
        --g_fail_malloc;
        errno = ENOMEM;
        return nullptr;
    }
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (g_fail_calloc > 0) {
        --g_fail_calloc;
        errno = ENOMEM;
        return nullptr;
    }
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (g_fail_realloc > 0 && n) {
        --g_fail_realloc;
        errno = ENOMEM;
        return nullptr;
    }
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}
}

namespace {
void *EvAlloc(void *p, long size)
{
    if (size)
        return __libc_realloc(p, (size_t)size);
    __libc_free(p);
    return nullptr;
}
} // namespace
#endif

namespace {

class CompatAllocTest : public evcov::CompatTest {
  protected:
    void SetUp() override
    {
#ifdef EVCOV_NO_INTERPOSE
        GTEST_SKIP() << "the sanitizer's runtime owns malloc";
#else
        ev_set_allocator(EvAlloc);
        CompatTest::SetUp();
#endif
    }

    void TearDown() override
    {
        g_fail_malloc = g_fail_calloc = g_fail_realloc = 0;
#ifndef EVCOV_NO_INTERPOSE
        CompatTest::TearDown();
        ev_set_allocator(nullptr);
#endif
    }

    static int OpenFds()
    {
        int n = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d)
            return -1;
        while (readdir(d))
            ++n;
        closedir(d);
        return n;
    }
};

// A base whose state cannot be allocated is not made (and no loop is left behind).
TEST_P(CompatAllocTest, NoBaseWithoutMemory)
{
    // The first event_init of the process takes ev's default loop, which stays (ev code may
    // share it) when the state cannot be allocated.
    bool had_default = ev_default_loop_ptr != nullptr;
    g_fail_calloc = 1;
    EXPECT_EQ(event_init(), nullptr);
    if (!had_default && ev_default_loop_ptr) {
        EXPECT_EQ(ev_run(ev_default_loop_ptr, EVRUN_NOWAIT), 0);
    }

    int fds = OpenFds();
    g_fail_calloc = 1;
    EXPECT_EQ(NewBase(), nullptr);
    EXPECT_EQ(OpenFds(), fds);

    ASSERT_NE(event_init(), nullptr); // the current base from now on
    fds = OpenFds();
    setenv("LIBEV_FLAGS", std::to_string(GetParam()).c_str(), 1);
    g_fail_calloc = 1;
    void *cur = event_init(); // a new loop: its state cannot be allocated
    unsetenv("LIBEV_FLAGS");
    EXPECT_EQ(cur, nullptr);
    EXPECT_EQ(OpenFds(), fds);
    struct event_base *b = NewBase(); // memory again: works
    ASSERT_NE(b, nullptr);
    event_base_free(b);
    event_base_free(nullptr); // the current base (a no-op for the default loop)
}

// A loop made with ev's API gets its state on first use by the shim; while that allocation
// fails, the calls that need it refuse, and an event set on it still works once memory is back.
TEST_P(CompatAllocTest, LoopOfEvWithoutMemoryForItsState)
{
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | GetParam());
    ASSERT_NE(l, nullptr);
    struct event_base *b = reinterpret_cast<struct event_base *>(l);
    g_fail_calloc = 100;
    EXPECT_EQ(event_base_loop(b, EVLOOP_NONBLOCK), -1);
    EXPECT_EQ(event_base_loopbreak(b), -1);
    EXPECT_EQ(event_base_priority_init(b, 2), -1);
    struct event t;
    evtimer_set(&t, Record, (void *)1);
    EXPECT_EQ(event_base_set(b, &t), 0);
    struct timeval zero = {0, 0};
    EXPECT_EQ(evtimer_add(&t, &zero), 0);
    EXPECT_EQ(evtimer_pending(&t, nullptr), EV_TIMEOUT);
    g_fail_calloc = 0;
    EXPECT_EQ(event_base_loop(b, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(Tags(), (std::vector<int>{1}));

    // A persistent event added while its base had no state, deleted after it fired.
    int sv[2];
    Pair(sv);
    struct event w;
    struct ev_loop *l2 = ev_loop_new(EVFLAG_NOENV | GetParam());
    ASSERT_NE(l2, nullptr);
    struct event_base *b2 = reinterpret_cast<struct event_base *>(l2);
    event_set(&w, sv[0], EV_WRITE | EV_PERSIST, Record, (void *)2);
    g_fail_calloc = 100;
    EXPECT_EQ(event_base_set(b2, &w), 0);
    EXPECT_EQ(event_add(&w, nullptr), 0);
    g_fail_calloc = 0;
    EXPECT_EQ(event_base_loop(b2, EVLOOP_NONBLOCK), 0);
    EXPECT_EQ(CountTag(2), 1);
    EXPECT_EQ(event_pending(&w, EV_WRITE, nullptr), EV_WRITE);
    EXPECT_EQ(event_del(&w), 0);
    EXPECT_EQ(event_pending(&w, EV_WRITE, nullptr), 0);
    event_base_free(b2);
    event_base_free(b);
}

// event_once without memory for its thunk: -1, and the callback never runs.
TEST_P(CompatAllocTest, OnceWithoutMemory)
{
    g_fail_malloc = 1;
    int r = event_base_once(base, -1, EV_TIMEOUT, Record, (void *)1, nullptr);
    g_fail_malloc = 0;
    EXPECT_EQ(r, -1);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_TRUE(calls.empty());
}

// A loopbreak holds the other ready callbacks back in a list; without memory for it they run
// at once rather than being lost.
TEST_P(CompatAllocTest, LoopbreakWithoutMemoryLosesNoCallback)
{
    int sv[2];
    Pair(sv);
    static struct event_base *s_base;
    s_base = base;
    ASSERT_EQ(event_base_priority_init(base, 2), 0);
    struct event breaker;
    event_callback_fn brk = [](int fd, short what, void *arg) {
        Record(fd, what, arg);
        event_base_loopbreak(s_base);
        g_fail_realloc = 100;
    };
    event_set(&breaker, sv[0], EV_WRITE, brk, (void *)100);
    ASSERT_EQ(event_base_set(base, &breaker), 0);
    ASSERT_EQ(event_priority_set(&breaker, 0), 0);
    ASSERT_EQ(event_add(&breaker, nullptr), 0);
    struct event evs[3];
    for (int i = 0; i < 3; ++i) {
        event_set(&evs[i], sv[0], EV_WRITE, Record, (void *)(intptr_t)i);
        ASSERT_EQ(event_base_set(base, &evs[i]), 0);
        ASSERT_EQ(event_priority_set(&evs[i], 1), 0);
        ASSERT_EQ(event_add(&evs[i], nullptr), 0);
    }
    calls.reserve(16); // no allocation by the recording callbacks
    event_base_dispatch(base);
    g_fail_realloc = 0;
    ASSERT_EQ(calls.size(), 4u);
    EXPECT_EQ(calls[0].tag, 100);
    EXPECT_EQ(event_base_loop(base, EVLOOP_NONBLOCK), 1);
    EXPECT_EQ(calls.size(), 4u);
}

EV_ALL_BACKENDS(CompatAllocTest);

} // namespace
