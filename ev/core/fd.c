/*
 * fd.c - the fd table and io watchers. fds[fd] holds the io watchers of fd (a
 * list through `next`, newest first) and what the backend was last told.
 * Starting and stopping io watchers only records the fd in the change list;
 * ev__fd_reify, once per iteration before polling, tells the backend about
 * each changed fd once.
 */
#include "ev_internal.h"
#include "backend.h"

#include <errno.h>
#include <string.h>
#ifdef _WIN32
#include <io.h>
#else
#include <fcntl.h>
#include <unistd.h>
#endif

void ev__fd_grow(struct ev_loop *loop, int fd)
{
    int old = loop->fd_cap;
    loop->fds = (struct ev__fd *)ev__grow(loop->fds, &loop->fd_cap, fd + 1, sizeof(struct ev__fd));
    memset(loop->fds + old, 0, (size_t)(loop->fd_cap - old) * sizeof(struct ev__fd));
}

void ev__change_grow_append(struct ev_loop *loop, int fd)
{
    loop->changes =
        (int *)ev__grow(loop->changes, &loop->change_cap, loop->change_cnt + 1, sizeof(int));
    loop->changes[loop->change_cnt++] = fd;
}

void ev__fd_reify(struct ev_loop *loop)
{
    /* The list may grow while we walk it: a backend that finds a bad fd kills
     * its watchers, which records the fd again. */
    for (int i = 0; i < loop->change_cnt; ++i) {
        int fd = loop->changes[i];
        struct ev__fd *f = &loop->fds[fd];
        int wanted = 0;
        for (ev_watcher_list *w = f->head; w; w = w->next)
            wanted |= ((ev_io *)w)->events;
        int reify = f->reify;
        int old = f->wanted;
        f->reify = 0;
        f->wanted = (unsigned char)wanted;
        if (old != wanted || (reify & EV__IOFDSET))
            loop->backend->modify(loop, fd, old, wanted | (reify & EV__IOFDSET));
    }
    loop->change_cnt = 0;
}

void ev__fd_rearm_all(struct ev_loop *loop)
{
    for (int fd = 0; fd < loop->fd_cap; ++fd) {
        struct ev__fd *f = &loop->fds[fd];
        f->kmask = 0;
        if (f->wanted)
            loop->backend->modify(loop, fd, 0, f->wanted | EV__IOFDSET);
    }
}

int ev__fd_replace(int newfd, int oldfd)
{
    if (newfd < 0 || oldfd < 0 || newfd == oldfd)
        return newfd;
#ifdef _WIN32 /* no fork, nothing is re-created: kept for completeness */
    _close(oldfd);
    return newfd;
#else
    int r;
    do {
#ifdef __linux__
        r = dup3(newfd, oldfd, O_CLOEXEC);
#else
        r = dup2(newfd, oldfd);
        if (r >= 0)
            fcntl(oldfd, F_SETFD, FD_CLOEXEC);
#endif
    } while (r < 0 && (errno == EINTR || errno == EBUSY));
    if (r < 0) {
        close(oldfd);
        return newfd;
    }
    close(newfd);
    return oldfd;
#endif
}

void ev__fd_kill(struct ev_loop *loop, int fd)
{
    ev_io *w;
    while ((w = (ev_io *)loop->fds[fd].head)) {
        ev_io_stop(EV_A_ w);
        ev__feed(loop, (ev_watcher *)w, EV_ERROR | EV_READ | EV_WRITE);
    }
}

void ev_feed_fd_event(EV_P_ int fd, int revents) EV_NOEXCEPT
{
    if (EV__UNLIKELY(loop->metrics != NULL))
        ev__metrics_fed(loop);
    if (fd >= 0 && fd < loop->fd_cap)
        ev__fd_event(loop, fd, revents);
}

static void io_link_grow(struct ev_loop *loop, ev_io *w);

/* Puts w at the head of its fd's list and records the change. Growing is
 * done by tail calls, so that the common path needs no stack frame. */
static inline void io_link(struct ev_loop *loop, ev_io *w)
{
    int fd = w->fd;
    if (EV__UNLIKELY((unsigned)fd >= (unsigned)loop->fd_cap)) {
        io_link_grow(loop, w); /* also refuses a negative fd */
        return;
    }
    struct ev__fd *f = &loop->fds[fd];
    int events = w->events;
    w->next = f->head;
    f->head = (ev_watcher_list *)w;
    w->events = events & ~EV__IOFDSET;
    ev__fd_change(loop, fd, (events & EV__IOFDSET) | EV__REIFY);
}

static EV__COLD void io_link_grow(struct ev_loop *loop, ev_io *w)
{
    EV__ASSERT(w->fd >= 0, "libev: ev_io_start called with negative fd");
    ev__fd_grow(loop, w->fd);
    io_link(loop, w);
}

__attribute__((noreturn)) static EV__COLD void io_not_found(void)
{
    ev__fatal("libev: ev_io_stop: watcher not found on its fd; was w->fd changed while the "
              "watcher was active?");
}

/* Takes w off its fd's list and records the change. */
static inline void io_unlink(struct ev_loop *loop, ev_io *w)
{
    int fd = w->fd;
    struct ev__fd *f = &loop->fds[fd];
    ev_watcher_list **p = &f->head;
    while (*p != (ev_watcher_list *)w) {
        if (EV__UNLIKELY(!*p))
            io_not_found();
        p = &(*p)->next;
    }
    *p = w->next;
    ev__fd_change(loop, fd, EV__REIFY);
}

void ev_io_start(EV_P_ ev_io *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    /* (a negative fd is refused by io_link) */
    EV__ASSERT(!(w->events & ~(EV__IOFDSET | EV_READ | EV_WRITE)),
               "libev: ev_io_start called with illegal event mask");
    ev__start(loop, (ev_watcher *)w, 1);
    io_link(loop, w);
}

/* A pending io watcher is unqueued first, out of line (see ev_timer_stop). */
static EV__COLD void io_stop_pending(struct ev_loop *loop, ev_io *w)
{
    ev__clear_pending(loop, (ev_watcher *)w);
    ev_io_stop(EV_A_ w);
}

void ev_io_stop(EV_P_ ev_io *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->pending)) {
        io_stop_pending(loop, w);
        return;
    }
    if (EV__UNLIKELY(!w->active))
        return;
    EV__ASSERT((unsigned)w->fd < (unsigned)loop->fd_cap,
               "libev: ev_io_stop called with illegal fd (must stay constant after start!)");
    ev__stop(loop, (ev_watcher *)w);
    io_unlink(loop, w);
}

void ev__io_start_internal(struct ev_loop *loop, ev_io *w)
{
    if (w->active)
        return;
    w->active = 1;
    EV__SET_PRI(w, EV_MAXPRI);
    io_link(loop, w);
}

void ev__io_stop_internal(struct ev_loop *loop, ev_io *w)
{
    ev__unpend(loop, (ev_watcher *)w);
    if (!w->active)
        return;
    io_unlink(loop, w);
    w->active = 0;
}
