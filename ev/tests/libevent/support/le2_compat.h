/*
 * le2_compat.h - the few libevent 2.x spellings that libevent 2.1.12's own 1.x-API tests use,
 * mapped onto ev's libevent 1.x shim (<event.h>). Written for ev's tests; the tests themselves are
 * fetched unchanged from Debian's libevent source (see README.md here). Every mapping is listed in
 * README.md, "What the support layer supplies".
 */
#ifndef EV_TESTS_LE2_COMPAT_H_
#define EV_TESTS_LE2_COMPAT_H_

#include <event.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef EV_IS_CLEANROOM_EVENT
#error "the libevent tests must build against ev's event.h"
#endif

/* event2/util.h: types and socket helpers. */
typedef int evutil_socket_t;
typedef int64_t ev_int64_t;
typedef uint64_t ev_uint64_t;
typedef int32_t ev_int32_t;
typedef uint32_t ev_uint32_t;
typedef uint16_t ev_uint16_t;
typedef uint8_t ev_uint8_t;
typedef socklen_t ev_socklen_t;

#define evutil_socketpair(d, t, p, sv) socketpair((d), (t), (p), (sv))
#define evutil_closesocket(s) close(s)
#define evutil_gettimeofday(tv, tz) gettimeofday((tv), (tz))
#define evutil_timersub(a, b, r) timersub((a), (b), (r))
#define evutil_timeradd(a, b, r) timeradd((a), (b), (r))
#define evutil_timerclear(tv) timerclear(tv)
#define evutil_timerisset(tv) timerisset(tv)
#define evutil_timercmp(a, b, op) timercmp((a), (b), op)
#define EVUTIL_SHUT_WR SHUT_WR

/* event2/event_compat.h: the 2.0 names of the 1.x signal macros. */
#define evsignal_set(ev, sig, cb, arg) signal_set((ev), (sig), (cb), (arg))
#define evsignal_add(ev, tv) signal_add((ev), (tv))
#define evsignal_del(ev) signal_del(ev)

/* event2/event.h: heap-allocated events, as event_set + event_base_set on malloc'ed memory. */
static char le2_self_cbarg_marker;
static inline void *event_self_cbarg(void)
{
    return &le2_self_cbarg_marker;
}

static inline int event_assign(struct event *ev, struct event_base *base, evutil_socket_t fd,
                               short events, event_callback_fn cb, void *arg)
{
    event_set(ev, fd, events, cb, arg == event_self_cbarg() ? (void *)ev : arg);
    return event_base_set(base, ev);
}

static inline struct event *event_new(struct event_base *base, evutil_socket_t fd, short events,
                                      event_callback_fn cb, void *arg)
{
    struct event *ev = (struct event *)malloc(sizeof *ev);
    if (ev && event_assign(ev, base, fd, events, cb, arg) < 0) {
        free(ev);
        ev = NULL;
    }
    return ev;
}

static inline void event_free(struct event *ev)
{
    if (ev) {
        event_del(ev);
        free(ev);
    }
}

#define evtimer_new(base, cb, arg) event_new((base), -1, 0, (cb), (arg))

/* Debug logging is a 2.x facility the shim does not have: accepted, does nothing. */
#define EVENT_DBG_ALL 0xffffffffu
static inline void event_enable_debug_logging(ev_uint32_t which)
{
    (void)which;
}

/* util-internal.h: libevent's small deterministic generator (any will do for test-time.c). */
struct evutil_weakrand_state {
    ev_uint32_t seed;
};

static inline ev_uint32_t evutil_weakrand_seed_(struct evutil_weakrand_state *st, ev_uint32_t seed)
{
    st->seed = seed ? seed : 1;
    return st->seed;
}

static inline ev_int32_t evutil_weakrand_(struct evutil_weakrand_state *st)
{
    st->seed = st->seed * 1103515245u + 12345u;
    return (ev_int32_t)((st->seed >> 1) & 0x7fffffff);
}

#endif
