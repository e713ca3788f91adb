/*
 * ev++.h - the C++ face of ev: the classes of libev 4.33's ev++.h (namespace ev, loop_ref,
 * default_loop, dynamic_loop, one class per watcher type, the callback styles set<function>,
 * set<K, &K::method>, set(functor), no-argument methods), source compatible with it member for
 * member (docs/evpp-compat.md has the audit), plus:
 *
 *  - ev::cleanup (libev has none), a working operator(), ev::embed::start(loop) that embeds;
 *  - C++11 and later: set(callable) for lambdas, std::function or any callable taking
 *    (W &, int), (int) or (); a callable that is trivially copyable and fits in a pointer is
 *    stored in the watcher's data member (no allocation), others are kept in one heap block
 *    owned by the watcher; std::chrono durations for timers and periodics; move construction.
 *
 * Watcher objects are the C watcher plus its loop, an ev::loop_ref (one pointer: sizes as
 * libev's). A watcher is stopped by its destructor; reconfiguring an active watcher with
 * set(...) restarts it. Misuse: a loop that cannot be created throws ev::bad_loop; set(loop) on
 * an active watcher aborts with "ev++: ..."; a callable that cannot be called in one of the
 * three ways fails to compile with a static_assert that says so.
 */
#ifndef EVPP_H__
#define EVPP_H__

#ifdef EV_H
#include EV_H
#else
#include "ev.h" /* next to ev++.h first, as libev's ev++.h */
#endif

#ifndef EV_USE_STDEXCEPT
#define EV_USE_STDEXCEPT 1
#endif

#if EV_USE_STDEXCEPT
#include <stdexcept>
#endif
#include <cstdio>
#include <cstdlib>
#include <cstring>

/* Callables, chrono and move construction need C++11, nothing in this header needs more. */
#if __cplusplus >= 201103L
#include "ev_metrics.h" /* loop metrics, see loop_ref::metrics() */
#include <chrono>
#include <new>
#include <type_traits>
#include <utility>
#define EVPP_MODERN 1
#else
#define EVPP_MODERN 0
#endif

/* The loop argument of the C calls: with EV_MULTIPLICITY a loop_ref holds its loop (raw_loop)
 * and every watcher the loop it is on (loop); with EV_MULTIPLICITY=0 there is one loop, the C
 * calls take no loop argument, loop_ref is empty and a watcher object is just the C watcher, as
 * in libev's ev++.h. */
#if EV_MULTIPLICITY
#define EVPP_RAW_ raw_loop,
#define EVPP_RAW raw_loop
#define EVPP_THIS_ this->loop.raw_loop,
#define EVPP_CB_LOOP_ struct ev_loop *,
#define EVPP_LOOP_OF(w) ((w).loop)
#else
#define EVPP_RAW_
#define EVPP_RAW
#define EVPP_THIS_
#define EVPP_CB_LOOP_
#define EVPP_LOOP_OF(w) loop_ref()
#endif

#if __cplusplus >= 201103L
#define EVPP_DELETE = delete
#else
#define EVPP_DELETE
#endif

namespace ev {

typedef ev_tstamp tstamp;

enum {
    UNDEF = EV_UNDEF,
    NONE = EV_NONE,
    READ = EV_READ,
    WRITE = EV_WRITE,
#if EV_COMPAT3
    TIMEOUT = EV_TIMEOUT,
#endif
    TIMER = EV_TIMER,
    PERIODIC = EV_PERIODIC,
    SIGNAL = EV_SIGNAL,
    CHILD = EV_CHILD,
    STAT = EV_STAT,
    IDLE = EV_IDLE,
    CHECK = EV_CHECK,
    PREPARE = EV_PREPARE,
    FORK = EV_FORK,
    ASYNC = EV_ASYNC,
    EMBED = EV_EMBED,
#undef ERROR /* some platforms' headers define it */
    ERROR = EV_ERROR
};

enum {
    AUTO = EVFLAG_AUTO,
    NOENV = EVFLAG_NOENV,
    FORKCHECK = EVFLAG_FORKCHECK,
    SELECT = EVBACKEND_SELECT,
    POLL = EVBACKEND_POLL,
    EPOLL = EVBACKEND_EPOLL,
    KQUEUE = EVBACKEND_KQUEUE,
    DEVPOLL = EVBACKEND_DEVPOLL,
    PORT = EVBACKEND_PORT
};

enum {
#if EV_COMPAT3
    NONBLOCK = EVLOOP_NONBLOCK,
    ONESHOT = EVLOOP_ONESHOT,
#endif
    NOWAIT = EVRUN_NOWAIT,
    ONCE = EVRUN_ONCE
};

enum how_t { ONE = EVBREAK_ONE, ALL = EVBREAK_ALL };

/* Thrown when a loop cannot be created. */
struct bad_loop
#if EV_USE_STDEXCEPT
    : std::exception
#endif
{
#if EV_USE_STDEXCEPT
#if __cplusplus >= 201103L
    const char *what() const noexcept
#else
    const char *what() const throw()
#endif
    {
        return "libev event loop cannot be initialized, bad value of LIBEV_FLAGS?";
    }
#endif
};

namespace detail {
inline void misuse(const char *msg)
{
    std::fprintf(stderr, "ev++: %s\n", msg);
    std::abort();
}
} // namespace detail

/* A non-owning handle on a loop. */
struct loop_ref {
#if EV_MULTIPLICITY
    struct ev_loop *raw_loop;

