/*
 * periodic.c - ev_periodic: deadlines on the wall clock. Periodics live in
 * their own 4-ary heap keyed on the absolute wall-clock time `at`. When the
 * wall clock is stepped, every periodic is rescheduled: a timerfd armed with
 * TFD_TIMER_CANCEL_ON_SET becomes readable the moment the clock is set (no
 * periodic wake-ups needed); with EVFLAG_NOTIMERFD, or without timerfd, the
 * loop compares the clocks (clock.c) and wakes at least every ~60 s.
 */
#include "ev_internal.h"
#include "heap.h"

#include <errno.h>
#include <unistd.h>
#if EV_USE_TIMERFD
#include <sys/timerfd.h>
#endif

#if EV_PERIODIC_ENABLE

#define PERIODIC_END(loop) ((loop)->periodic_cnt + EV__HEAP0)
#define MIN_INTERVAL (1. / 8192.) /* keeps offset + N * interval exact enough */

#if EV_USE_FLOOR
#include <math.h>
#define floor_ floor
#else
/* floor() without libm, so the shared library needs nothing but libc (as libev.so.4).
 * Beyond 2^52 every double is an integer already. */
static ev_tstamp floor_(ev_tstamp x)
{
    if (!(x > -4.5e15 && x < 4.5e15))
        return x;
    ev_tstamp t = (ev_tstamp)(long long)x;
    return t > x ? t - 1. : t;
}
#endif

/* The next offset + N * interval strictly after now. */
static void periodic_recalc(struct ev_loop *loop, ev_periodic *w)
{
    ev_tstamp interval = w->interval > MIN_INTERVAL ? w->interval : MIN_INTERVAL;
    ev_tstamp at = w->offset + interval * floor_((loop->rt_now - w->offset) / interval);
    /* An offset so far from now that its rounding exceeds the interval (1e300) can leave `at`
     * anywhere, even at 0 or (with x87's extended precision, i386) far in the future: the grid
     * then has no meaning left at this scale, and the next period starts from now (not one
     * interval at a time from 0: billions of steps). */
    if (EV__UNLIKELY(!(at >= loop->rt_now - interval && at <= loop->rt_now + interval)))
        at = loop->rt_now;
    while (at <= loop->rt_now) {
        ev_tstamp next = at + interval;
        if (next == at) { /* too far in the future to add anything: give up */
            at = loop->rt_now;
            break;
        }
        at = next;
    }
    w->at = at;
}

static void periodic_schedule(struct ev_loop *loop, ev_periodic *w)
{
    if (w->reschedule_cb) {
        w->at = w->reschedule_cb(w, loop->rt_now);
        EV__ASSERT(w->at >= loop->rt_now,
                   "libev: ev_periodic reschedule callback returned time in the past");
    } else if (w->interval > 0.) {
        periodic_recalc(loop, w);
    } else {
        w->at = w->offset;
    }
}

#if EV_USE_TIMERFD
static void timerfd_arm(struct ev_loop *loop)
{
    /* Far in the future: the timer is only there to be cancelled by a
     * clock step. */
    struct itimerspec its = {{0, 0}, {0, 0}};
    its.it_value.tv_sec = (time_t)loop->rt_now + 86400 * 365;
    timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
}

static void timerfd_cb(EV_P_ ev_io *w, int revents)
{
    (void)w;
    (void)revents;
    uint64_t n;
    ssize_t r = read(loop->timerfd, &n, sizeof n); /* ECANCELED after a step */
    (void)r;
    timerfd_arm(loop);
    loop->rt_sync_mn = -1e100; /* re-read the wall clock now */
    ev__time_update(loop);
    ev__periodics_reschedule(loop);
    ev__periodics_reify(loop);
}

/* Makes the loop's timerfd; `old` is the one it replaces (keeping its number), or -1. */
static void timerfd_open(struct ev_loop *loop, int old)
{
    if (loop->timerfd != -1 || (loop->flags & EVFLAG_NOTIMERFD))
        return;
    loop->timerfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (loop->timerfd < 0) {
        if (old >= 0)
            close(old);
        loop->timerfd = -2; /* unavailable: the clock comparison remains */
        return;
    }
    loop->timerfd = ev__fd_replace(loop->timerfd, old);
    timerfd_arm(loop);
    ev_init(&loop->timerfd_w, timerfd_cb);
    ev_io_set(&loop->timerfd_w, loop->timerfd, EV_READ);
    ev__io_start_internal(loop, &loop->timerfd_w);
}
#endif

