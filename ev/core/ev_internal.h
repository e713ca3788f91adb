/*
 * ev_internal.h - the loop structure and the helpers shared by the core files
 * and the backends. Nothing here is public.
 *
 * Invariants kept by every file:
 *  - a watcher is active iff w->active != 0; io/signal/child/stat/embed use 1,
 *    array-kept watchers their index + 1, timers and periodics their heap index;
 *  - w->pending == 0, or loop->pq[pri].q[w->pending - 1].w == w;
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

/* Without EV_STANDALONE, the HAVE_* results of an autoconf configure (ev/autoconf/libev.m4)
 * decide the EV_USE_* switches the build did not set, as in libev: a facility is used when both
 * its header and its function were found. This applies when the configuration header holds the
 * results of the I/O multiplexing probes (at least one of HAVE_SELECT, HAVE_POLL, HAVE_EPOLL_CTL,
 * HAVE_KQUEUE, HAVE_PORT_CREATE is defined: libev.m4 always defines one on a real system); a
 * config.h that has none of them is someone else's, and the built-in defaults below apply. */
#if !defined(EV_STANDALONE) &&                                                                     \
    (defined(HAVE_SELECT) || defined(HAVE_POLL) || defined(HAVE_EPOLL_CTL) ||                      \
     defined(HAVE_KQUEUE) || defined(HAVE_PORT_CREATE))
#ifndef EV_USE_SELECT
#if defined(HAVE_SELECT) && defined(HAVE_SYS_SELECT_H)
#define EV_USE_SELECT 1
#else
#define EV_USE_SELECT 0
#endif
#endif
#ifndef EV_USE_POLL
#if defined(HAVE_POLL) && defined(HAVE_POLL_H)
#define EV_USE_POLL 1
#else
#define EV_USE_POLL 0
#endif
#endif
#ifndef EV_USE_EPOLL
#if defined(HAVE_EPOLL_CTL) && defined(HAVE_SYS_EPOLL_H)
#define EV_USE_EPOLL 1
#else
#define EV_USE_EPOLL 0
#endif
#endif
#ifndef EV_USE_IOURING /* raw system calls: the kernel's header is all it needs */
#if defined(HAVE_LINUX_IO_URING_H) && defined(HAVE_SYS_MMAN_H)
#define EV_USE_IOURING 1
#else
#define EV_USE_IOURING 0
#endif
#endif
#ifndef EV_USE_KQUEUE
#if defined(HAVE_KQUEUE) && defined(HAVE_SYS_EVENT_H)
#define EV_USE_KQUEUE 1
#else
#define EV_USE_KQUEUE 0
#endif
#endif
#ifndef EV_USE_PORT
#if defined(HAVE_PORT_CREATE) && defined(HAVE_PORT_H)
#define EV_USE_PORT 1
#else
#define EV_USE_PORT 0
#endif
#endif
#ifndef EV_USE_EVENTFD
#if defined(HAVE_EVENTFD) && defined(HAVE_SYS_EVENTFD_H)
#define EV_USE_EVENTFD 1
#else
#define EV_USE_EVENTFD 0
#endif
#endif
#ifndef EV_USE_SIGNALFD
#if defined(HAVE_SIGNALFD) && defined(HAVE_SYS_SIGNALFD_H)
#define EV_USE_SIGNALFD 1
#else
#define EV_USE_SIGNALFD 0
#endif
#endif
#ifndef EV_USE_TIMERFD
#if defined(HAVE_TIMERFD_CREATE) && defined(HAVE_SYS_TIMERFD_H)
#define EV_USE_TIMERFD 1
#else
#define EV_USE_TIMERFD 0
#endif
#endif
#ifndef EV_USE_INOTIFY
#if defined(HAVE_INOTIFY_INIT) && defined(HAVE_SYS_INOTIFY_H)
#define EV_USE_INOTIFY 1
#else
#define EV_USE_INOTIFY 0
#endif
#endif
/* Time: clock_gettime (maybe found in -lrt) for both clocks, else gettimeofday and no monotonic
 * clock; nanosleep for ev_sleep, else select; floor from -lm if found, else the library's own. */
