/*
 * ev_internal.h - the loop structure and the helpers shared by the core files
 * and the backends. Nothing here is public.
 *
 * Invariants kept by every file:
 *  - a watcher is active iff w->active != 0; io/signal/child/stat/embed use 1,
 *    array-kept watchers their index + 1, timers and periodics their heap index;
 *  - w->pending == 0, or loop->pq[pri].q[w->pending - 1].w == w; a slot whose
 *    watcher was unqueued holds &loop->pending_none (a no-op callback), so that
 *    invocation needs no test;
 *  - bit p of loop->pending_mask is set iff loop->pq[p].cnt != 0;
 *  - loop->activecnt counts active watchers minus ev_unref calls; internal
 *    watchers (wake-up fd, signalfd, ...) hold no reference.
 */
#ifndef EV_INTERNAL_H_
#define EV_INTERNAL_H_

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

/* The library needs its own prototypes even when an embedder's EV_PROTOTYPES=0 hides them
 * from the rest of the program. */
#undef EV_PROTOTYPES
#define EV_PROTOTYPES 1

/* Without EV_STANDALONE the embedder's autoconf result comes first, as with libev:
 * EV_CONFIG_H names it, else "config.h". EV_H names the public header, else "ev.h". */
#ifndef EV_STANDALONE
#ifdef EV_CONFIG_H
#include EV_CONFIG_H
#else
#include "config.h"
#endif
#endif
#ifdef EV_H
#include EV_H
#else
#include "ev.h"
#endif

#if !EV_FEATURE_API
/* Left out of ev.h by small builds, but the loop itself invokes through it. */
void ev_invoke_pending(EV_P);
#endif

#ifdef _WIN32
/* ==== Windows (MinGW-w64): select() on winsock SOCKETs is the only backend. ====
 * An io watcher's fd is a C runtime fd wrapping a SOCKET; the hooks below convert between them
 * (libev's names and defaults; an embedder may define its own). No fork, no child watchers,
 * signals through the C runtime's signal(), wake-ups through a loopback TCP pair, time from
 * QueryPerformanceCounter: win32.c. The POSIX paths below are unchanged by this block. */
#ifndef EV_USE_POLL
#define EV_USE_POLL 0 /* no poll(); WSAPoll is not used (as libev) */
#endif
#ifndef EV_SELECT_IS_WINSOCKET
#define EV_SELECT_IS_WINSOCKET 1
#endif
#ifndef FD_SETSIZE
/* only for an embedder's FD_* macros: select_win32.c sizes its own sets */
#define FD_SETSIZE 2048
#endif
#include <winsock2.h>
#include <io.h>
#ifndef EV_FD_TO_WIN32_HANDLE
#define EV_FD_TO_WIN32_HANDLE(fd) _get_osfhandle(fd)
#endif
#ifndef EV_WIN32_HANDLE_TO_FD
#define EV_WIN32_HANDLE_TO_FD(handle) _open_osfhandle(handle, 0)
#endif
#ifndef EV_WIN32_CLOSE_FD
#define EV_WIN32_CLOSE_FD(fd) _close(fd)
#endif
/* win32.c: a connected, non-blocking loopback TCP pair as two C runtime fds (0, or -errno);
 * recv/send on such an fd (WSAGetLastError and errno preserved by send). */
int ev__win32_socketpair(int fds[2]);
int ev__win32_recv(int fd, void *buf, int len);
int ev__win32_send(int fd, const void *buf, int len);
#endif /* _WIN32 */

/* ---- Configuration: which EV_USE_* facilities are compiled in. ----
 * The rules are libev's, so that an embedder's settings give the same library with either:
 *
 * 1. Config.h mode (no EV_STANDALONE): the HAVE_* results of an autoconf configure decide. The
 *    results of libev's own libev.m4 and of ours (ev/autoconf/libev.m4) are both understood. A
 *    facility that configure found is compiled in unless the embedder said otherwise; one it did
 *    not find is turned off even where the embedder set its EV_USE_* switch to 1 (rxvt-unicode
 *    sets EV_USE_KQUEUE and EV_USE_PORT to 1 on every system), so the file builds everywhere.
 *    This applies when the configuration header holds the results of the I/O multiplexing probes
 *    (at least one of HAVE_SELECT, HAVE_POLL, HAVE_EPOLL_CTL, HAVE_KQUEUE, HAVE_PORT_CREATE is
 *    defined: both libev.m4 files define one on a real system). A config.h with none of them is
 *    someone else's: ev then keeps the built-in defaults of step 2, where libev would turn off
 *    every backend and fail to make a loop.
 * 2. Built-in defaults for what is still unset, gated by EV_FEATURES as in libev: the backends
 *    come with EV_FEATURE_BACKENDS (without it the embedder enables one, e.g. EV_USE_SELECT), the
 *    OS helpers (eventfd, signalfd, timerfd, inotify, the monotonic clock, nanosleep) with
 *    EV_FEATURE_OS. kqueue and event ports are used only when the build asks for them (the Bazel
 *    build does, per platform). io_uring comes with epoll, as in libev (where it needs epoll).
 * 3. Fix-ups: inotify only serves stat watchers and the timerfd only periodic ones.
 * LIBEV_FLAGS and ev_loop_new's flags then choose among the backends compiled in, never others. */