    loop_ref(struct ev_loop *loop) EV_NOEXCEPT : raw_loop(loop) {}

    bool operator==(const loop_ref &other) const EV_NOEXCEPT
    {
        return raw_loop == other.raw_loop;
    }
    bool operator!=(const loop_ref &other) const EV_NOEXCEPT
    {
        return raw_loop != other.raw_loop;
    }
    bool operator==(struct ev_loop *loop) const EV_NOEXCEPT
    {
        return raw_loop == loop;
    }
    bool operator!=(struct ev_loop *loop) const EV_NOEXCEPT
    {
        return raw_loop != loop;
    }
    bool operator==(const struct ev_loop *loop) const EV_NOEXCEPT
    {
        return raw_loop == loop;
    }
    bool operator!=(const struct ev_loop *loop) const EV_NOEXCEPT
    {
        return raw_loop != loop;
    }

    operator struct ev_loop *() const EV_NOEXCEPT
    {
        return raw_loop;
    }
    operator const struct ev_loop *() const EV_NOEXCEPT
    {
        return raw_loop;
    }

    bool is_default() const EV_NOEXCEPT
    {
        return raw_loop == ev_default_loop_uc_();
    }
#else
    loop_ref() EV_NOEXCEPT {}

    /* the one loop */
    bool operator==(const loop_ref &) const EV_NOEXCEPT
    {
        return true;
    }
    bool operator!=(const loop_ref &) const EV_NOEXCEPT
    {
        return false;
    }

    bool is_default() const EV_NOEXCEPT
    {
        return true;
    }
#endif

#if EV_COMPAT3
    void loop(int flags = 0)
    {
        ev_run(EVPP_RAW_ flags);
    }
    void unloop(how_t how = ONE) EV_NOEXCEPT
    {
        ev_break(EVPP_RAW_ how);
    }
#endif
    void run(int flags = 0)
    {
        ev_run(EVPP_RAW_ flags);
    }
    void break_loop(how_t how = ONE) EV_NOEXCEPT
    {
        ev_break(EVPP_RAW_ how);
    }
    void post_fork() EV_NOEXCEPT
    {
        ev_loop_fork(EVPP_RAW);
    }

    unsigned int backend() const EV_NOEXCEPT
    {
        return ev_backend(EVPP_RAW);
    }
    tstamp now() const EV_NOEXCEPT
    {
        return ev_now(EVPP_RAW);
    }
    void ref() EV_NOEXCEPT
    {
        ev_ref(EVPP_RAW);
    }
    void unref() EV_NOEXCEPT
    {
        ev_unref(EVPP_RAW);
    }
#if EV_FEATURE_API
    unsigned int iteration() const EV_NOEXCEPT
    {
        return ev_iteration(EVPP_RAW);
    }
    unsigned int depth() const EV_NOEXCEPT
    {
        return ev_depth(EVPP_RAW);
    }
    void set_io_collect_interval(tstamp interval) EV_NOEXCEPT
    {
        ev_set_io_collect_interval(EVPP_RAW_ interval);
    }
    void set_timeout_collect_interval(tstamp interval) EV_NOEXCEPT
    {
        ev_set_timeout_collect_interval(EVPP_RAW_ interval);
    }
#endif

    /* ev_once, in the styles of the watcher callbacks. */
    void once(int fd, int events, tstamp timeout, void (*cb)(int, void *),
              void *arg = 0) EV_NOEXCEPT
    {
        ev_once(EVPP_RAW_ fd, events, timeout, cb, arg);
    }

    template <class K, void (K::*method)(int)>
    void once(int fd, int events, tstamp timeout, K *object) EV_NOEXCEPT
    {
        once(fd, events, timeout, method_thunk<K, method>, object);
    }

    template <class K> void once(int fd, int events, tstamp timeout, K *object) EV_NOEXCEPT
    {
        once(fd, events, timeout, object_thunk<K>, object);
    }

