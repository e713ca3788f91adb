/*
 * timer.c - ev_timer and ev_once. Timers live in loop->timers (heap.c) keyed
 * on their absolute monotonic deadline, which is also kept in w->at while the
 * timer is active; a stopped timer's `at` holds the time that was left. A
 * timer fires only when its deadline is strictly before mn_now, so never
 * early; repeating timers are re-armed from their deadline, clamped to now.
 *
 * Lazy later deadlines: when ev_timer_again moves an active timer's deadline
 * later while the old one is still ahead (the idle-timeout pattern: many
 * resets per period), the new deadline goes into w->at
 * and the heap node keeps its old, earlier key. A node's key is therefore
 * <= its watcher's true deadline (ev_verify checks this). A node whose key is
 * stale is moved to its true deadline when it reaches the root, before the
 * loop computes how long to sleep and before timers fire, so a reset costs
 * one compare and at most one sift per node per period, not one per reset.
 * A node fires only if its key is its true deadline and is the smallest key,
 * so expired timers still run in deadline order.
 */
#include "ev_internal.h"
#include "heap.h"

#include <string.h>

#define TIMER_END(loop) ((loop)->timer_cnt + EV__HEAP0)

/* ev_timer_start with a full heap array, out of line: grows it and starts
 * again, so that the common path calls nothing and needs no stack frame. */
static EV__COLD void timer_start_grow(struct ev_loop *loop, ev_timer *w)
{
    loop->timers = ev__heap_grow(loop->timers, &loop->timer_cap, TIMER_END(loop));
    ev_timer_start(EV_A_ w);
}

void ev_timer_start(EV_P_ ev_timer *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    EV__ASSERT(w->repeat >= 0., "libev: ev_timer_start called with negative timer repeat value");
    int k = TIMER_END(loop);
    if (EV__UNLIKELY(k + 3 >= loop->timer_cap)) {
        timer_start_grow(loop, w);
        return;
    }
    w->at += loop->mn_now;
    ++loop->timer_cnt;
    ev__start(loop, (ev_watcher *)w, k);
    ev__heap_insert(loop->timers, k, w->at, (ev_watcher_time *)w);
}

void ev__heap_fill(struct ev__heap_node *h, int last, int k)
{
    ev_tstamp at = h[last].at;
    ev_watcher_time *w = h[last].w;
    h[last].at = INFINITY; /* the slot past the new end becomes a sentinel */
    ev__heap_place(h, last, k, at, w);
}

/* A pending timer is unqueued first, out of line: the common path then needs
 * no stack frame and ends in a tail call. */
static EV__COLD void timer_stop_pending(struct ev_loop *loop, ev_timer *w)
{
    ev__clear_pending(loop, (ev_watcher *)w);
    ev_timer_stop(EV_A_ w);
}

void ev_timer_stop(EV_P_ ev_timer *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->pending)) {
        timer_stop_pending(loop, w);
        return;
    }
    int k = w->active;
    if (EV__UNLIKELY(!k))
        return;
    w->at -= loop->mn_now;
    ev__stop(loop, (ev_watcher *)w);
    ev__heap_remove(loop->timers, &loop->timer_cnt, k);
}

/* Whether the lazy path may take a reset: always with EV__TIMER_FORCE_LAZY (a
 * test build, so that the timer tests exercise stale keys everywhere),
 * otherwise only while the old deadline is still ahead (see the top). */
#ifdef EV__TIMER_FORCE_LAZY
#define TIMER_LAZY_OK(old, now) 1
#else
#define TIMER_LAZY_OK(old, now) (!((now) >= (old))) /* NaN: caught below */
#endif

/* ev_timer_again of an active timer that is not pending, when the lazy path
 * below did not take it; out of line. */