#if !defined(EV_STANDALONE) &&                                                                     \
    (defined(HAVE_SELECT) || defined(HAVE_POLL) || defined(HAVE_EPOLL_CTL) ||                      \
     defined(HAVE_KQUEUE) || defined(HAVE_PORT_CREATE))
#if HAVE_SELECT && HAVE_SYS_SELECT_H
#ifndef EV_USE_SELECT
#define EV_USE_SELECT EV_FEATURE_BACKENDS
#endif
#else
#undef EV_USE_SELECT
#define EV_USE_SELECT 0
#endif
#if HAVE_POLL && HAVE_POLL_H
#ifndef EV_USE_POLL
#define EV_USE_POLL EV_FEATURE_BACKENDS
#endif
#else
#undef EV_USE_POLL
#define EV_USE_POLL 0
#endif
#if HAVE_EPOLL_CTL && HAVE_SYS_EPOLL_H
#ifndef EV_USE_EPOLL
#define EV_USE_EPOLL EV_FEATURE_BACKENDS
#endif
#else
#undef EV_USE_EPOLL
#define EV_USE_EPOLL 0
#endif
/* Raw system calls, but the kernel's io_uring header is needed (libev's libev.m4 does not look
 * for it, so its results leave io_uring out). */
#if !(HAVE_LINUX_IO_URING_H && HAVE_SYS_MMAN_H)
#undef EV_USE_IOURING
#define EV_USE_IOURING 0
#endif
#if !(HAVE_KQUEUE && HAVE_SYS_EVENT_H)
#undef EV_USE_KQUEUE
#define EV_USE_KQUEUE 0
#endif
#if !(HAVE_PORT_CREATE && HAVE_PORT_H)
#undef EV_USE_PORT
#define EV_USE_PORT 0
#endif
#if HAVE_EVENTFD
#ifndef EV_USE_EVENTFD
#define EV_USE_EVENTFD EV_FEATURE_OS
#endif
#else
#undef EV_USE_EVENTFD
#define EV_USE_EVENTFD 0
#endif
#if HAVE_SIGNALFD && HAVE_SYS_SIGNALFD_H
#ifndef EV_USE_SIGNALFD
#define EV_USE_SIGNALFD EV_FEATURE_OS
#endif
#else
#undef EV_USE_SIGNALFD
#define EV_USE_SIGNALFD 0
#endif
#if HAVE_SYS_TIMERFD_H
#ifndef EV_USE_TIMERFD
#define EV_USE_TIMERFD EV_FEATURE_OS
#endif
#else
#undef EV_USE_TIMERFD
#define EV_USE_TIMERFD 0
#endif
#if HAVE_INOTIFY_INIT && HAVE_SYS_INOTIFY_H
#ifndef EV_USE_INOTIFY
#define EV_USE_INOTIFY EV_FEATURE_OS
#endif
#else
#undef EV_USE_INOTIFY
#define EV_USE_INOTIFY 0
#endif
/* Time: clock_gettime (maybe found in -lrt; libev's libev.m4 reports a usable system call as
 * HAVE_CLOCK_SYSCALL instead) gives the monotonic clock, and ev_time() then reads the wall clock
 * with gettimeofday as libev does in this mode; nanosleep for ev_sleep, else select; floor from
 * -lm if found, else the library's own. */
