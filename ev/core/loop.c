/*
 * loop.c - loop creation, destruction and the iteration itself (ev_run).
 *
 * One iteration: fork check and fork watchers, prepare watchers, apply fd
 * changes, compute how long to block (0 when anything is pending or idle,
 * forever when no timer is due), poll, then queue timers, periodics, idles and
 * checks and invoke everything pending. The loop blocks without a timeout when
 * nothing time-based is waiting: no periodic wake-up is needed to notice clock
 * jumps (periodic.c uses a timerfd for that).
 */
#include "ev_internal.h"
#include "backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

/* EV_API_STATIC (everything in one file, all static) needs the same storage class here. */
#ifdef EV_API_STATIC
#define EV__DATA static
#else
#define EV__DATA
#endif
#if EV_MULTIPLICITY
EV__DATA struct ev_loop *ev_default_loop_ptr;
#else
static struct ev_loop single_loop_struct;
struct ev_loop *ev__loop_single = &single_loop_struct;
EV__DATA ev_tstamp ev_rt_now;
#endif
#if EV_MULTIPLICITY
static struct ev_loop default_loop_struct;
#endif

int ev_version_major(void) EV_NOEXCEPT
{
    return EV_VERSION_MAJOR;
}

int ev_version_minor(void) EV_NOEXCEPT
{
    return EV_VERSION_MINOR;
}

static unsigned int effective_flags(unsigned int flags)
{
#ifdef _WIN32
    /* Windows: no fork (EVFLAG_FORKCHECK is ignored), no setuid programs. */
    flags &= ~(unsigned int)EVFLAG_FORKCHECK;
    if (flags & EVFLAG_NOENV)
        return flags;
#else
    if (flags & EVFLAG_NOENV)
        return flags;
    if (getuid() != geteuid() || getgid() != getegid())
        return flags; /* never trust the environment of a setuid program */
#endif
    const char *env = getenv("LIBEV_FLAGS");
    if (!env)
        return flags;
    /* Decimal, as libev reads it; the fork check comes only from the program. */
    unsigned int v = (unsigned int)atoi(env);
    return (v & ~(unsigned int)EVFLAG_FORKCHECK) | (flags & EVFLAG_FORKCHECK);
}

static int loop_init(struct ev_loop *loop, unsigned int flags)
{
    memset(loop, 0, sizeof *loop);
    flags = effective_flags(flags);
    loop->flags = flags;
    loop->hooks = (flags & EVFLAG_FORKCHECK) ? EV__H_FORK : 0;
    loop->backend_fd = -1;
    loop->wake_rfd = loop->wake_wfd = -1;
#if EV_SIGNAL_ENABLE
    loop->sigfd = -1;
#endif
#if EV_STAT_ENABLE
    loop->inotify_fd = -1;
#endif
#if EV_PERIODIC_ENABLE
    loop->timerfd = -1;
#endif
    loop->invoke_cb = ev_invoke_pending;
    ev__pending_init(loop);
    loop->curpid = getpid();
    ev__time_init(loop);
    if (ev__backend_choose(loop, flags) < 0)
        return -1;
    loop->backend_mintime = loop->backend->mintime;
    return 0;
}

/* Frees everything but the loop struct itself. */
static void loop_free(struct ev_loop *loop)
{
#if EV_STAT_ENABLE
    ev__stat_loop_destroy(loop);
#endif
#if EV_SIGNAL_ENABLE
    ev__signal_loop_destroy(loop);
#endif
#if EV_PERIODIC_ENABLE
    ev__periodic_loop_destroy(loop);
#endif
    ev__wake_destroy(loop);
    if (loop->backend)
        loop->backend->destroy(loop);
    for (int p = 0; p < EV__NUMPRI; ++p) {
        ev__free(loop->pq[p].q);
        ev__free(loop->idles[p].w);
    }
    ev__free(loop->fds);
    ev__free(loop->changes);
    ev__free(loop->timers);
#if EV_PERIODIC_ENABLE
    ev__free(loop->periodics);
#endif
    ev__free(loop->prepares.w);
    ev__free(loop->checks.w);
    ev__free(loop->forks.w);
    ev__free(loop->cleanups.w);
    ev__free(loop->asyncs.w);
    ev__metrics_free(loop);
    loop->backend = NULL;
}

#if EV_MULTIPLICITY
struct ev_loop *ev_loop_new(unsigned int flags) EV_NOEXCEPT
{
    struct ev_loop *loop = (struct ev_loop *)ev__realloc(NULL, sizeof *loop);
    if (loop_init(loop, flags) == 0)
        return loop;
    loop_free(loop);
    ev__free(loop);
    return NULL;
}

