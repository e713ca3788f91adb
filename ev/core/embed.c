/*
 * embed.c - ev_embed: one loop (w->other, with an embeddable backend) run from
 * inside another. Three private watchers in the embedding loop do the work: an
 * io watcher on other's backend fd (readable when other has io waiting), a
 * prepare watcher that hands other's fd changes to its backend before the
 * embedding loop blocks, and a fork watcher that makes other follow its
 * embedder through fork. While the embed watcher is active they are active
 * too, hold no loop reference (the embed watcher holds the only one), and
 * w->io.fd always names other's current backend fd.
 */
#include "ev_internal.h"
#include "backend.h"

#include <stddef.h>

#if EV_EMBED_ENABLE

/* The private watchers are members of the ev_embed; walk back to it. */
#define EMBED_OF(ptr, member) ((ev_embed *)(void *)((char *)(ptr)-offsetof(ev_embed, member)))

static void io_watch(struct ev_loop *loop, ev_embed *w)
{
    ev_io_set(&w->io, w->other->backend_fd, EV_READ);
    ev_io_start(EV_A_ & w->io);
    ev_unref(EV_A); /* only the embed watcher keeps the loop alive */
}

static void io_unwatch(struct ev_loop *loop, ev_embed *w)
{
    if (!ev_is_active(&w->io))
        return;
    ev_ref(EV_A);
    ev_io_stop(EV_A_ & w->io);
}

/* other re-created its kernel state (after a fork): watch the new fd. */
static void io_follow_backend(struct ev_loop *loop, ev_embed *w)
{
    if (w->io.fd == w->other->backend_fd)
        return;
    io_unwatch(loop, w);
    io_watch(loop, w);
}

static void embed_io_cb(EV_P_ ev_io *io, int revents)
{
    ev_embed *w = EMBED_OF(io, io);
    (void)revents;
    if (ev_cb(w))
        ev__feed(loop, (ev_watcher *)w, EV_EMBED); /* the user's callback sweeps */
    else
        ev_embed_sweep(EV_A_ w);
}

static void embed_prepare_cb(EV_P_ ev_prepare *prepare, int revents)
{
    ev_embed *w = EMBED_OF(prepare, prepare);
    struct ev_loop *other = w->other;
    (void)revents;
    if (EV__UNLIKELY(other->postfork)) {
        /* Someone called ev_loop_fork(other): its backend fd is about to be
         * replaced, so reifying into the old one would be wasted (or, in a
         * child, would edit the parent's kernel state). A sweep re-creates
         * it, reifies and lets us follow the new fd. */
        ev_embed_sweep(EV_A_ w);
        return;
    }
    /* Without this, watchers started in other since its last sweep would not
     * be in its backend, and its fd would never become readable for them. */
    if (other->change_cnt)
        ev__fd_reify(other);
    if (other->backend->flush)
        other->backend->flush(other); /* io_uring, kqueue: queued changes */
    /* A backend may replace its kernel object while reifying (epoll does in
     * a child that has not called ev_loop_fork). */
    io_follow_backend(loop, w);
}

static void embed_fork_cb(EV_P_ ev_fork *fork, int revents)
{
    ev_embed *w = EMBED_OF(fork, fork);
    (void)revents;
    ev_loop_fork(w->other);
    ev_embed_sweep(EV_A_ w); /* applies the fork to other now */
}

void ev_embed_start(EV_P_ ev_embed *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    struct ev_loop *other = w->other;
    EV__ASSERT(other && other->backend && (other->backend->flags & EV__BACKEND_EMBEDDABLE),
               "libev: ev_embed_start: loop is not embeddable");
    EV__ASSERT(other != loop, "libev: ev_embed_start: a loop cannot embed itself");

    ev__start(loop, (ev_watcher *)w, 1); /* clamps the priority the io copies */

    ev_init(&w->io, embed_io_cb);
    ev_set_priority(&w->io, ev_priority(w));
    io_watch(loop, w);

    /* Lowest priority: runs after every other prepare watcher, which may
     * still start watchers in other. */
    ev_init(&w->prepare, embed_prepare_cb);
    ev_set_priority(&w->prepare, EV_MINPRI);
    ev_prepare_start(EV_A_ & w->prepare);
    ev_unref(EV_A);

    ev_init(&w->fork, embed_fork_cb);
    ev_fork_start(EV_A_ & w->fork);
    ev_unref(EV_A);
}

void ev_embed_stop(EV_P_ ev_embed *w) EV_NOEXCEPT
{
    ev__unpend(loop, (ev_watcher *)w);
    if (EV__UNLIKELY(!w->active))
        return;
    io_unwatch(loop, w);
    ev_ref(EV_A);
    ev_prepare_stop(EV_A_ & w->prepare);
    ev_ref(EV_A);
    ev_fork_stop(EV_A_ & w->fork);
    ev__stop(loop, (ev_watcher *)w);
}

void ev_embed_sweep(EV_P_ ev_embed *w) EV_NOEXCEPT
{
    ev_run(w->other, EVRUN_NOWAIT);
    if (ev_is_active(w))
        io_follow_backend(loop, w);
}

#endif /* EV_EMBED_ENABLE */
