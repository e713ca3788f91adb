/*
 * event.c - the libevent 1.x shim, written only against ev's public API.
 *
 * An event_base is an ev loop; what libevent keeps per base (the number of
 * priorities, loopbreak state) lives in a `struct base_state` found through a
 * registry keyed by the loop, and freed by an ev_cleanup watcher when the loop
 * is destroyed. `struct event` cannot grow (libev's layout), so an event
 * reaches its base state through the `data` member of its own watchers, set
 * whenever the event is set or added. Invariant: an event's watchers are
 * active only between event_add and event_del (or the automatic delete before
 * a non-persistent callback), and always on the loop in ev_base.
 */
#include "event.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_BITS (EV_TIMEOUT | EV_SIGNAL | EV_READ | EV_WRITE)
#define SHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MAX_PRIORITIES 256 /* libevent 2's limit; 1.4 had none */
#define EV_LEVELS (EV_MAXPRI - EV_MINPRI + 1)

/* A callback that ran into a loopbreak: replayed when the loop returns. */
struct deferred {
    ev_watcher *w;
    int revents;
};

struct base_state {
    struct ev_loop *loop;
    int npri;          /* libevent priorities 0..npri-1 */
    int running;       /* nesting depth of event_base_loop */
    int broken;        /* loopbreak inside the running loop: defer callbacks */
    int break_pending; /* loopbreak while not running: the next run returns at once */
    struct deferred *deferred;
    int ndeferred, deferred_cap;
    ev_cleanup cleanup; /* frees this state when the loop is destroyed */
    struct base_state *next;
};

/* The registry, the signal owners and the current base are process-wide
 * (libevent 1.4 is not thread-safe either, but bases in different threads
 * must not corrupt the registry). */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct base_state *registry;
static struct base_state *current;

/* Set by event_set_log_callback, which lives in an object of its own
 * (event_log.c): a program that carries libevent's log.c defines that
 * function itself and links beside us, statically or not. Nothing here
 * refers to event_log.c. */
event_log_cb ev__event_log_fn;

/* libevent's log.c, when the program carries it (evdns.c and evutil.c users
 * do): its callback then holds the program's log function, out of our reach,
 * so our warnings go through its event_warnx. Weak: NULL without log.c. */
#if defined(__GNUC__) || defined(__clang__)
#define SHIM_WEAK __attribute__((weak))
#else
#define SHIM_WEAK
#endif
extern void event_warnx(const char *fmt, ...) SHIM_WEAK;

/* ev lets one loop own a signal at a time (libev asserts otherwise): the
 * shim refuses a second base instead. sig_users counts added events. */
static struct ev_loop *sig_owner[NSIG];
static int sig_users[NSIG];
/* What the program had installed for a signal before its first event was
 * added: put back when the last one is deleted (libevent does; ev's own
 * teardown leaves SIG_DFL). */
static struct sigaction sig_saved[NSIG];

#if defined(__GNUC__) || defined(__clang__)
#define COLD __attribute__((cold, noinline))
__attribute__((cold, noinline, format(printf, 1, 2)))
#else
#define COLD
#endif
/* Every message of the shim is a warning about misuse (_EVENT_LOG_WARN). */
static void
log_warn(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    event_log_cb fn = ev__event_log_fn;
    if (fn)
        fn(_EVENT_LOG_WARN, buf);
    else if (event_warnx) /* log.c's own format and callback */
        event_warnx("%s", buf);
    else
        fprintf(stderr, "[warn] %s\n", buf);
}

/* ---------------------------------------------------------------------------
 * Base state.
 */

static void state_cleanup_cb(struct ev_loop *loop, ev_cleanup *w, int revents)
{
    struct base_state *st = (struct base_state *)w->data;
    pthread_mutex_lock(&registry_lock);
    struct base_state **p = &registry;
    while (*p != st) /* every state is in the registry */
        p = &(*p)->next;
    *p = st->next;
    if (current == st)
        current = NULL;
    for (int s = 1; s < NSIG; ++s)
        if (sig_owner[s] == loop) {
            sig_owner[s] = NULL;
            sig_users[s] = 0;
        }
    pthread_mutex_unlock(&registry_lock);
    free(st->deferred);
    free(st);
}

