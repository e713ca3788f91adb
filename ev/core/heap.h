/*
 * heap.h - the 4-ary min-heap used for timers and periodics. Nodes cache the
 * deadline next to the watcher pointer, so sifting reads no watcher memory and
 * only writes the node's new index into w->active. Indices run from EV__HEAP0
 * to n - 1 (n is one past the last node). The root sits at index 3 so that the
 * four children of node k, 4k-8 .. 4k-5, start on a multiple of four: with 16
 * byte nodes they share one 64-byte cache line.
 *
 * The functions take the moving node's (at, w) by value and write it once at
 * its final place; they are inline because they are the whole cost of
 * ev_timer_start/stop.
 */
#ifndef EV_HEAP_H_
#define EV_HEAP_H_

#include "ev_internal.h"

#include <math.h> /* INFINITY, a constant: no libm */

/* Grows a heap array to hold index `need`, keeping the sentinel below the root. */
static inline struct ev__heap_node *ev__heap_grow(struct ev__heap_node *h, int *cap, int need)
{
    h = (struct ev__heap_node *)ev__grow(h, cap, need + 1, sizeof(struct ev__heap_node));
    h[EV__HEAP0 - 1].at = -INFINITY;
    h[EV__HEAP0 - 1].w = NULL;
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

/* Places (at, w) at hole k or below. */
static inline void ev__heap_down_from(struct ev__heap_node *h, int n, int k, ev_tstamp at,
                                      ev_watcher_time *w)
{
    for (;;) {
        int c = EV__HEAP_CHILD(k);
        int best;
        if (EV__LIKELY(c + 3 < n)) {
            /* all four children exist: a small tournament */
            int a = h[c].at <= h[c + 1].at ? c : c + 1;
            int b = h[c + 2].at <= h[c + 3].at ? c + 2 : c + 3;
            best = h[a].at <= h[b].at ? a : b;
        } else if (c < n) {
            best = c;
            for (int i = c + 1; i < n; ++i)
                if (h[i].at < h[best].at)
                    best = i;
        } else {
            break;
        }
        if (h[best].at >= at)
            break;
        h[k] = h[best];
        h[k].w->active = k;
        k = best;
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
}

#endif /* EV_HEAP_H_ */
