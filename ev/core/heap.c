/*
 * heap.c - the 4-ary min-heap used for timers and periodics. Nodes cache the
 * deadline next to the watcher pointer, so sifting touches no watcher memory
 * except to store the new index in w->active. Indices run from EV__HEAP0 to
 * n - 1; n is one past the last node.
 */
#include "ev_internal.h"

void ev__heap_up(struct ev__heap_node *h, int k)
{
    struct ev__heap_node node = h[k];
    while (k > EV__HEAP0) {
        int p = EV__HEAP_PARENT(k);
        if (h[p].at <= node.at)
            break;
        h[k] = h[p];
        h[k].w->active = k;
        k = p;
    }
    h[k] = node;
    node.w->active = k;
}

void ev__heap_down(struct ev__heap_node *h, int n, int k)
{
    struct ev__heap_node node = h[k];
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
        if (h[best].at >= node.at)
            break;
        h[k] = h[best];
        h[k].w->active = k;
        k = best;
    }
    h[k] = node;
    node.w->active = k;
}

void ev__heap_adjust(struct ev__heap_node *h, int n, int k)
{
    if (k > EV__HEAP0 && h[EV__HEAP_PARENT(k)].at > h[k].at)
        ev__heap_up(h, k);
    else
        ev__heap_down(h, n, k);
}