/* The state of loop, created on first use (also for loops made with ev's own
 * API and handed to event_base_set). NULL only when out of memory. */
static struct base_state *state_of(struct ev_loop *loop)
{
    pthread_mutex_lock(&registry_lock);
    struct base_state *st = registry;
    while (st && st->loop != loop)
        st = st->next;
    if (!st && (st = calloc(1, sizeof *st))) {
        st->loop = loop;
        st->npri = 1;
        ev_cleanup_init(&st->cleanup, state_cleanup_cb);
        st->cleanup.data = st;
        ev_cleanup_start(loop, &st->cleanup);
        st->next = registry;
        registry = st;
    }
    pthread_mutex_unlock(&registry_lock);
    return st;
}

static struct base_state *base_state(struct event_base *base)
{
    return state_of((struct ev_loop *)base);
}

static struct event_base *current_base(void)
{
    struct base_state *st = current;
    if (!st) {
        event_init();
        st = current;
    }
    return st ? (struct event_base *)st->loop : NULL;
}

/* ---------------------------------------------------------------------------
 * Bases.
 */

const char *event_get_version(void)
{
    return "4.33";
}

const char *event_get_method(void)
{
    return "libev";
}

const char *event_base_get_method(const struct event_base *base)
{
    return "libev";
}

void *event_init(void)
{
    static int default_taken;
    struct ev_loop *loop = default_taken ? ev_loop_new(0) : ev_default_loop(0);
    if (!loop)
        return NULL;
    default_taken = 1;
    struct base_state *st = state_of(loop);
    if (!st) {
        if (loop != ev_default_loop_ptr)
            ev_loop_destroy(loop); /* out of memory: do not leak the new loop */
        return NULL;
    }
    current = st;
    return loop;
}

struct event_base *event_base_new(void)
{
    struct ev_loop *loop = ev_loop_new(0);
    if (loop && !state_of(loop)) {
        ev_loop_destroy(loop);
        loop = NULL;
    }
    return (struct event_base *)loop;
}

void event_base_free(struct event_base *base)
{
    struct ev_loop *loop = (struct ev_loop *)base;
    if (!loop) {
        if (!current)
            return;
        loop = current->loop;
    }
    if (current && current->loop == loop)
        current = NULL;
    /* The default loop may also serve ev code: libev never destroys it here. */
    if (loop == ev_default_loop_ptr)
        return;
    /* Signals of events still added: ev's teardown leaves SIG_DFL, libevent
     * puts back what the program had (sig_saved stays as it is meanwhile:
     * only the first add of a signal without owner writes it). */
    unsigned char owned[NSIG];
    pthread_mutex_lock(&registry_lock);
    for (int s = 1; s < NSIG; ++s)
        owned[s] = sig_owner[s] == loop;
    pthread_mutex_unlock(&registry_lock);
    ev_loop_destroy(loop); /* the cleanup watcher frees the state */
    pthread_mutex_lock(&registry_lock);
    for (int s = 1; s < NSIG; ++s)
        if (owned[s] && !sig_owner[s])
            sigaction(s, &sig_saved[s], NULL);
    pthread_mutex_unlock(&registry_lock);
}

