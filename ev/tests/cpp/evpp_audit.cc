// Every public spelling of libev 4.33's ev++.h, used once and checked where it does something:
// the executable form of the audit table in docs/evpp-compat.md. Plain C++98 (no gtest), so that
// the same file builds as C++98, 11, 14, 17 and 20, with EV_MULTIPLICITY 1 and 0, and against
// libev's own /usr/include/ev++.h (ev/abi/evpp_audit_libev_test.sh builds and runs it on Debian's
// libev there): whatever compiles here is a libev spelling, and whatever it checks is libev's
// behaviour. The spellings libev gets wrong (operator(), embed::start(loop)) are ours only and
// tested in evpp_test.cc.
#include "ev++.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exception>

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #c);                                 \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

// A watcher constructed on `loop`: ev::io w AT(loop); (libev's watchers take no loop with
// EV_MULTIPLICITY 0).
#if EV_MULTIPLICITY
#define AT(l) (l)
#else
#define AT(l)
#endif

// 1 for an lvalue of type ev::loop_ref exactly, 0 for anything else (C++98 has no decltype).
int is_loop_ref(ev::loop_ref &)
{
    return 1;
}
template <class T> int is_loop_ref(T &)
{
    return 0;
}

#if EV_MULTIPLICITY
int takes_loop_ref(ev::loop_ref l)
{
    return l.raw_loop != 0;
}
int takes_raw_loop(struct ev_loop *l)
{
    return l != 0;
}
#endif

// Allocator and syserr callback: noexcept where libev's C++17 parameter types say so.
void *audit_realloc(void *ptr, long size) EV_NOEXCEPT
{
    if (size)
        return realloc(ptr, (size_t)size);
    free(ptr);
    return 0;
}
void audit_syserr(const char *msg) EV_NOEXCEPT
{
    fprintf(stderr, "syserr: %s\n", msg);
    abort();
}

// Callbacks. Function template arguments need external linkage in C++98: no `static`.
int counts[32];
enum {
    C_TIMER_FN,
    C_IO,
    C_IO_NOARG,
    C_IDLE,
    C_ONCE_FN,
    C_ONCE_METHOD,
    C_ONCE_OBJECT,
    C_ONCE_NOARG,
    C_ONCE_SIMPLER,
    C_ONCE_SIMPLEST,
    C_PREPARE,
    C_CHECK,
    C_FORK,
    C_SIG,
    C_CHILD,
    C_STAT,
    C_ASYNC,
    C_PERIODIC,
    C_RAW,
    C_EMBED,
    C_INNER,
    C_FED,
    C_LAST
};

void once_fn(int revents, void *arg)
{
    CHECK(revents == ev::TIMER);
    CHECK(arg == &counts[C_ONCE_FN]);
    ++counts[C_ONCE_FN];
}
void once_simpler(int revents)
{
    CHECK(revents == ev::TIMER);
    ++counts[C_ONCE_SIMPLER];
}
void once_simplest()
{
    ++counts[C_ONCE_SIMPLEST];
}

void on_timer(ev::timer &w, int revents)
{
    CHECK(revents == ev::TIMER);
    CHECK(w.data == &counts[C_TIMER_FN]);
#if EV_MULTIPLICITY
    // The loop member is an ev::loop_ref: loop methods through it, and it converts.
    CHECK(is_loop_ref(w.loop));
    CHECK(w.loop.now() > 0.);
    CHECK(w.loop.now() == ev_now(w.loop));
    CHECK(w.loop.iteration() >= 1u);
    CHECK(w.loop.depth() == 1u);
    CHECK(takes_loop_ref(w.loop));
    CHECK(takes_raw_loop(w.loop));
    // (libev compares with a const struct ev_loop * only: with a plain pointer its operators
    // and the built-in pointer comparison are ambiguous)
    const struct ev_loop *raw = w.loop.raw_loop;
    CHECK(w.loop == raw);
    CHECK(!(w.loop != raw));
#if EV_COMPAT3
    w.loop.unloop(); // ev::ONE, then
#endif
    w.loop.break_loop(ev::ALL);
#endif
    ++counts[C_TIMER_FN];
}

void on_idle(ev::idle &w, int revents)
{
    CHECK(revents == ev::IDLE);
    ++counts[C_IDLE];
    w.stop();
}

