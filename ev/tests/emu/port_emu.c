/*
 * port_emu.c - Solaris event ports for fds on top of epoll, for tests only
 * (see port_emu.h). A port is an epoll fd (pollable, like a real port);
 * every association is an EPOLLONESHOT registration, so it fires once.
 * Semantics kept from port_associate(3C) / port_getn(3C):
 *  - port_associate associates fd with events and user, or updates both when
 *    fd is already associated; an fd that is ready at that moment yields an
 *    event at once; EBADF for a closed fd; EINVAL for other sources.
 *  - retrieving an event dissociates the fd (one-shot): it must be
 *    associated again to report again. port_dissociate of an fd that is not
 *    associated fails with ENOENT.
 *  - port_getn waits until *nget events (at most max) are there, the timeout
 *    passes (-1/ETIME, with *nget set to the events retrieved anyway, which
 *    callers must process) or a signal arrives (-1/EINTR, likewise). max 0
 *    reports the number waiting without retrieving.
 *  - close() dissociates an fd: we cannot see close(), so associations are
 *    checked against the file identity (fstat dev/inode) and dropped when the
 *    fd number names another file or nothing; an epoll generation in the
 *    event data drops events of registrations we can no longer reach.
 *  - regular files (which epoll refuses) are always ready.
 * Not emulated: other sources, port_send/port_alert, port_get.
 */
#include "port_emu.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

struct passoc {
    unsigned char associated; /* armed, or ready but not retrieved */
    unsigned char registered; /* epoll knows (fd, this file), armed or not */
    unsigned char always;     /* epoll refused the file: always ready */
    int events;
    void *user;
    uint32_t gen; /* bumped on every EPOLL_CTL_ADD */
    dev_t dev;
    ino_t ino;
};

