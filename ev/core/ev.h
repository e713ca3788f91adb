/*
 * ev.h - the public interface of ev, a clean-room event loop that is source and
 * binary compatible with libev 4.33.
 *
 * Everything here is ABI: the watcher structs, the constants and the macros that
 * touch watcher fields match libev 4.33 byte for byte (see docs/abi-facts.md).
 * The configuration macros (EV_FEATURES, EV_MULTIPLICITY, EV_MINPRI/EV_MAXPRI,
 * EV_COMMON, EV_CB_DECLARE, EV_*_ENABLE, EV_PROTOTYPES, ...) may be defined by
 * an embedder before this header is included; the defaults give libev's ABI.
 */
#ifndef EV_H_
#define EV_H_

/* Lets a test prove it compiled against our header, not a system libev's. */
#define EV_IS_CLEANROOM_EV 1

#ifdef __cplusplus
#define EV_CPP(x) x
#if __cplusplus >= 201103L
#define EV_NOEXCEPT noexcept
#else
#define EV_NOEXCEPT
#endif
#else
#define EV_CPP(x)
#define EV_NOEXCEPT
#endif
#define EV_THROW EV_NOEXCEPT /* the 4.2x spelling */

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Configuration. EV_MINIMAL is the 3.x spelling of a small build.
 */
#ifndef EV_FEATURES
#if defined(EV_MINIMAL) && EV_MINIMAL
#define EV_FEATURES 0
#elif defined(__OPTIMIZE_SIZE__)
#define EV_FEATURES 0x7c
#else
#define EV_FEATURES 0x7f
#endif
#endif

#define EV_FEATURE_CODE (1 & (EV_FEATURES))
#define EV_FEATURE_DATA (2 & (EV_FEATURES))
#define EV_FEATURE_CONFIG (4 & (EV_FEATURES))
#define EV_FEATURE_API (8 & (EV_FEATURES))
#define EV_FEATURE_WATCHERS (16 & (EV_FEATURES))
#define EV_FEATURE_BACKENDS (32 & (EV_FEATURES))
#define EV_FEATURE_OS (64 & (EV_FEATURES))

#ifndef EV_MINPRI
#define EV_MINPRI (EV_FEATURE_CONFIG ? -2 : 0)
#endif
#ifndef EV_MAXPRI
#define EV_MAXPRI (EV_FEATURE_CONFIG ? +2 : 0)
#endif

#ifndef EV_MULTIPLICITY
#define EV_MULTIPLICITY EV_FEATURE_CONFIG
#endif

#ifndef EV_PERIODIC_ENABLE
#define EV_PERIODIC_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_STAT_ENABLE
#define EV_STAT_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_PREPARE_ENABLE
#define EV_PREPARE_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_CHECK_ENABLE
#define EV_CHECK_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_IDLE_ENABLE
#define EV_IDLE_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_FORK_ENABLE
#define EV_FORK_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_CLEANUP_ENABLE
#define EV_CLEANUP_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_SIGNAL_ENABLE
#define EV_SIGNAL_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_CHILD_ENABLE
#ifdef _WIN32
#define EV_CHILD_ENABLE 0
#else
#define EV_CHILD_ENABLE EV_FEATURE_WATCHERS
#endif
#endif
#ifndef EV_ASYNC_ENABLE
#define EV_ASYNC_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_EMBED_ENABLE
#define EV_EMBED_ENABLE EV_FEATURE_WATCHERS
#endif
#ifndef EV_WALK_ENABLE
#define EV_WALK_ENABLE 0 /* reserved by libev; not implemented there either */
#endif

/* Child watchers are fed by the SIGCHLD handler, so they need signals. */
#if EV_CHILD_ENABLE && !EV_SIGNAL_ENABLE
#undef EV_SIGNAL_ENABLE
#define EV_SIGNAL_ENABLE 1
#endif

#ifndef EV_COMPAT3
#define EV_COMPAT3 1
#endif

#ifndef EV_PROTOTYPES
#define EV_PROTOTYPES 1
#endif

#ifndef EV_TSTAMP_T
#define EV_TSTAMP_T double
#endif
typedef EV_TSTAMP_T ev_tstamp;

#include <string.h> /* clients rely on ev.h pulling these in, as libev's does */
#include <signal.h>

#ifndef EV_ATOMIC_T
#define EV_ATOMIC_T sig_atomic_t volatile
#endif