int event_reinit(struct event_base *base)
{
    ev_loop_fork((struct ev_loop *)base);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Running.
 */

/* Replays the callbacks a loopbreak held back, so that they run first in the
 * next run of the loop (ev invokes pending watchers on entry). */
static void replay_deferred(struct base_state *st)
{
    st->broken = 0;
    for (int i = 0; i < st->ndeferred; ++i)
        ev_feed_event(st->loop, st->deferred[i].w, st->deferred[i].revents);
    st->ndeferred = 0;
}

int event_base_loop(struct event_base *base, int flags)
{
    struct base_state *st = base_state(base);
    if (!st)
        return -1;
    if (st->break_pending) {
        st->break_pending = 0;
        return 0;
    }
    ++st->running;
    int refs = ev_run(st->loop, flags & (EVLOOP_NONBLOCK | EVLOOP_ONCE));
    --st->running;
    replay_deferred(st);
    return refs ? 0 : 1;
}

int event_base_dispatch(struct event_base *base)
{
    return event_base_loop(base, 0);
}

int event_loop(int flags)
{
    struct event_base *base = current_base();
    return base ? event_base_loop(base, flags) : -1;
}

int event_dispatch(void)
{
    return event_loop(0);
}

static void loopexit_cb(int revents, void *arg)
{
    ev_break((struct ev_loop *)arg, EVBREAK_ONE);
}

static ev_tstamp tv_seconds(const struct timeval *tv)
{
    ev_tstamp t = (ev_tstamp)tv->tv_sec + (ev_tstamp)tv->tv_usec * 1e-6;
    return t > 0. ? t : 0.; /* a past time is due now */
}

int event_base_loopexit(struct event_base *base, struct timeval *tv)
{
    struct ev_loop *loop = (struct ev_loop *)base;
    /* A zero timer fires after the next poll, so the current iteration ends
     * normally first. */
    ev_once(loop, -1, 0, tv ? tv_seconds(tv) : 0., loopexit_cb, loop);
    return 0;
}

int event_loopexit(struct timeval *tv)
{
    struct event_base *base = current_base();
    return base ? event_base_loopexit(base, tv) : -1;
}

int event_base_loopbreak(struct event_base *base)
{
    struct base_state *st = base_state(base);
    if (!st)
        return -1;
    if (st->running) {
        st->broken = 1;
        ev_break(st->loop, EVBREAK_ONE);
    } else {
        st->break_pending = 1;
    }
    return 0;
}

int event_loopbreak(void)
{
    struct event_base *base = current_base();
    return base ? event_base_loopbreak(base) : -1;
}

/* ---------------------------------------------------------------------------
 * Events.
 */

static int is_signal_event(const struct event *ev)
{
    return (ev->ev_events & EV_SIGNAL) != 0;
}

/* libevent priority -> ev priority: 0 (most urgent) is EV_MAXPRI, npri-1 is
 * EV_MINPRI, spread evenly and rounded; a single level is ev's default 0. */
static int ev_priority_of(const struct base_state *st, int pri)
{
    int n = st ? st->npri : 1;
    if (n <= 1)
        return 0;
    if (pri < 0)
        pri = 0;
    if (pri > n - 1)
        pri = n - 1;
    int step = (pri * (EV_LEVELS - 1) * 2 + (n - 1)) / (2 * (n - 1));
    return EV_MAXPRI - step;
}

static void forget_deferred(struct base_state *st, struct event *ev)
{
    if (!st || !st->ndeferred)
        return;
    int j = 0;
    for (int i = 0; i < st->ndeferred; ++i) {
        ev_watcher *w = st->deferred[i].w;
        if (w != (ev_watcher *)&ev->iosig && w != (ev_watcher *)&ev->to)
            st->deferred[j++] = st->deferred[i];
    }
    st->ndeferred = j;
}

/* After ev_signal_stop of one of signum's events in loop. */
static void release_signal(struct ev_loop *loop, int signum)
{
    pthread_mutex_lock(&registry_lock);
    if (sig_owner[signum] == loop && --sig_users[signum] <= 0) {
        sig_owner[signum] = NULL;
        sig_users[signum] = 0;
        sigaction(signum, &sig_saved[signum], NULL);
    }
    pthread_mutex_unlock(&registry_lock);
}

/* Stops everything; ev is then "set but not added". */
static void disarm(struct event *ev)
{
    struct ev_loop *loop = (struct ev_loop *)ev->ev_base;
    /* (stopping a watcher that is neither active nor pending is a no-op:
     * skip the call) */
    if (is_signal_event(ev)) {
        int was_active = ev_is_active(&ev->iosig.sig);
        ev_signal_stop(loop, &ev->iosig.sig);
        if (was_active)
            release_signal(loop, ev->iosig.sig.signum);
    } else if (ev_is_active(&ev->iosig.io) || ev_is_pending(&ev->iosig.io)) {
        ev_io_stop(loop, &ev->iosig.io);
    }
    if (ev_is_active(&ev->to) || ev_is_pending(&ev->to))
        ev_timer_stop(loop, &ev->to);
    forget_deferred((struct base_state *)ev->to.data, ev);
    ev->ev_flags = EVLIST_INIT;
}

/* Every firing of the shim's watchers ends here: w fired with revents. */
static inline void fire(struct ev_loop *loop, struct event *ev, ev_watcher *w, int revents)
{
    struct base_state *st = (struct base_state *)w->data;
    if (st && st->broken) {
        /* A loopbreak ends the dispatch after the running callback: hold the
         * rest back until the loop runs again. */
        if (st->ndeferred == st->deferred_cap) {
            int cap = st->deferred_cap ? 2 * st->deferred_cap : 8;
            struct deferred *d = realloc(st->deferred, (size_t)cap * sizeof *d);
            if (d) {
                st->deferred = d;
                st->deferred_cap = cap;
            }
        }
        if (st->ndeferred < st->deferred_cap) {
            st->deferred[st->ndeferred].w = w;
            st->deferred[st->ndeferred].revents = revents;
            ++st->ndeferred;
            return;
        }
        /* Out of memory: run it now rather than lose it. */
    }
    /* An fd event and its timeout ready together make one callback. */
    if (w == (ev_watcher *)&ev->to) {
        if (ev_is_pending(&ev->iosig.io))
            revents |= ev_clear_pending(loop, &ev->iosig);
    } else if (ev_is_pending(&ev->to)) {
        revents |= ev_clear_pending(loop, &ev->to);
    }
    int res = revents & EVENT_BITS;
    int error = revents & EV_ERROR; /* ev stopped the fd's watchers (bad fd) */
    if (error) /* ev says EV_READ | EV_WRITE; libevent hands only the event's own bits */
        res = (res & ~(EV_READ | EV_WRITE)) | (ev->ev_events & (EV_READ | EV_WRITE));
    /* A persistent event that stays armed keeps its flags: nothing of it
     * was stopped (its timeout, had it fired, would disarm it). */
    if ((res & EV_TIMEOUT) || !(ev->ev_events & EV_PERSIST) || error)
        disarm(ev);
    ev->ev_res = res;
    ev->ev_callback(ev->ev_fd, (short)res, ev->ev_arg);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    fire(loop, (struct event *)((char *)w - offsetof(struct event, iosig.io)), (ev_watcher *)w,
         revents);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    fire(loop, (struct event *)((char *)w - offsetof(struct event, iosig.sig)), (ev_watcher *)w,
         revents);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    fire(loop, (struct event *)((char *)w - offsetof(struct event, to)), (ev_watcher *)w, revents);
}

static void attach(struct event *ev, struct event_base *base, struct base_state *st)
{
    ev->ev_base = base;
    ev->iosig.io.data = st;
    ev->to.data = st;
    ev->ev_pri = st ? st->npri / 2 : 0;
}

/* The current base's state, made by event_init if there is none yet. */
static COLD struct base_state *init_current(void)
{
    event_init();
    return current;
}

void event_set(struct event *ev, int fd, short events, event_callback_fn cb, void *arg)
{
    if (events & EV_SIGNAL)
        ev_init(&ev->iosig.sig, signal_cb);
    else
        ev_init(&ev->iosig.io, io_cb);
    ev_init(&ev->to, timer_cb);
    ev->ev_callback = cb;
    ev->ev_arg = arg;
    ev->ev_fd = fd;
    ev->ev_events = events;
    ev->ev_res = 0;
    ev->ev_flags = EVLIST_INIT;
    /* The current base's state is at hand: no registry lookup (and no lock)
     * on this path, which programs take for every event they re-arm. */
    struct base_state *st = current;
    if (SHIM_UNLIKELY(!st))
        st = init_current();
    attach(ev, st ? (struct event_base *)st->loop : NULL, st);
}

static int check_set(const struct event *ev, const char *call)
{
    if (!ev || !(ev->ev_flags & EVLIST_INIT)) {
        log_warn("%s: event %p was not prepared with event_set", call, (const void *)ev);
        return -1;
    }
    return 0;
}

int event_base_set(struct event_base *base, struct event *ev)
{
    if (check_set(ev, "event_base_set") < 0)
        return -1;
    if (ev->ev_flags != EVLIST_INIT) {
        log_warn("event_base_set: event %p is added; delete it first", (void *)ev);
        return -1;
    }
    attach(ev, base, base_state(base));
    return 0;
}

/* The state for ev's base, refreshed in case the program assigned ev_base
 * directly (libevent 1.x programs sometimes do). */
static struct base_state *event_state(struct event *ev)
{
    struct base_state *st = (struct base_state *)ev->to.data;
    if (!st || st->loop != (struct ev_loop *)ev->ev_base) {
        st = base_state(ev->ev_base);
        ev->iosig.io.data = st;
        ev->to.data = st;
    }
    return st;
}

/* event_add on an event that is not set, has no base, or is a signal: the
 * uncommon cases, out of line. Returns 0 or -1 as event_add. */
static COLD int add_unusual(struct event *ev, int pri)
{
    if (check_set(ev, "event_add") < 0)
        return -1;
    struct ev_loop *loop = (struct ev_loop *)ev->ev_base;
    if (!loop) {
        log_warn("event_add: event %p has no base", (void *)ev);
        return -1;
    }
    int signum = ev->ev_fd;
    if (ev->ev_events & (EV_READ | EV_WRITE)) {
        log_warn("event_add: EV_SIGNAL cannot be combined with EV_READ/EV_WRITE");
        return -1;
    }
    if (signum < 1 || signum >= NSIG) {
        log_warn("event_add: signal number %d out of range", signum);
        return -1;
    }
    if (!ev_is_active(&ev->iosig.sig)) {
        pthread_mutex_lock(&registry_lock);
        int taken = sig_owner[signum] && sig_owner[signum] != loop;
        if (!taken) {
            if (!sig_users[signum]++)
                sigaction(signum, NULL, &sig_saved[signum]);
            sig_owner[signum] = loop;
        }
        pthread_mutex_unlock(&registry_lock);
        if (taken) {
            log_warn("event_add: signal %d is already handled by another base", signum);
            return -1;
        }
        ev_signal_set(&ev->iosig.sig, signum);
        ev_set_priority(&ev->iosig.sig, pri);
        ev_signal_start(loop, &ev->iosig.sig);
    }
    return 0;
}

/* The timeout of event_add: a new one replaces the old one, also one that
 * already fired and waits for its callback. */
static void add_timeout(struct ev_loop *loop, struct event *ev, const struct timeval *tv, int pri)
{
    ev_tstamp t = tv_seconds(tv);
    if (ev_is_active(&ev->to) && t > 0. && ev->to.priority == pri) {
        /* Re-arming a running timeout (the common "reset the idle timer"
         * pattern): one move in the heap instead of a removal and an
         * insertion. The timer stays one-shot. */
        ev->to.repeat = t;
        ev_timer_again(loop, &ev->to);
        ev->to.repeat = 0.;
        return;
    }
    if (ev_is_active(&ev->to) || ev_is_pending(&ev->to))
        ev_timer_stop(loop, &ev->to);
    ev_timer_set(&ev->to, t, 0.);
    ev_set_priority(&ev->to, pri);
    ev_timer_start(loop, &ev->to);
}

int event_add(struct event *ev, struct timeval *tv)
{
    struct ev_loop *loop = ev ? (struct ev_loop *)ev->ev_base : NULL;
    if (SHIM_UNLIKELY(!loop || !(ev->ev_flags & EVLIST_INIT)))
        return add_unusual(ev, 0); /* reports what is wrong */
    struct base_state *st = event_state(ev);
    int pri = ev_priority_of(st, ev->ev_pri);
    short events = ev->ev_events;
    int flags = EVLIST_INIT | EVLIST_ACTIVE; /* as libev: ACTIVE set by every successful add */
    if (SHIM_UNLIKELY(events & EV_SIGNAL)) {
        if (add_unusual(ev, pri) < 0)
            return -1;
        flags |= EVLIST_SIGNAL;
    } else if (events & (EV_READ | EV_WRITE)) {
        if (SHIM_UNLIKELY(ev->ev_fd < 0)) {
            log_warn("event_add: negative fd %d", ev->ev_fd);
            return -1;
        }
        if (!ev_is_active(&ev->iosig.io)) {
            ev_io_set(&ev->iosig.io, ev->ev_fd, events & (EV_READ | EV_WRITE));
            ev_set_priority(&ev->iosig.io, pri);
            ev_io_start(loop, &ev->iosig.io);
        }
        flags |= EVLIST_INSERTED;
    }
    /* NULL leaves the timeout as it is (libevent 1.4). */
    if (tv)
        add_timeout(loop, ev, tv, pri);
    if (ev_is_active(&ev->to))
        flags |= EVLIST_TIMEOUT;
    ev->ev_flags = flags;
    return 0;
}

int event_del(struct event *ev)
{
    if (check_set(ev, "event_del") < 0)
        return -1;
    if (!ev->ev_base)
        return 0; /* never added anywhere */
    disarm(ev);
    return 0;
}

void event_active(struct event *ev, int res, short ncalls)
{
    if (check_set(ev, "event_active") < 0 || !ev->ev_base)
        return;
    struct ev_loop *loop = (struct ev_loop *)ev->ev_base;
    struct base_state *st = event_state(ev);
    int pri = ev_priority_of(st, ev->ev_pri);
    ev_watcher *iosig = (ev_watcher *)&ev->iosig;
    /* ev keeps an active watcher's priority; an idle one gets the event's. */
    if (!ev_is_active(iosig) && !ev_is_pending(iosig))
        ev_set_priority(iosig, pri);
    if (!ev_is_active(&ev->to) && !ev_is_pending(&ev->to))
        ev_set_priority(&ev->to, pri);
    if (res & EV_TIMEOUT)
        ev_feed_event(loop, &ev->to, EV_TIMEOUT);
    if ((res & ~EV_TIMEOUT) || !(res & EV_TIMEOUT))
        ev_feed_event(loop, iosig, res & ~EV_TIMEOUT);
}

int event_pending(struct event *ev, short events, struct timeval *tv)
{
    if (!ev || !(ev->ev_flags & EVLIST_INIT) || !ev->ev_base)
        return 0;
    struct ev_loop *loop = (struct ev_loop *)ev->ev_base;
    int have = 0;
    if (is_signal_event(ev)) {
        if (ev_is_active(&ev->iosig.sig) || ev_is_pending(&ev->iosig.sig))
            have |= EV_SIGNAL;
    } else if (ev_is_active(&ev->iosig.io) || ev_is_pending(&ev->iosig.io)) {
        have |= ev->ev_events & (EV_READ | EV_WRITE);
    }
    if (ev_is_active(&ev->to) || ev_is_pending(&ev->to))
        have |= EV_TIMEOUT;
    have &= events & EVENT_BITS;
    if (tv && (have & EV_TIMEOUT)) {
        /* The expiry on the wall clock, consistent with ev_now. */
        ev_tstamp left = ev_is_active(&ev->to) ? ev_timer_remaining(loop, &ev->to) : 0.;
        ev_tstamp at = ev_now(loop) + left;
        tv->tv_sec = (time_t)at;
        tv->tv_usec = (suseconds_t)((at - (ev_tstamp)tv->tv_sec) * 1e6);
    }
    return have;
}

event_callback_fn event_get_callback(const struct event *ev)
{
    return ev->ev_callback;
}

/* ---------------------------------------------------------------------------
 * One-shot events.
 */

struct once_thunk {
    event_callback_fn cb;
    void *arg;
    int fd;
};

static void once_cb(int revents, void *arg)
{
    struct once_thunk t = *(struct once_thunk *)arg;
    free(arg);
    t.cb(t.fd, (short)(revents & EVENT_BITS), t.arg);
}

int event_base_once(struct event_base *base, int fd, short events, event_callback_fn cb, void *arg,
                    struct timeval *tv)
{
    if (!base || (events & EV_SIGNAL) || !(events & (EV_READ | EV_WRITE | EV_TIMEOUT))) {
        log_warn("event_once: needs EV_READ, EV_WRITE or EV_TIMEOUT, not EV_SIGNAL");
        return -1;
    }
    int io = events & (EV_READ | EV_WRITE);
    if (io && fd < 0) {
        log_warn("event_once: negative fd %d", fd);
        return -1;
    }
    struct once_thunk *t = malloc(sizeof *t);
    if (!t)
        return -1;
    t->cb = cb;
    t->arg = arg;
    t->fd = fd;
    ev_tstamp timeout = tv ? tv_seconds(tv) : (io ? -1. : 0.);
    ev_once((struct ev_loop *)base, io ? fd : -1, io, timeout, once_cb, t);
    return 0;
}

int event_once(int fd, short events, event_callback_fn cb, void *arg, struct timeval *tv)
{
    return event_base_once(current_base(), fd, events, cb, arg, tv);
}

/* ---------------------------------------------------------------------------
 * Priorities.
 */

int event_base_priority_init(struct event_base *base, int npri)
{
    struct base_state *st = base ? base_state(base) : NULL;
    if (!st || npri < 1 || npri > MAX_PRIORITIES) {
        log_warn("event_priority_init: %d priorities (1..%d allowed)", npri, MAX_PRIORITIES);
        return -1;
    }
    st->npri = npri;
    return 0;
}

int event_priority_init(int npri)
{
    return event_base_priority_init(current_base(), npri);
}

int event_priority_set(struct event *ev, int pri)
{
    if (check_set(ev, "event_priority_set") < 0)
        return -1;
    struct base_state *st = ev->ev_base ? event_state(ev) : NULL;
    int npri = st ? st->npri : 1;
    if (pri < 0 || pri >= npri) {
        log_warn("event_priority_set: priority %d out of range 0..%d", pri, npri - 1);
        return -1;
    }
    if (ev_is_pending(&ev->iosig.io) || ev_is_pending(&ev->to))
        return -1; /* libevent refuses while the callback is queued */
    ev->ev_pri = pri;
    if (!ev->ev_base)
        return 0;
    /* ev fixes a watcher's priority while it runs: restart what is armed. */
    struct ev_loop *loop = (struct ev_loop *)ev->ev_base;
    int evpri = ev_priority_of(st, pri);
    ev_watcher *iosig = (ev_watcher *)&ev->iosig;
    if (ev_is_active(iosig)) {
        if (is_signal_event(ev)) {
            ev_signal_stop(loop, &ev->iosig.sig);
            ev_set_priority(&ev->iosig.sig, evpri);
            ev_signal_start(loop, &ev->iosig.sig);
        } else {
            ev_io_stop(loop, &ev->iosig.io);
            ev_set_priority(&ev->iosig.io, evpri);
            ev_io_start(loop, &ev->iosig.io);
        }
    } else {
        ev_set_priority(iosig, evpri);
    }
    if (ev_is_active(&ev->to)) {
        ev_tstamp left = ev_timer_remaining(loop, &ev->to);
        ev_timer_stop(loop, &ev->to);
        ev_timer_set(&ev->to, left, 0.);
        ev_set_priority(&ev->to, evpri);
        ev_timer_start(loop, &ev->to);
    } else {
        ev_set_priority(&ev->to, evpri);
    }
    return 0;
}
