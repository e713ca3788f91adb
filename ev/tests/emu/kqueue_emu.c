/*
 * kqueue_emu.c - kqueue()/kevent() for EVFILT_READ and EVFILT_WRITE on top of
 * epoll, for tests only (see kqueue_emu.h). A kqueue is an epoll fd, so it
 * polls readable when events wait, as a real one does. Knotes live in a
 * table per kqueue: level-triggered ones are registered in that epoll set,
 * EV_CLEAR ones in a second, edge-triggered set nested in the first, so one
 * fd may have both. Semantics follow FreeBSD's kqueue(2):
 *  - EV_ADD creates or updates (udata) a knote and enables it unless
 *    EV_DISABLE is given; EV_DELETE removes it (ENOENT if absent);
 *    EV_ENABLE/EV_DISABLE switch reporting; EV_ONESHOT deletes a knote when it
 *    is returned; EV_CLEAR reports a state change once.
 *  - A change that fails, or carries EV_RECEIPT, is returned in the event list
 *    with flags = EV_ERROR and data = errno (0 for a receipt); if any was, the
 *    call returns just those without collecting events. With no room left the
 *    call fails with that errno instead.
 *  - close() removes an fd's knotes. We cannot see close(), so each change
 *    and each event checks the fd still names the file the knotes were made
 *    for (fstat dev/inode); if not, the knotes are dropped then, and the epoll
 *    sets rebuilt so a registration of the old file (alive through a dup)
 *    cannot report into the new one.
 *  - Files epoll refuses (regular files) are always ready, as kqueue reports
 *    them (EVFILT_READ data is the bytes left, here just FIONREAD or 0).
 * Not emulated: other filters, fflags, EV_DISPATCH, EV_EOF reporting beyond
 * EPOLLHUP/EPOLLERR, inheritance rules of fork (a child simply has the
 * epoll fd; the backend makes a new queue there anyway).
 */
#include "kqueue_emu.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define ET_MARK 0xffffffffu /* epoll data of the nested edge-triggered set */

struct knote {
    unsigned char on, enabled, oneshot, clear;
    void *udata;
};

struct kident {
    struct knote kn[2];        /* [0] EVFILT_READ, [1] EVFILT_WRITE */
    uint32_t lt_mask, et_mask; /* what the two epoll sets have registered */
    uint32_t lt_gen, et_gen;   /* bumped on every EPOLL_CTL_ADD */
    unsigned char always;      /* epoll refused the file: always ready */
    dev_t dev;
    ino_t ino;
};

struct kq {
    int epfd; /* the kqueue fd the caller holds */
    int etfd; /* nested edge-triggered set, -1 until an EV_CLEAR knote */
    struct kident *ids;
    int cap;
    int rebuild;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct kq **kqs; /* by epoll fd */
static int kqs_cap;

static struct kq *kq_get(int fd)
{
    return fd >= 0 && fd < kqs_cap ? kqs[fd] : NULL;
}

int ev_emu_kqueue(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return -1;
    struct kq *q = calloc(1, sizeof *q);
    if (!q) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    q->epfd = fd;
    q->etfd = -1;
    pthread_mutex_lock(&mu);
    if (fd >= kqs_cap) {
        int cap = fd + 16;
        kqs = realloc(kqs, (size_t)cap * sizeof *kqs);
        memset(kqs + kqs_cap, 0, (size_t)(cap - kqs_cap) * sizeof *kqs);
        kqs_cap = cap;
    }
    if (kqs[fd]) { /* a queue that was closed: its fd number is ours now */
        if (kqs[fd]->etfd >= 0)
            close(kqs[fd]->etfd);
        free(kqs[fd]->ids);
        free(kqs[fd]);
    }
    kqs[fd] = q;
    pthread_mutex_unlock(&mu);
    return fd;
}

static uint32_t filter_bits(int fi)
{
    return fi == 0 ? EPOLLIN : EPOLLOUT;
}

/* Makes epoll set ep register exactly `want` for fd. 0 or errno. */
static int set_reg(int ep, int fd, uint32_t *mask, uint32_t *gen, uint32_t want, uint32_t extra)
{
    if (want == *mask)
        return 0;
    struct epoll_event ev;
    if (!want) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, &ev); /* gone already if fd was closed */
        *mask = 0;
        return 0;
    }
    int op = *mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (op == EPOLL_CTL_ADD)
        ++*gen;
    ev.events = want | extra;
    ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)*gen << 32);
    if (epoll_ctl(ep, op, fd, &ev) < 0) {
        if (errno == ENOENT && op == EPOLL_CTL_MOD) {
            ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)++ * gen << 32);
            op = EPOLL_CTL_ADD;
        } else if (errno == EEXIST && op == EPOLL_CTL_ADD) {
            op = EPOLL_CTL_MOD;
        } else {
            return errno;
        }
        if (epoll_ctl(ep, op, fd, &ev) < 0)
            return errno;
    }
    *mask = want;
    return 0;
}