    template <class K, void (K::*method)()>
    void once(int fd, int events, tstamp timeout, K *object) EV_NOEXCEPT
    {
        once(fd, events, timeout, method_noargs_thunk<K, method>, object);
    }

    template <void (*cb)(int)> void once(int fd, int events, tstamp timeout) EV_NOEXCEPT
    {
        once(fd, events, timeout, simpler_func_thunk<cb>);
    }

    template <void (*cb)()> void once(int fd, int events, tstamp timeout) EV_NOEXCEPT
    {
        once(fd, events, timeout, simplest_func_thunk<cb>);
    }

    void feed_fd_event(int fd, int revents) EV_NOEXCEPT
    {
        ev_feed_fd_event(EVPP_RAW_ fd, revents);
    }
#if EV_SIGNAL_ENABLE
    void feed_signal_event(int signum) EV_NOEXCEPT
    {
        ev_feed_signal_event(EVPP_RAW_ signum);
    }
#endif

#if __cplusplus >= 201103L
    /* Loop metrics, an ev extension (ev_metrics.h): the C struct with std::chrono durations. */
    struct metrics_view : ::ev_metrics {
        typedef std::chrono::duration<double> duration;
        duration elapsed_time() const noexcept { return duration(elapsed); }
        duration idle_time() const noexcept { return duration(idle); }
        duration busy_time() const noexcept { return duration(busy); }
        duration lag_sum_time() const noexcept { return duration(lag_sum); }
        duration lag_max_time() const noexcept { return duration(lag_max); }
        /* busy / elapsed: the share of the time the loop was not blocked */
        double utilization() const noexcept { return elapsed > 0. ? busy / elapsed : 0.; }
    };

    /* What the slow-callback hook is told about a callback that ran longer than the threshold. */
    struct slow_callback_info {
        void *watcher; /* compare, do not dereference: its callback may have freed it */
        int type;      /* enum ev_metrics_type */
        int priority;
        std::chrono::duration<double> duration;
        const char *type_name() const noexcept { return ev_metrics_type_name(type); }
    };

    void enable_metrics(bool on = true) noexcept
    {
        ev_metrics_enable(EVPP_RAW_ on ? 1 : 0);
    }
    bool metrics_enabled() const noexcept
    {
        return ev_metrics_enabled(EVPP_RAW) != 0;
    }
    void reset_metrics() noexcept
    {
        ev_metrics_reset(EVPP_RAW);
    }
    metrics_view metrics() const noexcept
    {
        metrics_view m;
        ev_metrics_get(EVPP_RAW_ static_cast<::ev_metrics *>(&m), sizeof(::ev_metrics));
        return m;
    }

    /* Calls f(const slow_callback_info &) after every callback that ran longer than threshold (and
     * enables metrics). f is copied or moved into the loop, which destroys it when it is replaced,
     * cleared, when the metrics are disabled or the loop is destroyed. f must not throw. */
    template <class F> void set_slow_callback(std::chrono::duration<double> threshold, F &&f)
    {
        typedef typename std::decay<F>::type fn_type;
        fn_type *fn = new fn_type(std::forward<F>(f));
        ev_metrics_set_slow_cb(EVPP_RAW_ threshold.count(), &slow_thunk<fn_type>, fn,
                               &slow_release<fn_type>);
    }
    void clear_slow_callback() noexcept
    {
        ev_metrics_set_slow_cb(EVPP_RAW_ 0., 0, 0, 0);
    }

  private:
    template <class Fn>
    static void slow_thunk(EVPP_CB_LOOP_ void *w, int type, int priority, double duration,
                           void *data) noexcept
    {
        slow_callback_info info = {w, type, priority, std::chrono::duration<double>(duration)};
        (*static_cast<Fn *>(data))(static_cast<const slow_callback_info &>(info));
    }
    template <class Fn> static void slow_release(void *data) noexcept
    {
        delete static_cast<Fn *>(data);
    }

  public:
#endif

    /* The ev_once trampolines (public, as in libev). */
    template <class K, void (K::*method)(int)> static void method_thunk(int revents, void *arg)
    {
        (static_cast<K *>(arg)->*method)(revents);
    }
    template <class K> static void object_thunk(int revents, void *arg)
    {
        (*static_cast<K *>(arg))(revents);
    }
    template <class K, void (K::*method)()> static void method_noargs_thunk(int, void *arg)
    {
        (static_cast<K *>(arg)->*method)();
    }
    template <void (*cb)(int)> static void simpler_func_thunk(int revents, void *)
    {
        cb(revents);
    }
    template <void (*cb)()> static void simplest_func_thunk(int, void *)
    {
        cb();
    }
};

/* The default loop; created on first use, never destroyed by this object. */
struct default_loop : loop_ref {
#if EV_MULTIPLICITY
    default_loop(unsigned int flags = AUTO) : loop_ref(ev_default_loop(flags))
    {
        if (!raw_loop)
            throw bad_loop();
    }
#else
    default_loop(unsigned int flags = AUTO)
    {
        if (!ev_default_loop(flags))
            throw bad_loop();
    }
#endif

