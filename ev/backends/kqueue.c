/*
 * kqueue.c - the BSD / macOS kqueue backend (EVFILT_READ, EVFILT_WRITE).
 *
 * modify() only appends to a change list; poll() hands it to the kernel in
 * the same kevent() call that waits, with an event list at least as long, so
 * a change that fails comes back as an EV_ERROR entry instead of failing the
 * call. fds[fd].kmask is the set of filters we have added for fd and
 * fds[fd].gen a generation carried in udata, bumped when the fd number may
 * name a new file (EV__IOFDSET): an event or error with another generation is
 * about a file we no longer watch and is dropped. Knotes are level-triggered
 * and vanish by themselves when the fd is closed. Built here against the
 * emulation in ev/tests/emu (EV_KQUEUE_EMU), on the BSDs against the kernel.
 */
#include "../core/backend.h"

#if EV_USE_KQUEUE

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef EV_KQUEUE_EMU
#include "kqueue_emu.h"
#else
#include <sys/event.h>
#include <sys/time.h>
#endif

struct kqueue_state {
    struct kevent *changes;
    int nchanges, changes_cap;
    struct kevent *events;
    int cap;
    unsigned forks; /* ev__fork_count() when the kqueue was made */
};

static int kq_open(void)
{
    int fd = kqueue();
    if (fd < 0)
        return -errno;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

static int kqueue_init(struct ev_loop *loop)
{
    int fd = kq_open();
    if (fd < 0)
        return fd;
    struct kqueue_state *s = ev__realloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    s->cap = 64;
    s->events = ev__realloc(NULL, (size_t)s->cap * sizeof *s->events);
    s->forks = ev__fork_count();
    loop->backend_fd = fd;
    loop->bstate = s;
    return 0;
}

static void kqueue_destroy(struct ev_loop *loop)
{
    struct kqueue_state *s = loop->bstate; /* init succeeded */
    close(loop->backend_fd);
    loop->backend_fd = -1;
    ev__free(s->changes);
    ev__free(s->events);
    ev__free(s);
    loop->bstate = NULL;
}

static int kqueue_fork(struct ev_loop *loop)
{
    /* A kqueue is not inherited by a child (the BSDs leave the slot empty):
     * make a new one and add every wanted fd to it. Unlike the Linux objects
     * it cannot keep the old number: that slot is free in the child. */
    struct kqueue_state *s = loop->bstate;
    close(loop->backend_fd);
    loop->backend_fd = -1;
    s->nchanges = 0;
    /* Without a kqueue there is nothing to go on with: as libev, ask the
     * syserr callback (it may free fds; the default aborts) until one comes. */
    int fd;
    while ((fd = kq_open()) < 0) {
        errno = -fd;
        ev__syserr("(libev) kqueue after fork");
    }
    s->forks = ev__fork_count();
    loop->backend_fd = fd;
    loop->backend_renewed = 1;
    ev__fd_rearm_all(loop);
    return 0;
}

/* A child of a fork that did not call ev_loop_fork has no usable kqueue (or,
 * emulated, the parent's): make its own before using one. */
static void kqueue_check_fork(struct ev_loop *loop)
{
    struct kqueue_state *s = loop->bstate;
    if (EV__UNLIKELY(s->forks != ev__fork_count()))
        kqueue_fork(loop);
}

static void queue_change(struct ev_loop *loop, int fd, int filter, int flags)
{
    struct kqueue_state *s = loop->bstate;
    if (s->nchanges == s->changes_cap)
        s->changes = ev__grow(s->changes, &s->changes_cap, s->nchanges + 1, sizeof *s->changes);
    EV_SET(&s->changes[s->nchanges], (uintptr_t)fd, filter, flags, 0, 0,
           (void *)(uintptr_t)loop->fds[fd].gen);
    ++s->nchanges;
}

static void kqueue_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct ev__fd *f = &loop->fds[fd];
    int want = nev & (EV_READ | EV_WRITE);
    int fresh = (nev & EV__IOFDSET) != 0;
    (void)oev;
    if (fresh)
        ++f->gen; /* events of the knotes' old udata are stale from now on */
    if (want & EV_READ) {
        if (fresh || !(f->kmask & EV_READ))
            queue_change(loop, fd, EVFILT_READ, EV_ADD); /* adds, or updates udata */
    } else if (f->kmask & EV_READ) {
        queue_change(loop, fd, EVFILT_READ, EV_DELETE);
    }
    if (want & EV_WRITE) {
        if (fresh || !(f->kmask & EV_WRITE))
            queue_change(loop, fd, EVFILT_WRITE, EV_ADD);
    } else if (f->kmask & EV_WRITE) {
        queue_change(loop, fd, EVFILT_WRITE, EV_DELETE);
    }
    f->kmask = (unsigned char)want;
}