void on_prepare(ev::prepare &w, int revents)
{
    CHECK(revents == ev::PREPARE);
    ++counts[C_PREPARE];
#if EV_MULTIPLICITY
    // Feeds the io watcher whose fd is in data, through the loop member.
    w.loop.feed_fd_event(*static_cast<int *>(w.data), ev::READ);
#else
    ev_feed_fd_event(*static_cast<int *>(w.data), ev::READ);
#endif
    w.stop();
}

void on_check(ev::check &w, int revents)
{
    CHECK(revents == ev::CHECK);
    ++counts[C_CHECK];
    w.stop();
}

void on_fork(ev::fork &w, int revents)
{
    CHECK(revents == ev::FORK);
    ++counts[C_FORK];
    w.stop();
}

void on_sig(ev::sig &w, int revents)
{
    CHECK(revents == ev::SIGNAL);
    CHECK(w.signum == SIGUSR1);
    ++counts[C_SIG];
}

void on_child(ev::child &w, int revents)
{
    CHECK(revents == ev::CHILD);
    CHECK(WIFEXITED(w.rstatus) && WEXITSTATUS(w.rstatus) == 7);
    ++counts[C_CHILD];
    w.stop();
}

void on_async(ev::async &w, int revents)
{
    CHECK(revents == ev::ASYNC);
    CHECK(!w.async_pending());
    ++counts[C_ASYNC];
}

#if EV_PERIODIC_ENABLE
void on_periodic(ev::periodic &w, int revents)
{
    CHECK(revents == ev::PERIODIC);
    ++counts[C_PERIODIC];
    w.stop();
}
#endif

#if EV_EMBED_ENABLE
void on_embed(ev::embed &w, int revents)
{
    CHECK(revents == ev::EMBED);
    ++counts[C_EMBED];
    w.sweep();
}
void on_inner(ev::timer &, int)
{
    ++counts[C_INNER];
}
#endif

// The C callback of set_(data, cb).
void raw_io_cb(EV_P_ ev_io *w, int revents)
{
#if EV_MULTIPLICITY
    CHECK(loop != 0);
#endif
    CHECK(revents == ev::READ);
    CHECK(w->data == &counts[C_RAW]);
    ++counts[C_RAW];
}

struct Target {
    int stat_changes;
    Target() : stat_changes(0) {}

    void on_io(ev::io &w, int revents)
    {
        CHECK(revents & ev::READ);
        CHECK(w.data == this);
        ++counts[C_IO];
    }
    void on_noarg() { ++counts[C_IO_NOARG]; }
    void on_stat(ev::stat &w, int revents)
    {
        CHECK(revents == ev::STAT);
        CHECK(w.attr.st_nlink > 0);
        ++counts[C_STAT];
    }
    // once: a method, the default operator(), a no-argument method.
    void on_once(int revents)
    {
        CHECK(revents == ev::TIMER);
        ++counts[C_ONCE_METHOD];
    }
    void operator()(int revents)
    {
        CHECK(revents == ev::TIMER);
        ++counts[C_ONCE_OBJECT];
    }
    void on_once_noarg() { ++counts[C_ONCE_NOARG]; }
};

// set(object): object->operator()(watcher &, int).
struct Functor {
    int calls;
    Functor() : calls(0) {}
    void operator()(ev::check &w, int revents)
    {
        CHECK(revents == ev::CHECK);
        ++calls;
        w.stop();
    }
};

void reset_counts()
{
    memset(counts, 0, sizeof counts);
}

// Runs one blocking iteration at a time until *count is at least want (bounded).
void run_until(ev::loop_ref loop, int *count, int want)
{
    for (int i = 0; i < 1000 && *count < want; ++i)
        loop.run(ev::ONCE);
}

// The C++ enumerators have the C values (compared as int: they are of different enum types).
#define SAME(a, b) ((int)(a) == (int)(b))