struct port {
    int epfd;
    struct passoc *a;
    int cap;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct port **ports; /* by epoll fd */
static int ports_cap;

int ev_emu_port_create(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return -1;
    struct port *p = calloc(1, sizeof *p);
    if (!p) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    p->epfd = fd;
    pthread_mutex_lock(&mu);
    if (fd >= ports_cap) {
        int cap = fd + 16;
        ports = realloc(ports, (size_t)cap * sizeof *ports);
        memset(ports + ports_cap, 0, (size_t)(cap - ports_cap) * sizeof *ports);
        ports_cap = cap;
    }
    if (ports[fd]) { /* a port that was closed: its number is ours now */
        free(ports[fd]->a);
        free(ports[fd]);
    }
    ports[fd] = p;
    pthread_mutex_unlock(&mu);
    return fd;
}

static struct port *port_get(int fd)
{
    return fd >= 0 && fd < ports_cap ? ports[fd] : NULL;
}

/* Finds (growing the table) the association record of fd and checks it is
 * still about the file fd names; 0 or EBADF. */
static int lookup(struct port *p, int fd, struct passoc **out)
{
    if (fd >= p->cap) {
        int cap = fd + 64;
        p->a = realloc(p->a, (size_t)cap * sizeof *p->a);
        memset(p->a + p->cap, 0, (size_t)(cap - p->cap) * sizeof *p->a);
        p->cap = cap;
    }
    struct passoc *a = &p->a[fd];
    *out = a;
    struct stat st;
    int ok = fstat(fd, &st) == 0;
    if ((a->associated || a->registered) && (!ok || st.st_dev != a->dev || st.st_ino != a->ino)) {
        /* closed since: close() dissociated it; a registration of the old
         * file, if still alive through a dup, is filtered by its generation */
        a->associated = a->registered = a->always = 0;
    }
    if (!ok)
        return EBADF;
    a->dev = st.st_dev;
    a->ino = st.st_ino;
    return 0;
}

int ev_emu_port_associate(int port, int source, uintptr_t object, int events, void *user)
{
    pthread_mutex_lock(&mu);
    struct port *p = port_get(port);
    int err = 0;
    struct passoc *a;
    if (!p)
        err = EBADF;
    else if (source != PORT_SOURCE_FD)
        err = EINVAL;
    else if (object > (uintptr_t)0x7fffffff)
        err = EBADF;
    else
        err = lookup(p, (int)object, &a);
    if (!err) {
        int fd = (int)object;
        struct epoll_event ev;
        ev.events = EPOLLONESHOT | ((uint32_t)events & (EPOLLIN | EPOLLOUT | EPOLLPRI));
        int op = a->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        uint32_t gen = op == EPOLL_CTL_ADD ? a->gen + 1 : a->gen;
        ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
        int r = a->always ? 0 : epoll_ctl(p->epfd, op, fd, &ev);
        if (r < 0 && ((errno == ENOENT && op == EPOLL_CTL_MOD) ||
                      (errno == EEXIST && op == EPOLL_CTL_ADD))) {
            op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
            gen = op == EPOLL_CTL_ADD ? a->gen + 1 : a->gen;
            ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
            r = epoll_ctl(p->epfd, op, fd, &ev);
        }
        if (r < 0 && errno == EPERM) {
            a->always = 1; /* regular file */
            r = 0;
        } else if (r < 0) {
            err = errno;
        } else if (!a->always) {
            a->registered = 1;
            a->gen = gen;
        }
        if (!err) {
            a->associated = 1;
            a->events = events;
            a->user = user;
        }
    }
    pthread_mutex_unlock(&mu);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

int ev_emu_port_dissociate(int port, int source, uintptr_t object)
{
    pthread_mutex_lock(&mu);
    struct port *p = port_get(port);
    int err = 0;
    struct passoc *a;
    if (!p)
        err = EBADF;
    else if (source != PORT_SOURCE_FD)
        err = EINVAL;
    else if (object > (uintptr_t)0x7fffffff)
        err = EBADF;
    else
        err = lookup(p, (int)object, &a);
    if (!err && !a->associated)
        err = ENOENT;
    if (!err) {
        a->associated = 0;
        if (a->registered) {
            struct epoll_event ev;
            epoll_ctl(p->epfd, EPOLL_CTL_DEL, (int)object, &ev);
            a->registered = 0;
        }
    }
    pthread_mutex_unlock(&mu);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

static void put_event(port_event_t *e, int fd, int events, void *user)
{
    e->portev_events = events;
    e->portev_source = PORT_SOURCE_FD;
    e->portev_pad = 0;
    e->portev_object = (uintptr_t)fd;
    e->portev_user = user;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int ev_emu_port_getn(int port, port_event_t list[], unsigned int max, unsigned int *nget,
                     timespec_t *timeout)
{
    pthread_mutex_lock(&mu);
    struct port *p = port_get(port);
    if (!p || !nget) {
        pthread_mutex_unlock(&mu);
        errno = p ? EINVAL : EBADF;
        return -1;
    }
    unsigned int want = *nget < max ? *nget : max, got = 0;
    long long deadline =
        timeout ? now_ns() + (long long)timeout->tv_sec * 1000000000LL + timeout->tv_nsec : -1;
    int err = 0;
    for (;;) {
        /* always-ready files first (max 0 only counts them) */
        for (int fd = 0; fd < p->cap && (got < max || max == 0); ++fd) {
            struct passoc *a = &p->a[fd];
            if (!a->always || !a->associated)
                continue;
            if (max) {
                put_event(&list[got], fd, a->events & (POLLIN | POLLOUT), a->user);
                a->associated = 0; /* retrieved: one-shot */
            }
            ++got;
        }
        if (max == 0) {
            /* Counting epoll's ready ones would consume their one-shot
             * registrations: only what we know without waiting counts. */
            *nget = got;
            pthread_mutex_unlock(&mu);
            return 0;
        }
        int ms = -1;
        if (got >= want) {
            ms = 0;
        } else if (deadline >= 0) {
            long long left = deadline - now_ns();
            ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        struct epoll_event evs[64];
        int room = (int)(max - got) > 64 ? 64 : (int)(max - got);
        int epfd = p->epfd;
        pthread_mutex_unlock(&mu);
        int n = room > 0 ? epoll_wait(epfd, evs, room, ms) : 0;
        int werr = errno;
        pthread_mutex_lock(&mu);
        if (n < 0) {
            err = werr; /* EINTR */
            break;
        }
        for (int i = 0; i < n; ++i) {
            int fd = (int)(uint32_t)evs[i].data.u64;
            uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
            struct passoc *a;
            if (fd < 0 || fd >= p->cap || p->a[fd].gen != gen || !p->a[fd].registered)
                continue; /* a registration of a file closed since */
            if (lookup(p, fd, &a) || !a->associated)
                continue;
            int ev = (int)(evs[i].events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLERR | EPOLLHUP));
            put_event(&list[got++], fd, ev, a->user);
            a->associated = 0; /* EPOLLONESHOT disarmed it; it stays registered */
        }
        if (got >= want)
            break;
        if (ms == 0) {
            err = ETIME;
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    *nget = got;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
