/*
 * verify.c - ev_verify: walks every internal structure and aborts with a
 * message naming the broken invariant (see ev_internal.h). Cost is linear in
 * the number of watchers; meant for tests and debugging.
 */
#include "ev_internal.h"

#include <math.h> /* isinf: a macro, no libm */

#define CHECK(cond, what) EV__ASSERT(cond, "libev: ev_verify: " what)

/* lazy: a key may be below its watcher's deadline (timers, see timer.c), never above. */
static void verify_heap(struct ev__heap_node *h, int cnt, int cap, int lazy)
{
    int end = cnt + EV__HEAP0;
    if (!h)
        return;
    /* the sentinels of heap.h */
    CHECK(cap >= end + 3, "heap capacity below its sentinels");
    CHECK(h[EV__HEAP0 - 1].at < 0. && isinf(h[EV__HEAP0 - 1].at), "heap root sentinel lost");
    for (int k = end; k < end + 3; ++k)
        CHECK(h[k].at > 0. && isinf(h[k].at), "heap end sentinel lost");
    for (int k = EV__HEAP0; k < end; ++k) {
        CHECK(h[k].w->active == k, "heap index does not match watcher's active");
        if (lazy)
            CHECK(h[k].at <= h[k].w->at || h[k].at != h[k].at,
                  "heap key after its timer's deadline");
        else
            CHECK(h[k].at == h[k].w->at, "cached heap deadline differs from watcher's at");
        if (k > EV__HEAP0)
            CHECK(h[EV__HEAP_PARENT(k)].at <= h[k].at, "heap order violated");
    }
}

static void verify_wlist(struct ev__wlist *l)
{
    CHECK(l->cnt >= 0 && l->cnt <= l->cap, "watcher array count out of range");
    for (int i = 0; i < l->cnt; ++i)
        CHECK(l->w[i]->active == i + 1, "array watcher's active is not its index + 1");
}

void ev_verify(EV_P) EV_NOEXCEPT
{
    unsigned int mask = 0;
    for (int p = 0; p < EV__NUMPRI; ++p) {
        CHECK(loop->pq[p].cnt >= 0 && loop->pq[p].cnt <= loop->pq[p].cap,
              "pending count out of range");
        if (loop->pq[p].cnt)
            mask |= 1u << p;
        for (int i = 0; i < loop->pq[p].cnt; ++i) {
            ev_watcher *w = loop->pq[p].q[i].w;
            CHECK(w != NULL, "pending slot without a watcher");
            if (w != &loop->pending_none)
                CHECK(w->pending == i + 1, "pending watcher's slot does not match");
        }
        verify_wlist(&loop->idles[p]);
    }
    CHECK(mask == loop->pending_mask, "pending mask out of sync");

    for (int fd = 0; fd < loop->fd_cap; ++fd) {
        int n = 0;
        for (ev_watcher_list *w = loop->fds[fd].head; w; w = w->next) {
            CHECK(w->active == 1, "io watcher on an fd list is not active");
            CHECK(((ev_io *)w)->fd == fd, "io watcher is on the wrong fd list");
            CHECK(++n < 1000000, "io watcher list has a cycle");
        }
    }

    verify_heap(loop->timers, loop->timer_cnt, loop->timer_cap, 1);
#if EV_PERIODIC_ENABLE
    verify_heap(loop->periodics, loop->periodic_cnt, loop->periodic_cap, 0);
#endif
    verify_wlist(&loop->prepares);
    verify_wlist(&loop->checks);
    verify_wlist(&loop->forks);
    verify_wlist(&loop->cleanups);
    verify_wlist(&loop->asyncs);
}