#if EV_STAT_ENABLE
#ifdef _WIN32
#include <time.h>
#include <sys/types.h>
#endif
#include <sys/stat.h>
#endif

/* ---------------------------------------------------------------------------
 * The loop argument. With EV_MULTIPLICITY every call takes the loop first;
 * without it there is exactly one loop and no loop argument at all.
 */
#if EV_MULTIPLICITY
struct ev_loop;
#define EV_P struct ev_loop *loop
#define EV_P_ EV_P,
#define EV_A loop
#define EV_A_ EV_A,
#define EV_DEFAULT_UC ev_default_loop_uc_()
#define EV_DEFAULT_UC_ EV_DEFAULT_UC,
#define EV_DEFAULT ev_default_loop(0)
#define EV_DEFAULT_ EV_DEFAULT,
#else
#define EV_P void
#define EV_P_
#define EV_A
#define EV_A_
#define EV_DEFAULT
#define EV_DEFAULT_
#define EV_DEFAULT_UC
#define EV_DEFAULT_UC_
#undef EV_EMBED_ENABLE /* embedding needs a second loop; left undefined, as libev leaves it */
#endif

#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)
#define EV_INLINE static inline
#elif defined(__GNUC__)
#define EV_INLINE static __inline__
#else
#define EV_INLINE static
#endif

#ifdef EV_API_STATIC
#define EV_API_DECL static
#else
#ifndef EV_API_DECL
#define EV_API_DECL extern
#endif
#endif

/* ---------------------------------------------------------------------------
 * Event bits, handed to callbacks as `revents` and used as watcher masks.
 */
enum {
    EV_UNDEF = (int)0xFFFFFFFF, /* never set by the library */
    EV_NONE = 0x00,
    EV_READ = 0x01,
    EV_WRITE = 0x02,
    EV__IOFDSET = 0x80, /* internal: "the fd may be a new one", set by ev_io_set */
    EV_IO = EV_READ,
    EV_TIMER = 0x00000100,
#if EV_COMPAT3
    EV_TIMEOUT = EV_TIMER,
#endif
    EV_PERIODIC = 0x00000200,
    EV_SIGNAL = 0x00000400,
    EV_CHILD = 0x00000800,
    EV_STAT = 0x00001000,
    EV_IDLE = 0x00002000,
    EV_PREPARE = 0x00004000,
    EV_CHECK = 0x00008000,
    EV_EMBED = 0x00010000,
    EV_FORK = 0x00020000,
    EV_CLEANUP = 0x00040000,
    EV_ASYNC = 0x00080000,
    EV_CUSTOM = 0x01000000, /* free for the user's own feeds */
    EV_ERROR = (int)0x80000000
};

/* ---------------------------------------------------------------------------
 * Watchers. Every watcher starts with the same head (EV_WATCHER); the macros
 * below exist so that embedders can change what the head contains.
 */
#ifndef EV_COMMON
#define EV_COMMON void *data;
#endif

#ifndef EV_CB_DECLARE
#define EV_CB_DECLARE(type) void (*cb)(EV_P_ struct type * w, int revents);
#endif
#ifndef EV_CB_INVOKE
#define EV_CB_INVOKE(watcher, revents) (watcher)->cb(EV_A_(watcher), (revents))
#endif

#if EV_MINPRI == EV_MAXPRI
#undef EV_DECL_PRIORITY
#define EV_DECL_PRIORITY
#elif !defined(EV_DECL_PRIORITY)
#define EV_DECL_PRIORITY int priority;
#endif

/* active: 0 when stopped, else a type-specific index; pending: 0, or the
 * 1-based slot in the pending queue of the watcher's priority. */
#define EV_WATCHER(type)                                                                           \
    int active;                                                                                    \
    int pending;                                                                                   \
    EV_DECL_PRIORITY                                                                               \
    EV_COMMON                                                                                      \
    EV_CB_DECLARE(type)

#define EV_WATCHER_LIST(type)                                                                      \
    EV_WATCHER(type)                                                                               \
    struct ev_watcher_list *next;

#define EV_WATCHER_TIME(type)                                                                      \
    EV_WATCHER(type)                                                                               \
    ev_tstamp at;

/* The generic head; any watcher may be passed where an ev_watcher is wanted. */
typedef struct ev_watcher {
    EV_WATCHER(ev_watcher)
} ev_watcher;

typedef struct ev_watcher_list {
    EV_WATCHER_LIST(ev_watcher_list)
} ev_watcher_list;