static int ensure_etfd(struct kq *q)
{
    if (q->etfd >= 0)
        return 0;
    q->etfd = epoll_create1(EPOLL_CLOEXEC);
    if (q->etfd < 0)
        return errno;
    struct epoll_event ev;
    ev.events = EPOLLIN;
    ev.data.u64 = ET_MARK;
    if (epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->etfd, &ev) < 0) {
        int err = errno;
        close(q->etfd);
        q->etfd = -1;
        return err;
    }
    return 0;
}

/* Brings the epoll registrations of fd in line with its knotes. */
static int sync_ident(struct kq *q, int fd)
{
    struct kident *id = &q->ids[fd];
    uint32_t lt = 0, et = 0;
    for (int fi = 0; fi < 2; ++fi) {
        struct knote *k = &id->kn[fi];
        if (k->on && k->enabled)
            *(k->clear ? &et : &lt) |= filter_bits(fi);
    }
    if (id->always) {
        if (!id->kn[0].on && !id->kn[1].on)
            id->always = 0;
        return 0;
    }
    int err = set_reg(q->epfd, fd, &id->lt_mask, &id->lt_gen, lt, 0);
    if (err == EPERM) {
        id->always = 1; /* a regular file: kqueue reports it ready, always */
        set_reg(q->epfd, fd, &id->lt_mask, &id->lt_gen, 0, 0);
        if (q->etfd >= 0)
            set_reg(q->etfd, fd, &id->et_mask, &id->et_gen, 0, 0);
        return 0;
    }
    if (!err && (et || id->et_mask)) {
        err = ensure_etfd(q);
        if (!err)
            err = set_reg(q->etfd, fd, &id->et_mask, &id->et_gen, et, EPOLLET);
    }
    return err;
}

/* The knotes of fd were made for another file (closed since): as close()
 * would have, forget them. */
static void drop_ident(struct kq *q, int fd)
{
    struct kident *id = &q->ids[fd];
    if (id->lt_mask || id->et_mask)
        q->rebuild = 1; /* a registration of the old file may live on */
    memset(id->kn, 0, sizeof id->kn);
    id->lt_mask = id->et_mask = 0;
    id->always = 0;
}

static int has_knotes(const struct kident *id)
{
    return id->kn[0].on || id->kn[1].on;
}

/* Checks fd still names the file of its knotes; drops them if not. 0, or
 * EBADF when fd is not open at all. */
static int check_identity(struct kq *q, int fd)
{
    struct kident *id = &q->ids[fd];
    struct stat st;
    if (fstat(fd, &st) < 0) {
        if (has_knotes(id))
            drop_ident(q, fd);
        return EBADF;
    }
    if (has_knotes(id) && (st.st_dev != id->dev || st.st_ino != id->ino))
        drop_ident(q, fd);
    if (!has_knotes(id)) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
    }
    return 0;
}

/* A fresh pair of epoll sets with every live knote, swapped in under the same
 * fd number (dup2), so registrations we cannot reach any more are gone. */