  private:
    default_loop(const default_loop &) EVPP_DELETE;
    default_loop &operator=(const default_loop &) EVPP_DELETE;
};

#if EV_MULTIPLICITY
/* A loop of its own, destroyed with the object (RAII). */
struct dynamic_loop : loop_ref {
    dynamic_loop(unsigned int flags = AUTO) : loop_ref(ev_loop_new(flags))
    {
        if (!raw_loop)
            throw bad_loop();
    }
    ~dynamic_loop() EV_NOEXCEPT
    {
        if (raw_loop)
            ev_loop_destroy(raw_loop);
        raw_loop = 0;
    }

  private:
    dynamic_loop(const dynamic_loop &) EVPP_DELETE;
    dynamic_loop &operator=(const dynamic_loop &) EVPP_DELETE;
};

/* The modern spelling: a loop owned by a scope. */
typedef dynamic_loop scoped_loop;

inline loop_ref get_default_loop() EV_NOEXCEPT
{
    return ev_default_loop(0);
}

inline tstamp now(struct ev_loop *loop) EV_NOEXCEPT
{
    return ev_now(loop);
}
#else
/* Names the one loop without creating it (as libev): ev::default_loop or ev_default_loop
 * create it. */
inline loop_ref get_default_loop() EV_NOEXCEPT
{
    return loop_ref();
}

inline tstamp now() EV_NOEXCEPT
{
    return ev_now();
}
#endif

inline void delay(tstamp interval) EV_NOEXCEPT
{
    ev_sleep(interval);
}

inline int version_major() EV_NOEXCEPT
{
    return ev_version_major();
}

inline int version_minor() EV_NOEXCEPT
{
    return ev_version_minor();
}

inline unsigned int supported_backends() EV_NOEXCEPT
{
    return ev_supported_backends();
}

inline unsigned int recommended_backends() EV_NOEXCEPT
{
    return ev_recommended_backends();
}

inline unsigned int embeddable_backends() EV_NOEXCEPT
{
    return ev_embeddable_backends();
}

inline void set_allocator(void *(*cb)(void *ptr, long size)) EV_NOEXCEPT
{
    ev_set_allocator(cb);
}

inline void set_syserr_cb(void (*cb)(const char *msg)) EV_NOEXCEPT
{
    ev_set_syserr_cb(cb);
}

#if EVPP_MODERN
namespace detail {
/* Whether a callable of type F can be called as f(w, revents), f(revents) or f(). */
template <class F, class W>
auto can_call_watcher_(int)
    -> decltype((void)std::declval<F &>()(std::declval<W &>(), std::declval<int>()),
                std::true_type());
template <class F, class W> std::false_type can_call_watcher_(...);
template <class F>
auto can_call_revents_(int)
    -> decltype((void)std::declval<F &>()(std::declval<int>()), std::true_type());
template <class F> std::false_type can_call_revents_(...);
template <class F>
auto can_call_noargs_(int) -> decltype((void)std::declval<F &>()(), std::true_type());
template <class F> std::false_type can_call_noargs_(...);

/* How set(callable) calls it for a watcher of class W: 3 as f(w, revents), 2 as f(revents), 1
 * as f(), 0 in none of these ways. The first that works is used, and the later ones are not
 * even tried (a generic lambda is only instantiated for the signature that is used). */
template <class F, bool = decltype(can_call_revents_<F>(0))::value>
struct call_style_2 : std::integral_constant<int, 2> {
};
template <class F>
struct call_style_2<F, false>
    : std::integral_constant<int, decltype(can_call_noargs_<F>(0))::value ? 1 : 0> {
};
template <class F, class W, bool = decltype(can_call_watcher_<F, W>(0))::value>
struct call_style : std::integral_constant<int, 3> {
};
template <class F, class W> struct call_style<F, W, false> : call_style_2<F> {
};

/* A class with one operator() that is not a template: meant as a callback even when its
 * parameters are wrong (set() then fails with a static_assert that says what is accepted). */
template <class F> auto has_call_operator_(int) -> decltype((void)&F::operator(), std::true_type());
template <class F> std::false_type has_call_operator_(...);
template <class F> struct has_call_operator : decltype(has_call_operator_<F>(0)) {
};

/* What set(F &&) takes: a callable that is not a pointer (pointers are the set(K *object)
 * style of libev). */
template <class F, class W>
struct is_callable_arg
    : std::integral_constant<bool, !std::is_pointer<F>::value && (call_style<F, W>::value != 0 ||
                                                                  has_call_operator<F>::value)> {
};

/* Kept in the watcher's data member itself: trivial to copy and destroy, fits a pointer. */
template <class F>
struct fits_in_data
    : std::integral_constant<bool, sizeof(F) <= sizeof(void *) && alignof(F) <= alignof(void *) &&
                                       std::is_trivially_copyable<F>::value &&
                                       std::is_trivially_destructible<F>::value> {
};

template <class F, class W>
inline void call(F &f, W &w, int revents, std::integral_constant<int, 3>)
{
    f(w, revents);
}
template <class F, class W> inline void call(F &f, W &, int revents, std::integral_constant<int, 2>)
{
    f(revents);
}
template <class F, class W> inline void call(F &f, W &, int, std::integral_constant<int, 1>)
{
    f();
}
/* Never called: set() has refused the callable with its static_assert already. */
template <class F, class W> inline void call(F &, W &, int, std::integral_constant<int, 0>) {}

template <class Rep, class Period> inline tstamp seconds(std::chrono::duration<Rep, Period> d)
{
    return std::chrono::duration<tstamp>(d).count();
}
} // namespace detail

#if defined(__cpp_lib_launder) && __cpp_lib_launder >= 201606L
#define EVPP_LAUNDER(p) std::launder(p)
#else
#define EVPP_LAUNDER(p) (p)
#endif
#endif /* EVPP_MODERN */

/*
 * base: what every watcher class shares. `cw` is the C watcher type, `watcher` the C++
 * class (so callbacks get the right reference type). Everything libev's base has is public
 * here too: loop, freeze_guard, set_, the thunks.
 */
template <class cw, class watcher> struct base : cw {
    /* Stops an active watcher while it lives (a reconfiguration) and starts it again at the
     * end of its scope. */
    struct freeze_guard {
        watcher &w;
        bool active;

        freeze_guard(watcher *self) EV_NOEXCEPT : w(*self), active(self->is_active())
        {
            if (active)
                w.stop();
        }
        ~freeze_guard()
        {
            if (active)
                w.start();
        }
    };

#if EV_MULTIPLICITY
    /* The loop the watcher is on: w.loop.now(), w.loop.break_loop(ev::ALL), ev_now(w.loop). */
    loop_ref loop;

    base(loop_ref l) EV_NOEXCEPT : loop(l)
    {
        init_();
    }

    /* Moves to another loop: only while inactive. (A raw pointer parameter, so that it
     * beats the set(K *object) template for a struct ev_loop *.) */
    void set(struct ev_loop *l) EV_NOEXCEPT
    {
        if (this->active)
            detail::misuse("set(loop) called on an active watcher: stop it first");
        loop = l;
    }
#else
    base(loop_ref = loop_ref()) EV_NOEXCEPT
    {
        init_();
    }
#endif

    ~base()
    {
        release_callable();
    }

    bool is_active() const EV_NOEXCEPT
    {
        return ev_is_active(static_cast<const cw *>(this));
    }
    bool is_pending() const EV_NOEXCEPT
    {
        return ev_is_pending(static_cast<const cw *>(this));
    }

    void feed_event(int revents) EV_NOEXCEPT
    {
        ev_feed_event(EVPP_THIS_ static_cast<cw *>(this), revents);
    }

    /* Calls the callback now (libev's operator() did not compile). */
    void operator()(int revents = EV_UNDEF)
    {
        cw *w = static_cast<cw *>(this);
        ev_cb(w)(EVPP_THIS_ w, revents);
    }

    /* The C callback and data pointer, as they are (a callable set before is released, unless
     * it is given again). */
    void set_(const void *data, void (*cb)(EVPP_CB_LOOP_ cw *w, int revents)) EV_NOEXCEPT
    {
        if (data != this->data || cb != ev_cb(static_cast<cw *>(this)))
            release_callable();
        this->data = const_cast<void *>(data);
        ev_set_cb(static_cast<cw *>(this), cb);
    }

    /* void function(watcher &w, int revents), with data as w.data */
    template <void (*function)(watcher &w, int)> void set(void *data = 0) EV_NOEXCEPT
    {
        set_(data, function_thunk<function>);
    }

    /* void K::method(watcher &w, int revents) on object */
    template <class K, void (K::*method)(watcher &w, int)> void set(K *object) EV_NOEXCEPT
    {
        set_(object, method_thunk<K, method>);
    }

    /* object->operator()(watcher &w, int revents) */
    template <class K> void set(K *object) EV_NOEXCEPT
    {
        set_(object, object_thunk<K>);
    }

    /* void K::method() on object */
    template <class K, void (K::*method)()> void set(K *object) EV_NOEXCEPT
    {
        set_(object, method_noargs_thunk<K, method>);
    }

#if EVPP_MODERN
    /* Any callable taking (watcher &, int), (int) or (), by value (C++11 and later). */
    template <class F, class D = typename std::decay<F>::type,
              class = typename std::enable_if<detail::is_callable_arg<D, watcher>::value>::type>
    void set(F &&f)
    {
        static_assert(detail::call_style<D, watcher>::value != 0,
                      "ev++: w.set(callable): the callable must be callable as "
                      "f(watcher &, int revents), f(int revents) or f()");
        set_callable_<D>(std::forward<F>(f), detail::fits_in_data<D>());
    }
#endif

    /* The C callbacks behind the set<...> styles (public, as in libev). */
    template <void (*function)(watcher &w, int)>
    static void function_thunk(EVPP_CB_LOOP_ cw *w, int revents)
    {
        function(*static_cast<watcher *>(w), revents);
    }
    template <class K, void (K::*method)(watcher &w, int)>
    static void method_thunk(EVPP_CB_LOOP_ cw *w, int revents)
    {
        (static_cast<K *>(w->data)->*method)(*static_cast<watcher *>(w), revents);
    }
    template <class K> static void object_thunk(EVPP_CB_LOOP_ cw *w, int revents)
    {
        (*static_cast<K *>(w->data))(*static_cast<watcher *>(w), revents);
    }
    template <class K, void (K::*method)()>
    static void method_noargs_thunk(EVPP_CB_LOOP_ cw *w, int)
    {
        (static_cast<K *>(w->data)->*method)();
    }

  protected:
    /* Takes over other's configuration; other is stopped and left without a callback. */
    void take_(base &other) EV_NOEXCEPT
    {
#if EV_MULTIPLICITY
        loop = other.loop;
#endif
        this->data = other.data;
        ev_set_cb(static_cast<cw *>(this), ev_cb(static_cast<cw *>(&other)));
        ev_set_priority(static_cast<cw *>(this), ev_priority(static_cast<cw *>(&other)));
        other.data = 0;
        ev_set_cb(static_cast<cw *>(&other), 0);
    }

  private:
    void init_() EV_NOEXCEPT
    {
        ev_init(static_cast<cw *>(this), 0);
        this->data = 0;
    }

#if EVPP_MODERN
    /* Small and trivial (a lambda capturing this or one reference): lives in data. */
    template <class D, class F> void set_callable_(F &&f, std::true_type)
    {
        release_callable();
        ::new (static_cast<void *>(&this->data)) D(std::forward<F>(f));
        ev_set_cb(static_cast<cw *>(this), inline_thunk<D>);
    }
    /* Anything else: one heap block owned by the watcher. */
    template <class D, class F> void set_callable_(F &&f, std::false_type)
    {
        owned *o = new owned_of<D>(std::forward<F>(f));
        set_(o, owned_dispatch);
    }

    template <class D> static void inline_thunk(EVPP_CB_LOOP_ cw *w, int revents)
    {
        D *f = EVPP_LAUNDER(reinterpret_cast<D *>(&w->data));
        detail::call(*f, *static_cast<watcher *>(w), revents, detail::call_style<D, watcher>());
    }
    struct owned {
        virtual ~owned() {}
        virtual void invoke(watcher &w, int revents) = 0;
    };
    template <class D> struct owned_of : owned {
        D f;
        template <class F> explicit owned_of(F &&fn) : f(std::forward<F>(fn)) {}
        void invoke(watcher &w, int revents)
        {
            detail::call(f, w, revents, detail::call_style<D, watcher>());
        }
    };
    /* One dispatcher per watcher type: its presence as the callback says that data
     * points to a heap block this watcher owns. */
    static void owned_dispatch(EVPP_CB_LOOP_ cw *w, int revents)
    {
        static_cast<owned *>(w->data)->invoke(*static_cast<watcher *>(w), revents);
    }
#endif

    void release_callable() EV_NOEXCEPT
    {
#if EVPP_MODERN
        cw *w = static_cast<cw *>(this);
        if (ev_cb(w) == &owned_dispatch && this->data) {
            delete static_cast<owned *>(this->data);
            this->data = 0;
            ev_set_cb(w, 0);
        }
#endif
    }

    base(const base &) EVPP_DELETE;
    base &operator=(const base &) EVPP_DELETE;
};

/* The members every watcher class repeats: construction on a loop, start/stop,
 * destruction that stops, and move construction (the moved-from watcher is stopped,
 * the new one started if the old one was active). */
#define EVPP_WATCHER_COMMON(cls, cw)                                                               \
    typedef base<cw, cls> base_type;                                                               \
    using base_type::set;                                                                          \
    cls(loop_ref l = get_default_loop()) EV_NOEXCEPT : base_type(l) {}                             \
    ~cls()                                                                                         \
    {                                                                                              \
        stop();                                                                                    \
    }                                                                                              \
    void start() EV_NOEXCEPT                                                                       \
    {                                                                                              \
        cw##_start(EVPP_THIS_ static_cast<cw *>(this));                                            \
    }                                                                                              \
    void stop() EV_NOEXCEPT                                                                        \
    {                                                                                              \
        cw##_stop(EVPP_THIS_ static_cast<cw *>(this));                                             \
    }

#if __cplusplus >= 201103L
#define EVPP_MOVE(cls, cw, copy_config)                                                            \
    cls(cls &&other) EV_NOEXCEPT : base_type(EVPP_LOOP_OF(other))                                  \
    {                                                                                              \
        bool was_active = other.is_active();                                                       \
        other.stop();                                                                              \
        this->take_(other);                                                                        \
        copy_config;                                                                               \
        if (was_active)                                                                            \
            start();                                                                               \
    }
#else
#define EVPP_MOVE(cls, cw, copy_config)
#endif

struct io : base<ev_io, io> {
    EVPP_WATCHER_COMMON(io, ev_io)
    EVPP_MOVE(io, ev_io, (this->fd = other.fd, this->events = other.events | EV__IOFDSET))