static EV__NOINLINE void timer_again_armed(struct ev_loop *loop, ev_timer *w)
{
    ev_tstamp now = loop->mn_now;
    if (EV__UNLIKELY(w->repeat == 0.)) {
        ev_timer_stop(EV_A_ w);
        return;
    }
    ev_tstamp at = now + w->repeat, old = w->at;
    w->at = at;
    /* Not before the old deadline, so not before the node's key: the key may
     * stay (see the top) while the old deadline is still ahead (an idle
     * timeout reset by traffic). A timer re-armed from its own callback (its
     * deadline just passed) sinks at once: it would reach the root, stale, in
     * the next iteration anyway. Below the key, the node rises. */
    struct ev__heap_node *h = loop->timers;
    if (at < old) {
        if (at < h[w->active].at)
            ev__heap_up_from(h, w->active, at, (ev_watcher_time *)w);
    } else if (!TIMER_LAZY_OK(old, now)) {
        ev__heap_down_from(h, TIMER_END(loop), w->active, at, (ev_watcher_time *)w);
    }
}

/* ev_timer_again of a pending or an inactive timer, out of line. */
static EV__COLD void timer_again_slow(struct ev_loop *loop, ev_timer *w)
{
    if (w->pending)
        ev__clear_pending(loop, (ev_watcher *)w);
    if (w->active) {
        timer_again_armed(loop, w);
    } else if (w->repeat != 0.) {
        w->at = w->repeat;
        ev_timer_start(EV_A_ w);
    }
}

/* Active and not pending, in one test where the layout allows: active (a heap
 * index, 1 .. INT_MAX while active) and pending (0 when unqueued) are the
 * watcher's first two ints, read as one little-endian word. */
static inline int timer_armed_unqueued(const ev_timer *w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&                        \
    defined(__SIZEOF_LONG_LONG__) && __SIZEOF_LONG_LONG__ == 8 && __SIZEOF_INT__ == 4
    unsigned long long v;
    memcpy(&v, w, sizeof v);
    return v - 1 < 0x7fffffffull;
#else
    return w->active && !w->pending;
#endif
}

/* The idle-timeout reset: when the timer is active, not pending, and the new
 * deadline is not before the old one while that is still ahead, the new
 * deadline is stored and nothing else happens (the heap key stays, see the
 * top); that the deadline moves later implies repeat > 0. Everything else is
 * out of line, so this needs no stack frame. */
