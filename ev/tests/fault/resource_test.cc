/*
 * resource_test.cc - the loop when memory or file descriptors run out, on every backend. Each
 * scenario runs in a forked child (ev aborts on a failed allocation, as libev does, and the rlimit
 * must not touch the test process):
 *  - an allocator that fails on its N-th call, for N = 1, 2, 3, ... through ev_loop_new, starting
 *    many watchers of every kind, running and destroying: every run either completes (N beyond the
 *    last allocation; ev_verify after every step) or aborts with "cannot allocate" on stderr;
 *    never another signal, never a silent exit;
 *  - RLIMIT_NOFILE so low that no new fd can be made: ev_loop_new returns NULL for a backend that
 *    needs an fd (epoll, io_uring), without leaking memory or fds; poll and select need none and
 *    work (timers), and what needs an fd later (ev_async_start) goes to the syserr callback.
 */
#include "ev/tests/test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "ev/tests/fault/child.h"

namespace {

#define CHILD_CHECK(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "child check failed at line %d: %s\n", __LINE__, #cond);               \
            _exit(99);                                                                             \
        }                                                                                          \
    } while (0)

using evfault::RunInChild;

/* ---- a counting allocator that fails on call fail_at (0: never) ---------------------------- */

long alloc_calls, fail_at, live_blocks;

void *CountingAlloc(void *ptr, long size)
{
    if (size == 0) {
        if (ptr)
            --live_blocks;
        free(ptr);
        return nullptr;
    }
    if (++alloc_calls == fail_at)
        return nullptr;
    void *p = realloc(ptr, (size_t)size);
    if (p && !ptr)
        ++live_blocks;
    return p;
}

void Noop(struct ev_loop *, ev_watcher *, int) {}

/* Many watchers of every kind on a new loop, run, stopped, destroyed; ev_verify throughout. */
void Scenario(unsigned backend)
{
    int pipes[8][2];
    for (auto &p : pipes)
        CHILD_CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    ev_set_allocator(CountingAlloc);
    struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | backend);
    CHILD_CHECK(loop != nullptr);
    static ev_io ios[16];
    static ev_timer timers[200];
    static ev_periodic periodics[20];
    static ev_idle idles[10];
    static ev_prepare prepares[10];
    static ev_check checks[10];
    static ev_async asyncs[4];
    static ev_signal sig;
    static ev_cleanup cleanup;
    auto cb = Noop;
    for (int i = 0; i < 16; ++i) {
        ev_io_init(&ios[i], (void (*)(struct ev_loop *, ev_io *, int))cb, pipes[i / 2][i & 1],
                   (i & 1) ? EV_WRITE : EV_READ);
        ev_set_priority(&ios[i], i % 5 - 2);
        ev_io_start(loop, &ios[i]);
    }
    ev_verify(loop);
    for (int i = 0; i < 200; ++i) {
        ev_timer_init(&timers[i], (void (*)(struct ev_loop *, ev_timer *, int))cb, (i % 7) * 1e-4,
                      (i % 3) ? 0. : 100.);
        ev_timer_start(loop, &timers[i]);
    }
    ev_verify(loop);
    for (int i = 0; i < 20; ++i) {
        ev_periodic_init(&periodics[i], (void (*)(struct ev_loop *, ev_periodic *, int))cb,
                         ev_now(loop) + i, 1., nullptr);
        ev_periodic_start(loop, &periodics[i]);
    }
    for (int i = 0; i < 10; ++i) {
        ev_idle_init(&idles[i], (void (*)(struct ev_loop *, ev_idle *, int))cb);
        ev_set_priority(&idles[i], i % 5 - 2);
        ev_idle_start(loop, &idles[i]);
        ev_prepare_init(&prepares[i], (void (*)(struct ev_loop *, ev_prepare *, int))cb);
        ev_prepare_start(loop, &prepares[i]);
        ev_check_init(&checks[i], (void (*)(struct ev_loop *, ev_check *, int))cb);
        ev_check_start(loop, &checks[i]);
    }
    for (auto &a : asyncs) {
        ev_async_init(&a, (void (*)(struct ev_loop *, ev_async *, int))cb);
        ev_async_start(loop, &a);
        ev_async_send(loop, &a);
    }
    ev_signal_init(&sig, (void (*)(struct ev_loop *, ev_signal *, int))cb, SIGUSR1);
    ev_signal_start(loop, &sig);
    ev_cleanup_init(&cleanup, (void (*)(struct ev_loop *, ev_cleanup *, int))cb);
    ev_cleanup_start(loop, &cleanup);
    ev_once(
        loop, pipes[7][0], EV_READ, 0., [](int, void *) {}, nullptr);
    for (int i = 0; i < 16; ++i)
        ev_feed_event(loop, &timers[i], EV_CUSTOM);
    ev_verify(loop);
    for (int i = 0; i < 3; ++i) {
        ev_run(loop, EVRUN_NOWAIT);
        ev_verify(loop);
    }
    for (int i = 0; i < 200; i += 2)
        ev_timer_stop(loop, &timers[i]);
    for (int i = 0; i < 16; i += 3)
        ev_io_stop(loop, &ios[i]);
    ev_run(loop, EVRUN_NOWAIT);
    ev_verify(loop);
    ev_loop_destroy(loop);
    CHILD_CHECK(live_blocks == 0);
}