typedef struct ev_watcher_time {
    EV_WATCHER_TIME(ev_watcher_time)
} ev_watcher_time;

/* Readiness of a file descriptor: EV_READ, EV_WRITE. */
typedef struct ev_io {
    EV_WATCHER_LIST(ev_io)
    int fd;     /* read-only while active */
    int events; /* read-only while active */
} ev_io;

/* A relative timeout on the monotonic clock, optionally repeating: EV_TIMER. */
typedef struct ev_timer {
    EV_WATCHER_TIME(ev_timer)
    ev_tstamp repeat; /* read-write */
} ev_timer;

/* Wall-clock based, absolute or periodic: EV_PERIODIC. */
typedef struct ev_periodic {
    EV_WATCHER_TIME(ev_periodic)
    ev_tstamp offset;                                                 /* read-write */
    ev_tstamp interval;                                               /* read-write */
    ev_tstamp (*reschedule_cb)(struct ev_periodic *w, ev_tstamp now); /* read-write */
} ev_periodic;

/* A signal was received: EV_SIGNAL. */
typedef struct ev_signal {
    EV_WATCHER_LIST(ev_signal)
    int signum; /* read-only */
} ev_signal;

/* A child changed status: EV_CHILD. Default loop only. */
typedef struct ev_child {
    EV_WATCHER_LIST(ev_child)
    int flags;   /* private */
    int pid;     /* read-only */
    int rpid;    /* read-write: the pid that changed status */
    int rstatus; /* read-write: its status, as from waitpid */
} ev_child;

#if EV_STAT_ENABLE
#ifdef _WIN32
typedef struct _stati64 ev_statdata;
#else
typedef struct stat ev_statdata;
#endif

/* The attributes of a path changed: EV_STAT. */
typedef struct ev_stat {
    EV_WATCHER_LIST(ev_stat)
    ev_timer timer;     /* private */
    ev_tstamp interval; /* read-only */
    const char *path;   /* read-only */
    ev_statdata prev;   /* read-only: attributes before the last change */
    ev_statdata attr;   /* read-only: current attributes; st_nlink 0 if absent */
    int wd;             /* private: inotify watch, -1 none, -2 not set up */
} ev_stat;
#endif

/* Nothing else to do: EV_IDLE. */
typedef struct ev_idle {
    EV_WATCHER(ev_idle)
} ev_idle;

/* Just before the loop blocks: EV_PREPARE. */
typedef struct ev_prepare {
    EV_WATCHER(ev_prepare)
} ev_prepare;

/* Just after the loop polled: EV_CHECK. */
typedef struct ev_check {
    EV_WATCHER(ev_check)
} ev_check;

/* The loop noticed a fork: EV_FORK. */
typedef struct ev_fork {
    EV_WATCHER(ev_fork)
} ev_fork;

/* The loop is being destroyed: EV_CLEANUP. */
typedef struct ev_cleanup {
    EV_WATCHER(ev_cleanup)
} ev_cleanup;

#if EV_EMBED_ENABLE
/* An embed watcher is built on an io and a prepare watcher (and a fork watcher where those are
 * enabled), so embedding turns those two types on whatever the configuration said; the values
 * an embedder sees are libev's (EV_PREPARE_ENABLE becomes 1, and EV_IO_ENABLE is defined as 1). */
#undef EV_IO_ENABLE
#define EV_IO_ENABLE 1
#undef EV_PREPARE_ENABLE
#define EV_PREPARE_ENABLE 1

/* Another loop has events to handle: EV_EMBED. */
typedef struct ev_embed {
    EV_WATCHER(ev_embed)
    struct ev_loop *other; /* read-only */
    ev_io io;              /* private */
    ev_prepare prepare;    /* private */
    ev_check check;        /* unused */
    ev_timer timer;        /* unused */
    ev_periodic periodic;  /* unused */
    ev_idle idle;          /* unused */
    ev_fork fork;          /* private (unused without EV_FORK_ENABLE) */
    ev_cleanup cleanup;    /* unused */
} ev_embed;
#endif

#if EV_ASYNC_ENABLE
/* Another thread (or a signal handler) called ev_async_send: EV_ASYNC. */
typedef struct ev_async {
    EV_WATCHER(ev_async)
    EV_ATOMIC_T sent; /* private */
} ev_async;

#define ev_async_pending(w) (+(w)->sent)
#endif