#if HAVE_CLOCK_GETTIME || HAVE_CLOCK_SYSCALL
#ifndef EV_USE_MONOTONIC
#define EV_USE_MONOTONIC 1
#endif
#else
#ifndef EV_USE_MONOTONIC
#define EV_USE_MONOTONIC 0
#endif
#endif
#ifndef EV_USE_REALTIME
#define EV_USE_REALTIME 0
#endif
#if HAVE_NANOSLEEP
#ifndef EV_USE_NANOSLEEP
#define EV_USE_NANOSLEEP EV_FEATURE_OS
#endif
#else
#undef EV_USE_NANOSLEEP
#define EV_USE_NANOSLEEP 0
#endif
#if HAVE_FLOOR
#ifndef EV_USE_FLOOR
#define EV_USE_FLOOR 1
#endif
#endif
#endif /* autoconf results */

/* Built-in defaults for the switches still unset. */
#ifndef EV_USE_REALTIME
#define EV_USE_REALTIME 1 /* ev_time() from clock_gettime(CLOCK_REALTIME); 0: gettimeofday */
#endif
#ifndef EV_USE_NANOSLEEP
#define EV_USE_NANOSLEEP EV_FEATURE_OS /* ev_sleep() with nanosleep; 0: with select */
#endif
#ifndef EV_USE_FLOOR
#define EV_USE_FLOOR 0 /* 1: floor() from libm; 0: the library's own, libc suffices */
#endif
#ifndef EV_USE_MONOTONIC
#define EV_USE_MONOTONIC EV_FEATURE_OS /* timers on CLOCK_MONOTONIC; 0: on the wall clock */
#endif
#ifndef EV_USE_SELECT
#define EV_USE_SELECT EV_FEATURE_BACKENDS
#endif
#ifndef EV_USE_POLL
#define EV_USE_POLL EV_FEATURE_BACKENDS
#endif
#ifdef __linux__
#ifndef EV_USE_EPOLL
#define EV_USE_EPOLL EV_FEATURE_BACKENDS
#endif
#ifndef EV_USE_IOURING
#define EV_USE_IOURING EV_USE_EPOLL
#endif
#ifndef EV_USE_EVENTFD
#define EV_USE_EVENTFD EV_FEATURE_OS
#endif
#ifndef EV_USE_SIGNALFD
#define EV_USE_SIGNALFD EV_FEATURE_OS
#endif
#ifndef EV_USE_TIMERFD
#define EV_USE_TIMERFD EV_FEATURE_OS
#endif
#ifndef EV_USE_INOTIFY
#define EV_USE_INOTIFY EV_FEATURE_OS
#endif
#endif
#ifndef EV_USE_EPOLL
#define EV_USE_EPOLL 0
#endif
#ifndef EV_USE_IOURING
#define EV_USE_IOURING 0
#endif
#ifndef EV_USE_LINUXAIO /* off unless asked for, as in libev (ev/backends.bzl asks on Linux) */
#define EV_USE_LINUXAIO 0
#endif
#ifndef EV_USE_KQUEUE
#define EV_USE_KQUEUE 0
#endif
#ifndef EV_USE_PORT
#define EV_USE_PORT 0
#endif
#ifndef EV_USE_EVENTFD
#define EV_USE_EVENTFD 0
#endif
#ifndef EV_USE_SIGNALFD
#define EV_USE_SIGNALFD 0
#endif
#ifndef EV_USE_TIMERFD
#define EV_USE_TIMERFD 0
#endif
#ifndef EV_USE_INOTIFY
#define EV_USE_INOTIFY 0
#endif

/* Fix-ups. */
#if !EV_STAT_ENABLE
#undef EV_USE_INOTIFY
#define EV_USE_INOTIFY 0
#endif
#if !EV_PERIODIC_ENABLE
#undef EV_USE_TIMERFD
#define EV_USE_TIMERFD 0
#endif

#ifndef EV_SELECT_IS_WINSOCKET
#define EV_SELECT_IS_WINSOCKET 0
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memcpy: ev__batch_takes */
#include <sys/types.h>

#if !EV_MULTIPLICITY
/* With one loop, public functions have no loop parameter; the library body
 * still says `loop`, which then names the one loop. Internal functions keep a
 * `struct ev_loop *loop` parameter, which shadows this global. */
extern struct ev_loop *ev__loop_single;
#define loop ev__loop_single
#endif

/* EV_VERIFY: 1 compiles ev_verify, 2 runs it once per iteration, 3 before every callback. */
#ifndef EV_VERIFY
#define EV_VERIFY 1
#endif

#define EV__NUMPRI (EV_MAXPRI - EV_MINPRI + 1)

#if EV_MINPRI == EV_MAXPRI
#define EV__PRI(w) 0
#define EV__SET_PRI(w, p) ((void)(w), (void)(p))
#else
#define EV__PRI(w) (((ev_watcher *)(w))->priority - EV_MINPRI)
#define EV__SET_PRI(w, p) (((ev_watcher *)(w))->priority = (p))
#endif

