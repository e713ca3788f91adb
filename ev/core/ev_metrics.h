/*
 * ev_metrics.h - loop metrics and slow-callback detection, an ev extension beside the libev API
 * (libev has nothing like it: a program that includes this header needs ev).
 *
 * Off by default, per loop: ev_metrics_enable(loop, 1), or LIBEV_METRICS=1 in the environment for
 * the default loop (read like LIBEV_FLAGS: not with EVFLAG_NOENV, not in a setuid program). A loop
 * without metrics runs exactly the code it runs without this header. An enabled loop reads the
 * monotonic clock once more per iteration (before it blocks; the time after the poll is the one
 * the loop reads anyway) and, with a slow-callback hook set, once after every callback (and once
 * before the first callback of each batch).
 *
 * Reading: ev_metrics_get fills a struct ev_metrics whose size the caller passes, so programs built
 * against an older, shorter struct keep working when fields are added at its end. Every field is
 * zero for a loop without metrics.
 *
 * Threads: the metrics are part of the loop. Call these functions from the thread that runs the
 * loop, or hold the lock that serialises every call on the loop (the one its release/acquire
 * callbacks drop and take around the poll, see ev_set_loop_release_cb): while the loop is blocked
 * in the poll, the time it has been blocked so far counts as idle.
 */
#ifndef EV_METRICS_H_
#define EV_METRICS_H_

#include "ev.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EV_METRICS_VERSION 1

/* Watcher types, as the metrics count them (by the event bits a callback receives). */
enum ev_metrics_type {
    EV_METRICS_IO,       /* EV_READ, EV_WRITE (and EV_ERROR) */
    EV_METRICS_TIMER,    /* EV_TIMER */
    EV_METRICS_PERIODIC, /* EV_PERIODIC */
    EV_METRICS_SIGNAL,   /* EV_SIGNAL */
    EV_METRICS_CHILD,    /* EV_CHILD */
    EV_METRICS_STAT,     /* EV_STAT */
    EV_METRICS_IDLE,     /* EV_IDLE */
    EV_METRICS_PREPARE,  /* EV_PREPARE */
    EV_METRICS_CHECK,    /* EV_CHECK */
    EV_METRICS_FORK,     /* EV_FORK */
    EV_METRICS_ASYNC,    /* EV_ASYNC */
    EV_METRICS_EMBED,    /* EV_EMBED */
    EV_METRICS_CLEANUP,  /* EV_CLEANUP */
    EV_METRICS_CUSTOM,   /* none of the above (ev_feed_event with EV_CUSTOM, ...) */
    EV_METRICS_NTYPES
};

struct ev_metrics {
    /* Filled by ev_metrics_get: the bytes it wrote and EV_METRICS_VERSION. */
    uint32_t size;
    uint32_t version;
    int32_t enabled; /* 1 if the loop keeps metrics (every other field is 0 otherwise) */
    int32_t reserved;

    /* Seconds since the metrics were enabled (at loop creation with LIBEV_METRICS=1) or reset:
     * idle is the time blocked in the backend's poll, busy the rest (callbacks and the loop's own
     * work, and any time spent outside ev_run); idle + busy == elapsed. */
    double elapsed;
    double idle;
    double busy;

    uint64_t iterations;   /* polls (ev_run iterations) */
    uint64_t max_pending;  /* the most watchers found pending at once */
    uint64_t events_total; /* callbacks invoked: the sum of events[] */
    uint64_t events[EV_METRICS_NTYPES];
    uint64_t fed; /* events queued by ev_feed_event, ev_feed_fd_event, ev_feed_signal_event */

    /* Loop lag: how late timers and periodics were queued after their deadline. */
    uint64_t lag_count;
    double lag_sum;
    double lag_max;

    uint64_t slow_callbacks; /* callbacks reported to the slow-callback hook */
};

/* Turns metrics on (from zero, as after ev_metrics_reset) or off for this loop. Returns 0. */
EV_API_DECL int ev_metrics_enable(EV_P_ int on) EV_NOEXCEPT;
EV_API_DECL int ev_metrics_enabled(EV_P) EV_NOEXCEPT;

/* Fills *out (size bytes of it, at most sizeof(struct ev_metrics)); returns the bytes written. */
EV_API_DECL size_t ev_metrics_get(EV_P_ struct ev_metrics *out, size_t size) EV_NOEXCEPT;

/* Sets every counter and time to zero and starts a new measuring period (the hook stays). */
EV_API_DECL void ev_metrics_reset(EV_P) EV_NOEXCEPT;

/* Called after a callback that ran longer than the threshold: the watcher (it may have been freed
 * by its callback: compare, do not dereference, unless the program knows it lives), its type
 * (enum ev_metrics_type), its priority, the time it ran in seconds, and the data pointer given
 * to ev_metrics_set_slow_cb. The hook runs on the loop like a callback (the time it takes is
 * not charged to the next callback). */
typedef void (*ev_metrics_slow_cb)(EV_P_ void *w, int type, int priority, double duration,
                                   void *data);

/* Installs (cb != NULL) or removes the slow-callback hook; installing enables metrics if they are
 * off (data and release are then ignored). release, if not NULL, is called with data when this
 * hook is replaced or removed, when the metrics are disabled and when the loop is destroyed; not
 * from inside the hook itself. */
EV_API_DECL void ev_metrics_set_slow_cb(EV_P_ double threshold, ev_metrics_slow_cb cb, void *data,
                                        void (*release)(void *data)) EV_NOEXCEPT;

/* "io", "timer", ..., "custom"; NULL for a number out of range. */
EV_API_DECL const char *ev_metrics_type_name(int type) EV_NOEXCEPT;

/* Writes the metrics of n loops (ms[i], each labelled with labels[i], a Prometheus label list
 * such as `worker="1"`, or NULL / "" for none) in the Prometheus text format into buf, always
 * NUL-terminated when size > 0. Returns the length of the full text, as snprintf does. */
EV_API_DECL size_t ev_metrics_prometheus(char *buf, size_t size, const struct ev_metrics *ms,
                                         const char *const *labels, int n) EV_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* EV_METRICS_H_ */