/* Big enough for any watcher. */
union ev_any_watcher {
    struct ev_watcher w;
    struct ev_watcher_list wl;
    struct ev_io io;
    struct ev_timer timer;
    struct ev_periodic periodic;
    struct ev_signal signal;
    struct ev_child child;
#if EV_STAT_ENABLE
    struct ev_stat stat;
#endif
#if EV_IDLE_ENABLE
    struct ev_idle idle;
#endif
    struct ev_prepare prepare;
    struct ev_check check;
#if EV_FORK_ENABLE
    struct ev_fork fork;
#endif
#if EV_CLEANUP_ENABLE
    struct ev_cleanup cleanup;
#endif
#if EV_EMBED_ENABLE
    struct ev_embed embed;
#endif
#if EV_ASYNC_ENABLE
    struct ev_async async;
#endif
};

/* ---------------------------------------------------------------------------
 * Loop flags and backends.
 */
enum {
    EVFLAG_AUTO = 0x00000000U,      /* the default */
    EVFLAG_NOENV = 0x01000000U,     /* ignore LIBEV_FLAGS */
    EVFLAG_FORKCHECK = 0x02000000U, /* compare getpid() every iteration */
    EVFLAG_NOINOTIFY = 0x00100000U, /* ev_stat polls instead of using inotify */
#if EV_COMPAT3
    EVFLAG_NOSIGFD = 0, /* the 3.x default, kept for source compatibility */
#endif
    EVFLAG_SIGNALFD = 0x00200000U,  /* deliver signals through signalfd */
    EVFLAG_NOSIGMASK = 0x00400000U, /* never touch the signal mask */
    EVFLAG_NOTIMERFD = 0x00800000U  /* detect clock jumps without timerfd */
};

enum {
    EVBACKEND_SELECT = 0x00000001U,
    EVBACKEND_POLL = 0x00000002U,
    EVBACKEND_EPOLL = 0x00000004U,
    EVBACKEND_KQUEUE = 0x00000008U,
    EVBACKEND_DEVPOLL = 0x00000010U, /* reserved, never implemented */
    EVBACKEND_PORT = 0x00000020U,
    EVBACKEND_LINUXAIO = 0x00000040U,
    EVBACKEND_IOURING = 0x00000080U,
    EVBACKEND_ALL = 0x000000FFU,
    EVBACKEND_MASK = 0x0000FFFFU
};

/* ev_run flags and ev_break modes. */
enum {
    EVRUN_NOWAIT = 1, /* poll once without blocking */
    EVRUN_ONCE = 2    /* block for one iteration */
};

enum {
    EVBREAK_CANCEL = 0, /* undo an earlier ev_break */
    EVBREAK_ONE = 1,    /* leave the innermost ev_run */
    EVBREAK_ALL = 2     /* leave every nested ev_run */
};

#define EV_VERSION_MAJOR 4
#define EV_VERSION_MINOR 33

/* ---------------------------------------------------------------------------
 * Functions. Contracts are summarised here; docs/ has the manual.
 */
#if EV_PROTOTYPES

/* 4 and 33: the libev version whose interface this library provides. */
EV_API_DECL int ev_version_major(void) EV_NOEXCEPT;
EV_API_DECL int ev_version_minor(void) EV_NOEXCEPT;

/* Backends compiled in and usable on this kernel; the subset picked when no
 * backend is requested; the backends whose loops can be embedded. */
EV_API_DECL unsigned int ev_supported_backends(void) EV_NOEXCEPT;
EV_API_DECL unsigned int ev_recommended_backends(void) EV_NOEXCEPT;
EV_API_DECL unsigned int ev_embeddable_backends(void) EV_NOEXCEPT;

/* The wall-clock time now, read from the system. */
EV_API_DECL ev_tstamp ev_time(void) EV_NOEXCEPT;
/* Sleeps for the given number of seconds; returns at once if it is <= 0. */
EV_API_DECL void ev_sleep(ev_tstamp delay) EV_NOEXCEPT;

/* Replaces the allocator: a realloc-like function; size 0 frees and must
 * return NULL. A NULL result for a non-zero size is fatal (message + abort). */
EV_API_DECL void ev_set_allocator(void *(*cb)(void *ptr, long size)) EV_NOEXCEPT;

/* Called with a message for syscall failures the loop cannot handle itself;
 * the default prints the message with the errno text and aborts. */
EV_API_DECL void ev_set_syserr_cb(void (*cb)(const char *msg)) EV_NOEXCEPT;

#if EV_MULTIPLICITY