void audit_constants()
{
    CHECK(SAME(ev::UNDEF, EV_UNDEF) && SAME(ev::NONE, EV_NONE) && SAME(ev::READ, EV_READ) &&
          SAME(ev::WRITE, EV_WRITE) && SAME(ev::TIMER, EV_TIMER) &&
          SAME(ev::PERIODIC, EV_PERIODIC) && SAME(ev::SIGNAL, EV_SIGNAL) &&
          SAME(ev::CHILD, EV_CHILD) && SAME(ev::STAT, EV_STAT) && SAME(ev::IDLE, EV_IDLE) &&
          SAME(ev::CHECK, EV_CHECK) && SAME(ev::PREPARE, EV_PREPARE) && SAME(ev::FORK, EV_FORK) &&
          SAME(ev::ASYNC, EV_ASYNC) && SAME(ev::EMBED, EV_EMBED) && SAME(ev::ERROR, EV_ERROR));
    CHECK(SAME(ev::AUTO, EVFLAG_AUTO) && SAME(ev::NOENV, EVFLAG_NOENV) &&
          SAME(ev::FORKCHECK, EVFLAG_FORKCHECK) && SAME(ev::SELECT, EVBACKEND_SELECT) &&
          SAME(ev::POLL, EVBACKEND_POLL) && SAME(ev::EPOLL, EVBACKEND_EPOLL) &&
          SAME(ev::KQUEUE, EVBACKEND_KQUEUE) && SAME(ev::DEVPOLL, EVBACKEND_DEVPOLL) &&
          SAME(ev::PORT, EVBACKEND_PORT));
    CHECK(SAME(ev::NOWAIT, EVRUN_NOWAIT) && SAME(ev::ONCE, EVRUN_ONCE));
#if EV_COMPAT3
    CHECK(SAME(ev::TIMEOUT, EV_TIMEOUT) && SAME(ev::NONBLOCK, EVLOOP_NONBLOCK) &&
          SAME(ev::ONESHOT, EVLOOP_ONESHOT));
#endif
    ev::how_t how = ev::ONE;
    CHECK(SAME(how, EVBREAK_ONE));
    how = ev::ALL;
    CHECK(SAME(how, EVBREAK_ALL));
    ev::tstamp ts = 1.5;
    ev_tstamp *same_type = &ts;
    CHECK(*same_type == 1.5);
}

void audit_free_functions()
{
    CHECK(ev::version_major() == 4);
    CHECK(ev::version_minor() >= 33);
    CHECK((ev::supported_backends() & ev::SELECT) != 0);
    CHECK((ev::recommended_backends() & ~ev::supported_backends()) == 0);
    (void)ev::embeddable_backends(); // libev: epoll, kqueue and port whether supported or not
    ev::delay(0.);
    ev::set_syserr_cb(audit_syserr);
    ev::set_allocator(audit_realloc); // before any loop exists
}

void audit_bad_loop()
{
#if EV_MULTIPLICITY
    // No backend: ev_loop_new fails and the constructor throws.
    int caught = 0;
    try {
        ev::dynamic_loop bad(ev::NOENV | ev::DEVPOLL | ev::KQUEUE | ev::PORT);
    } catch (const ev::bad_loop &e) {
        caught = 1;
#if EV_USE_STDEXCEPT
        const std::exception &base = e;
        CHECK(strlen(base.what()) > 0);
#endif
    }
    CHECK(caught);
#endif
}