/* A change failed with err (from an EV_ERROR entry). */
static void change_failed(struct ev_loop *loop, int fd, int err)
{
    struct ev__fd *f = &loop->fds[fd];
    if (!f->wanted)
        return; /* e.g. deleting from a closed fd: nothing to do */
    if (err == ENOENT || (err == EBADF && fcntl(fd, F_GETFD) != -1)) {
        /* the kernel lost our knotes (the fd was closed and reused): add them
         * again for the file the fd names now */
        f->kmask = 0;
        kqueue_modify(loop, fd, 0, f->wanted);
    } else {
        ev__fd_kill(loop, fd); /* EBADF, or a file kqueue cannot watch */
    }
}

static void handle_events(struct ev_loop *loop, int n)
{
    struct kqueue_state *s = loop->bstate;
    for (int i = 0; i < n; ++i) {
        const struct kevent *e = &s->events[i];
        if (e->ident >= (uintptr_t)loop->fd_cap)
            continue;
        int fd = (int)e->ident;
        struct ev__fd *f = &loop->fds[fd];
        if ((uint32_t)(uintptr_t)e->udata != f->gen)
            continue; /* about the file this fd named before */
        if (EV__UNLIKELY(e->flags & EV_ERROR)) {
            if (e->data)
                change_failed(loop, fd, (int)e->data);
            continue; /* data 0: a receipt */
        }
        int got = e->filter == EVFILT_READ ? EV_READ : e->filter == EVFILT_WRITE ? EV_WRITE : 0;
        ev__fd_event(loop, fd, got & f->wanted);
    }
}

static int only_errors(const struct kqueue_state *s, int n)
{
    for (int i = 0; i < n; ++i)
        if (!(s->events[i].flags & EV_ERROR))
            return 0;
    return 1;
}

/* Room for one entry per change, so that failures come back as entries. */
static void reserve_events(struct kqueue_state *s)
{
    if (s->cap < s->nchanges) {
        ev__free(s->events);
        s->cap = s->nchanges;
        s->events = ev__realloc(NULL, (size_t)s->cap * sizeof *s->events);
    }
}

static void kqueue_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct kqueue_state *s = loop->bstate;
    kqueue_check_fork(loop);
    reserve_events(s);
    struct timespec ts, *tsp = NULL;
    if (timeout >= 0.) {
        if (timeout > 1e9)
            timeout = 1e9;
        ts.tv_sec = (time_t)timeout;
        ts.tv_nsec = (long)((timeout - (double)ts.tv_sec) * 1e9 + 0.999999);
        if (ts.tv_nsec >= 1000000000L) {
            ++ts.tv_sec;
            ts.tv_nsec -= 1000000000L;
        }
        tsp = &ts;
    }
    int nchanges = s->nchanges;
    s->nchanges = 0; /* applied (or reported back) by this call */
    int n = kevent(loop->backend_fd, s->changes, nchanges, s->events, s->cap, tsp);
    if (EV__UNLIKELY(n < 0)) {
        if (errno != EINTR)
            ev__syserr("(libev) kevent");
        return;
    }
    handle_events(loop, n);
    if (EV__UNLIKELY(n > 0 && only_errors(s, n))) {
        /* FreeBSD returns failed changes without looking for events: look
         * now, without waiting (the next iteration waits properly) */
        struct timespec zero = {0, 0};
        n = kevent(loop->backend_fd, NULL, 0, s->events, s->cap, &zero);
        if (n > 0)
            handle_events(loop, n);
    }
    if (EV__UNLIKELY(n == s->cap)) {
        ev__free(s->events);
        s->cap *= 2;
        s->events = ev__realloc(NULL, (size_t)s->cap * sizeof *s->events);
    }
}

/* Applies the change list now without collecting events (ev_embed polls our
 * fd next and must see every event still waiting): with EV_RECEIPT each
 * change yields exactly one entry, and the call does not wait or scan. */
static void kqueue_flush(struct ev_loop *loop)
{
    struct kqueue_state *s = loop->bstate;
    kqueue_check_fork(loop);
    if (!s->nchanges)
        return;
#ifdef EV_RECEIPT
    for (int i = 0; i < s->nchanges; ++i)
        s->changes[i].flags |= EV_RECEIPT;
    reserve_events(s);
    struct timespec zero = {0, 0};
    int nchanges = s->nchanges;
    s->nchanges = 0;
    int n = kevent(loop->backend_fd, s->changes, nchanges, s->events, nchanges, &zero);
    if (n < 0) {
        if (errno != EINTR)
            ev__syserr("(libev) kevent");
        return;
    }
    handle_events(loop, n);
#else
    kqueue_poll(loop, 0.);
#endif
}

const struct ev__backend ev__backend_kqueue = {
    .name = "kqueue",
    .id = EVBACKEND_KQUEUE,
    .flags = EV__BACKEND_EMBEDDABLE,
    .mintime = 1e-9,
    .init = kqueue_init,
    .destroy = kqueue_destroy,
    .fork = kqueue_fork,
    .modify = kqueue_modify,
    .poll = kqueue_poll,
    .flush = kqueue_flush,
};

#endif /* EV_USE_KQUEUE */