/* Creates the default loop once (the only one that handles children) and
 * returns it on every later call; NULL if no backend could be initialised. */
EV_API_DECL struct ev_loop *ev_default_loop(unsigned int flags EV_CPP(= 0)) EV_NOEXCEPT;

EV_API_DECL struct ev_loop *ev_default_loop_ptr; /* NULL until the default loop exists */

EV_INLINE struct ev_loop *ev_default_loop_uc_(void) EV_NOEXCEPT
{
    return ev_default_loop_ptr;
}

EV_INLINE int ev_is_default_loop(EV_P) EV_NOEXCEPT
{
    return loop == ev_default_loop_ptr;
}

/* Creates a new, independent loop; NULL on failure. */
EV_API_DECL struct ev_loop *ev_loop_new(unsigned int flags EV_CPP(= 0)) EV_NOEXCEPT;

/* Loop time: the cached wall-clock time of the current iteration. */
EV_API_DECL ev_tstamp ev_now(EV_P) EV_NOEXCEPT;

#else

EV_API_DECL int ev_default_loop(unsigned int flags EV_CPP(= 0)) EV_NOEXCEPT;

EV_API_DECL ev_tstamp ev_rt_now;

EV_INLINE ev_tstamp ev_now(void) EV_NOEXCEPT
{
    return ev_rt_now;
}

EV_INLINE int ev_is_default_loop(void) EV_NOEXCEPT
{
    return 1;
}

#endif

/* Runs the cleanup watchers, then frees the loop; watchers stay "active". */
EV_API_DECL void ev_loop_destroy(EV_P);

/* Call in the child after fork(): the next iteration re-creates the kernel
 * state and runs the fork watchers. */
EV_API_DECL void ev_loop_fork(EV_P) EV_NOEXCEPT;

EV_API_DECL unsigned int ev_backend(EV_P) EV_NOEXCEPT; /* the EVBACKEND_* in use */

/* Re-reads the clocks into the loop time. */
EV_API_DECL void ev_now_update(EV_P) EV_NOEXCEPT;

#if EV_WALK_ENABLE
EV_API_DECL void ev_walk(EV_P_ int types, void (*cb)(EV_P_ int type, void *w)) EV_NOEXCEPT;
#endif

/* Runs the loop until no active, referenced watcher is left or ev_break is
 * called (flags 0), for one blocking iteration (EVRUN_ONCE) or one
 * non-blocking one (EVRUN_NOWAIT). Returns the number of references left. */
EV_API_DECL int ev_run(EV_P_ int flags EV_CPP(= 0));

/* Makes the innermost (EVBREAK_ONE) or every (EVBREAK_ALL) ev_run return
 * once the current callbacks are done. */
EV_API_DECL void ev_break(EV_P_ int how EV_CPP(= EVBREAK_ONE)) EV_NOEXCEPT;

/* Adds / removes a reference: ev_run returns when none is left. */
EV_API_DECL void ev_ref(EV_P) EV_NOEXCEPT;
EV_API_DECL void ev_unref(EV_P) EV_NOEXCEPT;

/* Calls cb(revents, arg) once: when fd (if >= 0) becomes ready for events, or
 * after timeout seconds (if >= 0), whichever comes first. */
EV_API_DECL void ev_once(EV_P_ int fd, int events, ev_tstamp timeout,
                         void (*cb)(int revents, void *arg), void *arg) EV_NOEXCEPT;

#if EV_FEATURE_API
EV_API_DECL unsigned int ev_iteration(EV_P) EV_NOEXCEPT; /* polls done so far */
EV_API_DECL unsigned int ev_depth(EV_P) EV_NOEXCEPT;     /* ev_run nesting level */
EV_API_DECL void ev_verify(EV_P) EV_NOEXCEPT;            /* aborts if internals are corrupt */

/* Extra sleep before polling so more io events are handled at once; slack
 * allowed on timer wake-ups. Both default to 0. */
EV_API_DECL void ev_set_io_collect_interval(EV_P_ ev_tstamp interval) EV_NOEXCEPT;
EV_API_DECL void ev_set_timeout_collect_interval(EV_P_ ev_tstamp interval) EV_NOEXCEPT;

EV_API_DECL void ev_set_userdata(EV_P_ void *data) EV_NOEXCEPT;
EV_API_DECL void *ev_userdata(EV_P) EV_NOEXCEPT;

typedef void (*ev_loop_callback)(EV_P);
/* Replaces the step that invokes pending watchers (restore with
 * ev_invoke_pending). */
