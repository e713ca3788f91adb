/*
 * hooks.c - the watchers kept in plain arrays: idle (one array per priority),
 * prepare, check, fork and cleanup. An active watcher's `active` is its index
 * + 1; stopping moves the last watcher into the hole. Cleanup watchers hold
 * no loop reference, so they never keep ev_run going.
 */
#include "ev_internal.h"

void ev__wlist_add(struct ev_loop *loop, struct ev__wlist *l, ev_watcher *w)
{
    if (EV__UNLIKELY(l->cnt == l->cap))
        l->w = (ev_watcher **)ev__grow(l->w, &l->cap, l->cnt + 1, sizeof(ev_watcher *));
    l->w[l->cnt++] = w;
    ev__start(loop, w, l->cnt);
}

void ev__wlist_del(struct ev_loop *loop, struct ev__wlist *l, ev_watcher *w)
{
    int i = w->active - 1;
    ev_watcher *last = l->w[--l->cnt];
    l->w[i] = last;
    last->active = i + 1;
    ev__stop(loop, w);
}

#if EV_IDLE_ENABLE
void ev_idle_start(EV_P_ ev_idle *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    /* the priority must be clamped before it picks the array */
    ev__start(loop, (ev_watcher *)w, 1);
    ev__stop(loop, (ev_watcher *)w);
    int pri = EV__PRI(w);
    ev__wlist_add(loop, &loop->idles[pri], (ev_watcher *)w);
    loop->idle_mask |= 1u << pri;
    ++loop->idle_all;
    loop->hooks |= EV__H_IDLE;
}

void ev_idle_stop(EV_P_ ev_idle *w) EV_NOEXCEPT
{
    ev__unpend(loop, (ev_watcher *)w);
    if (EV__UNLIKELY(!w->active))
        return;
    int pri = EV__PRI(w);
    ev__wlist_del(loop, &loop->idles[pri], (ev_watcher *)w);
    if (!loop->idles[pri].cnt)
        loop->idle_mask &= ~(1u << pri);
    --loop->idle_all;
}
#endif

/* hook: the loop->hooks bit that says the list is not empty (0: none). */
#define ARRAY_WATCHER(type, list, hold_ref, hook)                                                  \
    void ev_##type##_start(EV_P_ ev_##type *w) EV_NOEXCEPT                                         \
    {                                                                                              \
        if (EV__UNLIKELY(w->active))                                                               \
            return;                                                                                \
        ev__wlist_add(loop, &loop->list, (ev_watcher *)w);                                         \
        if (!(hold_ref))                                                                           \
            --loop->activecnt;                                                                     \
        ev__hook(loop, hook, 1);                                                                   \
    }                                                                                              \
    void ev_##type##_stop(EV_P_ ev_##type *w) EV_NOEXCEPT                                          \
    {                                                                                              \
        ev__unpend(loop, (ev_watcher *)w);                                                         \
        if (EV__UNLIKELY(!w->active))                                                              \
            return;                                                                                \
        if (!(hold_ref))                                                                           \
            ++loop->activecnt;                                                                     \
        ev__wlist_del(loop, &loop->list, (ev_watcher *)w);                                         \
        ev__hook(loop, hook, loop->list.cnt != 0);                                                 \
    }

#if EV_PREPARE_ENABLE
ARRAY_WATCHER(prepare, prepares, 1, EV__H_PREPARE)
#endif
#if EV_CHECK_ENABLE
ARRAY_WATCHER(check, checks, 1, EV__H_CHECK)
#endif
#if EV_FORK_ENABLE
ARRAY_WATCHER(fork, forks, 1, 0)
#endif
#if EV_CLEANUP_ENABLE
ARRAY_WATCHER(cleanup, cleanups, 0, 0)
#endif