class ResourceTest : public ::testing::TestWithParam<unsigned> {};

TEST_P(ResourceTest, AllocatorFailingOnCallN)
{
    unsigned backend = GetParam();
    int aborted = 0;
    long n;
    for (n = 1; n < 5000; ++n) {
        std::string err;
        int status = RunInChild(
            [&] {
                fail_at = n;
                Scenario(backend);
                _exit(alloc_calls >= n ? 10 : 0); /* 10: finished although the allocation failed */
            },
            &err);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            break; /* n is beyond the scenario's last allocation: done */
        ASSERT_FALSE(WIFEXITED(status))
            << "n=" << n << ": exit " << WEXITSTATUS(status) << ", stderr: " << err;
        ASSERT_TRUE(WIFSIGNALED(status)) << "n=" << n << " status " << status;
        ASSERT_EQ(WTERMSIG(status), SIGABRT)
            << "n=" << n << ": " << strsignal(WTERMSIG(status)) << ", stderr: " << err;
        ASSERT_NE(err.find("cannot allocate"), std::string::npos) << "n=" << n << ": " << err;
        ++aborted;
    }
    EXPECT_LT(n, 5000) << "the scenario never completed";
    EXPECT_GT(aborted, 20) << "too few allocations: is the allocator used at all?";
    RecordProperty("allocations", aborted);
}

/* ---- RLIMIT_NOFILE ----------------------------------------------------------------------- */

int OpenFds()
{
    int n = 0;
    for (int fd = 0; fd < 4096; ++fd)
        if (fcntl(fd, F_GETFD) >= 0)
            ++n;
    return n;
}

int syserr_calls;

void CountSyserr(const char *)
{
    ++syserr_calls;
}

TEST_P(ResourceTest, NoFileDescriptorsLeft)
{
    unsigned backend = GetParam();
    std::string err;
    int status = RunInChild(
        [&] {
            ev_set_allocator(CountingAlloc);
            ev_set_syserr_cb(CountSyserr);
            int before = OpenFds();
            struct rlimit rl;
            CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
            rl.rlim_cur = 0; /* no new fd at all */
            CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
            int p[2];
            CHILD_CHECK(pipe(p) < 0 && errno == EMFILE);
            struct ev_loop *loop = ev_loop_new(EVFLAG_NOENV | backend);
            if (backend == EVBACKEND_EPOLL || backend == EVBACKEND_IOURING ||
                backend == EVBACKEND_LINUXAIO) {
                CHILD_CHECK(loop == nullptr);
            } else {
                /* poll and select keep no kernel object */
                CHILD_CHECK(loop != nullptr);
                CHILD_CHECK(ev_backend(loop) == backend);
                ev_timer t;
                static int fired;
                ev_timer_init(
                    &t, [](struct ev_loop *, ev_timer *, int) { ++fired; }, 1e-3, 0.);
                ev_timer_start(loop, &t);
                while (!fired)
                    ev_run(loop, EVRUN_ONCE);
                ev_verify(loop);
                /* the wake-up channel needs an fd: syserr, and the watcher stays stopped */
                ev_async a;
                ev_async_init(&a, [](struct ev_loop *, ev_async *, int) {});
                ev_async_start(loop, &a);
                CHILD_CHECK(syserr_calls == 1);
                CHILD_CHECK(!ev_is_active(&a));
                ev_run(loop, EVRUN_NOWAIT);
                ev_verify(loop);
                ev_loop_destroy(loop);
            }
            CHILD_CHECK(live_blocks == 0);
            CHILD_CHECK(OpenFds() == before);
            if (backend == EVBACKEND_EPOLL) {
                /* the default choice falls back to poll, which needs no fd */
                struct ev_loop *l2 = ev_loop_new(EVFLAG_NOENV);
                CHILD_CHECK(l2 != nullptr);
                CHILD_CHECK(ev_backend(l2) == EVBACKEND_POLL);
                ev_loop_destroy(l2);
                CHILD_CHECK(live_blocks == 0);
                CHILD_CHECK(OpenFds() == before);
            }
            _exit(0);
        },
        &err);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status << ", stderr: " << err;
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ResourceTest, ::testing::ValuesIn(::evtest::Backends()),
                         ::evtest::BackendNamer());

} // namespace