EV_API_DECL void ev_set_invoke_pending_cb(EV_P_ ev_loop_callback invoke_pending_cb) EV_NOEXCEPT;
/* release is called before the loop blocks, acquire right after. */
EV_API_DECL void ev_set_loop_release_cb(EV_P_ void (*release)(EV_P),
                                        void (*acquire)(EV_P)) EV_NOEXCEPT;

EV_API_DECL unsigned int ev_pending_count(EV_P) EV_NOEXCEPT;
/* Invokes every pending watcher, highest priority first. */
EV_API_DECL void ev_invoke_pending(EV_P);

/* Stop / resume counting time: timers do not advance while suspended. */
EV_API_DECL void ev_suspend(EV_P) EV_NOEXCEPT;
EV_API_DECL void ev_resume(EV_P) EV_NOEXCEPT;
#endif

#endif /* EV_PROTOTYPES */

/* ---------------------------------------------------------------------------
 * Watcher macros. They access the watcher through its own type, so they are
 * clean under -Wstrict-aliasing (libev's casts were not).
 */
#if EV_MINPRI == EV_MAXPRI
#define ev_priority(w) ((void)(w), EV_MINPRI)
#define ev_set_priority(w, pri) ((void)(w), (void)(pri))
#else
#define ev_priority(w) (+(w)->priority)
#define ev_set_priority(w, pri) ((w)->priority = (pri))
#endif

#define ev_is_pending(w) (0 + (w)->pending)
#define ev_is_active(w) (0 + (w)->active)
#define ev_cb_(w) (w)->cb
#define ev_cb(w) (ev_cb_(w))

#ifndef ev_set_cb
#define ev_set_cb(w, cb_) ((void)(ev_cb_(w) = (cb_)))
#endif

#define ev_init(w, cb_)                                                                            \
    do {                                                                                           \
        (w)->active = 0;                                                                           \
        (w)->pending = 0;                                                                          \
        ev_set_priority((w), 0);                                                                   \
        ev_set_cb((w), cb_);                                                                       \
    } while (0)

#define ev_io_modify(w, events_) ((w)->events = ((w)->events & EV__IOFDSET) | (events_))

#define ev_io_set(w, fd_, events_)                                                                 \
    do {                                                                                           \
        (w)->fd = (fd_);                                                                           \
        (w)->events = (events_) | EV__IOFDSET;                                                     \
    } while (0)
#define ev_timer_set(w, after_, repeat_)                                                           \
    do {                                                                                           \
        (w)->at = (after_);                                                                        \
        (w)->repeat = (repeat_);                                                                   \
    } while (0)
#define ev_periodic_set(w, ofs_, ival_, rcb_)                                                      \
    do {                                                                                           \
        (w)->offset = (ofs_);                                                                      \
        (w)->interval = (ival_);                                                                   \
        (w)->reschedule_cb = (rcb_);                                                               \
    } while (0)
#define ev_signal_set(w, signum_)                                                                  \
    do {                                                                                           \
        (w)->signum = (signum_);                                                                   \
    } while (0)
#define ev_child_set(w, pid_, trace_)                                                              \
    do {                                                                                           \
        (w)->pid = (pid_);                                                                         \
        (w)->flags = !!(trace_);                                                                   \
    } while (0)
#define ev_stat_set(w, path_, interval_)                                                           \
    do {                                                                                           \
        (w)->path = (path_);                                                                       \
        (w)->interval = (interval_);                                                               \
        (w)->wd = -2;                                                                              \
    } while (0)
#define ev_idle_set(w) /* nothing to configure */
#define ev_prepare_set(w)
#define ev_check_set(w)
#define ev_embed_set(w, other_)                                                                    \
    do {                                                                                           \
        (w)->other = (other_);                                                                     \
    } while (0)
#define ev_fork_set(w)
#define ev_cleanup_set(w)
#define ev_async_set(w)

#define ev_io_init(w, cb, fd, events)                                                              \
    do {                                                                                           \
        ev_init((w), (cb));                                                                        \
        ev_io_set((w), (fd), (events));                                                            \
    } while (0)
#define ev_timer_init(w, cb, after, repeat)                                                        \
    do {                                                                                           \
        ev_init((w), (cb));                                                                        \
        ev_timer_set((w), (after), (repeat));                                                      \
    } while (0)