/* The ecb_* hint macros. A program that embeds the library by including ev.c sees every macro
 * of that file, and embedders written for libev use these names (Perl's EV module uses
 * ecb_expect_true/ecb_expect_false in its own code). Each is defined only if the embedder (or a
 * libecb header of its own) has not defined it already. Without GCC-style attributes and
 * builtins they reduce to plain C. */
#if defined(__GNUC__) || defined(__clang__)
#define EV__GNUC_LIKE 1
#else
#define EV__GNUC_LIKE 0
#endif
#ifndef ecb_attribute
#if EV__GNUC_LIKE
#define ecb_attribute(attrlist) __attribute__(attrlist)
#else
#define ecb_attribute(attrlist)
#endif
#endif
#ifndef ecb_expect
#if EV__GNUC_LIKE
#define ecb_expect(expr, value) __builtin_expect((expr), (value))
#else
#define ecb_expect(expr, value) (expr)
#endif
#endif
#ifndef ecb_expect_false
#define ecb_expect_false(expr) ecb_expect(!!(expr), 0)
#endif
#ifndef ecb_expect_true
#define ecb_expect_true(expr) ecb_expect(!!(expr), 1)
#endif
#ifndef ecb_likely
#define ecb_likely(expr) ecb_expect_true(expr)
#endif
#ifndef ecb_unlikely
#define ecb_unlikely(expr) ecb_expect_false(expr)
#endif
#ifndef ecb_inline
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)
#define ecb_inline static inline
#elif EV__GNUC_LIKE
#define ecb_inline static __inline__
#else
#define ecb_inline static
#endif
#endif
#ifndef ecb_noinline
#define ecb_noinline ecb_attribute((__noinline__))
#endif
#ifndef ecb_unused
#define ecb_unused ecb_attribute((__unused__))
#endif
#ifndef ecb_const
#define ecb_const ecb_attribute((__const__))
#endif
#ifndef ecb_pure
#define ecb_pure ecb_attribute((__pure__))
#endif
#ifndef ecb_noreturn
#define ecb_noreturn ecb_attribute((__noreturn__))
#endif
#ifndef ecb_deprecated
#define ecb_deprecated ecb_attribute((__deprecated__))
#endif
#ifndef ecb_hot
#define ecb_hot ecb_attribute((__hot__))
#endif
#ifndef ecb_cold
#define ecb_cold ecb_attribute((__cold__))
#endif
#ifndef ecb_artificial
#define ecb_artificial ecb_attribute((__artificial__))
#endif
#ifndef ecb_prefetch
#if EV__GNUC_LIKE
#define ecb_prefetch(addr, rw, locality) __builtin_prefetch(addr, rw, locality)
#else
#define ecb_prefetch(addr, rw, locality)
#endif
#endif

#define EV__LIKELY(x) __builtin_expect(!!(x), 1)
#define EV__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The wake-up handshake (async.c, loop.c) stores one word and then loads another, on both
 * sides, with seq_cst atomics. On x86 the seq_cst store is a locked instruction, a full barrier
 * already. Elsewhere an explicit full fence sits between the two: the architectures order
 * STLR/LDAR pairs themselves, but emulators such as qemu-user do not always (a lost wake-up in
 * about one run in three under qemu-aarch64 without it), and the cost is one barrier per
 * blocking iteration and per wake-up write, next to a system call. */
#if defined(__x86_64__) || defined(__i386__)
#define EV__STORE_LOAD_FENCE() ((void)0)
#elif defined(__GNUC__) || defined(__clang__)
#define EV__STORE_LOAD_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
#define EV__STORE_LOAD_FENCE() ((void)0)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EV__COLD __attribute__((cold, noinline))
#define EV__NOINLINE __attribute__((noinline))
#else
#define EV__COLD
#define EV__NOINLINE
#endif

/* fd reify flags (ev__fd.reify). EV__IOFDSET (0x80) is reused as "the fd
 * number may now name a different file". */
enum { EV__REIFY = 0x01 };

/* One queued invocation. */
struct ev__pending {
    ev_watcher *w;
    int events;
};

/* The queue of one priority. */
struct ev__plevel {
    struct ev__pending *q;
    int cnt, cap;
};