    void set(int fd, int events) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_io_set(static_cast<ev_io *>(this), fd, events);
    }
    void set(int events) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_io_modify(static_cast<ev_io *>(this), events);
    }
    void start(int fd, int events) EV_NOEXCEPT
    {
        set(fd, events);
        start();
    }
};

struct timer : base<ev_timer, timer> {
    EVPP_WATCHER_COMMON(timer, ev_timer)
    EVPP_MOVE(timer, ev_timer, (this->at = other.at, this->repeat = other.repeat))

    void set(tstamp after, tstamp repeat = 0.) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_timer_set(static_cast<ev_timer *>(this), after, repeat);
    }
    void start(tstamp after, tstamp repeat = 0.) EV_NOEXCEPT
    {
        set(after, repeat);
        start();
    }
    void again() EV_NOEXCEPT { ev_timer_again(EVPP_THIS_ static_cast<ev_timer *>(this)); }
    tstamp remaining() EV_NOEXCEPT
    {
        return ev_timer_remaining(EVPP_THIS_ static_cast<ev_timer *>(this));
    }
#if EVPP_MODERN
    template <class R1, class P1, class R2 = long, class P2 = std::ratio<1>>
    void set(std::chrono::duration<R1, P1> after,
             std::chrono::duration<R2, P2> repeat = std::chrono::duration<R2, P2>::zero())
    {
        set(detail::seconds(after), detail::seconds(repeat));
    }
    template <class R1, class P1, class R2 = long, class P2 = std::ratio<1>>
    void start(std::chrono::duration<R1, P1> after,
               std::chrono::duration<R2, P2> repeat = std::chrono::duration<R2, P2>::zero())
    {
        set(after, repeat);
        start();
    }