void ev__periodic_loop_destroy(struct ev_loop *loop)
{
#if EV_USE_TIMERFD
    if (loop->timerfd >= 0) {
        ev__io_stop_internal(loop, &loop->timerfd_w);
        close(loop->timerfd);
    }
#endif
    loop->timerfd = -1;
}

void ev__periodic_fork(struct ev_loop *loop)
{
#if EV_USE_TIMERFD
    if (loop->timerfd >= 0) {
        ev__io_stop_internal(loop, &loop->timerfd_w);
        int old = loop->timerfd;
        loop->timerfd = -1;
        timerfd_open(loop, old);
    }
#else
    (void)loop;
#endif
}

/* Test-only, declared nowhere public: make the wall clock jump by `by`
 * seconds as seen by ev_time() and every loop, and tell `loop` as the kernel
 * would (its timerfd becomes "readable"). */
extern double ev__test_wall_offset;
void ev__test_clock_jump(struct ev_loop *loop, double by)
{
    ev__test_wall_offset += by;
#if EV_USE_TIMERFD
    if (loop->timerfd >= 0)
        ev__feed(loop, (ev_watcher *)&loop->timerfd_w, EV_READ);
#else
    (void)loop;
#endif
}

void ev_periodic_start(EV_P_ ev_periodic *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    EV__ASSERT(w->interval >= 0., "libev: ev_periodic_start called with negative interval value");
#if EV_USE_TIMERFD
    timerfd_open(loop, -1);
#endif
    periodic_schedule(loop, w);
    int k = PERIODIC_END(loop);
    if (EV__UNLIKELY(k + 3 >= loop->periodic_cap))
        loop->periodics = ev__heap_grow(loop->periodics, &loop->periodic_cap, k);
    ++loop->periodic_cnt;
    loop->hooks |= EV__H_PERIODIC;
    ev__start(loop, (ev_watcher *)w, k);
    ev__heap_insert(loop->periodics, k, w->at, (ev_watcher_time *)w);
}

void ev_periodic_stop(EV_P_ ev_periodic *w) EV_NOEXCEPT
{
    ev__unpend(loop, (ev_watcher *)w);
    if (EV__UNLIKELY(!w->active))
        return;
    ev__heap_remove(loop->periodics, &loop->periodic_cnt, w->active);
    ev__stop(loop, (ev_watcher *)w);
}

void ev_periodic_again(EV_P_ ev_periodic *w) EV_NOEXCEPT
{
    ev_periodic_stop(EV_A_ w);
    ev_periodic_start(EV_A_ w);
}

void ev__periodics_reify(struct ev_loop *loop)
{
    /* (reschedule callbacks must not touch the loop: queueing right away is safe) */
    struct ev__pending_mark mark;
    ev__pending_mark(loop, &mark);
    if (EV__UNLIKELY(loop->metrics != NULL) && loop->periodic_cnt &&
        loop->periodics[EV__HEAP0].at < loop->rt_now)
        ev__metrics_due(loop, loop->periodics, PERIODIC_END(loop), loop->rt_now);
    while (loop->periodic_cnt && loop->periodics[EV__HEAP0].at < loop->rt_now) {
        ev_periodic *w = (ev_periodic *)loop->periodics[EV__HEAP0].w;
        if (w->reschedule_cb || w->interval > 0.) {
            periodic_schedule(loop, w);
            ev__heap_down_from(loop->periodics, PERIODIC_END(loop), EV__HEAP0, w->at,
                               (ev_watcher_time *)w);
        } else {
            ev_periodic_stop(EV_A_ w); /* absolute: once */
        }
        ev__feed(loop, (ev_watcher *)w, EV_PERIODIC);
    }
    ev__pending_reverse_since(loop, &mark);
}

void ev__periodics_reschedule(struct ev_loop *loop)
{
    int end = PERIODIC_END(loop);
    for (int k = EV__HEAP0; k < end; ++k) {
        ev_periodic *w = (ev_periodic *)loop->periodics[k].w;
        if (w->reschedule_cb || w->interval > 0.)
            periodic_schedule(loop, w);
        loop->periodics[k].at = w->at;
    }
    /* Rebuild the heap bottom-up. */
    for (int k = end - 1; k >= EV__HEAP0; --k)
        ev__heap_down_from(loop->periodics, end, k, loop->periodics[k].at, loop->periodics[k].w);
}

#endif /* EV_PERIODIC_ENABLE */