void audit_loop_ref(ev::loop_ref loop)
{
    ev::loop_ref copy = loop;
    CHECK(copy == loop);
    CHECK(!(copy != loop));
    CHECK(loop.backend() != 0u);
    CHECK(loop.now() > 0.);
#if EV_MULTIPLICITY
    CHECK(ev::now(loop) == loop.now());
    struct ev_loop *raw = loop;
    const struct ev_loop *craw = loop;
    CHECK(raw == loop.raw_loop && craw == loop.raw_loop);
    CHECK(loop == craw && !(loop != craw));
    ev::loop_ref from_raw(raw);
    CHECK(from_raw == loop);
#else
    CHECK(ev::now() == loop.now());
#endif
    loop.ref();
    loop.unref();
#if EV_FEATURE_API
    unsigned int before = loop.iteration();
    CHECK(loop.depth() == 0u);
    loop.set_io_collect_interval(0.);
    loop.set_timeout_collect_interval(0.);
    loop.run(ev::NOWAIT);
    CHECK(loop.iteration() == before + 1);
#endif
    loop.run(); // nothing active: returns at once
    loop.run(ev::NOWAIT);
    loop.break_loop();
    loop.break_loop(ev::ONE);
#if EV_COMPAT3
    loop.loop(ev::NONBLOCK);
    loop.loop();
    loop.unloop();
    loop.unloop(ev::ALL);
#endif

    // once, in each style, and the trampolines (public static members).
    Target target;
    reset_counts();
    loop.once(-1, 0, 0., once_fn, &counts[C_ONCE_FN]);
    loop.once<Target, &Target::on_once>(-1, 0, 0., &target);
    loop.once(-1, 0, 0., &target);
    loop.once<Target, &Target::on_once_noarg>(-1, 0, 0., &target);
    loop.once<once_simpler>(-1, 0, 0.);
    loop.once<once_simplest>(-1, 0, 0.);
    loop.run();
    CHECK(counts[C_ONCE_FN] == 1 && counts[C_ONCE_METHOD] == 1 && counts[C_ONCE_OBJECT] == 1 &&
          counts[C_ONCE_NOARG] == 1 && counts[C_ONCE_SIMPLER] == 1 && counts[C_ONCE_SIMPLEST] == 1);
    void (*thunk)(int, void *) = &ev::loop_ref::method_thunk<Target, &Target::on_once>;
    thunk(ev::TIMER, &target);
    thunk = &ev::loop_ref::method_noargs_thunk<Target, &Target::on_once_noarg>;
    thunk(ev::TIMER, &target);
    thunk = &ev::loop_ref::simpler_func_thunk<once_simpler>;
    thunk(ev::TIMER, 0);
    thunk = &ev::loop_ref::simplest_func_thunk<once_simplest>;
    thunk(ev::TIMER, 0);
    CHECK(counts[C_ONCE_METHOD] == 2 && counts[C_ONCE_NOARG] == 2 && counts[C_ONCE_SIMPLER] == 2 &&
          counts[C_ONCE_SIMPLEST] == 2);
}