#endif
};

#if EV_PERIODIC_ENABLE
struct periodic : base<ev_periodic, periodic> {
    EVPP_WATCHER_COMMON(periodic, ev_periodic)
    EVPP_MOVE(periodic, ev_periodic,
              (this->offset = other.offset, this->interval = other.interval,
               this->reschedule_cb = other.reschedule_cb))

    void set(tstamp at, tstamp interval = 0.) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_periodic_set(static_cast<ev_periodic *>(this), at, interval, 0);
    }
    void start(tstamp at, tstamp interval = 0.) EV_NOEXCEPT
    {
        set(at, interval);
        start();
    }
    void again() EV_NOEXCEPT { ev_periodic_again(EVPP_THIS_ static_cast<ev_periodic *>(this)); }
#if EVPP_MODERN
    /* Every `interval`, aligned to `offset` on the wall clock. */
    template <class R1, class P1, class R2, class P2>
    void set(std::chrono::duration<R1, P1> offset, std::chrono::duration<R2, P2> interval)
    {
        set(detail::seconds(offset), detail::seconds(interval));
    }
    /* Once, at a point of the system clock. */
    void set(std::chrono::system_clock::time_point at)
    {
        set(detail::seconds(at.time_since_epoch()), 0.);
    }
#endif
};
#endif