struct ev_loop *ev_default_loop(unsigned int flags) EV_NOEXCEPT
{
    if (!ev_default_loop_ptr) {
        struct ev_loop *loop = &default_loop_struct;
        if (loop_init(loop, flags) < 0) {
            loop_free(loop);
            return NULL;
        }
        ev_default_loop_ptr = loop;
#if EV_CHILD_ENABLE
        ev__child_default_init(loop);
#endif
        ev__metrics_env(loop);
    }
    return ev_default_loop_ptr;
}
#else
int ev_default_loop(unsigned int flags) EV_NOEXCEPT
{
    static int ready;
    if (!ready) {
        if (loop_init(loop, flags) < 0) {
            loop_free(loop);
            return 0;
        }
        ready = 1;
#if EV_CHILD_ENABLE
        ev__child_default_init(loop);
#endif
        ev__metrics_env(loop);
    }
    return 1;
}
#endif

void ev_loop_destroy(EV_P)
{
    if (!loop || !loop->backend)
        return;
#if EV_CLEANUP_ENABLE
    if (loop->cleanups.cnt) {
        ev__feed_list(loop, &loop->cleanups, EV_CLEANUP);
        loop->invoke_cb(EV_A); /* as libev: through ev_set_invoke_pending_cb's callback */
    }
#endif
#if EV_CHILD_ENABLE && EV_MULTIPLICITY
    if (loop == ev_default_loop_ptr)
        ev__child_default_destroy(loop);
#endif
    loop_free(loop);
#if EV_MULTIPLICITY
    if (loop == ev_default_loop_ptr)
        ev_default_loop_ptr = NULL;
    else
        ev__free(loop);
#endif
}

/* A fork is noticed once, by whichever comes first: this call or the EVFLAG_FORKCHECK test.
 * In a child (its pid is not the one the kernel state belongs to) the first notice records the
 * child's pid; a later call in that process, before or after the loop re-created its state, is
 * about the same fork and changes nothing. In the process that made the state (no fork, or the
 * parent) every call asks again, as in libev. Calls before the next iteration merge into one. */
static void fork_noticed(struct ev_loop *loop)
{
    loop->postfork = 1;
    loop->fork_due = 1;
    loop->hooks |= EV__H_FORK;
}

void ev_loop_fork(EV_P) EV_NOEXCEPT
{
#ifndef _WIN32
    pid_t pid = getpid();
    if (pid == loop->fork_pid)
        return;
    if (pid != loop->curpid)
        loop->fork_pid = pid;
#endif
    fork_noticed(loop);
}

/* In the child after a fork: new kernel state for everything the loop owns. */
static void loop_reinit_after_fork(struct ev_loop *loop)
{
    loop->postfork = 0;
    /* fork_due stays: a fork noticed by a callback after this iteration's fork watchers (a
     * prepare watcher calling ev_loop_fork) runs them at the next iteration. */
    ev__hook(loop, EV__H_FORK, (loop->flags & EVFLAG_FORKCHECK) || loop->fork_due);
#ifndef _WIN32 /* Windows has no fork: ev_loop_fork runs the fork watchers, the kernel state stays \
                */
    loop->curpid = getpid();
    /* Internal fds first: their watchers then name the new files when the
     * backend registers every wanted fd again, so the new kernel set never
     * holds the parent's (still open) eventfd, signalfd, ... */
    ev__wake_fork(loop);
#if EV_PERIODIC_ENABLE
    ev__periodic_fork(loop);
#endif
#if EV_SIGNAL_ENABLE
    ev__signal_fork(loop);
#endif
#if EV_STAT_ENABLE
    ev__stat_fork(loop);
#endif
    if (loop->backend->fork(loop) < 0)
        ev__syserr("(libev) cannot re-create the backend after fork");
#endif
}

unsigned int ev_backend(EV_P) EV_NOEXCEPT
{
    return loop->backend->id;
}

void ev_ref(EV_P) EV_NOEXCEPT
{
    ++loop->activecnt;
}

void ev_unref(EV_P) EV_NOEXCEPT
{
    --loop->activecnt;
}

void ev_break(EV_P_ int how) EV_NOEXCEPT
{
    loop->loop_done = how;
}

unsigned int ev_iteration(EV_P) EV_NOEXCEPT
{
    return loop->loop_count;
}

unsigned int ev_depth(EV_P) EV_NOEXCEPT
{
    return loop->loop_depth;
}

void ev_set_io_collect_interval(EV_P_ ev_tstamp interval) EV_NOEXCEPT
{
    loop->io_collect = interval > 0. ? interval : 0.;
    ev__hook(loop, EV__H_COLLECT, interval > 0.);
}