static void rebuild(struct kq *q)
{
    q->rebuild = 0;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return;
    int oldet = q->etfd;
    q->etfd = -1;
    int saved = q->epfd;
    q->epfd = ep;
    for (int fd = 0; fd < q->cap; ++fd) {
        struct kident *id = &q->ids[fd];
        id->lt_mask = id->et_mask = 0;
        if (has_knotes(id) && !id->always)
            sync_ident(q, fd);
    }
    dup2(ep, saved); /* atomically replaces the old set */
    close(ep);
    q->epfd = saved; /* same epoll instance as ep, nested etfd included */
    if (oldet >= 0)
        close(oldet);
}

static int apply_change(struct kq *q, const struct kevent *c)
{
    int fi = c->filter == EVFILT_READ ? 0 : c->filter == EVFILT_WRITE ? 1 : -1;
    if (fi < 0)
        return EINVAL;
    if (c->ident > INT_MAX)
        return EBADF;
    int fd = (int)c->ident;
    if (fd >= q->cap) {
        int cap = fd + 64;
        q->ids = realloc(q->ids, (size_t)cap * sizeof *q->ids);
        memset(q->ids + q->cap, 0, (size_t)(cap - q->cap) * sizeof *q->ids);
        q->cap = cap;
    }
    int err = check_identity(q, fd);
    if (err)
        return err;
    struct kident *id = &q->ids[fd];
    struct knote *k = &id->kn[fi], saved = *k;
    if (c->flags & EV_ADD) {
        if (k->on && id->lt_mask) {
            /* The file may have been closed and replaced by one of the same identity (epoll
             * and other anonymous inodes share one), taking our registration with it, as
             * close() takes a real knote: a registration that is gone is made again. */
            struct epoll_event ev;
            ev.events = id->lt_mask;
            ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)id->lt_gen << 32);
            if (epoll_ctl(q->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
                id->lt_mask = 0;
        }
        if (!k->on) {
            k->on = 1;
            k->oneshot = (c->flags & EV_ONESHOT) != 0;
            k->clear = (c->flags & EV_CLEAR) != 0;
        }
        k->udata = c->udata;
        k->enabled = !(c->flags & EV_DISABLE);
    } else if (!k->on) {
        return ENOENT;
    } else if (c->flags & EV_DELETE) {
        k->on = 0;
    } else if (c->flags & EV_DISABLE) {
        k->enabled = 0;
    } else if (c->flags & EV_ENABLE) {
        k->enabled = 1;
    }
    err = sync_ident(q, fd);
    if (err) {
        *k = saved;
        sync_ident(q, fd);
    }
    return err;
}

/* Appends the events of fd to out (room entries free); returns how many. */
static int collect(struct kq *q, int fd, uint32_t ev, int from_et, struct kevent *out, int room)
{
    struct kident *id = &q->ids[fd];
    int n = 0;
    for (int fi = 0; fi < 2 && n < room; ++fi) {
        struct knote *k = &id->kn[fi];
        if (!k->on || !k->enabled || k->clear != from_et)
            continue;
        uint32_t hit = fi == 0 ? EPOLLIN | EPOLLHUP | EPOLLERR : EPOLLOUT | EPOLLHUP | EPOLLERR;
        if (!(ev & hit))
            continue;
        struct kevent *e = &out[n++];
        e->ident = (uintptr_t)fd;
        e->filter = fi == 0 ? EVFILT_READ : EVFILT_WRITE;
        e->flags =
            (unsigned short)(EV_ADD | (k->oneshot ? EV_ONESHOT : 0) | (k->clear ? EV_CLEAR : 0) |
                             (ev & (EPOLLHUP | EPOLLERR) ? EV_EOF : 0));
        e->fflags = 0;
        int avail = 0;
        if (fi == 0 && ioctl(fd, FIONREAD, &avail) < 0)
            avail = 0;
        e->data = avail;
        e->udata = k->udata;
        if (k->oneshot) {
            k->on = 0;
            sync_ident(q, fd);
        }
    }
    return n;
}