#if EV_SIGNAL_ENABLE
struct sig : base<ev_signal, sig> {
    EVPP_WATCHER_COMMON(sig, ev_signal)
    EVPP_MOVE(sig, ev_signal, (this->signum = other.signum))

    void set(int signum) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_signal_set(static_cast<ev_signal *>(this), signum);
    }
    void start(int signum) EV_NOEXCEPT
    {
        set(signum);
        start();
    }
};
#endif

#if EV_CHILD_ENABLE
struct child : base<ev_child, child> {
    EVPP_WATCHER_COMMON(child, ev_child)
    EVPP_MOVE(child, ev_child, (this->pid = other.pid, this->flags = other.flags))

    void set(int pid, int trace = 0) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_child_set(static_cast<ev_child *>(this), pid, trace);
    }
    void start(int pid, int trace = 0) EV_NOEXCEPT
    {
        set(pid, trace);
        start();
    }
};
#endif

#if EV_STAT_ENABLE
struct stat : base<ev_stat, stat> {
    EVPP_WATCHER_COMMON(stat, ev_stat)
    EVPP_MOVE(stat, ev_stat,
              (this->path = other.path, this->interval = other.interval, this->wd = -2))

    void set(const char *path, tstamp interval = 0.) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_stat_set(static_cast<ev_stat *>(this), path, interval);
    }
    void start(const char *path, tstamp interval = 0.) EV_NOEXCEPT
    {
        stop();
        set(path, interval);
        start();
    }
    void update() EV_NOEXCEPT { ev_stat_stat(EVPP_THIS_ static_cast<ev_stat *>(this)); }
};
#endif