/* Per file descriptor state, indexed by fd. */
struct ev__fd {
    ev_watcher_list *head; /* io watchers, newest first */
    unsigned char wanted;  /* EV_READ|EV_WRITE as last told to the backend */
    unsigned char reify;   /* EV__REIFY | EV__IOFDSET while in the change list */
    unsigned char kmask;   /* backend-private (epoll: what the kernel has) */
    unsigned char pad;
    uint32_t gen; /* backend-private generation (epoll: stale event filter) */
};

/* A timer or periodic in the heap, with its deadline cached beside it. */
struct ev__heap_node {
    ev_tstamp at;
    ev_watcher_time *w;
};

/* A growable array of watcher pointers (idle, prepare, check, ...). */
struct ev__wlist {
    ev_watcher **w;
    int cnt, cap;
};

struct ev__backend;

struct ev_loop {
    /* Time: rt_now is ev_now(); mn_now the monotonic clock; rtmn_diff their
     * difference, re-read from the realtime clock now and then. */
    ev_tstamp rt_now;
    ev_tstamp mn_now;
    ev_tstamp rtmn_diff;
    ev_tstamp rt_sync_mn; /* mn_now when the realtime clock was last read */

    /* Pending queue: one array per priority, highest priority first. */
    unsigned int pending_mask;
    struct ev__plevel pq[EV__NUMPRI];

    /* Backend. */
    const struct ev__backend *backend;
    int backend_fd;
    int backend_renewed; /* backend_fd names a new kernel object: an embedder must re-watch it */
    ev_tstamp backend_mintime;
    void *bstate;

    /* fd table and the list of fds changed since the last reify. */
    struct ev__fd *fds;
    int fd_cap;
    int *changes;
    int change_cnt, change_cap;

    /* Timers: a 4-ary heap whose root is at index EV__HEAP0. */
    struct ev__heap_node *timers;
    int timer_cnt, timer_cap;

#if EV_PERIODIC_ENABLE
    struct ev__heap_node *periodics;
    int periodic_cnt, periodic_cap;
    int timerfd; /* -1, or a timerfd that fires when the wall clock is set */
    ev_io timerfd_w;
#endif

    /* Array-kept watchers. */
    struct ev__wlist idles[EV__NUMPRI];
    unsigned int idle_mask; /* bit p: idles[p] not empty */
    int idle_all;
    struct ev__wlist prepares;
    struct ev__wlist checks;
    struct ev__wlist forks;
    struct ev__wlist cleanups;
    struct ev__wlist asyncs;

    /* Wake-ups from other threads and signal handlers. */
    int wake_rfd, wake_wfd; /* eventfd twice, or a pipe; -1 until needed */
    ev_io wake_w;
    int wake_wanted;   /* atomic: the loop may block, writers must write */
    int wake_skipped;  /* atomic: a writer did not write */
    int async_pending; /* atomic */
    int sig_pending;   /* atomic */
    /* An async watcher or a caught (not signalfd) signal has used the channel: after a fork
     * the loop then looks at the flags once more whatever they say, as libev does with its
     * pipe (which it has in just those cases), and idle watchers wait one iteration. */
    int wake_used;

#if EV_SIGNAL_ENABLE
    int sigfd; /* signalfd, or -1 */
    ev_io sigfd_w;
#if EV_USE_SIGNALFD
    sigset_t sigfd_set;
#endif
#endif

#if EV_STAT_ENABLE
    int inotify_fd; /* -1 until the first ev_stat_start, -2 if unavailable */
    ev_io inotify_w;
    void *stat_state;
#endif

    /* Run state. `hooks` has a bit for each rarely used step of an
     * iteration, so a plain iteration tests one word instead of many. */
    unsigned int hooks;
    int activecnt;
    int loop_done;
    unsigned int loop_count;
    unsigned int loop_depth;
    unsigned int flags;
    int postfork;   /* the kernel state is to be re-created before polling */
    int fork_due;   /* the fork watchers are to run at the start of the next iteration */
    pid_t curpid;   /* the process the kernel state belongs to */
    pid_t fork_pid; /* the child whose fork was noticed (0: none): noticed once per fork */
    ev_tstamp io_collect;
    ev_tstamp timeout_collect;
    ev_tstamp suspend_mn; /* mn_now at ev_suspend */

    void *userdata;
    void (*invoke_cb)(EV_P);
    void (*release_cb)(EV_P);
    void (*acquire_cb)(EV_P);

    struct ev__metrics *metrics; /* NULL unless metrics are enabled (metrics.c) */

    /* Stands in the queue slot of an unqueued watcher: its callback does nothing. */
    ev_watcher pending_none;
};

