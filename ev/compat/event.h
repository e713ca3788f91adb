/*
 * event.h - the libevent 1.x core API (event_set/event_add/event_dispatch ...)
 * implemented on top of ev, so that programs written for libevent 1.4 build and
 * run unchanged against //ev:event.
 *
 * This is libev 4.33's emulation interface, extended: `struct event` has exactly
 * the layout of libev's (binaries built against libev's event.h pass their own
 * copies of it to these functions), and the event bits are ev's values
 * (EV_READ 0x01, EV_WRITE 0x02, EV_TIMEOUT 0x100, EV_SIGNAL 0x400), not
 * libevent's: the API is source compatible with libevent, not binary
 * compatible. An event_base is an ev loop (event_base_new() == ev_loop_new(0)).
 * Beyond libev's emulation: working priorities, event_(base_)loopbreak,
 * event_reinit, event_set_log_callback, event_pending reporting the expiry
 * time, zero timeouts without a minimum sleep, and -1 (with a log message)
 * instead of a crash for misuse. README.md, "libevent 1.x shim", lists the
 * differences from libevent.
 */
#ifndef EVENT_H_
#define EVENT_H_

/* Lets a test prove it compiled against this header, not libev's or libevent's. */
#define EV_IS_CLEANROOM_EVENT 1

#ifdef EV_H
#include EV_H
#else
#include "ev.h"
#endif

#include <time.h>
#include <sys/time.h> /* struct timeval */

/* The 3.x run-flag and timer names; ev.h provides them unless EV_COMPAT3=0. */
#ifndef EVLOOP_NONBLOCK
#define EVLOOP_NONBLOCK EVRUN_NOWAIT
#endif
#ifndef EVLOOP_ONESHOT
#define EVLOOP_ONESHOT EVRUN_ONCE
#endif
#ifndef EV_TIMEOUT
#define EV_TIMEOUT EV_TIMER
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque: every event_base is a struct ev_loop. */
struct event_base;

/* ev_flags bits. EVLIST_INIT marks an event that went through event_set; the
 * others mirror what is armed (TIMEOUT: the timer, INSERTED: the fd watcher,
 * SIGNAL: the signal watcher, ACTIVE: added and not yet deleted). */
#define EVLIST_TIMEOUT 0x01
#define EVLIST_INSERTED 0x02
#define EVLIST_SIGNAL 0x04
#define EVLIST_ACTIVE 0x08
#define EVLIST_INTERNAL 0x10
#define EVLIST_INIT 0x80

/* callback(fd or signal number, the event bits that happened, arg) */
typedef void (*event_callback_fn)(int, short, void *);

/* Layout fixed by libev 4.33's emulation (144 bytes on x86-64). Programs may
 * read the ev_* members; iosig and to are the shim's own watchers. */
struct event {
    union {
        struct ev_io io;
        struct ev_signal sig;
    } iosig;
    struct ev_timer to;

    struct event_base *ev_base;
    event_callback_fn ev_callback;
    void *ev_arg;
    int ev_fd;    /* the fd, or the signal number for signal events */
    int ev_pri;   /* libevent priority: 0 is the most urgent */
    int ev_res;   /* the bits handed to the last callback */
    int ev_flags; /* EVLIST_* */
    short ev_events;
};

/* EV_READ and EV_WRITE are ev's (from ev.h). */
#define EV_PERSIST 0x10 /* stay added after firing (but a timeout still deletes) */
#define EV_ET 0x20      /* accepted and ignored: ev is level-triggered */

#define EVENT_FD(ev) ((int)(ev)->ev_fd)
#define EVENT_SIGNAL(ev) ((int)(ev)->ev_fd)
#define event_initialized(ev) ((ev)->ev_flags & EVLIST_INIT)

#define evtimer_set(ev, cb, arg) event_set((ev), -1, 0, (cb), (arg))
#define evtimer_add(ev, tv) event_add((ev), (tv))
#define evtimer_del(ev) event_del(ev)
#define evtimer_pending(ev, tv) event_pending((ev), EV_TIMEOUT, (tv))
#define evtimer_initialized(ev) event_initialized(ev)

#define timeout_set(ev, cb, arg) evtimer_set((ev), (cb), (arg))
#define timeout_add(ev, tv) evtimer_add((ev), (tv))
#define timeout_del(ev) evtimer_del(ev)
#define timeout_pending(ev, tv) evtimer_pending((ev), (tv))
#define timeout_initialized(ev) evtimer_initialized(ev)

#define signal_set(ev, signum, cb, arg)                                                            \
    event_set((ev), (signum), EV_SIGNAL | EV_PERSIST, (cb), (arg))
