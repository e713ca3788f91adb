// ev++.h: every watcher class, every callback style, the loop classes, and the modern
// additions (callables, chrono, move). io cases run on every backend.
#include <ev++.h>

#include "test_util.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

class EvppTest : public evtest::LoopTest {};

struct Target {
    int method_calls = 0, noarg_calls = 0, functor_calls = 0, last_revents = 0;
    void on_io(ev::io &w, int revents)
    {
        ++method_calls;
        last_revents = revents;
        w.stop();
    }
    void on_tick() { ++noarg_calls; }
    void operator()(ev::idle &w, int)
    {
        ++functor_calls;
        w.stop();
    }
};

int function_calls;
void on_check(ev::check &w, int revents)
{
    ++function_calls;
    EXPECT_EQ(revents, ev::CHECK);
    EXPECT_EQ(w.data, &function_calls) << "set<function>(data) stores data";
    w.stop();
}

static_assert(sizeof(ev::io) == sizeof(ev_io) + sizeof(void *), "C watcher + loop pointer");
static_assert(sizeof(ev::timer) == sizeof(ev_timer) + sizeof(void *) &&
                  sizeof(ev::stat) == sizeof(ev_stat) + sizeof(void *),
              "every target: C watcher + loop pointer");
#if defined(__x86_64__) && defined(__linux__)
static_assert(sizeof(ev::timer) == 56 && sizeof(ev::periodic) == 72 && sizeof(ev::stat) == 408 &&
                  sizeof(ev::embed) == 368 && sizeof(ev::async) == 48 && sizeof(ev::idle) == 40,
              "libev's ev++ object sizes");
#endif
static_assert(sizeof(ev::loop_ref) == sizeof(void *), "loop_ref is a pointer");

