/*
 * clock.c - time. Timers run on the monotonic clock (mn_now); ev_now() is the
 * wall clock, computed as mn_now + rtmn_diff. The realtime clock is read again
 * whenever half a second of monotonic time has passed, so a wall-clock step is
 * noticed within that time (at once with timerfd, see periodic.c).
 */
#include "ev_internal.h"

#include <errno.h>
#include <time.h>
#ifndef _WIN32 /* win32.c has its own clocks and sleep */
#if !EV_USE_REALTIME
#include <sys/time.h> /* gettimeofday */
#endif
#if !EV_USE_NANOSLEEP
#include <sys/select.h>
#endif
#endif

/* Test-only: an offset added to every wall-clock reading, so tests can make
 * the wall clock jump without root. Not declared in any public header. */
double ev__test_wall_offset;

#ifndef _WIN32 /* Windows: ev_time, ev__mono and ev_sleep are in win32.c */
static inline ev_tstamp ts_to_tstamp(const struct timespec *ts)
{
    return (ev_tstamp)ts->tv_sec + (ev_tstamp)ts->tv_nsec * 1e-9;
}

/* The wall clock without the test offset. */
static ev_tstamp wall_clock(void)
{
#if EV_USE_REALTIME
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts_to_tstamp(&ts);
#else
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (ev_tstamp)tv.tv_sec + (ev_tstamp)tv.tv_usec * 1e-6;
#endif
}

ev_tstamp ev_time(void) EV_NOEXCEPT
{
    return wall_clock() + ev__test_wall_offset;
}

ev_tstamp ev__mono(void)
{
#if EV_USE_MONOTONIC
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts_to_tstamp(&ts);
#else
    return wall_clock(); /* wall-clock steps then move timers too, as in libev */
#endif
}

void ev_sleep(ev_tstamp delay) EV_NOEXCEPT
{
    if (delay <= 0.)
        return;
#if EV_USE_NANOSLEEP
    struct timespec ts;
    ts.tv_sec = (time_t)delay;
    ts.tv_nsec = (long)((delay - (ev_tstamp)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_nsec = 999999999L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ; /* sleep the rest */
#else
    /* select with no fds: Linux updates tv to the time not slept, elsewhere a signal cuts the
     * sleep short, as nanosleep-less libev's does. */
    struct timeval tv;
    tv.tv_sec = (time_t)delay;
    tv.tv_usec = (long)((delay - (ev_tstamp)tv.tv_sec) * 1e6);
    if (tv.tv_usec >= 1000000L)
        tv.tv_usec = 999999L;
    select(0, NULL, NULL, NULL, &tv);
#endif
}
#endif /* !_WIN32 */

static void resync(struct ev_loop *loop)
{
    /* Read mono, real, mono again and keep the pair read closest together,
     * so a preemption between the two reads does not skew the difference. */
    ev_tstamp best = 1e100;
    for (int i = 0; i < 3; ++i) {
        ev_tstamp m0 = ev__mono();
        ev_tstamp rt = ev_time();
        ev_tstamp m1 = ev__mono();
        if (m1 - m0 < best) {
            best = m1 - m0;
            loop->rtmn_diff = rt - (m0 + m1) * 0.5;
            loop->mn_now = m1;
        }
        if (best < 1e-4)
            break;
    }
    loop->rt_sync_mn = loop->mn_now;
    loop->rt_now = loop->mn_now + loop->rtmn_diff;
#if !EV_MULTIPLICITY
    ev_rt_now = loop->rt_now; /* ev_now() reads it directly */
#endif
}

void ev__time_init(struct ev_loop *loop)
{
    resync(loop);
}

void ev__time_update(struct ev_loop *loop)
{
    loop->mn_now = ev__mono();
    if (EV__LIKELY(loop->mn_now - loop->rt_sync_mn < 0.5)) {
        loop->rt_now = loop->mn_now + loop->rtmn_diff;
#if !EV_MULTIPLICITY
        ev_rt_now = loop->rt_now;
#endif
        return;
    }
    ev_tstamp old_diff = loop->rtmn_diff;
    resync(loop);
#if EV_PERIODIC_ENABLE
    /* A wall-clock step moves every periodic deadline. */
    ev_tstamp d = loop->rtmn_diff - old_diff;
    if (d > 0.1 || d < -0.1)
        ev__periodics_reschedule(loop);
#else
    (void)old_diff;
#endif
}

void ev_now_update(EV_P) EV_NOEXCEPT
{
    ev__time_update(loop);
}

#if EV_MULTIPLICITY
ev_tstamp ev_now(EV_P) EV_NOEXCEPT
{
    return loop->rt_now;
}
#endif