#define signal_add(ev, tv) event_add((ev), (tv))
#define signal_del(ev) event_del(ev)
#define signal_pending(ev, tv) event_pending((ev), EV_SIGNAL, (tv))
#define signal_initialized(ev) event_initialized(ev)

#define EVLOOP_ONCE EVLOOP_ONESHOT

/* Severities handed to the log callback. */
#define _EVENT_LOG_DEBUG 0
#define _EVENT_LOG_MSG 1
#define _EVENT_LOG_WARN 2
#define _EVENT_LOG_ERR 3
typedef void (*event_log_cb)(int severity, const char *msg);

/* "4.33" and "libev". */
const char *event_get_version(void);
const char *event_get_method(void);

/* Bases. event_init() makes a base and makes it the current one, which the
 * calls without a base argument use: the first call returns ev's default loop,
 * later calls new loops. event_base_new() makes a loop and leaves the current
 * base alone. Both return NULL if no backend can be initialised.
 * event_base_free(NULL) frees the current base; the default loop is never
 * destroyed (it may be shared with ev code), only forgotten as current base;
 * signals of events still added go back to the program's earlier handlers.
 * event_reinit() must be called in the child after fork(); returns 0. */
void *event_init(void);
struct event_base *event_base_new(void);
void event_base_free(struct event_base *base);
int event_reinit(struct event_base *base);
const char *event_base_get_method(const struct event_base *base);

/* Where warnings about misuse go (NULL: "[warn] ..." on stderr). */
void event_set_log_callback(event_log_cb cb);

/* Running. flags: 0, EVLOOP_ONCE, EVLOOP_NONBLOCK. Returns 1 when no events are
 * left, else 0 (after one iteration, a loopexit or a loopbreak).
 * loopexit(tv) ends the loop after the iteration in which tv has passed (NULL:
 * the next one). loopbreak ends it after the running callback; events that
 * were ready too stay ready for the next run. A loopbreak issued while the loop
 * is not running makes the next run return at once (libevent 1.4). */
int event_dispatch(void);
int event_loop(int flags);
int event_loopexit(struct timeval *tv);
int event_loopbreak(void);
int event_base_dispatch(struct event_base *base);
int event_base_loop(struct event_base *base, int flags);
int event_base_loopexit(struct event_base *base, struct timeval *tv);
int event_base_loopbreak(struct event_base *base);

/* Events. event_set prepares ev on the current base (made with event_init()
 * if there is none) with the middle priority; call it only on deleted events.
 * event_base_set moves a not-added event to base (-1 if it is added).
 * event_add arms the event; on an added event it only replaces the timeout
 * (tv NULL keeps the current one). A timeout of {0, 0} fires in the next
 * iteration. Returns -1 (and logs why) for an event never set, a negative fd,
 * a signal number out of range or already used by another base.
 * event_del disarms (0, also for an event never added; -1 for one never set).
 * A firing event is deleted before its callback unless it is EV_PERSIST and
 * did not time out. */
void event_set(struct event *ev, int fd, short events, event_callback_fn cb, void *arg);
int event_base_set(struct event_base *base, struct event *ev);
int event_add(struct event *ev, struct timeval *tv);
int event_del(struct event *ev);

/* Makes ev's callback run in the next iteration with res (ncalls is ignored). */
void event_active(struct event *ev, int res, short ncalls);

/* Which of `events` (EV_TIMEOUT|EV_READ|EV_WRITE|EV_SIGNAL) ev is armed for or
 * has pending; when EV_TIMEOUT is among them and tv is not NULL, tv receives
 * the wall-clock time at which the timeout expires. */
int event_pending(struct event *ev, short events, struct timeval *tv);

event_callback_fn event_get_callback(const struct event *ev);

/* One-shot: cb runs once, when fd is ready for events or tv has passed (both
 * optional; EV_TIMEOUT alone with tv NULL means "next iteration"). 0, or -1
 * for EV_SIGNAL, no event bits, or out of memory. */
int event_once(int fd, short events, event_callback_fn cb, void *arg, struct timeval *tv);
int event_base_once(struct event_base *base, int fd, short events, event_callback_fn cb, void *arg,
                    struct timeval *tv);

/* Priorities: npri levels (1..256, default 1) on a base, 0 the most urgent.
 * When several events are ready in one iteration, more urgent ones run first.
 * They map onto ev's five priorities, so with more than five levels neighbours
 * share one. event_priority_set: -1 if pri is out of range or ev's callback is
 * already queued; on an added event it takes effect at once. */
int event_priority_init(int npri);
int event_base_priority_init(struct event_base *base, int npri);
int event_priority_set(struct event *ev, int pri);

#ifdef __cplusplus
}
#endif

#endif