TEST_P(EvppTest, ClassicCallbackStyles)
{
    ev::loop_ref l(loop);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(write(sv[1], "x", 1), 1);
    Target t;
    ev::io io(l);
    io.set<Target, &Target::on_io>(&t);
    io.start(sv[0], ev::READ);
    ev::idle idle(l);
    idle.set(&t);
    idle.start();
    ev::check check(l);
    check.set<on_check>(&function_calls);
    check.start();
    ev::prepare prep(l);
    prep.set<Target, &Target::on_tick>(&t);
    prep.start();
    EXPECT_TRUE(RunUntil([&] { return t.method_calls && t.functor_calls && function_calls; }));
    prep.stop();
    EXPECT_EQ(t.method_calls, 1);
    EXPECT_EQ(t.last_revents, ev::READ);
    EXPECT_GE(t.noarg_calls, 1);
    EXPECT_EQ(io.data, &t);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(EvppTest, LambdasStdFunctionAndSmallCaptures)
{
    ev::loop_ref l(loop);
    std::string name = "a string too big for the data pointer";
    int big = 0, small = 0, noargs = 0, revonly = 0;
    ev::timer t1(l), t2(l), t3(l), t4(l);
    t1.set([&big, name](ev::timer &w, int revents) {
        big += (int)name.size();
        EXPECT_EQ(revents, ev::TIMER);
        EXPECT_FALSE(w.is_active());
    });
    int *p = &small;
    t2.set([p](ev::timer &, int) { ++*p; }); // trivially copyable, fits in data: no heap
    EXPECT_EQ(*reinterpret_cast<int **>(&t2.data), p);
    t3.set([&noargs] { ++noargs; });
    std::function<void(int)> f = [&revonly](int revents) { revonly = revents; };
    t4.set(f);
    t1.start(0.);
    t2.start(std::chrono::milliseconds(1));
    t3.start(0.001);
    t4.start(0.);
    EXPECT_TRUE(RunUntil([&] { return big && small && noargs && revonly; }));
    EXPECT_EQ(big, (int)name.size());
    EXPECT_EQ(revonly, ev::TIMER);
    // re-setting releases the previous callable (ASan checks the heap block is freed)
    t1.set([&big] { big = -1; });
    t1.start(0.);
    EXPECT_TRUE(RunUntil([&] { return big == -1; }));
}

// libev's spelling: a watcher's loop member is an ev::loop_ref, used from inside callbacks.
static_assert(std::is_same<decltype(ev::io::loop), ev::loop_ref>::value, "w.loop is a loop_ref");

TEST_P(EvppTest, CallbacksUseTheLoopMember)
{
    ev::loop_ref l(loop);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ev::idle busy(l); // keeps run() from blocking and from returning on its own
    busy.set([] {});
    busy.start();
    int fed = 0;
    ev::io io(l);
    io.set([&fed](ev::io &w, int revents) {
        EXPECT_EQ(revents, ev::READ);
        ++fed;
        w.loop.break_loop(ev::ALL); // ends l.run()
    });
    io.start(sv[0], ev::READ);
    unsigned int iteration = 0;
    ev::timer t(l);
    t.set([&](ev::timer &w, int) {
        iteration = w.loop.iteration();
        EXPECT_EQ(w.loop.depth(), 1u);
        EXPECT_EQ(w.loop.now(), ev_now(w.loop));
        EXPECT_TRUE(w.loop == l && w.loop == loop && !(w.loop != io.loop));
        ev::loop_ref copy = w.loop;
        struct ev_loop *raw = w.loop;
        EXPECT_EQ(copy.raw_loop, raw);
        w.loop.feed_fd_event(sv[0], ev::READ); // the io watcher runs in this iteration
    });
    t.start(0.);
    l.run();
    EXPECT_FALSE(timed_out);
    EXPECT_GE(iteration, 1u);
    EXPECT_EQ(fed, 1);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(EvppTest, OperatorCallInvokesTheCallback)
{
    ev::timer t(loop);
    int seen = 0;
    t.set([&seen](ev::timer &, int revents) { seen = revents; });
    t(ev::TIMER); // libev's operator() did not compile with multiplicity
    EXPECT_EQ(seen, ev::TIMER);
    t();
    EXPECT_EQ(seen, ev::UNDEF);
}

TEST_P(EvppTest, SetRestartsAnActiveWatcherAndDestructorStops)
{
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int reads = 0;
    {
        ev::io io(loop);
        io.set([&reads](ev::io &w, int) {
            char c;
            EXPECT_EQ(read(w.fd, &c, 1), 1);
            ++reads;
        });
        io.start(sv[0], ev::WRITE);
        EXPECT_TRUE(io.is_active());
        io.set(ev::READ); // ev_io_modify on an active watcher: restarted
        EXPECT_TRUE(io.is_active());
        EXPECT_EQ(io.events & (ev::READ | ev::WRITE), ev::READ);
        ASSERT_EQ(write(sv[1], "y", 1), 1);
        EXPECT_TRUE(RunUntil([&] { return reads == 1; }));
        EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 1);
    } // the destructor stops it
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(EvppTest, TimerAgainRemainingAndChrono)
{
    ev::timer t(loop);
    int calls = 0;
    t.set([&calls] { ++calls; });
    t.set(std::chrono::seconds(100), std::chrono::milliseconds(250));
    EXPECT_EQ(t.at, 100.);
    EXPECT_EQ(t.repeat, 0.25);
    t.start();
    EXPECT_GT(t.remaining(), 99.);
    t.again(); // repeat 0.25 from now
    EXPECT_LE(t.remaining(), 0.25);
    EXPECT_TRUE(RunUntil([&] { return calls >= 2; }));
    t.stop();
}

TEST_P(EvppTest, MoveConstructionKeepsTheWatcherRunning)
{
    int calls = 0;
    ev::timer a(loop);
    a.set([&calls](ev::timer &w, int) {
        if (++calls == 3)
            w.stop();
    });
    a.start(0.001, 0.001);
    ev::timer b(std::move(a));
    EXPECT_FALSE(a.is_active());
    EXPECT_TRUE(b.is_active());
    EXPECT_EQ(b.repeat, 0.001);
    EXPECT_TRUE(RunUntil([&] { return calls == 3; }));
    EXPECT_FALSE(b.is_active());
}

TEST_P(EvppTest, AsyncFromAThread)
{
    ev::async a(loop);
    int got = 0;
    a.set([&got](ev::async &w, int) {
        ++got;
        w.stop();
    });
    a.start();
    EXPECT_FALSE(a.async_pending());
    std::thread th([&a] { a.send(); });
    EXPECT_TRUE(RunUntil([&] { return got == 1; }));
    th.join();
}

TEST_P(EvppTest, SignalPeriodicStatForkCleanupAndOnce)
{
    ev::sig s(loop);
    int sigs = 0;
    s.set([&sigs](ev::sig &w, int) {
        ++sigs;
        w.stop();
    });
    s.start(SIGUSR2);
    raise(SIGUSR2);
    ev::periodic p(loop);
    int periodics = 0;
    p.set([&periodics](ev::periodic &, int) { ++periodics; });
    p.start(ev_now(loop) + 0.001);
    ev::stat st(loop);
    st.set([](ev::stat &, int) {});
    st.start("/", 0.);
    EXPECT_GT(st.attr.st_nlink, 0u);
    st.update();
    ev::fork fk(loop);
    fk.set([] {});
    fk.start();
    int once_revents = 0;
    ev::loop_ref(loop).once(
        -1, 0, 0., [](int revents, void *arg) { *static_cast<int *>(arg) = revents; },
        &once_revents);
    EXPECT_TRUE(RunUntil([&] { return sigs && periodics && once_revents; }));
    EXPECT_EQ(once_revents, ev::TIMER);
    st.stop();
    fk.stop();
    int cleanups = 0;
    {
        ev::dynamic_loop inner(EVFLAG_NOENV | GetParam());
        ev::cleanup c(inner);
        c.set([&cleanups] { ++cleanups; });
        c.start();
        EXPECT_EQ(inner.backend(), GetParam());
        inner.run(ev::NOWAIT); // cleanup holds no reference
        EXPECT_EQ(cleanups, 0);
        c.stop();
        c.start();
    } // c is destroyed first (stopped), then the loop: nothing runs
    EXPECT_EQ(cleanups, 0);
}

TEST(EvppLoops, DefaultDynamicAndBadLoop)
{
    ev::default_loop d;
    EXPECT_TRUE(d.is_default());
    EXPECT_TRUE(ev::get_default_loop() == d);
    EXPECT_TRUE(d == ev_default_loop_uc_());
    ev::dynamic_loop dl(EVFLAG_NOENV);
    EXPECT_FALSE(dl.is_default());
    EXPECT_TRUE(dl != d);
    EXPECT_EQ(ev::version_major(), 4);
    EXPECT_EQ(ev::version_minor(), 33);
    EXPECT_EQ(ev::supported_backends() & ev::recommended_backends(), ev::recommended_backends());
    EXPECT_THROW(ev::dynamic_loop bad(EVFLAG_NOENV | EVBACKEND_DEVPOLL), ev::bad_loop);
    try {
        ev::dynamic_loop bad(EVFLAG_NOENV | EVBACKEND_DEVPOLL);
    } catch (const std::exception &e) {
        EXPECT_NE(std::string(e.what()).find("LIBEV_FLAGS"), std::string::npos);
    }
    ev_loop_destroy(d);
}

TEST(EvppChild, ReportsAChildOnTheDefaultLoop)
{
    ev::default_loop loop(EVFLAG_NOENV);
    pid_t pid = fork();
    if (pid == 0)
        _exit(5);
    ev::child c(loop);
    int rpid = 0, status = -1;
    c.set([&](ev::child &w, int revents) {
        EXPECT_EQ(revents, ev::CHILD);
        rpid = w.rpid;
        status = WEXITSTATUS(w.rstatus);
        w.stop();
    });
    c.start(pid, 0);
    ev::timer deadline(loop);
    deadline.set([](ev::timer &w, int) { ev_break(w.loop, EVBREAK_ALL); });
    deadline.start(120.); // generous: a fork under TSan on a loaded machine is slow
    loop.unref();
    while (!rpid && deadline.is_active())
        loop.run(ev::ONCE);
    loop.ref();
    EXPECT_EQ(rpid, pid);
    EXPECT_EQ(status, 5);
    deadline.stop();
    ev_loop_destroy(loop);
}

TEST(EvppEmbed, StartEmbedsTheGivenLoop)
{
    ev::dynamic_loop outer(EVFLAG_NOENV | EVBACKEND_POLL);
    ev::dynamic_loop inner(EVFLAG_NOENV | EVBACKEND_EPOLL);
    ev::embed e(outer);
    e.start(inner); // libev's version set the watcher's own loop and crashed
    EXPECT_EQ(e.other, inner.raw_loop);
    EXPECT_TRUE(e.is_active());
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int got = 0;
    ev::io io(inner);
    io.set([&got](ev::io &w, int) {
        ++got;
        w.stop();
    });
    io.start(sv[0], ev::READ);
    ASSERT_EQ(write(sv[1], "z", 1), 1);
    for (int i = 0; i < 100 && !got; ++i)
        outer.run(ev::ONCE);
    EXPECT_EQ(got, 1);
    e.stop();
    close(sv[0]);
    close(sv[1]);
}

TEST(EvppMisuse, SetLoopOnActiveWatcherDies)
{
    ::testing::FLAGS_gtest_death_test_style = "threadsafe";
    ev::dynamic_loop l(EVFLAG_NOENV);
    ev::timer t(l);
    t.set([] {});
    t.start(100.);
    EXPECT_DEATH(t.set(l.raw_loop), "ev\\+\\+: set\\(loop\\) called on an active watcher");
    t.stop();
}

// As in libev, a watcher may be started before it has a callback (one is set before it fires).
TEST(EvppMisuse, StartWithoutCallbackIsAllowed)
{
    ev::dynamic_loop l(EVFLAG_NOENV);
    ev::timer t(l);
    t.start(100.);
    EXPECT_TRUE(t.is_active());
    t.stop();
}

} // namespace

EV_ALL_BACKENDS(EvppTest);
