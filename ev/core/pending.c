/*
 * pending.c - the pending queue. Each priority has an array of (watcher,
 * revents); a watcher's `pending` is its 1-based slot. Invocation takes the
 * highest non-empty priority (a bit mask, so empty levels cost nothing) and
 * pops from the end, so within one priority the last queued runs first.
 * Unqueueing empties the slot: O(1), order kept. An empty slot holds the
 * loop's pending_none, whose callback does nothing, so that invocation calls
 * whatever the slot holds without a test.
 */
#include "ev_internal.h"

void ev__grow_pending(struct ev__plevel *l)
{
    l->q = (struct ev__pending *)ev__grow(l->q, &l->cap, l->cnt + 1, sizeof(struct ev__pending));
}

static void pending_none_cb(EV_P_ ev_watcher *w, int revents)
{
    (void)w;
    (void)revents;
#if EV_MULTIPLICITY
    (void)loop;
#endif
}

void ev__pending_init(struct ev_loop *loop)
{
    ev_init(&loop->pending_none, pending_none_cb);
}

void ev__feed_out(struct ev_loop *loop, ev_watcher *w, int revents)
{
    ev__feed(loop, w, revents);
}

void ev__clear_pending(struct ev_loop *loop, ev_watcher *w)
{
    loop->pq[EV__PRI(w)].q[w->pending - 1].w = &loop->pending_none;
    w->pending = 0;
}

void ev__pending_reverse_since(struct ev_loop *loop, const struct ev__pending_mark *m)
{
    for (int p = 0; p < EV__NUMPRI; ++p) {
        struct ev__plevel *l = &loop->pq[p];
        if (l->cnt - m->cnt[p] < 2)
            continue; /* nothing or one queued: nothing to turn round */
        struct ev__pending *a = l->q + m->cnt[p], *b = l->q + l->cnt - 1;
        for (; a < b; ++a, --b) {
            struct ev__pending t = *a;
            *a = *b;
            *b = t;
            if (a->w != &loop->pending_none)
                a->w->pending = (int)(a - l->q) + 1;
            if (b->w != &loop->pending_none)
                b->w->pending = (int)(b - l->q) + 1;
        }
    }
}

static void check_priority(ev_watcher *w)
{
#if EV_MINPRI != EV_MAXPRI
    /* A watcher that was never started may carry any priority; keep the
     * queue index in range the way ev_*_start would. */
    if (EV__UNLIKELY(w->priority < EV_MINPRI || w->priority > EV_MAXPRI))
        w->priority = w->priority < EV_MINPRI ? EV_MINPRI : EV_MAXPRI;
#else
    (void)w;
#endif
}

void ev_feed_event(EV_P_ void *w_, int revents) EV_NOEXCEPT
{
    ev_watcher *w = (ev_watcher *)w_;
    if (!w->pending)
        check_priority(w);
    if (EV__UNLIKELY(loop->metrics != NULL))
        ev__metrics_fed(loop);
    ev__feed(loop, w, revents);
}

int ev_clear_pending(EV_P_ void *w_) EV_NOEXCEPT
{
    ev_watcher *w = (ev_watcher *)w_;
    if (!w->pending)
        return 0;
    int revents = loop->pq[EV__PRI(w)].q[w->pending - 1].events;
    ev__clear_pending(loop, w);
    return revents;
}

void ev_invoke(EV_P_ void *w_, int revents)
{
    ev_watcher *w = (ev_watcher *)w_;
    EV_CB_INVOKE(w, revents);
}

unsigned int ev_pending_count(EV_P) EV_NOEXCEPT
{
    unsigned int n = 0;
    for (int p = 0; p < EV__NUMPRI; ++p)
        n += (unsigned int)loop->pq[p].cnt;
    return n;
}

/* Invokes the only entry of level l (priority pri); mask is the current pending mask. */
static inline void invoke_single(struct ev_loop *loop, struct ev__plevel *l, int pri,
                                 unsigned int mask)
{
    l->cnt = 0;
    loop->pending_mask = mask ^ (1u << pri); /* that bit was set */
    /* Copy out: the callback may queue into this very slot. */
    ev_watcher *w = l->q->w;
    int revents = l->q->events;
#if EV_VERIFY >= 3
    ev_verify(EV_A);
#endif
    w->pending = 0; /* pending_none's too: it is never queued */
    EV_CB_INVOKE(w, revents);
}

/* A level with several entries: taken from its end for as long as the
 * callbacks leave the pending mask as it was (a change means another level
 * gained or lost its first entry: the caller then picks the highest level
 * again). Out of line, so that the single-entry case keeps a small frame. */
static EV__NOINLINE void invoke_level(struct ev_loop *loop, struct ev__plevel *l, int pri,
                                      unsigned int mask)
{
    size_t n; /* from an unsigned count: no sign extension */
    while ((n = (size_t)(unsigned int)l->cnt - 1u) != 0) {
        l->cnt = (int)n;
        /* Copy out: the callback may queue into this very slot. */
        struct ev__pending *p = l->q + n;
        ev_watcher *w = p->w;
#if EV_VERIFY >= 3
        ev_verify(EV_A);
#endif
        w->pending = 0;
        EV_CB_INVOKE(w, p->events);
        if (loop->pending_mask != mask)
            return;
    }
    invoke_single(loop, l, pri, mask); /* the level's last entry */
}

void ev_invoke_pending(EV_P)
{
    unsigned int mask;
    while ((mask = loop->pending_mask)) {
        int pri = 31 ^ __builtin_clz(mask); /* the highest set bit: one bsr */
        struct ev__plevel *l = &loop->pq[pri];
        if (l->cnt > 1)
            invoke_level(loop, l, pri, mask);
        else
            invoke_single(loop, l, pri, mask); /* a set bit means at least one entry */
    }
}