// Watchers that work on any loop.
void audit_watchers(ev::loop_ref loop)
{
    reset_counts();
    Target target;
    int fds[2];
    CHECK(pipe(fds) == 0);

    // io: every set and start; a method callback; freeze_guard; is_pending/feed_event.
    ev::io io AT(loop);
    CHECK(!io.is_active() && !io.is_pending());
#if EV_MULTIPLICITY
    CHECK(is_loop_ref(io.loop));
    CHECK(io.loop == loop);
    CHECK(sizeof(ev::io) == sizeof(ev_io) + sizeof(void *));
    CHECK(sizeof(ev::loop_ref) == sizeof(void *));
#else
    CHECK(sizeof(ev::io) == sizeof(ev_io));
#endif
    io.set<Target, &Target::on_io>(&target);
    io.set(fds[0], ev::WRITE);
    io.set(ev::READ);
    CHECK(io.fd == fds[0] && (io.events & (ev::READ | ev::WRITE)) == ev::READ);
    io.start();
    CHECK(io.is_active());
    {
        ev::io::freeze_guard freeze(&io);
        CHECK(freeze.active && &freeze.w == &io);
        CHECK(!io.is_active());
    }
    CHECK(io.is_active());
    io.stop();
    CHECK(!io.is_active());
    io.start(fds[0], ev::READ);
    CHECK(write(fds[1], "x", 1) == 1);
    run_until(loop, &counts[C_IO], 1);
    CHECK(counts[C_IO] == 1);
    char byte;
    CHECK(read(fds[0], &byte, 1) == 1);

    // feed_fd_event from a prepare callback (through w.loop), with the fd in data.
    ev::prepare prepare AT(loop);
    prepare.set<on_prepare>(&fds[0]);
    prepare.set();
    prepare.start();
    loop.run(ev::NOWAIT);
    CHECK(counts[C_PREPARE] == 1 && counts[C_IO] == 2);
    loop.feed_fd_event(fds[0], ev::READ);
    loop.run(ev::NOWAIT);
    CHECK(counts[C_IO] == 3);

    // feed_event, is_pending, the no-argument method style.
    io.set<Target, &Target::on_noarg>(&target);
    io.feed_event(ev::READ);
    CHECK(io.is_pending());
    loop.run(ev::NOWAIT);
    CHECK(!io.is_pending() && counts[C_IO_NOARG] == 1);

    // set_ with a C callback, and the base's trampolines.
    io.set_(&counts[C_RAW], raw_io_cb);
    io.feed_event(ev::READ);
    loop.run(ev::NOWAIT);
    CHECK(counts[C_RAW] == 1);
    io.set_(&target, &ev::io::method_thunk<Target, &Target::on_io>);
    io.feed_event(ev::READ);
    loop.run(ev::NOWAIT);
    CHECK(counts[C_IO] == 4);
    io.set_(&target, &ev::io::method_noargs_thunk<Target, &Target::on_noarg>);
    io.feed_event(ev::READ);
    loop.run(ev::NOWAIT);
    CHECK(counts[C_IO_NOARG] == 2);
    io.stop();

    // timer: set/start/again/remaining, a function callback with data; the callback breaks the
    // loop through w.loop (multiplicity).
    ev::timer timer AT(loop);
    timer.set<on_timer>(&counts[C_TIMER_FN]);
    timer.set(10.);
    timer.set(10., 0.);
    timer.start();
    CHECK(timer.remaining() > 0. && timer.remaining() <= 10.);
    timer.again();
    timer.stop();
    timer.start(0., 0.);
    run_until(loop, &counts[C_TIMER_FN], 1);
    CHECK(counts[C_TIMER_FN] == 1 && !timer.is_active());
    timer.set(0., 10.);
    timer.again(); // repeat 10: (re)started with 10
    CHECK(timer.is_active());
    timer.stop();
    timer.start(0.);
    ev::base<ev_timer, ev::timer> &base = timer;
    CHECK(base.is_active());
    loop.run(); // on_timer breaks with ev::ALL (multiplicity); the timer is done otherwise
    CHECK(counts[C_TIMER_FN] == 2);

#if EV_PERIODIC_ENABLE
    ev::periodic periodic AT(loop);
    periodic.set<on_periodic>();
    periodic.set(loop.now() + 3600.);
    periodic.set(0., 3600.);
    periodic.start(0., 3600.);
    CHECK(periodic.is_active());
    periodic.again();
    periodic.stop();
    periodic.start(loop.now() - 1.);
    run_until(loop, &counts[C_PERIODIC], 1);
    CHECK(counts[C_PERIODIC] == 1 && !periodic.is_active());
#endif

#if EV_IDLE_ENABLE
    ev::idle idle AT(loop);
    idle.set<on_idle>();
    idle.set();
    idle.start();
    run_until(loop, &counts[C_IDLE], 1);
    CHECK(counts[C_IDLE] == 1);
#endif

    ev::check check AT(loop);
    check.set<on_check>();
    check.set();
    check.start();
    loop.run(ev::NOWAIT);
    CHECK(counts[C_CHECK] == 1);
    Functor functor;
    check.set(&functor);
    check.start();
    loop.run(ev::NOWAIT);
    CHECK(functor.calls == 1);

#if EV_FORK_ENABLE
    ev::fork fork AT(loop);
    fork.set<on_fork>();
    fork.set();
    fork.start();
    loop.post_fork();
    loop.run(ev::NOWAIT);
    CHECK(counts[C_FORK] == 1);
#endif

#if EV_SIGNAL_ENABLE
    ev::sig sig AT(loop);
    sig.set<on_sig>();
    sig.set(SIGUSR1);
    sig.start();
    sig.stop();
    sig.start(SIGUSR1);
    loop.feed_signal_event(SIGUSR1);
    loop.run(ev::NOWAIT);
    CHECK(counts[C_SIG] == 1);
    raise(SIGUSR1);
    run_until(loop, &counts[C_SIG], 2);
    CHECK(counts[C_SIG] == 2);
    sig.stop();
#endif

#if EV_STAT_ENABLE
    char path[] = "/tmp/evpp_audit.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    ev::stat stat AT(loop);
    stat.set<Target, &Target::on_stat>(&target);
    stat.set(path, 0.);
    stat.start(path, 0.);
    CHECK(stat.attr.st_nlink > 0);
    stat.update();
    CHECK(stat.attr.st_nlink > 0);
    stat.feed_event(ev::STAT);
    loop.run(ev::NOWAIT);
    CHECK(counts[C_STAT] == 1);
    stat.stop();
    close(fd);
    unlink(path);
#endif

#if EV_ASYNC_ENABLE
    ev::async async AT(loop);
    async.set<on_async>();
    async.start();
    CHECK(!async.async_pending());
    async.send();
    CHECK(async.async_pending());
    run_until(loop, &counts[C_ASYNC], 1);
    CHECK(counts[C_ASYNC] == 1);
    async.stop();
#endif

#if EV_MULTIPLICITY
    // base::set(loop): an inactive watcher moves to another loop.
    ev::dynamic_loop other(ev::NOENV);
    ev::idle mover(other);
    CHECK(mover.loop == other && mover.loop != loop);
    mover.set(loop);
    CHECK(mover.loop == loop);
    mover.set(other.raw_loop);
    CHECK(mover.loop == other);
    mover.set(loop);
    mover.set(other); // a dynamic_loop converts too
    CHECK(mover.loop == other);
#endif
    close(fds[0]);
    close(fds[1]);
}