/* loop->hooks bits. */
enum {
    EV__H_PREPARE = 1,   /* prepares.cnt != 0 */
    EV__H_CHECK = 2,     /* checks.cnt != 0 */
    EV__H_FORK = 4,      /* postfork or fork_due set, or EVFLAG_FORKCHECK */
    EV__H_RELEASE = 8,   /* release or acquire callback set */
    EV__H_COLLECT = 16,  /* io collect interval set */
    EV__H_PERIODIC = 32, /* periodics may be active (cleared lazily by ev_run) */
    EV__H_IDLE = 64,     /* idle watchers may be active (cleared lazily by ev_run) */
    EV__H_METRICS = 128, /* metrics enabled: the poll goes through poll_released */
};

static inline void ev__hook(struct ev_loop *loop, unsigned int bit, int on)
{
    loop->hooks = on ? loop->hooks | bit : loop->hooks & ~bit;
}

/* alloc.c */
void *ev__realloc(void *ptr, size_t size);
void ev__free(void *ptr);
void ev__syserr(const char *msg);
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold))
#endif
void ev__fatal(const char *msg);
void *ev__grow(void *base, int *cap, int need, size_t elem);
#define EV__ASSERT(cond, msg)                                                                      \
    do {                                                                                           \
        if (EV__UNLIKELY(!(cond)))                                                                 \
            ev__fatal(msg);                                                                        \
    } while (0)

/* clock.c */
ev_tstamp ev__mono(void);
void ev__time_init(struct ev_loop *loop);
void ev__time_update(struct ev_loop *loop);

/* pending.c */
void ev__grow_pending(struct ev__plevel *l);
/* At loop creation: the stand-in for unqueued watchers. */
void ev__pending_init(struct ev_loop *loop);
EV__COLD void ev__clear_pending(struct ev_loop *loop, ev_watcher *w);
/* Expired timers and periodics are queued in deadline order; afterwards the stretch each
 * priority's queue gained is reversed, since invocation takes a queue from its end: the earliest
 * deadline runs first. ev__pending_mark notes where the queues end. */
struct ev__pending_mark {
    int cnt[EV__NUMPRI];
};

static inline void ev__pending_mark(const struct ev_loop *loop, struct ev__pending_mark *m)
{
    for (int p = 0; p < EV__NUMPRI; ++p)
        m->cnt[p] = loop->pq[p].cnt;
}

void ev__pending_reverse_since(struct ev_loop *loop, const struct ev__pending_mark *m);

/* Queues w with revents, or merges revents into its queued entry. */
static inline void ev__feed(struct ev_loop *loop, ev_watcher *w, int revents)
{
    int pri = EV__PRI(w);
    struct ev__plevel *l = &loop->pq[pri];
    if (EV__UNLIKELY(w->pending)) {
        l->q[w->pending - 1].events |= revents;
        return;
    }
    int n = l->cnt;
    if (EV__UNLIKELY(n == l->cap))
        ev__grow_pending(l);
    struct ev__pending *q = l->q;
    q[n].w = w;
    q[n].events = revents;
    w->pending = n + 1;
    l->cnt = n + 1;
    if (!n)
        loop->pending_mask |= 1u << pri;
}

/* Watcher activation: clamps the priority, marks active, takes a reference. */
static inline void ev__start(struct ev_loop *loop, ev_watcher *w, int active)
{
#if EV_MINPRI != EV_MAXPRI
    if (EV__UNLIKELY((unsigned)(w->priority - EV_MINPRI) > (unsigned)(EV_MAXPRI - EV_MINPRI)))
        w->priority = w->priority < EV_MINPRI ? EV_MINPRI : EV_MAXPRI;
#endif
    w->active = active;
    ++loop->activecnt;
}

static inline void ev__stop(struct ev_loop *loop, ev_watcher *w)
{
    --loop->activecnt;
    w->active = 0;
}

/* Unqueues w if it is pending (every stop starts with this). */
static inline void ev__unpend(struct ev_loop *loop, ev_watcher *w)
{
    if (EV__UNLIKELY(w->pending))
        ev__clear_pending(loop, w);
}

/* Feeds every watcher of a list, in list order. */
static inline void ev__feed_list(struct ev_loop *loop, struct ev__wlist *l, int revents)
{
    for (int i = 0; i < l->cnt; ++i)
        ev__feed(loop, l->w[i], revents);
}