#if EV_IDLE_ENABLE
struct idle : base<ev_idle, idle> {
    EVPP_WATCHER_COMMON(idle, ev_idle)
    EVPP_MOVE(idle, ev_idle, (void)0)
    void set() EV_NOEXCEPT {}
};
#endif

#if EV_PREPARE_ENABLE
struct prepare : base<ev_prepare, prepare> {
    EVPP_WATCHER_COMMON(prepare, ev_prepare)
    EVPP_MOVE(prepare, ev_prepare, (void)0)
    void set() EV_NOEXCEPT {}
};
#endif

#if EV_CHECK_ENABLE
struct check : base<ev_check, check> {
    EVPP_WATCHER_COMMON(check, ev_check)
    EVPP_MOVE(check, ev_check, (void)0)
    void set() EV_NOEXCEPT {}
};
#endif

#if EV_EMBED_ENABLE
struct embed : base<ev_embed, embed> {
    EVPP_WATCHER_COMMON(embed, ev_embed)

    void set_embed(struct ev_loop *embedded_loop) EV_NOEXCEPT
    {
        freeze_guard g(this);
        ev_embed_set(static_cast<ev_embed *>(this), embedded_loop);
    }
    /* Embeds embedded_loop (libev's version set the watcher's own loop instead and crashed). */
    void start(struct ev_loop *embedded_loop) EV_NOEXCEPT
    {
        set_embed(embedded_loop);
        start();
    }
    void sweep() EV_NOEXCEPT { ev_embed_sweep(EVPP_THIS_ static_cast<ev_embed *>(this)); }
};
#endif

#if EV_FORK_ENABLE
struct fork : base<ev_fork, fork> {
    EVPP_WATCHER_COMMON(fork, ev_fork)
    EVPP_MOVE(fork, ev_fork, (void)0)
    void set() EV_NOEXCEPT {}
};
#endif

#if EV_CLEANUP_ENABLE
/* Runs when the loop is destroyed (libev's ev++.h has no class for it). */
struct cleanup : base<ev_cleanup, cleanup> {
    EVPP_WATCHER_COMMON(cleanup, ev_cleanup)
    EVPP_MOVE(cleanup, ev_cleanup, (void)0)
    void set() EV_NOEXCEPT {}
};
#endif

#if EV_ASYNC_ENABLE
struct async : base<ev_async, async> {
    EVPP_WATCHER_COMMON(async, ev_async)
    EVPP_MOVE(async, ev_async, (void)0)
    void set() EV_NOEXCEPT {}
    /* Thread- and signal-safe. */
    void send() EV_NOEXCEPT { ev_async_send(EVPP_THIS_ static_cast<ev_async *>(this)); }
    bool async_pending() EV_NOEXCEPT { return ev_async_pending(static_cast<ev_async *>(this)); }
};
#endif

#undef EVPP_WATCHER_COMMON
#undef EVPP_MOVE
#undef EVPP_RAW_
#undef EVPP_RAW
#undef EVPP_THIS_
#undef EVPP_CB_LOOP_
#undef EVPP_LOOP_OF
#undef EVPP_DELETE
#undef EVPP_LAUNDER
#undef EVPP_MODERN

} // namespace ev

#endif /* EVPP_H__ */