// The child watcher: default loop only.
void audit_child(ev::loop_ref loop)
{
#if EV_CHILD_ENABLE
    reset_counts();
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    CHECK(pid > 0);
    ev::child child AT(loop);
    child.set<on_child>();
    child.set(pid);
    child.set(pid, 0);
    child.start(pid);
    run_until(loop, &counts[C_CHILD], 1);
    CHECK(counts[C_CHILD] == 1 && child.rpid == pid);
#endif
}

#if EV_EMBED_ENABLE
void audit_embed(ev::loop_ref loop)
{
    if (!(ev::embeddable_backends() & ev::supported_backends() & ev::EPOLL))
        return;
    reset_counts();
    ev::dynamic_loop inner(ev::NOENV | ev::EPOLL);
    ev::timer inner_timer(inner);
    inner_timer.set<on_inner>();
    inner_timer.start(0.);
    ev::embed embed(loop);
    embed.set<on_embed>();
    embed.set_embed(inner);
    embed.start();
    CHECK(embed.is_active());
    embed.sweep(); // runs the embedded loop once: its timer fires
    CHECK(counts[C_INNER] == 1);
    static volatile int never = 0;
    if (never)
        embed.start(inner.raw_loop); // compiles with both; libev's version is broken at run time
    embed.stop();
}
#endif

int main()
{
    audit_constants();
    audit_free_functions();
    audit_bad_loop();

#if EV_MULTIPLICITY
    ev::default_loop loop;
#else
    // A watcher constructed first does not create the default loop (libev's get_default_loop
    // only names it), so the loop gets the flags given here.
    ev::idle early;
    ev::default_loop loop(ev::NOENV | ev::SELECT);
    CHECK(loop.backend() == ev::SELECT);
#endif
    ev::default_loop same(ev::AUTO);
#if __cplusplus >= 201703L
    // The loop constructors are implicit (copy-initialisation of these non-copyable classes
    // needs C++17).
    ev::default_loop implicit_default = ev::AUTO;
    CHECK(implicit_default == loop);
#if EV_MULTIPLICITY
    ev::dynamic_loop implicit_dynamic = ev::NOENV;
    CHECK(implicit_dynamic != loop);
#endif
#endif
    CHECK(loop == same);
    CHECK(ev::get_default_loop() == loop);
#if EV_MULTIPLICITY
    CHECK(loop.is_default());
    CHECK(ev::get_default_loop().is_default());
#endif

    // Default-constructed watchers are on the default loop.
    ev::idle on_default;
#if EV_MULTIPLICITY
    CHECK(on_default.loop == loop);
#endif

    audit_loop_ref(loop);
    audit_watchers(loop);
    audit_child(loop);
#if EV_MULTIPLICITY
    ev::dynamic_loop dynamic(ev::NOENV);
    CHECK(!dynamic.is_default() && dynamic != loop);
    audit_loop_ref(dynamic);
    static const unsigned int backends[] = {ev::SELECT, ev::POLL, ev::EPOLL};
    for (unsigned int i = 0; i < sizeof backends / sizeof backends[0]; ++i) {
        if (!(ev::supported_backends() & backends[i]))
            continue;
        ev::dynamic_loop on_backend(ev::NOENV | backends[i]);
        CHECK(on_backend.backend() == backends[i]);
        audit_watchers(on_backend);
    }
#endif
#if EV_EMBED_ENABLE
    audit_embed(loop);
#endif

    if (failures)
        printf("%d failures\n", failures);
    else
        printf("ok: every libev ev++.h spelling (C++%ld, EV_MULTIPLICITY %d)\n", (long)__cplusplus,
               EV_MULTIPLICITY ? 1 : 0);
    return failures ? 1 : 0;
}