/* wlist helpers (hooks.c): add sets w->active to index + 1. */
void ev__wlist_add(struct ev_loop *loop, struct ev__wlist *l, ev_watcher *w);
void ev__wlist_del(struct ev_loop *loop, struct ev__wlist *l, ev_watcher *w);

/* fd.c */
void ev__fd_grow(struct ev_loop *loop, int fd);
/* Grows the change list and appends fd to it. */
EV__COLD void ev__change_grow_append(struct ev_loop *loop, int fd);

/* Records that fd's watchers changed (flags: EV__REIFY, maybe EV__IOFDSET);
 * ev__fd_reify tells the backend once per iteration. */
static inline void ev__fd_change(struct ev_loop *loop, int fd, int flags)
{
    struct ev__fd *f = &loop->fds[fd];
    unsigned char was = f->reify;
    f->reify = (unsigned char)(was | flags);
    if (!was) {
        if (EV__UNLIKELY(loop->change_cnt == loop->change_cap)) {
            ev__change_grow_append(loop, fd); /* a tail call: no frame on the common path */
            return;
        }
        loop->changes[loop->change_cnt++] = fd;
    }
}
void ev__fd_reify(struct ev_loop *loop);
void ev__fd_kill(struct ev_loop *loop, int fd);
/* Re-creating a kernel object the loop owns (backend set, eventfd, signalfd, timerfd, inotify):
 * newfd, the new object, takes over oldfd's number, which closes the old object in the same
 * step. The loop's fds so never move to a number the program has just closed and may reuse
 * (dup2 onto it would then replace the loop's object). Returns the number now in use: oldfd,
 * or newfd when oldfd < 0 (or the renumbering failed: oldfd is closed then). */
int ev__fd_replace(int newfd, int oldfd);
/* Backends: after re-creating kernel state, every fd with watchers is
 * registered again through modify(). */
void ev__fd_rearm_all(struct ev_loop *loop);

/* A backend reports readiness (EV_READ|EV_WRITE) of the fd whose state is f. */
static inline void ev__fd_feed(struct ev_loop *loop, const struct ev__fd *f, int revents)
{
    for (ev_watcher_list *w = f->head; w; w = w->next) {
        int ev = ((ev_io *)w)->events & revents;
        if (ev)
            ev__feed(loop, (ev_watcher *)w, ev);
    }
}

/* A batch of readiness reports (a backend's poll): no callback runs until the batch ends, so
 * the queue of priority 0, where nearly every watcher is, lives in locals meanwhile. A watcher
 * of that priority not yet pending then costs two stores and a count; every other case goes
 * through ev__feed. Until ev__batch_end, nothing else may feed or read the queues. */
#if EV_MINPRI <= 0 && EV_MAXPRI >= 0
#define EV__BATCH_PRI 0
#else
#define EV__BATCH_PRI EV_MINPRI
#endif
#define EV__BATCH_LEVEL (EV__BATCH_PRI - EV_MINPRI)

struct ev__batch {
    struct ev__pending *q;
    int n;
};

/* ev__feed, out of line. */
void ev__feed_out(struct ev_loop *loop, ev_watcher *w, int revents);

static inline void ev__batch_begin(const struct ev_loop *loop, struct ev__batch *b)
{
    b->q = loop->pq[EV__BATCH_LEVEL].q;
    b->n = loop->pq[EV__BATCH_LEVEL].cnt;
}

static inline void ev__batch_end(struct ev_loop *loop, const struct ev__batch *b)
{
    loop->pq[EV__BATCH_LEVEL].cnt = b->n;
    if (b->n)
        loop->pending_mask |= 1u << EV__BATCH_LEVEL;
}

/* Not pending and of the batch's priority. */
static inline int ev__batch_takes(const ev_watcher *w)
{
#if EV_MINPRI == EV_MAXPRI
    return !w->pending;
#elif EV__BATCH_PRI == 0
    /* pending and priority side by side (ev.h): one 8-byte test */
    typedef char ev__priority_follows_pending
        [offsetof(ev_watcher, priority) == offsetof(ev_watcher, pending) + sizeof(int) ? 1 : -1];
    (void)sizeof(ev__priority_follows_pending);
    uint64_t both;
    memcpy(&both, &w->pending, sizeof both);
    return both == 0;
#else
    return !w->pending && w->priority == EV__BATCH_PRI;
#endif
}