void ev_timer_again(EV_P_ ev_timer *w) EV_NOEXCEPT
{
    ev_tstamp now = loop->mn_now;
    if (EV__UNLIKELY(!timer_armed_unqueued(w))) {
        timer_again_slow(loop, w);
        return;
    }
    if (EV__LIKELY(TIMER_LAZY_OK(w->at, now))) {
        ev_tstamp at = now + w->repeat;
#if defined(__GNUC__) && defined(__x86_64__)
        /* A compiler barrier only: both compares then read w->at from memory,
         * one instruction less than loading it into a register. */
        __asm__("" ::: "memory");
#endif
#ifdef EV__TIMER_FORCE_LAZY
        if (w->repeat > 0. && at >= w->at) {
#else
        if (EV__LIKELY(at >= w->at)) {
#endif
            w->at = at;
            return;
        }
    }
    timer_again_armed(loop, w);
}

ev_tstamp ev_timer_remaining(EV_P_ ev_timer *w) EV_NOEXCEPT
{
    return w->active ? w->at - loop->mn_now : w->at;
}

void ev__timers_reify(struct ev_loop *loop)
{
    /* Neither the heap array nor the time changes in here (stopping does
     * not reallocate), so both are read once. */
    struct ev__heap_node *h = loop->timers;
    const ev_tstamp now = loop->mn_now;
    struct ev__pending_mark mark;
    ev__pending_mark(loop, &mark);
    if (!(loop->timer_cnt && h[EV__HEAP0].at < now))
        return; /* nothing due (nothing queued: no reversal) */
    if (EV__UNLIKELY(loop->metrics != NULL))
        ev__metrics_due(loop, h, TIMER_END(loop), now); /* once per batch, before it fires */
    while (loop->timer_cnt && h[EV__HEAP0].at < now) {
        ev_timer *w = (ev_timer *)h[EV__HEAP0].w;
        if (EV__UNLIKELY(w->at > h[EV__HEAP0].at)) {
            /* a lazily moved deadline: sink to it, fire nothing */
            ev__heap_down_from(h, TIMER_END(loop), EV__HEAP0, w->at, (ev_watcher_time *)w);
            continue;
        }
        if (EV__LIKELY(w->repeat > 0.)) {
            ev_tstamp at = w->at + w->repeat;
            if (at < now)
                at = now; /* no catch-up bursts */
            w->at = at;
            ev__heap_down_from(h, TIMER_END(loop), EV__HEAP0, at, (ev_watcher_time *)w);
        } else {
            EV__ASSERT(w->repeat == 0., "libev: negative ev_timer repeat value found while "
                                        "processing timers");
            ev_timer_stop(EV_A_ w);
        }
        ev__feed(loop, (ev_watcher *)w, EV_TIMER);
    }
    ev__pending_reverse_since(loop, &mark);
}

/* Before the loop sleeps: a stale root is moved to its true deadline only once
 * its key is at least as close to now as to that deadline (at - key >= key -
 * now; always when the key is due). A timer reset by steady traffic is then
 * sifted about twice per period, not in every iteration of a busy loop, and
 * the loop sleeps at most until a stale key: one extra wake-up per timer per
 * period at worst, after which the stale roots near it settle together. */
void ev__timers_settle(struct ev_loop *loop)
{
    struct ev__heap_node *h = loop->timers;
    const ev_tstamp now = loop->mn_now;
    for (;;) {
        ev_watcher_time *w = h[EV__HEAP0].w;
        ev_tstamp key = h[EV__HEAP0].at;
        if (EV__LIKELY(!(w->at > key))) /* NaN: settled */
            return;
        if (key - now > w->at - key)
            return; /* stale, but not yet worth a sift */
        ev__heap_down_from(h, TIMER_END(loop), EV__HEAP0, w->at, w);
    }
}

void ev__timers_shift(struct ev_loop *loop, ev_tstamp by)
{
    for (int k = EV__HEAP0; k < TIMER_END(loop); ++k) {
        loop->timers[k].at += by;
        loop->timers[k].w->at += by;
    }
}

/* ev_once: an io and a timer watcher in one allocation; whichever fires
 * first stops both, frees them and calls the user's function. */
struct once {
    ev_io io;
    ev_timer to;
    void (*cb)(int revents, void *arg);
    void *arg;
};

static void once_fire(struct ev_loop *loop, struct once *o, int revents)
{
    void (*cb)(int, void *) = o->cb;
    void *arg = o->arg;
    ev_io_stop(EV_A_ & o->io);
    ev_timer_stop(EV_A_ & o->to);
    ev__free(o);
    cb(revents, arg);
}

static void once_io_cb(EV_P_ ev_io *w, int revents)
{
    struct once *o = (struct once *)((char *)w - offsetof(struct once, io));
    once_fire(loop, o, revents | ev_clear_pending(EV_A_ & o->to));
}

static void once_timer_cb(EV_P_ ev_timer *w, int revents)
{
    struct once *o = (struct once *)((char *)w - offsetof(struct once, to));
    once_fire(loop, o, revents | ev_clear_pending(EV_A_ & o->io));
}

void ev_once(EV_P_ int fd, int events, ev_tstamp timeout, void (*cb)(int revents, void *arg),
             void *arg) EV_NOEXCEPT
{
    struct once *o = (struct once *)ev__realloc(NULL, sizeof *o);
    o->cb = cb;
    o->arg = arg;
    ev_init(&o->io, once_io_cb);
    ev_init(&o->to, once_timer_cb);
    if (fd >= 0) {
        ev_io_set(&o->io, fd, events);
        ev_io_start(EV_A_ & o->io);
    }
    if (timeout >= 0.) {
        ev_timer_set(&o->to, timeout, 0.);
        ev_timer_start(EV_A_ & o->to);
    }
}