/* One epoll event of set `from_et` (0: level-triggered set). */
static int deliver(struct kq *q, uint64_t data, uint32_t ev, int from_et, struct kevent *out,
                   int room)
{
    int fd = (int)(uint32_t)data;
    uint32_t gen = (uint32_t)(data >> 32);
    if (fd < 0 || fd >= q->cap || gen != (from_et ? q->ids[fd].et_gen : q->ids[fd].lt_gen)) {
        q->rebuild = 1; /* an old registration we cannot reach */
        return 0;
    }
    if (check_identity(q, fd) || !has_knotes(&q->ids[fd]))
        return 0;
    return collect(q, fd, ev, from_et, out, room);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int ev_emu_kevent(int kqfd, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
                  int nevents, const struct timespec *timeout)
{
    pthread_mutex_lock(&mu);
    struct kq *q = kq_get(kqfd);
    if (!q || nchanges < 0 || nevents < 0) {
        pthread_mutex_unlock(&mu);
        errno = q ? EINVAL : EBADF;
        return -1;
    }
    int nerrors = 0;
    for (int i = 0; i < nchanges; ++i) {
        struct kevent c = changelist[i]; /* the lists may overlap */
        int err = apply_change(q, &c);
        if (err || (c.flags & EV_RECEIPT)) {
            if (nevents == 0) {
                if (q->rebuild)
                    rebuild(q);
                pthread_mutex_unlock(&mu);
                if (!err)
                    return 0;
                errno = err;
                return -1;
            }
            c.flags = EV_ERROR;
            c.data = err;
            eventlist[nerrors++] = c;
            --nevents;
        }
    }
    if (q->rebuild)
        rebuild(q);
    if (nerrors) {
        pthread_mutex_unlock(&mu);
        return nerrors;
    }

    long long deadline = -1;
    if (timeout)
        deadline = now_ns() + (long long)timeout->tv_sec * 1000000000LL + timeout->tv_nsec;
    int nout = 0;
    for (;;) {
        for (int fd = 0; fd < q->cap && nout < nevents; ++fd) {
            if (!q->ids[fd].always)
                continue;
            nout += collect(q, fd, EPOLLIN | EPOLLOUT, 0, eventlist + nout, nevents - nout);
            nout += collect(q, fd, EPOLLIN | EPOLLOUT, 1, eventlist + nout, nevents - nout);
        }
        int ms = -1;
        if (nout) {
            ms = 0;
        } else if (deadline >= 0) {
            long long left = deadline - now_ns();
            ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        struct epoll_event evs[64];
        int max = (nevents - nout + 1) / 2; /* an fd can yield two entries */
        if (max > 64)
            max = 64;
        if (max < 1)
            max = 1;
        int epfd = q->epfd;
        pthread_mutex_unlock(&mu);
        int n = nevents - nout > 0 ? epoll_wait(epfd, evs, max, ms) : 0;
        int werr = errno;
        pthread_mutex_lock(&mu);
        if (n < 0) {
            pthread_mutex_unlock(&mu);
            errno = werr;
            return nout ? nout : -1;
        }
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.u64 == ET_MARK) {
                struct epoll_event ets[64];
                int room = (nevents - nout) / 2 > 64 ? 64 : (nevents - nout) / 2;
                int m = q->etfd >= 0 && room > 0 ? epoll_wait(q->etfd, ets, room, 0) : 0;
                for (int j = 0; j < m; ++j)
                    nout += deliver(q, ets[j].data.u64, ets[j].events, 1, eventlist + nout,
                                    nevents - nout);
                continue;
            }
            nout += deliver(q, evs[i].data.u64, evs[i].events, 0, eventlist + nout, nevents - nout);
        }
        if (q->rebuild)
            rebuild(q);
        if (nout || ms == 0 || nevents == 0)
            break;
        /* every event was stale or filtered: wait on, as the kernel would */
    }
    pthread_mutex_unlock(&mu);
    return nout;
}