#ifndef EV_USE_MONOTONIC
#ifdef HAVE_CLOCK_GETTIME
#define EV_USE_MONOTONIC 1
#else
#define EV_USE_MONOTONIC 0
#endif
#endif
#ifndef EV_USE_REALTIME
#ifdef HAVE_CLOCK_GETTIME
#define EV_USE_REALTIME 1
#else
#define EV_USE_REALTIME 0
#endif
#endif
#ifndef EV_USE_NANOSLEEP
#ifdef HAVE_NANOSLEEP
#define EV_USE_NANOSLEEP 1
#else
#define EV_USE_NANOSLEEP 0
#endif
#endif
#ifndef EV_USE_FLOOR
#ifdef HAVE_FLOOR
#define EV_USE_FLOOR 1
#else
#define EV_USE_FLOOR 0
#endif
#endif
#endif /* autoconf results */

/* Defaults for the EV_USE_* switches when the build did not set them. */
#ifndef EV_USE_REALTIME
#define EV_USE_REALTIME 1 /* ev_time() from clock_gettime(CLOCK_REALTIME); 0: gettimeofday */
#endif
#ifndef EV_USE_NANOSLEEP
#define EV_USE_NANOSLEEP 1 /* ev_sleep() with nanosleep; 0: with select */
#endif
#ifndef EV_USE_FLOOR
#define EV_USE_FLOOR 0 /* 1: floor() from libm; 0: the library's own, libc suffices */
#endif
#ifndef EV_USE_MONOTONIC
#define EV_USE_MONOTONIC 1 /* timers on CLOCK_MONOTONIC; 0: on the wall clock */
#endif
#ifdef __linux__
#ifndef EV_USE_EPOLL
#define EV_USE_EPOLL 1
#endif
#ifndef EV_USE_IOURING
#define EV_USE_IOURING 1
#endif
#ifndef EV_USE_EVENTFD
#define EV_USE_EVENTFD 1
#endif
#ifndef EV_USE_SIGNALFD
#define EV_USE_SIGNALFD 1
#endif
#ifndef EV_USE_TIMERFD
#define EV_USE_TIMERFD 1
#endif
#ifndef EV_USE_INOTIFY
#define EV_USE_INOTIFY 1
#endif
#endif
#ifndef EV_USE_POLL
#define EV_USE_POLL 1
#endif
#ifndef EV_USE_SELECT
#define EV_USE_SELECT 1
#endif
#ifndef EV_USE_EPOLL
#define EV_USE_EPOLL 0
#endif
#ifndef EV_USE_IOURING
#define EV_USE_IOURING 0
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
#ifndef EV_SELECT_IS_WINSOCKET
#define EV_SELECT_IS_WINSOCKET 0
#endif

#include <stddef.h>
#include <stdint.h>
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

#define EV__LIKELY(x) __builtin_expect(!!(x), 1)
#define EV__UNLIKELY(x) __builtin_expect(!!(x), 0)
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
    int postfork;
    pid_t curpid;
    ev_tstamp io_collect;
    ev_tstamp timeout_collect;
    ev_tstamp suspend_mn; /* mn_now at ev_suspend */

    void *userdata;
    void (*invoke_cb)(EV_P);
    void (*release_cb)(EV_P);
    void (*acquire_cb)(EV_P);
};

/* loop->hooks bits. */
enum {
    EV__H_PREPARE = 1,   /* prepares.cnt != 0 */
    EV__H_CHECK = 2,     /* checks.cnt != 0 */
    EV__H_FORK = 4,      /* postfork set, or EVFLAG_FORKCHECK */
    EV__H_RELEASE = 8,   /* release or acquire callback set */
    EV__H_COLLECT = 16,  /* io collect interval set */
    EV__H_PERIODIC = 32, /* periodics may be active (cleared lazily by ev_run) */
    EV__H_IDLE = 64,     /* idle watchers may be active (cleared lazily by ev_run) */
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
/* Moves stale root keys (lazy later deadlines, timer.c) to their true deadlines. */
void ev__timers_settle(struct ev_loop *loop);

/* periodic.c */
#if EV_PERIODIC_ENABLE
void ev__periodics_reify(struct ev_loop *loop);
void ev__periodics_reschedule(struct ev_loop *loop);
void ev__periodic_loop_init(struct ev_loop *loop);
void ev__periodic_loop_destroy(struct ev_loop *loop);
void ev__periodic_fork(struct ev_loop *loop);
#endif

/* async.c: the wake-up channel shared by async watchers and signals. */
int ev__wake_init(struct ev_loop *loop);
void ev__wake(struct ev_loop *loop, int *flag);
void ev__wake_destroy(struct ev_loop *loop);
void ev__wake_fork(struct ev_loop *loop);
void ev__async_process(struct ev_loop *loop);

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