static inline void ev__batch_feed(struct ev_loop *loop, struct ev__batch *b, ev_watcher *w,
                                  int revents)
{
    if (EV__LIKELY(ev__batch_takes(w) && b->n != loop->pq[EV__BATCH_LEVEL].cap)) {
        struct ev__pending *p = &b->q[b->n];
        p->w = w;
        p->events = revents;
        w->pending = ++b->n;
    } else {
        ev__batch_end(loop, b);
        ev__feed_out(loop, w, revents);
        ev__batch_begin(loop, b);
    }
}

/* ev__fd_feed within a batch. */
static inline void ev__batch_fd_feed(struct ev_loop *loop, struct ev__batch *b,
                                     const struct ev__fd *f, int revents)
{
    for (ev_watcher_list *w = f->head; w; w = w->next) {
        int ev = ((ev_io *)w)->events & revents;
        if (ev)
            ev__batch_feed(loop, b, (ev_watcher *)w, ev);
    }
}

/* A backend reports readiness (EV_READ|EV_WRITE) of fd. */
static inline void ev__fd_event(struct ev_loop *loop, int fd, int revents)
{
    ev__fd_feed(loop, &loop->fds[fd], revents);
}

/* Internal watchers hold no loop reference. */
void ev__io_start_internal(struct ev_loop *loop, ev_io *w);
void ev__io_stop_internal(struct ev_loop *loop, ev_io *w);

/* timer.c */
void ev__timers_reify(struct ev_loop *loop);
void ev__timers_shift(struct ev_loop *loop, ev_tstamp by);
/* Moves stale root keys (lazy later deadlines, timer.c) to their true deadlines once near. */
void ev__timers_settle(struct ev_loop *loop);

/* periodic.c */
#if EV_PERIODIC_ENABLE
void ev__periodics_reify(struct ev_loop *loop);
void ev__periodics_reschedule(struct ev_loop *loop);
void ev__periodic_loop_destroy(struct ev_loop *loop);
void ev__periodic_fork(struct ev_loop *loop);
#endif

/* async.c: the wake-up channel shared by async watchers and signals. */
int ev__wake_init(struct ev_loop *loop);
void ev__wake(struct ev_loop *loop, int *flag);
void ev__wake_destroy(struct ev_loop *loop);
void ev__wake_fork(struct ev_loop *loop);
void ev__async_process(struct ev_loop *loop);

/* metrics.c (ev_metrics.h). A loop with metrics polls through ev__metrics_poll_begin/end and
 * invokes through ev__metrics_invoke (its invoke_cb); the rest of the library only reports the
 * rare events below, each behind a test of loop->metrics on a path that is already slow. */
void ev__metrics_poll_begin(struct ev_loop *loop);
void ev__metrics_poll_end(struct ev_loop *loop);
void ev__metrics_invoke(EV_P);
EV__COLD void ev__metrics_fed(struct ev_loop *loop);
/* Before a batch of timers (periodics) fires: the lag of each watcher in heap h[EV__HEAP0..end)
 * whose deadline (w->at, which a node's key never exceeds) is before now. */
EV__COLD void ev__metrics_due(struct ev_loop *loop, const struct ev__heap_node *h, int end,
                              ev_tstamp now);
/* ev_set_invoke_pending_cb on a loop with metrics: cb runs inside the metrics' own. */
void ev__metrics_user_invoke(struct ev_loop *loop, void (*cb)(EV_P));
void ev__metrics_env(struct ev_loop *loop); /* LIBEV_METRICS=1: the default loop */
void ev__metrics_free(struct ev_loop *loop);

/* signal.c */
#if EV_SIGNAL_ENABLE
void ev__signals_process(struct ev_loop *loop);
void ev__signal_loop_destroy(struct ev_loop *loop);
void ev__signal_fork(struct ev_loop *loop);
#endif
#if EV_CHILD_ENABLE
void ev__child_default_init(struct ev_loop *loop);
void ev__child_default_destroy(struct ev_loop *loop);
#endif

/* stat.c */
#if EV_STAT_ENABLE
void ev__stat_loop_destroy(struct ev_loop *loop);
void ev__stat_fork(struct ev_loop *loop);
#endif

/* Heap layout: the root is at index 3 so that the four children of a node
 * (4k-8 .. 4k-5) start on a multiple of four, one cache line of nodes. Index 2,
 * the "parent" of the root, holds a sentinel deadline of -infinity (see
 * ev__heap_grow), so sifting up needs no test for the root. */
#define EV__HEAP0 3
#define EV__HEAP_PARENT(k) ((int)((unsigned)(k) / 4u) + 2)
#define EV__HEAP_CHILD(k) (4 * (k)-8)

#endif /* EV_INTERNAL_H_ */