#define ev_periodic_init(w, cb, ofs, ival, rcb)                                                    \
    do {                                                                                           \
        ev_init((w), (cb));                                                                        \
        ev_periodic_set((w), (ofs), (ival), (rcb));                                                \
    } while (0)
#define ev_signal_init(w, cb, signum)                                                              \
    do {                                                                                           \
        ev_init((w), (cb));                                                                        \
        ev_signal_set((w), (signum));                                                              \
    } while (0)
#define ev_child_init(w, cb, pid, trace)                                                           \
    do {                                                                                           \
        ev_init((w), (cb));                                                                        \
        ev_child_set((w), (pid), (trace));                                                         \
    } while (0)
#define ev_stat_init(w, cb, path, interval)                                                        \
    do {                                                                                           \
        ev_init((w), (cb));                                                                        \
        ev_stat_set((w), (path), (interval));                                                      \
    } while (0)
#define ev_idle_init(w, cb) ev_init((w), (cb))
#define ev_prepare_init(w, cb) ev_init((w), (cb))
#define ev_check_init(w, cb) ev_init((w), (cb))
#define ev_embed_init(w, cb, other)                                                                \
    do {                                                                                           \
        ev_init((w), (cb));                                                                        \
        ev_embed_set((w), (other));                                                                \
    } while (0)
#define ev_fork_init(w, cb) ev_init((w), (cb))
#define ev_cleanup_init(w, cb) ev_init((w), (cb))
#define ev_async_init(w, cb) ev_init((w), (cb))

#define ev_periodic_at(w) (+(w)->at)

/* ---------------------------------------------------------------------------
 * Watcher functions. Starting an active watcher and stopping an inactive one
 * do nothing; every stop first removes the watcher from the pending queue.
 */
#if EV_PROTOTYPES

/* Queues w as if revents had happened (merged if w is already pending). */
EV_API_DECL void ev_feed_event(EV_P_ void *w, int revents) EV_NOEXCEPT;
/* Queues every io watcher of fd for the part of revents it watches. */
EV_API_DECL void ev_feed_fd_event(EV_P_ int fd, int revents) EV_NOEXCEPT;
#if EV_SIGNAL_ENABLE
/* Async-signal- and thread-safe: the signal happened, for whichever loop
 * watches it. */
EV_API_DECL void ev_feed_signal(int signum) EV_NOEXCEPT;
/* Queues every watcher of signum in this loop (not async-signal-safe). */
EV_API_DECL void ev_feed_signal_event(EV_P_ int signum) EV_NOEXCEPT;
#endif
/* Calls w's callback now with revents. */
EV_API_DECL void ev_invoke(EV_P_ void *w, int revents);
/* Unqueues w; returns the revents it was pending with, or 0. */
EV_API_DECL int ev_clear_pending(EV_P_ void *w) EV_NOEXCEPT;

EV_API_DECL void ev_io_start(EV_P_ ev_io *w) EV_NOEXCEPT;
EV_API_DECL void ev_io_stop(EV_P_ ev_io *w) EV_NOEXCEPT;

EV_API_DECL void ev_timer_start(EV_P_ ev_timer *w) EV_NOEXCEPT;
EV_API_DECL void ev_timer_stop(EV_P_ ev_timer *w) EV_NOEXCEPT;
/* Active and repeating: restart with `repeat`; active, not repeating: stop;
 * inactive and repeating: start with `repeat`. */
EV_API_DECL void ev_timer_again(EV_P_ ev_timer *w) EV_NOEXCEPT;
/* Seconds until the timer fires (its stored timeout when inactive). */
EV_API_DECL ev_tstamp ev_timer_remaining(EV_P_ ev_timer *w) EV_NOEXCEPT;

#if EV_PERIODIC_ENABLE
EV_API_DECL void ev_periodic_start(EV_P_ ev_periodic *w) EV_NOEXCEPT;
EV_API_DECL void ev_periodic_stop(EV_P_ ev_periodic *w) EV_NOEXCEPT;
EV_API_DECL void ev_periodic_again(EV_P_ ev_periodic *w) EV_NOEXCEPT;
#endif

#if EV_SIGNAL_ENABLE
/* One signal belongs to one loop at a time. */
EV_API_DECL void ev_signal_start(EV_P_ ev_signal *w) EV_NOEXCEPT;
EV_API_DECL void ev_signal_stop(EV_P_ ev_signal *w) EV_NOEXCEPT;
#endif

