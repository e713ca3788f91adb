/*
 * heap.h - the 4-ary min-heap used for timers and periodics. Nodes cache the
 * deadline next to the watcher pointer, so sifting reads no watcher memory and
 * only writes the node's new index into w->active. Indices run from EV__HEAP0
 * to n - 1 (n is one past the last node). The root sits at index 3 so that the
 * four children of node k, 4k-8 .. 4k-5, start on a multiple of four: with 16
 * byte nodes they share one 64-byte cache line.
 *
 * Sentinels: index 2 (the root's "parent") has the deadline -infinity, and
 * the three slots n, n + 1 and n + 2 past the end have +infinity (the
 * capacity is at least n + 3; an insertion at n writes the sentinel of slot
 * n + 3, a removal that of the slot it frees). So the four children of any
 * node that has one are all readable, and a hole never moves past the end:
 * neither sift needs a bounds test beyond "has a first child".
 *
 * The functions take the moving node's (at, w) by value and write it once at
 * its final place; they are inline because they are the whole cost of
 * ev_timer_start/stop.
 */
#ifndef EV_HEAP_H_
#define EV_HEAP_H_

#include "ev_internal.h"

#include <math.h> /* INFINITY, a constant: no libm */

/* Grows a heap array for a node at index k (capacity k + 4, see above). */
static EV__COLD struct ev__heap_node *ev__heap_grow(struct ev__heap_node *h, int *cap, int k)
{
    int first = !*cap;
    h = (struct ev__heap_node *)ev__grow(h, cap, k + 4, sizeof(struct ev__heap_node));
    if (first) {
        h[EV__HEAP0 - 1].at = -INFINITY;
        h[EV__HEAP0 - 1].w = NULL;
        for (int i = EV__HEAP0; i < EV__HEAP0 + 3; ++i)
            h[i].at = INFINITY;
    }
    return h;
}

/* Places (at, w) at hole k or above. The sentinel stops the loop at the root
 * (also for a NaN deadline: every comparison with NaN is false). */
static inline void ev__heap_up_from(struct ev__heap_node *h, int k, ev_tstamp at,
                                    ev_watcher_time *w)
{
    for (;;) {
        int p = EV__HEAP_PARENT(k);
        if (EV__LIKELY(!(h[p].at > at)))
            break;
        h[k] = h[p];
        h[k].w->active = k;
        k = p;
    }
    h[k].at = at;
    h[k].w = w;
    w->active = k;
}

/* Appends (at, w) at index k, the current end, and restores the sentinels. */
static inline void ev__heap_insert(struct ev__heap_node *h, int k, ev_tstamp at, ev_watcher_time *w)
{
    h[k + 3].at = INFINITY;
    ev__heap_up_from(h, k, at, w);
}

/* Places (at, w) at hole k or below (n is one past the last node). */
static inline void ev__heap_down_from(struct ev__heap_node *h, int n, int k, ev_tstamp at,
                                      ev_watcher_time *w)
{
    struct ev__heap_node *end = h + n;
    for (;;) {
        struct ev__heap_node *c = h + EV__HEAP_CHILD(k);
        if (c >= end)
            break;
        /* a small tournament; missing children are +infinity sentinels, and
         * on a tie the real node (lower index) wins */
        struct ev__heap_node *a = c[1].at < c[0].at ? c + 1 : c;
        struct ev__heap_node *b = c[3].at < c[2].at ? c + 3 : c + 2;
        struct ev__heap_node *m = b->at < a->at ? b : a;
        if (!(m->at < at))
            break;
        h[k] = *m;
        h[k].w->active = k;
        k = (int)(m - h);
    }
    h[k].at = at;
    h[k].w = w;
    w->active = k;
}

/* Node k changed its deadline (or is a hole to refill with (at, w)). */
static inline void ev__heap_place(struct ev__heap_node *h, int n, int k, ev_tstamp at,
                                  ev_watcher_time *w)
{
    if (h[EV__HEAP_PARENT(k)].at > at)
        ev__heap_up_from(h, k, at, w);
    else
        ev__heap_down_from(h, n, k, at, w);
}

/* Fills hole k with node `last` (the last node; the heap ends before it). Out of line, so
 * that the stop functions end with a tail call and need no registers saved of their own. */
void ev__heap_fill(struct ev__heap_node *h, int last, int k);

/* Removes node k from a heap of cnt nodes (cnt is decremented); the caller has already
 * cleared the removed watcher's state, which this does not touch. */
static inline void ev__heap_remove(struct ev__heap_node *h, int *cnt, int k)
{
    int last = --*cnt + EV__HEAP0;
    if (EV__LIKELY(k != last))
        ev__heap_fill(h, last, k);
    else
        h[last].at = INFINITY;
}

#endif /* EV_HEAP_H_ */
