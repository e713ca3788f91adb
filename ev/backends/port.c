/*
 * port.c - the Solaris / illumos event-port backend.
 *
 * An fd association is one-shot: retrieving its event dissociates it, so
 * poll() associates every reported fd again (an fd still ready then reports
 * again at once: libev's level-triggered semantics). fds[fd].kmask is what
 * the fd is associated with as far as we know (0: not associated) and
 * fds[fd].gen a generation passed as the user pointer, bumped when the fd
 * number may name a new file (EV__IOFDSET); an event of another generation
 * is not reported, but the fd is associated again, since retrieving it used
 * the association up. Built here against the emulation in ev/tests/emu
 * (EV_PORT_EMU), on Solaris and illumos against <port.h>.
 */
#include "../core/backend.h"

#if EV_USE_PORT

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef EV_PORT_EMU
#include "port_emu.h"
#else
#include <port.h>
#endif

struct port_state {
    port_event_t *events;
    unsigned int cap;
    unsigned forks; /* ev__fork_count() when the port was made */
};

static int port_open(void)
{
    int fd = port_create();
    if (fd < 0)
        return -errno;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

static int port_init(struct ev_loop *loop)
{
    int fd = port_open();
    if (fd < 0)
        return fd;
    struct port_state *s = ev__realloc(NULL, sizeof *s);
    s->cap = 64;
    s->events = ev__realloc(NULL, s->cap * sizeof *s->events);
    s->forks = ev__fork_count();
    loop->backend_fd = fd;
    loop->bstate = s;
    return 0;
}

static void port_destroy(struct ev_loop *loop)
{
    struct port_state *s = loop->bstate; /* init succeeded */
    close(loop->backend_fd);
    loop->backend_fd = -1;
    ev__free(s->events);
    ev__free(s);
    loop->bstate = NULL;
}

static int port_fork(struct ev_loop *loop)
{
    close(loop->backend_fd);
    loop->backend_fd = -1;
    /* Without a port there is nothing to go on with: as libev, ask the syserr
     * callback (it may free fds; the default aborts) until one comes. */
    int fd;
    while ((fd = port_open()) < 0) {
        errno = -fd;
        ev__syserr("(libev) port_create after fork");
    }
    ((struct port_state *)loop->bstate)->forks = ev__fork_count();
    loop->backend_fd = fd;
    loop->backend_renewed = 1;
    ev__fd_rearm_all(loop);
    return 0;
}

/* A child of a fork that did not call ev_loop_fork must not use the port it
 * inherited (or could not: it may be invalid there): make its own. */
static void port_check_fork(struct ev_loop *loop)
{
    struct port_state *s = loop->bstate;
    if (EV__UNLIKELY(s->forks != ev__fork_count()))
        port_fork(loop);
}

/* Associates fd with want (non-zero); a failure means the fd is unusable. */
static void associate(struct ev_loop *loop, int fd, int want)
{
    struct ev__fd *f = &loop->fds[fd];
    int events = (want & EV_READ ? POLLIN : 0) | (want & EV_WRITE ? POLLOUT : 0);
    if (EV__LIKELY(port_associate(loop->backend_fd, PORT_SOURCE_FD, (uintptr_t)fd, events,
                                  (void *)(uintptr_t)f->gen) == 0)) {
        f->kmask = (unsigned char)want;
        return;
    }
    f->kmask = 0;
    ev__fd_kill(loop, fd); /* EBADF, or a file ports cannot watch */
}

static void port_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct ev__fd *f = &loop->fds[fd];
    int want = nev & (EV_READ | EV_WRITE);
    (void)oev;
    port_check_fork(loop);
    if (nev & EV__IOFDSET)
        ++f->gen;
    if (want) {
        associate(loop, fd, want); /* adds, or replaces events and user */
    } else if (f->kmask) {
        f->kmask = 0;
        /* ENOENT: the event fired and was not retrieved yet, or the fd was
         * closed; either way nothing is left to undo */
        port_dissociate(loop->backend_fd, PORT_SOURCE_FD, (uintptr_t)fd);
    }
}

static void port_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct port_state *s = loop->bstate;
    port_check_fork(loop);
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
    unsigned int nget = 1;
    if (port_getn(loop->backend_fd, s->events, s->cap, &nget, tsp) < 0) {
        /* ETIME and EINTR may come with events (a known port_getn quirk):
         * handle them below; anything else is fatal */
        if (errno != ETIME && errno != EINTR)
            ev__syserr("(libev) port_getn");
    }
    for (unsigned int i = 0; i < nget; ++i) {
        const port_event_t *e = &s->events[i];
        if (e->portev_source != PORT_SOURCE_FD || e->portev_object >= (uintptr_t)loop->fd_cap)
            continue;
        int fd = (int)e->portev_object;
        struct ev__fd *f = &loop->fds[fd];
        f->kmask = 0; /* retrieving the event dissociated fd */
        int want = f->wanted;
        if (EV__UNLIKELY((uint32_t)(uintptr_t)e->portev_user != f->gen)) {
            if (want)
                associate(loop, fd, want); /* a stale event used up the association */
            continue;
        }
        if (EV__UNLIKELY(e->portev_events & POLLNVAL)) {
            ev__fd_kill(loop, fd);
            continue;
        }
        int got = (e->portev_events & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
                  (e->portev_events & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0);
        ev__fd_event(loop, fd, got & want); /* only queues: wanted stays */
        if (want)
            associate(loop, fd, want);
    }
    if (EV__UNLIKELY(nget == s->cap)) {
        ev__free(s->events);
        s->cap *= 2;
        s->events = ev__realloc(NULL, s->cap * sizeof *s->events);
    }
}

const struct ev__backend ev__backend_port = {
    .name = "port",
    .id = EVBACKEND_PORT,
    .flags = EV__BACKEND_EMBEDDABLE,
    .mintime = 1e-9,
    .init = port_init,
    .destroy = port_destroy,
    .fork = port_fork,
    .modify = port_modify,
    .poll = port_poll,
};

#endif /* EV_USE_PORT */