#if EV_CHILD_ENABLE
/* Only in the default loop. */
EV_API_DECL void ev_child_start(EV_P_ ev_child *w) EV_NOEXCEPT;
EV_API_DECL void ev_child_stop(EV_P_ ev_child *w) EV_NOEXCEPT;
#endif

#if EV_STAT_ENABLE
EV_API_DECL void ev_stat_start(EV_P_ ev_stat *w) EV_NOEXCEPT;
EV_API_DECL void ev_stat_stop(EV_P_ ev_stat *w) EV_NOEXCEPT;
/* Re-reads the attributes into w->attr now. */
EV_API_DECL void ev_stat_stat(EV_P_ ev_stat *w) EV_NOEXCEPT;
#endif

#if EV_IDLE_ENABLE
EV_API_DECL void ev_idle_start(EV_P_ ev_idle *w) EV_NOEXCEPT;
EV_API_DECL void ev_idle_stop(EV_P_ ev_idle *w) EV_NOEXCEPT;
#endif

#if EV_PREPARE_ENABLE
EV_API_DECL void ev_prepare_start(EV_P_ ev_prepare *w) EV_NOEXCEPT;
EV_API_DECL void ev_prepare_stop(EV_P_ ev_prepare *w) EV_NOEXCEPT;
#endif

#if EV_CHECK_ENABLE
EV_API_DECL void ev_check_start(EV_P_ ev_check *w) EV_NOEXCEPT;
EV_API_DECL void ev_check_stop(EV_P_ ev_check *w) EV_NOEXCEPT;
#endif

#if EV_FORK_ENABLE
EV_API_DECL void ev_fork_start(EV_P_ ev_fork *w) EV_NOEXCEPT;
EV_API_DECL void ev_fork_stop(EV_P_ ev_fork *w) EV_NOEXCEPT;
#endif

#if EV_CLEANUP_ENABLE
EV_API_DECL void ev_cleanup_start(EV_P_ ev_cleanup *w) EV_NOEXCEPT;
EV_API_DECL void ev_cleanup_stop(EV_P_ ev_cleanup *w) EV_NOEXCEPT;
#endif

#if EV_EMBED_ENABLE
/* w->other must use an embeddable backend. */
EV_API_DECL void ev_embed_start(EV_P_ ev_embed *w) EV_NOEXCEPT;
EV_API_DECL void ev_embed_stop(EV_P_ ev_embed *w) EV_NOEXCEPT;
/* Runs the embedded loop once without blocking. */
EV_API_DECL void ev_embed_sweep(EV_P_ ev_embed *w) EV_NOEXCEPT;
#endif

#if EV_ASYNC_ENABLE
EV_API_DECL void ev_async_start(EV_P_ ev_async *w) EV_NOEXCEPT;
EV_API_DECL void ev_async_stop(EV_P_ ev_async *w) EV_NOEXCEPT;
/* Safe from any thread and from signal handlers; sends coalesce. */
EV_API_DECL void ev_async_send(EV_P_ ev_async *w) EV_NOEXCEPT;
#endif

/* ---------------------------------------------------------------------------
 * The 3.x names.
 */
#if EV_COMPAT3
#define EVLOOP_NONBLOCK EVRUN_NOWAIT
#define EVLOOP_ONESHOT EVRUN_ONCE
#define EVUNLOOP_CANCEL EVBREAK_CANCEL
#define EVUNLOOP_ONE EVBREAK_ONE
#define EVUNLOOP_ALL EVBREAK_ALL
#if EV_PROTOTYPES
EV_INLINE void ev_loop(EV_P_ int flags)
{
    ev_run(EV_A_ flags);
}
EV_INLINE void ev_unloop(EV_P_ int how)
{
    ev_break(EV_A_ how);
}
EV_INLINE void ev_default_destroy(void)
{
    ev_loop_destroy(EV_DEFAULT);
}
EV_INLINE void ev_default_fork(void)
{
    ev_loop_fork(EV_DEFAULT);
}
#if EV_FEATURE_API
EV_INLINE unsigned int ev_loop_count(EV_P)
{
    return ev_iteration(EV_A);
}
EV_INLINE unsigned int ev_loop_depth(EV_P)
{
    return ev_depth(EV_A);
}
EV_INLINE void ev_loop_verify(EV_P)
{
    ev_verify(EV_A);
}
#endif
#endif
#else
typedef struct ev_loop ev_loop;
#endif

#endif /* EV_PROTOTYPES */

#ifdef __cplusplus
}
#endif

#endif /* EV_H_ */