void ev_set_timeout_collect_interval(EV_P_ ev_tstamp interval) EV_NOEXCEPT
{
    loop->timeout_collect = interval > 0. ? interval : 0.;
}

void ev_set_userdata(EV_P_ void *data) EV_NOEXCEPT
{
    loop->userdata = data;
}

void *ev_userdata(EV_P) EV_NOEXCEPT
{
    return loop->userdata;
}

void ev_set_invoke_pending_cb(EV_P_ void (*invoke_pending_cb)(EV_P)) EV_NOEXCEPT
{
    if (EV__UNLIKELY(loop->metrics != NULL))
        ev__metrics_user_invoke(loop, invoke_pending_cb ? invoke_pending_cb : ev_invoke_pending);
    else
        loop->invoke_cb = invoke_pending_cb ? invoke_pending_cb : ev_invoke_pending;
}

void ev_set_loop_release_cb(EV_P_ void (*release)(EV_P), void (*acquire)(EV_P)) EV_NOEXCEPT
{
    loop->release_cb = release;
    loop->acquire_cb = acquire;
    ev__hook(loop, EV__H_RELEASE, release || acquire);
}

void ev_suspend(EV_P) EV_NOEXCEPT
{
    ev__time_update(loop);
    loop->suspend_mn = loop->mn_now;
}

void ev_resume(EV_P) EV_NOEXCEPT
{
    ev__time_update(loop);
    /* Timers do not count the suspended time. */
    ev__timers_shift(loop, loop->mn_now - loop->suspend_mn);
#if EV_PERIODIC_ENABLE
    ev__periodics_reschedule(loop);
#endif
}

/* How long the next poll may block: < 0 for "until an fd is ready". */
static ev_tstamp block_time(struct ev_loop *loop)
{
    ev_tstamp t = -1.;
    if (loop->timer_cnt) {
        ev__time_update(loop);
        ev__timers_settle(loop); /* a root key not settled is stale: an early wake-up at most */
        t = loop->timers[EV__HEAP0].at - loop->mn_now;
        if (t < 0.)
            t = 0.; /* expired: no wait, whatever a periodic says below */
    }
#if EV_PERIODIC_ENABLE
    if (EV__UNLIKELY(loop->hooks & EV__H_PERIODIC) && loop->periodic_cnt) {
        if (!loop->timer_cnt)
            ev__time_update(loop);
        ev_tstamp p = loop->periodics[EV__HEAP0].at - loop->rt_now;
        if (t < 0. || p < t)
            t = p < 0. ? 0. : p;
        /* Without a timerfd a wall-clock step is only noticed by waking. */
        if (loop->timerfd < 0 && t > 59.743)
            t = 59.743;
    }
#endif
    if (t < 0.)
        return -1.; /* nothing time-based (a timer made t >= 0): block until an fd is ready */
    if (t > 0. && t < loop->timeout_collect)
        t = loop->timeout_collect; /* slack to batch timers; an expired one still waits 0 */
    return t;
}

/* Fork detection, fork watchers and prepare watchers: the start of an
 * iteration, for loops that have any of them. */
static void run_before_hooks(struct ev_loop *loop)
{
#ifndef _WIN32
    if (loop->flags & EVFLAG_FORKCHECK) {
        pid_t pid = getpid();
        if (EV__UNLIKELY(pid != loop->curpid) && pid != loop->fork_pid) {
            loop->fork_pid = pid;
            fork_noticed(loop);
        }
    }
#endif
    if (loop->fork_due) {
        loop->fork_due = 0;
        if (!loop->postfork && !(loop->flags & EVFLAG_FORKCHECK))
            loop->hooks &= ~EV__H_FORK;
#if EV_FORK_ENABLE
        if (loop->forks.cnt) {
            ev__feed_list(loop, &loop->forks, EV_FORK);
            loop->invoke_cb(EV_A);
        }
#endif
    }
#if EV_PREPARE_ENABLE
    if (loop->prepares.cnt) {
        ev__feed_list(loop, &loop->prepares, EV_PREPARE);
        loop->invoke_cb(EV_A);
    }
#endif
}

/* ev_set_io_collect_interval: sleep a little before polling so that more io
 * is handled per iteration, never past the next timer. */
static ev_tstamp collect_io(struct ev_loop *loop, ev_tstamp timeout)
{
    if (timeout == 0.)
        return timeout;
    ev_tstamp s = loop->io_collect;
    if (timeout > 0. && s > timeout)
        s = timeout;
    ev_sleep(s);
    if (timeout > 0.)
        timeout = timeout > s ? timeout - s : 0.;
    return timeout;
}

