// ev/core when the kernel refuses it something: each scenario runs in a forked child with a
// seccomp filter (cov_util.h) that fails the chosen system calls, and checks through the public
// API that the loop falls back (pipe instead of eventfd, signal handlers instead of signalfd,
// clock comparison instead of timerfd, polling instead of inotify, a fresh fd number when dup3
// fails) or reports the error through the ev_set_syserr_cb callback. On every backend.
#include "ev/tests/cov/core/cov_util.h"
#include "ev/tests/test_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

namespace {

using covcore::Fail;
using covcore::FailSyscalls;
using covcore::RunChild;

std::string syserr_msgs;

void RecordSyserr(const char *msg)
{
    syserr_msgs += msg;
    syserr_msgs += '\n';
}

bool SyserrSaid(const char *what)
{
    return syserr_msgs.find(what) != std::string::npos;
}

void DeadlineCb(struct ev_loop *l, ev_timer *w, int)
{
    *static_cast<bool *>(w->data) = true;
    ev_ref(l);
    ev_break(l, EVBREAK_ALL);
}

/* Runs l until pred() holds or 10 s pass (a safety net, not a timing assertion). */
bool RunUntil(struct ev_loop *l, const std::function<bool()> &pred)
{
    bool late = false;
    ev_timer dl;
    ev_timer_init(&dl, DeadlineCb, 10., 0.);
    dl.data = &late;
    ev_timer_start(l, &dl);
    ev_unref(l);
    while (!pred() && !late) {
        ev_ref(l);
        ev_run(l, EVRUN_ONCE);
        ev_unref(l);
    }
    if (ev_is_active(&dl)) {
        ev_ref(l);
        ev_timer_stop(l, &dl);
    }
    return pred();
}

std::vector<Fail> NoWakeChannel(int err = EMFILE)
{
    return {{SYS_eventfd2, err},
#ifdef SYS_eventfd
            {SYS_eventfd, err},
#endif
#ifdef SYS_pipe
            {SYS_pipe, err},
#endif
            {SYS_pipe2, err}};
}

std::vector<Fail> NoEventfd()
{
    return {{SYS_eventfd2, ENOSYS},
#ifdef SYS_eventfd
            {SYS_eventfd, ENOSYS}
#endif
    };
}

int async_calls;

void AsyncCb(struct ev_loop *, ev_async *, int revents)
{
    if (revents & EV_ASYNC)
        ++async_calls;
}

struct Sender {
    ev_async *w;
    struct ev_loop *loop;
    std::atomic<bool> stop{false};
};

void *SendLoop(void *arg)
{
    auto *s = static_cast<Sender *>(arg);
    while (!s->stop.load()) {
        ev_async_send(s->loop, s->w);
        usleep(1000);
    }
    return nullptr;
}

/* An async watcher woken from another thread while l blocks, then from this one. */
int AsyncWorks(struct ev_loop *l, ev_async *a)
{
    async_calls = 0;
    Sender s;
    s.w = a;
    s.loop = l;
    pthread_t th;
    COV_CHECK(pthread_create(&th, nullptr, SendLoop, &s) == 0);
    bool ok = RunUntil(l, [] { return async_calls > 0; });
    s.stop = true;
    pthread_join(th, nullptr);
    COV_CHECK(ok);
    int before = async_calls;
    ev_async_send(l, a);
    COV_CHECK(RunUntil(l, [&] { return async_calls > before; }));
    return 0;
}

/* Called in children with pipe() refused: no member calls there, which UBSan's vptr check
 * verifies with a pipe. */
struct ev_loop *NewLoop(unsigned backend, unsigned flags = 0)
{
    return ev_loop_new(EVFLAG_NOENV | backend | flags);
}

class CovSyscallTest : public ::testing::TestWithParam<unsigned> {
  protected:
    void SetUp() override { COV_NEED_SECCOMP(); }
};

// No eventfd: the wake-up channel is a pipe, in the loop and in a forked child (pipe again).
TEST_P(CovSyscallTest, AsyncOverAPipe)
{
    const unsigned be = GetParam();
    int st = RunChild([&] {
        COV_CHECK(FailSyscalls(NoEventfd()));
        struct ev_loop *l = NewLoop(be);
        COV_CHECK(l);
        ev_async a;
        ev_async_init(&a, AsyncCb);
        ev_async_start(l, &a);
        COV_CHECK(ev_is_active(&a));
        int r = AsyncWorks(l, &a);
        if (r)
            return r;
        int cst = RunChild([&] {
            ev_loop_fork(l);
            return AsyncWorks(l, &a);
        });
        COV_CHECK(covcore::ExitedOk(cst));
        ev_async_stop(l, &a);
        ev_loop_destroy(l);
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
}

// An eventfd in the parent, a pipe in the child that cannot make an eventfd.
TEST_P(CovSyscallTest, EventfdBeforeForkPipeAfter)
{
    const unsigned be = GetParam();
    struct ev_loop *l = NewLoop(be);
    ASSERT_NE(l, nullptr);
    ev_async a;
    ev_async_init(&a, AsyncCb);
    ev_async_start(l, &a);
    int st = RunChild([&] {
        COV_CHECK(FailSyscalls(NoEventfd()));
        ev_loop_fork(l);
        return AsyncWorks(l, &a);
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
    ev_async_stop(l, &a);
    ev_loop_destroy(l);
}

// A child that can make no wake-up channel at all reports it and keeps running its loop.
TEST_P(CovSyscallTest, NoWakeChannelAfterFork)
{
    const unsigned be = GetParam();
    struct ev_loop *l = NewLoop(be);
    ASSERT_NE(l, nullptr);
    ev_async a;
    ev_async_init(&a, AsyncCb);
    ev_async_start(l, &a);
    int st = RunChild([&] {
        syserr_msgs.clear();
        ev_set_syserr_cb(RecordSyserr);
        COV_CHECK(FailSyscalls(NoWakeChannel()));
        ev_loop_fork(l);
        ev_run(l, EVRUN_NOWAIT);
        COV_CHECK(SyserrSaid("error creating signal/async pipe"));
        // fed events still arrive
        async_calls = 0;
        ev_feed_event(l, &a, EV_ASYNC);
        ev_run(l, EVRUN_NOWAIT);
        COV_CHECK(async_calls == 1);
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
    ev_async_stop(l, &a);
    ev_loop_destroy(l);
}

// A pipe whose flags cannot be set is not used: the watcher that needed it stays inactive.
TEST_P(CovSyscallTest, PipeFlagsRefused)
{
    const unsigned be = GetParam();
    struct Case {
        int cmd;
        bool second_only;
    };
    for (Case c : {Case{F_GETFL, false}, Case{F_SETFL, false}, Case{F_SETFL, true}}) {
        int st = RunChild([&] {
            syserr_msgs.clear();
            ev_set_syserr_cb(RecordSyserr);
            struct ev_loop *l = NewLoop(be);
            COV_CHECK(l);
            std::vector<Fail> f = NoEventfd();
            // the pipe's fds: the two lowest free numbers. Only fcntl(fd, cmd) on one of them
            // fails (gcov locks and fdopens its files with fcntl in this process too)
            int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
            COV_CHECK(a >= 0 && b > a);
            close(a);
            close(b);
            f.push_back(
                {SYS_fcntl, EBADF, 0, (unsigned)(c.second_only ? b : a), 1, (unsigned)c.cmd});
#ifdef SYS_fcntl64 /* 32-bit ABIs: the C library calls fcntl64 */
            f.push_back(
                {SYS_fcntl64, EBADF, 0, (unsigned)(c.second_only ? b : a), 1, (unsigned)c.cmd});
#endif
            COV_CHECK(FailSyscalls(f));
            ev_signal s;
            ev_signal_init(
                &s, [](struct ev_loop *, ev_signal *, int) {}, SIGUSR1);
            ev_signal_start(l, &s);
            COV_CHECK(!ev_is_active(&s));
            COV_CHECK(SyserrSaid("error creating signal/async pipe"));
            // hold both numbers, so that gcov's files get others as this child exits
            COV_CHECK(open("/dev/null", O_RDONLY) == a && open("/dev/null", O_RDONLY) == b);
            return 0;
        });
        EXPECT_TRUE(covcore::ExitedOk(st)) << "fcntl cmd " << c.cmd << ": " << st;
    }
}

int sig_calls;

void SigCb(struct ev_loop *, ev_signal *, int revents)
{
    if (revents & EV_SIGNAL)
        ++sig_calls;
}

// EVFLAG_SIGNALFD without signalfd: signal handlers deliver, for every signal started.
TEST_P(CovSyscallTest, SignalfdUnavailable)
{
    const unsigned be = GetParam();
    int st = RunChild([&] {
        COV_CHECK(FailSyscalls({{SYS_signalfd4, ENOSYS},
#ifdef SYS_signalfd
                                {SYS_signalfd, ENOSYS}
#endif
        }));
        struct ev_loop *l = NewLoop(be, EVFLAG_SIGNALFD);
        COV_CHECK(l);
        ev_signal s1, s2;
        ev_signal_init(&s1, SigCb, SIGUSR1);
        ev_signal_init(&s2, SigCb, SIGUSR2);
        ev_signal_start(l, &s1);
        ev_signal_start(l, &s2);
        sig_calls = 0;
        kill(getpid(), SIGUSR1);
        COV_CHECK(RunUntil(l, [] { return sig_calls == 1; }));
        kill(getpid(), SIGUSR2);
        COV_CHECK(RunUntil(l, [] { return sig_calls == 2; }));
        ev_signal_stop(l, &s1);
        ev_signal_stop(l, &s2);
        ev_loop_destroy(l);
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
}

// A signalfd loop forked into a child that cannot make a signalfd: reported, the loop runs on.
TEST_P(CovSyscallTest, SignalfdFailsAfterFork)
{
    const unsigned be = GetParam();
    struct ev_loop *l = NewLoop(be, EVFLAG_SIGNALFD);
    ASSERT_NE(l, nullptr);
    ev_signal s;
    ev_signal_init(&s, SigCb, SIGUSR1);
    ev_signal_start(l, &s);
    int st = RunChild([&] {
        syserr_msgs.clear();
        ev_set_syserr_cb(RecordSyserr);
        COV_CHECK(FailSyscalls({{SYS_signalfd4, EMFILE},
#ifdef SYS_signalfd
                                {SYS_signalfd, EMFILE}
#endif
        }));
        ev_loop_fork(l);
        ev_run(l, EVRUN_NOWAIT);
        COV_CHECK(SyserrSaid("signalfd after fork"));
        sig_calls = 0;
        ev_feed_signal_event(l, SIGUSR1);
        ev_run(l, EVRUN_NOWAIT);
        COV_CHECK(sig_calls == 1);
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
    ev_signal_stop(l, &s);
    ev_loop_destroy(l);
}

int periodic_calls;

void PeriodicCb(struct ev_loop *, ev_periodic *, int revents)
{
    if (revents & EV_PERIODIC)
        ++periodic_calls;
}

// No timerfd: periodics still fire (the loop compares the clocks), also after a fork in which
// the timerfd the parent had cannot be re-created.
TEST_P(CovSyscallTest, TimerfdUnavailable)
{
    const unsigned be = GetParam();
    std::vector<Fail> no_timerfd = {{SYS_timerfd_create, ENOSYS}};
    int st = RunChild([&] {
        COV_CHECK(FailSyscalls(no_timerfd));
        struct ev_loop *l = NewLoop(be);
        COV_CHECK(l);
        ev_periodic p;
        ev_periodic_init(&p, PeriodicCb, 0., 0.02, nullptr);
        ev_periodic_start(l, &p);
        periodic_calls = 0;
        COV_CHECK(RunUntil(l, [] { return periodic_calls >= 2; }));
        ev_periodic_stop(l, &p);
        ev_loop_destroy(l);
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;

    struct ev_loop *l = NewLoop(be);
    ASSERT_NE(l, nullptr);
    ev_periodic p;
    ev_periodic_init(&p, PeriodicCb, 0., 0.02, nullptr);
    ev_periodic_start(l, &p); // opens the loop's timerfd
    st = RunChild([&] {
        COV_CHECK(FailSyscalls(no_timerfd));
        ev_loop_fork(l);
        periodic_calls = 0;
        COV_CHECK(RunUntil(l, [] { return periodic_calls >= 2; }));
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
    ev_periodic_stop(l, &p);
    ev_loop_destroy(l);
}

int stat_calls;

void StatCb(struct ev_loop *, ev_stat *, int revents)
{
    if (revents & EV_STAT)
        ++stat_calls;
}

std::string TempDir()
{
    const char *t = getenv("TEST_TMPDIR");
    if (!t || !*t)
        t = getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/covstat.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    return mkdtemp(buf.data()) ? std::string(buf.data()) : std::string();
}

int Touch(const std::string &path, const char *data)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, data, strlen(data));
    close(fd);
    return n < 0 ? -1 : 0;
}

// No inotify: ev_stat polls; after a fork in which inotify cannot be re-created, the watchers
// that had a watch poll too.
TEST_P(CovSyscallTest, InotifyUnavailable)
{
    const unsigned be = GetParam();
    std::string dir = TempDir();
    ASSERT_FALSE(dir.empty());
    std::string file = dir + "/f";
    std::vector<Fail> no_inotify = {{SYS_inotify_init1, EMFILE},
#ifdef SYS_inotify_init
                                    {SYS_inotify_init, EMFILE}
#endif
    };
    int st = RunChild([&] {
        COV_CHECK(FailSyscalls(no_inotify));
        struct ev_loop *l = NewLoop(be);
        COV_CHECK(l);
        ev_stat w;
        ev_stat_init(&w, StatCb, file.c_str(), 0.11);
        ev_stat_start(l, &w);
        stat_calls = 0;
        COV_CHECK(Touch(file, "a") == 0);
        COV_CHECK(RunUntil(l, [] { return stat_calls >= 1; }));
        ev_stat_stop(l, &w);
        ev_loop_destroy(l);
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;

    struct ev_loop *l = NewLoop(be);
    ASSERT_NE(l, nullptr);
    ev_stat w;
    ev_stat_init(&w, StatCb, file.c_str(), 0.11);
    ev_stat_start(l, &w);
    st = RunChild([&] {
        COV_CHECK(FailSyscalls(no_inotify));
        ev_loop_fork(l);
        ev_run(l, EVRUN_NOWAIT);
        stat_calls = 0;
        COV_CHECK(Touch(file, "b") == 0);
        COV_CHECK(RunUntil(l, [] { return stat_calls >= 1; }));
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
    ev_stat_stop(l, &w);
    ev_loop_destroy(l);
    unlink(file.c_str());
    rmdir(dir.c_str());
}

// dup3 refused after fork: the loop's new internal fds keep their own numbers and work.
TEST_P(CovSyscallTest, FdNumberNotKeptAfterFork)
{
    const unsigned be = GetParam();
    struct ev_loop *l = NewLoop(be);
    ASSERT_NE(l, nullptr);
    ev_async a;
    ev_async_init(&a, AsyncCb);
    ev_async_start(l, &a);
    int st = RunChild([&] {
        COV_CHECK(FailSyscalls({{SYS_dup3, EPERM}}));
        ev_loop_fork(l);
        return AsyncWorks(l, &a);
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
    ev_async_stop(l, &a);
    ev_loop_destroy(l);
}

// No wake-up channel at all: a signal watcher cannot start (and says why); a default loop
// without its SIGCHLD watcher still goes away cleanly.
TEST_P(CovSyscallTest, SignalWithoutWakeChannel)
{
    const unsigned be = GetParam();
    int st = RunChild([&] {
        syserr_msgs.clear();
        ev_set_syserr_cb(RecordSyserr);
        COV_CHECK(FailSyscalls(NoWakeChannel()));
        struct ev_loop *l = NewLoop(be);
        COV_CHECK(l);
        ev_signal s;
        ev_signal_init(&s, SigCb, SIGUSR1);
        ev_signal_start(l, &s);
        COV_CHECK(!ev_is_active(&s));
        COV_CHECK(SyserrSaid("error creating signal/async pipe"));
        ev_loop_destroy(l);
        struct ev_loop *d = ev_default_loop(EVFLAG_NOENV | be);
        COV_CHECK(d);
        ev_loop_destroy(d);
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
}

EV_ALL_BACKENDS(CovSyscallTest);

// The epoll backend cannot re-create its set in a child: the loop reports it.
TEST(CovSyscallEpoll, BackendNotRecreatedAfterFork)
{
    COV_NEED_SECCOMP();
    if (!(ev_supported_backends() & EVBACKEND_EPOLL))
        GTEST_SKIP() << "no epoll";
    struct ev_loop *l = ev_loop_new(EVFLAG_NOENV | EVBACKEND_EPOLL);
    ASSERT_NE(l, nullptr);
    int st = RunChild([&] {
        syserr_msgs.clear();
        ev_set_syserr_cb(RecordSyserr);
        COV_CHECK(FailSyscalls({{SYS_epoll_create1, EMFILE},
#ifdef SYS_epoll_create
                                {SYS_epoll_create, EMFILE}
#endif
        }));
        ev_loop_fork(l);
        ev_run(l, EVRUN_NOWAIT);
        COV_CHECK(SyserrSaid("cannot re-create the backend after fork"));
        return 0;
    });
    EXPECT_TRUE(covcore::ExitedOk(st)) << st;
    ev_loop_destroy(l);
}

} // namespace