/* The backend's poll between the release and acquire callbacks, and inside the metrics' time. */
static void poll_released(struct ev_loop *loop, ev_tstamp timeout)
{
    if (loop->metrics)
        ev__metrics_poll_begin(loop);
    if (loop->release_cb)
        loop->release_cb(EV_A);
    loop->backend->poll(loop, timeout);
    if (loop->acquire_cb)
        loop->acquire_cb(EV_A);
    if (loop->metrics)
        ev__metrics_poll_end(loop);
}

/* After the timers: periodics, idle and check watchers, for loops that have
 * any. The periodic and idle hook bits are cleared here once unneeded. */
static void run_after_hooks(struct ev_loop *loop)
{
#if EV_PERIODIC_ENABLE
    if (loop->periodic_cnt)
        ev__periodics_reify(loop);
    else
        loop->hooks &= ~EV__H_PERIODIC;
#endif
#if EV_IDLE_ENABLE
    /* Idle watchers of the highest level that has any, only when nothing
     * of that priority or above is pending. */
    if (loop->idle_all) {
        int top = 31 ^ __builtin_clz(loop->idle_mask);
        if (!(loop->pending_mask >> top))
            ev__feed_list(loop, &loop->idles[top], EV_IDLE);
    } else {
        loop->hooks &= ~EV__H_IDLE;
    }
#endif
#if EV_CHECK_ENABLE
    if (loop->hooks & EV__H_CHECK)
        ev__feed_list(loop, &loop->checks, EV_CHECK);
#endif
}

int ev_run(EV_P_ int flags)
{
    ++loop->loop_depth;
    loop->loop_done = EVBREAK_CANCEL;
    loop->invoke_cb(EV_A); /* whatever was queued before ev_run */

    /* ev_break from a callback ends the loop through the test at the end of
     * an iteration; only the callbacks before it (queued earlier, fork and
     * prepare watchers) need a test of their own. A break from the callbacks
     * queued earlier still lets the fork and prepare watchers of the first
     * iteration run, as in libev. */
    if (EV__LIKELY(!loop->loop_done) || (loop->hooks & (EV__H_FORK | EV__H_PREPARE)))
        do {
            if (EV__UNLIKELY(loop->hooks & (EV__H_FORK | EV__H_PREPARE))) {
                run_before_hooks(loop);
                if (loop->loop_done)
                    break;
                /* ev_loop_fork and fork detection both set EV__H_FORK */
                if (loop->postfork)
                    loop_reinit_after_fork(loop);
            }
            if (loop->change_cnt)
                ev__fd_reify(loop);

            ev_tstamp timeout = 0.;
            int may_block = !(flags & EVRUN_NOWAIT) &&
                            !((unsigned)loop->idle_all | loop->pending_mask) &&
                            loop->activecnt != 0;
            if (may_block) {
                STORE(&loop->wake_wanted, 1);
                EV__STORE_LOAD_FENCE();
                if (!LOAD(&loop->wake_skipped)) {
                    timeout = block_time(loop);
                    if (EV__UNLIKELY(loop->hooks & EV__H_COLLECT))
                        timeout = collect_io(loop, timeout);
                }
            }

            ++loop->loop_count;
            if (EV__UNLIKELY(loop->hooks & (EV__H_RELEASE | EV__H_METRICS)))
                poll_released(loop, timeout);
            else
                loop->backend->poll(loop, timeout);
            if (may_block)
                STORE(&loop->wake_wanted, 0);
            if (EV__UNLIKELY(LOAD(&loop->wake_skipped))) {
                STORE(&loop->wake_skipped, 0);
                if (loop->wake_rfd >= 0)
                    ev__feed(loop, (ev_watcher *)&loop->wake_w, EV_CUSTOM);
            }

            ev__time_update(loop);
            if (loop->timer_cnt)
                ev__timers_reify(loop);
            if (EV__UNLIKELY(loop->hooks & (EV__H_PERIODIC | EV__H_IDLE | EV__H_CHECK)))
                run_after_hooks(loop);
            loop->invoke_cb(EV_A);
#if EV_VERIFY >= 2
            ev_verify(EV_A);
#endif
        } while (EV__LIKELY(loop->activecnt != 0 && !loop->loop_done &&
                            !(flags & (EVRUN_ONCE | EVRUN_NOWAIT))));

    if (loop->loop_done == EVBREAK_ONE)
        loop->loop_done = EVBREAK_CANCEL;
    --loop->loop_depth;
    return loop->activecnt;
}
