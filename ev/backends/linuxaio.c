/*
 * linuxaio.c - the Linux AIO backend (EVBACKEND_LINUXAIO): one IOCB_CMD_POLL
 * per watched fd in an AIO context, on raw system calls.
 *
 * An AIO poll is one-shot: each completion is reported and the poll queued
 * again (which keeps libev's level-triggered semantics: a poll on a ready fd
 * completes at once). fds[fd].kmask is the mask of the fd's armed or queued
 * poll (0: none), fds[fd].gen its generation, carried in the upper half of
 * the completion's data: completions of cancelled polls, and of polls on a
 * file an fd number named before close-and-reuse, are dropped.
 * Polls are queued by modify() and handed over by poll() in one io_submit;
 * completions are read from the context's ring in user space, and
 * io_getevents is called only when the ring is empty and poll() must wait.
 * Files AIO refuses to poll (io_submit says EINVAL) go to an epoll set, as in
 * libev 4.33; that set's own fd is polled through AIO and drained when ready.
 * The context is made large enough for every poll in flight and made again,
 * larger, before it could overflow (or when io_submit says EAGAIN); when the
 * system's AIO limit refuses a context, every fd goes to the epoll set.
 * loop->backend_fd is the epoll fd (as in libev); it does not become readable
 * for AIO completions, so the backend is not embeddable.
 */
#include "../core/backend.h"

#if EV_USE_LINUXAIO

#include <errno.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define AIO_MIN_EVENTS 256
#define AIO_RING_MAGIC_V 0xa10a10a1u
/* Completion data of the poll on the epoll fd: the low half is never an fd. */
#define UD_EPOLL ((uint64_t)0xffffffffu)

/* The ring the kernel maps at the context's address (kernel ABI). */
struct aio_ring_hdr {
    unsigned id, nr, head, tail;
    unsigned magic, compat_features, incompat_features, header_length;
    struct io_event events[];
};

enum { IN_EPOLL = 1 }; /* aio_state.ep[fd]: fd is in the epoll fall-back set */

struct aio_state {
    aio_context_t ctx;
    int nr;         /* polls the context was made for */
    int inflight;   /* submitted polls whose completion was not read yet */
    int ring_ok;    /* the ring may be read in user space */
    int epoll_only; /* no AIO context could be had: every fd is in the epoll set */
    unsigned forks;

    /* One iocb per fd, allocated once each, so that io_cancel finds the
     * address the poll was submitted with. */
    struct iocb **iocb;
    int iocb_cap;
    int *queue; /* fds whose poll waits for io_submit */
    int qcnt, qcap;
    struct iocb **sub; /* io_submit's argument, built from queue */
    int sub_cap;

    /* The epoll fall-back. */
    unsigned char *ep; /* per fd: IN_EPOLL, and the events registered << 1 */
    int ep_cap;
    int ep_count; /* fds in the set */
    struct iocb ep_iocb;
    int ep_armed; /* ep_iocb is queued or in flight */
    struct epoll_event *events;
    int ecap;
};

static long sys_io_setup(unsigned nr, aio_context_t *ctx)
{
    return syscall(__NR_io_setup, nr, ctx);
}
static long sys_io_destroy(aio_context_t ctx)
{
    return syscall(__NR_io_destroy, ctx);
}
static long sys_io_submit(aio_context_t ctx, long n, struct iocb **v)
{
    return syscall(__NR_io_submit, ctx, n, v);
}
static long sys_io_cancel(aio_context_t ctx, struct iocb *cb, struct io_event *res)
{
    return syscall(__NR_io_cancel, ctx, cb, res);
}
static long sys_io_getevents(aio_context_t ctx, long min_nr, long nr, struct io_event *ev,
                             struct timespec *ts)
{
    return syscall(__NR_io_getevents, ctx, min_nr, nr, ev, ts);
}

static int ctx_open(struct aio_state *s, int nr)
{
    aio_context_t ctx = 0;
    if (sys_io_setup((unsigned)nr, &ctx) < 0)
        return -errno;
    const struct aio_ring_hdr *r = (const struct aio_ring_hdr *)(uintptr_t)ctx;
    s->ctx = ctx;
    s->nr = nr;
    s->inflight = 0;
    s->ring_ok = r->magic == AIO_RING_MAGIC_V && r->incompat_features == 0 &&
                 r->header_length == sizeof(struct aio_ring_hdr);
    return 0;
}

/* Whether this kernel has AIO with IOCB_CMD_POLL; asked once, cheaply: a
 * context made and destroyed to find out would cost every program that asks
 * for the supported backends an RCU grace period (tens of ms) in io_destroy.
 * io_setup(0) says EINVAL where AIO exists (ENOSYS where it is compiled out);
 * IOCB_CMD_POLL came with 4.18 and works with epoll files from 4.19 (as
 * libev checks). A context refused later (fs.aio-max-nr) fails init() only. */
int ev__linuxaio_usable(void)
{
    static int cached; /* 0: not asked yet, 1: usable, -1: not */
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (!v) {
        v = -1;
        aio_context_t ctx = 0;
        struct utsname u;
        unsigned maj = 0, min = 0;
        if (sys_io_setup(0, &ctx) < 0 && errno == EINVAL && uname(&u) == 0 &&
            sscanf(u.release, "%u.%u", &maj, &min) == 2 && (maj > 4 || (maj == 4 && min >= 19)))
            v = 1;
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v > 0;
}

static inline uint64_t aio_user_data(int fd, uint32_t gen)
{
    return (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
}

static void queue_fd(struct aio_state *s, int fd)
{
    if (s->qcnt == s->qcap)
        s->queue = (int *)ev__grow(s->queue, &s->qcap, s->qcnt + 1, sizeof(int));
    s->queue[s->qcnt++] = fd;
}

static struct iocb *fd_iocb(struct aio_state *s, int fd)
{
    if (fd >= s->iocb_cap) {
        int old = s->iocb_cap;
        s->iocb = (struct iocb **)ev__grow(s->iocb, &s->iocb_cap, fd + 1, sizeof *s->iocb);
        memset(s->iocb + old, 0, (size_t)(s->iocb_cap - old) * sizeof *s->iocb);
    }
    if (!s->iocb[fd]) {
        s->iocb[fd] = (struct iocb *)ev__realloc(NULL, sizeof(struct iocb));
        memset(s->iocb[fd], 0, sizeof(struct iocb));
        s->iocb[fd]->aio_reqprio = 0;
    }
    return s->iocb[fd];
}

/* aio_reqprio of an fd's iocb is 1 while it waits in the queue (an iocb
 * queued again before its submission is only updated). */
static void queue_poll(struct ev_loop *loop, int fd, int want)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    struct ev__fd *f = &loop->fds[fd];
    struct iocb *cb = fd_iocb(s, fd);
    int queued = cb->aio_reqprio == 1;
    memset(cb, 0, sizeof *cb);
    cb->aio_lio_opcode = IOCB_CMD_POLL;
    cb->aio_fildes = (uint32_t)fd;
    cb->aio_buf = (want & EV_READ ? POLLIN : 0u) | (want & EV_WRITE ? POLLOUT : 0u);
    cb->aio_data = aio_user_data(fd, ++f->gen);
    cb->aio_reqprio = 1;
    f->kmask = (unsigned char)want;
    if (!queued)
        queue_fd(s, fd);
}

static void queue_epoll_poll(struct aio_state *s, int epfd)
{
    if (s->ep_armed)
        return;
    memset(&s->ep_iocb, 0, sizeof s->ep_iocb);
    s->ep_iocb.aio_lio_opcode = IOCB_CMD_POLL;
    s->ep_iocb.aio_fildes = (uint32_t)epfd;
    s->ep_iocb.aio_buf = POLLIN;
    s->ep_iocb.aio_data = UD_EPOLL;
    s->ep_armed = 1;
    queue_fd(s, -1);
}

/* Takes fd's armed or queued poll back. */
static void drop_poll(struct ev_loop *loop, int fd)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    struct ev__fd *f = &loop->fds[fd];
    struct iocb *cb = s->iocb[fd];
    ++f->gen; /* whatever it still reports is stale */
    f->kmask = 0;
    if (cb->aio_reqprio == 1) {
        cb->aio_fildes = (uint32_t)-1; /* skipped by submit() */
        return;
    }
    /* In flight: the kernel completes a cancelled poll with res 0 (its
     * completion still comes, and is dropped by its generation). */
    struct io_event e;
    sys_io_cancel(s->ctx, cb, &e);
}

static void ep_set(struct aio_state *s, int fd, unsigned char v)
{
    if (fd >= s->ep_cap) {
        int old = s->ep_cap;
        s->ep = (unsigned char *)ev__grow(s->ep, &s->ep_cap, fd + 1, 1);
        memset(s->ep + old, 0, (size_t)(s->ep_cap - old));
    }
    s->ep[fd] = v;
}

static uint32_t aio_to_epoll(int want)
{
    return (want & EV_READ ? EPOLLIN : 0u) | (want & EV_WRITE ? EPOLLOUT : 0u);
}

/* fd cannot be polled through AIO: watch it in the epoll set. */
static void epoll_take(struct ev_loop *loop, int fd, int want)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    struct epoll_event ev;
    ev.events = aio_to_epoll(want);
    ev.data.u64 = (uint64_t)(uint32_t)fd;
    if (epoll_ctl(loop->backend_fd, EPOLL_CTL_ADD, fd, &ev) < 0 &&
        (errno != EEXIST || epoll_ctl(loop->backend_fd, EPOLL_CTL_MOD, fd, &ev) < 0)) {
        ev__fd_kill(loop, fd); /* neither AIO nor epoll can watch it */
        return;
    }
    ep_set(s, fd, (unsigned char)(IN_EPOLL | want << 1));
    ++s->ep_count;
    queue_epoll_poll(s, loop->backend_fd);
}

static void epoll_drop(struct ev_loop *loop, int fd)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    epoll_ctl(loop->backend_fd, EPOLL_CTL_DEL, fd, NULL); /* a closed fd is gone already */
    s->ep[fd] = 0;
    --s->ep_count;
}

static int aio_init(struct ev_loop *loop)
{
    if (!ev__linuxaio_usable())
        return -ENOSYS;
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        return -errno;
    struct aio_state *s = (struct aio_state *)ev__realloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    int err = ctx_open(s, AIO_MIN_EVENTS);
    if (err < 0) {
        close(epfd);
        ev__free(s);
        return err;
    }
    s->forks = ev__fork_count();
    s->ecap = 64;
    s->events = (struct epoll_event *)ev__realloc(NULL, (size_t)s->ecap * sizeof *s->events);
    loop->backend_fd = epfd;
    loop->bstate = s;
    return 0;
}

static void free_iocbs(struct aio_state *s)
{
    for (int i = 0; i < s->iocb_cap; ++i)
        ev__free(s->iocb[i]);
    ev__free(s->iocb);
    s->iocb = NULL;
    s->iocb_cap = 0;
}

static void aio_destroy(struct ev_loop *loop)
{
    struct aio_state *s = (struct aio_state *)loop->bstate; /* init succeeded */
    if (s->forks == ev__fork_count())
        sys_io_destroy(s->ctx); /* cancels every poll (a child has no context) */
    free_iocbs(s);
    ev__free(s->queue);
    ev__free(s->sub);
    ev__free(s->ep);
    ev__free(s->events);
    ev__free(s);
    close(loop->backend_fd);
    loop->backend_fd = -1;
    loop->bstate = NULL;
}

/* Every wanted fd is queued again on a fresh context (and a fresh epoll set
 * when fresh_epoll); the old context, if still ours, is destroyed. 0, or
 * -errno when the fresh epoll set cannot be made (a context refused is not a
 * failure: every fd goes to the epoll set). */
static int rebuild(struct ev_loop *loop, int nr, int fresh_epoll)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    if (s->forks == ev__fork_count())
        sys_io_destroy(s->ctx);
    s->ctx = 0;
    if (fresh_epoll) {
        int epfd = epoll_create1(EPOLL_CLOEXEC);
        if (epfd < 0)
            return -errno;
        /* the new set takes the old one's number (see ev__fd_replace) */
        loop->backend_fd = ev__fd_replace(epfd, loop->backend_fd);
    }
    s->forks = ev__fork_count();
    s->qcnt = 0;
    if (ctx_open(s, nr) < 0) {
        /* The system's AIO limit (fs.aio-max-nr) is reached: go on with
         * epoll alone, as libev does. */
        s->ctx = 0;
        s->ring_ok = 0;
        s->epoll_only = 1;
        for (int fd = 0; fd < loop->fd_cap; ++fd) {
            struct ev__fd *f = &loop->fds[fd];
            f->kmask = 0;
            ++f->gen;
            if (fd < s->ep_cap && (s->ep[fd] & IN_EPOLL) && fresh_epoll) {
                s->ep[fd] = 0;
                --s->ep_count;
            }
            if (f->wanted && !(fd < s->ep_cap && (s->ep[fd] & IN_EPOLL)))
                epoll_take(loop, fd, f->wanted);
        }
        s->qcnt = 0;
        s->ep_armed = 0;
        return 0;
    }
    s->epoll_only = 0;
    s->ep_armed = 0;
    for (int i = 0; i < s->iocb_cap; ++i)
        if (s->iocb[i])
            s->iocb[i]->aio_reqprio = 0;
    for (int fd = 0; fd < loop->fd_cap; ++fd) {
        struct ev__fd *f = &loop->fds[fd];
        int in_ep = fd < s->ep_cap && (s->ep[fd] & IN_EPOLL);
        f->kmask = 0;
        ++f->gen;
        if (in_ep && fresh_epoll) {
            s->ep[fd] = 0;
            --s->ep_count;
            in_ep = 0;
        }
        if (in_ep)
            continue;
        if (f->wanted)
            queue_poll(loop, fd, f->wanted);
    }
    if (s->ep_count)
        queue_epoll_poll(s, loop->backend_fd);
    return 0;
}

/* In a child, the context and the epoll set are the parent's: without new ones
 * there is nothing to go on with, so, as libev, the syserr callback is asked
 * (it may free resources; the default aborts) until they can be made. */
static int aio_fork(struct ev_loop *loop)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    int err;
    while ((err = rebuild(loop, s->nr, 1)) < 0) {
        errno = -err;
        ev__syserr("(libev) linuxaio io_setup after fork");
    }
    return 0;
}

static void aio_check_fork(struct ev_loop *loop)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    if (EV__UNLIKELY(s->forks != ev__fork_count()))
        aio_fork(loop);
}

static void aio_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    struct ev__fd *f = &loop->fds[fd];
    int want = nev & (EV_READ | EV_WRITE);
    (void)oev;
    aio_check_fork(loop);
    if (fd < s->ep_cap && (s->ep[fd] & IN_EPOLL)) {
        if (want && !(nev & EV__IOFDSET)) {
            if ((s->ep[fd] >> 1) != want) {
                struct epoll_event ev;
                ev.events = aio_to_epoll(want);
                ev.data.u64 = (uint64_t)(uint32_t)fd;
                if (epoll_ctl(loop->backend_fd, EPOLL_CTL_MOD, fd, &ev) < 0)
                    ev__fd_kill(loop, fd);
                else
                    s->ep[fd] = (unsigned char)(IN_EPOLL | want << 1);
            }
            return;
        }
        epoll_drop(loop, fd); /* unwanted, or maybe another file: AIO first again */
    }
    if (EV__UNLIKELY(s->epoll_only)) {
        if (want)
            epoll_take(loop, fd, want);
        return;
    }
#if EV_USE_SIGNALFD
    if (EV__UNLIKELY(fd == loop->sigfd) && want) {
        /* The kernel looks at a signalfd's readiness for the task that asks;
         * AIO asks from a worker thread when woken, and misses every signal.
         * epoll asks at epoll_wait, in the loop's thread. */
        if (f->kmask)
            drop_poll(loop, fd);
        epoll_take(loop, fd, want);
        return;
    }
#endif
    if (f->kmask) {
        /* A poll covering what we want may stay: completions are filtered
         * by fds[fd].wanted and the re-arm narrows it. A poll nobody wants is
         * taken back now, because it pins the file open. */
        if (want && !(want & ~f->kmask) && !(nev & EV__IOFDSET))
            return;
        if (!want || (nev & EV__IOFDSET) || s->iocb[fd]->aio_reqprio != 1)
            drop_poll(loop, fd);
    }
    if (want)
        queue_poll(loop, fd, want);
}

/* Hands the queued polls to the kernel once. Returns 0, or 1 when the context
 * had to be made again (everything is queued anew for the next round); sets
 * *killed when an fd was found closed (its watchers now have pending errors). */
static int submit_queue(struct ev_loop *loop, int *killed)
{
    struct aio_state *s = (struct aio_state *)loop->bstate; /* not epoll_only (see aio_poll) */
    if (!s->qcnt)
        return 0;
    if (EV__UNLIKELY(s->inflight + s->qcnt > s->nr)) {
        /* make room before the kernel could refuse */
        int need = s->inflight + s->qcnt, nr = s->nr;
        while (nr < need + need / 8)
            nr *= 2;
        rebuild(loop, nr, 0); /* cannot fail: no new epoll set */
        if (s->epoll_only)
            return 1;
    }
    if (s->sub_cap < s->qcnt)
        s->sub = (struct iocb **)ev__grow(s->sub, &s->sub_cap, s->qcnt, sizeof *s->sub);
    int n = 0;
    for (int i = 0; i < s->qcnt; ++i) {
        int fd = s->queue[i];
        struct iocb *cb = fd < 0 ? &s->ep_iocb : s->iocb[fd];
        cb->aio_reqprio = 0;
        if (cb->aio_fildes != (uint32_t)-1)
            s->sub[n++] = cb;
    }
    s->qcnt = 0;
    int done = 0;
    while (done < n) {
        long r = sys_io_submit(s->ctx, n - done, s->sub + done);
        if (r > 0) {
            s->inflight += (int)r;
            done += (int)r;
            continue;
        }
        struct iocb *cb = s->sub[done];
        int fd = (int)(uint32_t)cb->aio_data;
        int err = r < 0 ? errno : EAGAIN;
        if (err == EINTR)
            continue;
        if (err == EAGAIN) {
            /* the context is full after all: a larger one, and again */
            rebuild(loop, s->nr * 2, 0);
            return 1;
        }
        ++done; /* this iocb failed alone; the rest go on */
        if (cb == &s->ep_iocb) {
            ev__syserr("(libev) linuxaio io_submit");
            continue;
        }
        struct ev__fd *f = &loop->fds[fd];
        f->kmask = 0;
        ++f->gen;
        if (err == EINVAL && f->wanted) {
            epoll_take(loop, fd, f->wanted); /* AIO cannot poll this file */
        } else {
            ev__fd_kill(loop, fd); /* EBADF */
            *killed = 1;
        }
    }
    return 0;
}

/* Hands every queued poll to the kernel, those queued while handling failures
 * (the epoll set's, when a file went to it) included: the loop may be about to
 * wait, and a poll left in the queue would not be armed until it woke for
 * something else. Returns 1 when the context was made again (see above), 2
 * when a closed fd's watchers got errors (the loop must not wait: their
 * callbacks are due now), else 0. */
static int submit(struct ev_loop *loop)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    int killed = 0;
    do {
        if (submit_queue(loop, &killed))
            return 1;
    } while (s->qcnt); /* ends: a failing epoll poll queues nothing more */
    return killed ? 2 : 0;
}

/* Reports what the epoll set has; waits up to ms for it (0: not at all). */
static void drain_epoll(struct ev_loop *loop, int ms)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    for (;; ms = 0) {
        int n = epoll_wait(loop->backend_fd, s->events, s->ecap, ms);
        if (n < 0 && errno != EINTR)
            ev__syserr("(libev) linuxaio epoll_wait");
        if (n <= 0)
            break;
        for (int i = 0; i < n; ++i) {
            int fd = (int)(uint32_t)s->events[i].data.u64;
            uint32_t e = s->events[i].events;
            int got = (e & (EPOLLIN | EPOLLERR | EPOLLHUP) ? EV_READ : 0) |
                      (e & (EPOLLOUT | EPOLLERR | EPOLLHUP) ? EV_WRITE : 0);
            ev__fd_event(loop, fd, got & loop->fds[fd].wanted);
        }
        if (n < s->ecap)
            break;
        ev__free(s->events);
        s->ecap *= 2;
        s->events = (struct epoll_event *)ev__realloc(NULL, (size_t)s->ecap * sizeof *s->events);
    }
}

/* recheck: posted while we were not waiting, so maybe stale (another
 * process may have read the data): only re-arm; the new poll completes at
 * once if the fd is still ready. */
static void handle_event(struct ev_loop *loop, const struct io_event *e, int recheck)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    --s->inflight;
    if (e->data == UD_EPOLL) {
        s->ep_armed = 0;
        if (s->ep_count) {
            drain_epoll(loop, 0);
            queue_epoll_poll(s, loop->backend_fd);
        }
        return;
    }
    int fd = (int)(uint32_t)e->data;
    if (EV__UNLIKELY(fd < 0 || fd >= loop->fd_cap))
        return;
    struct ev__fd *f = &loop->fds[fd];
    if ((uint32_t)(e->data >> 32) != f->gen || !f->kmask)
        return; /* a cancelled poll, or one on a file this fd named before */
    f->kmask = 0;
    long res = (long)e->res;
    int want = f->wanted;
    if (EV__UNLIKELY(res < 0)) {
        if (res == -EINTR || res == -EAGAIN || res == -ECANCELED) {
            if (want)
                queue_poll(loop, fd, want);
        } else {
            ev__fd_kill(loop, fd);
        }
        return;
    }
    if (want)
        queue_poll(loop, fd, want); /* one-shot: arm again for the next round */
    if (recheck)
        return;
    int got = (res & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
              (res & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0);
    ev__fd_event(loop, fd, got & want);
}

/* Reads every completion in the ring in user space; how many. */
static int reap_ring(struct ev_loop *loop, int recheck)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    struct aio_ring_hdr *r = (struct aio_ring_hdr *)(uintptr_t)s->ctx;
    unsigned head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    unsigned tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    unsigned nr = r->nr;
    int n = 0;
    while (head != tail) {
        struct io_event e = r->events[head];
        head = head + 1 == nr ? 0 : head + 1;
        __atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
        handle_event(loop, &e, recheck);
        ++n;
        if (head == tail)
            tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    }
    return n;
}

static void aio_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct aio_state *s = (struct aio_state *)loop->bstate;
    aio_check_fork(loop);
    if (EV__UNLIKELY(s->epoll_only)) {
        drain_epoll(loop, ev__timeout_ms(timeout));
        return;
    }
    if (s->ring_ok)
        reap_ring(loop, 1); /* posted since the last poll: maybe stale by now */
    int sub = submit(loop);
    if (sub == 2)
        timeout = 0.; /* errors are pending: do not wait */
    if (sub == 1) {
        timeout = 0.; /* a new context: arm everything next round */
        if (s->epoll_only) {
            drain_epoll(loop, 0);
            return;
        }
    }
    if (s->ring_ok && reap_ring(loop, 0))
        return; /* polls completed at once: no need to wait */
    struct io_event ev[64];
    struct timespec ts, *tsp = NULL;
    if (timeout >= 0.) {
        if (timeout > 1e9)
            timeout = 1e9;
        ts.tv_sec = (time_t)timeout;
        long ns = (long)((timeout - (double)ts.tv_sec) * 1e9 + 0.999999);
        if (ns >= 1000000000) {
            ++ts.tv_sec;
            ns -= 1000000000;
        }
        ts.tv_nsec = ns;
        tsp = &ts;
    }
    if (s->ring_ok && timeout == 0.)
        return; /* the ring was empty and we must not wait */
    long n;
    /* EINTR without a signal for us is common here (task work of a closed
     * io_uring ring, for one): wait on when waiting had no limit; a signal
     * that matters wakes the loop through its wake-up fd anyway. */
    while ((n = sys_io_getevents(s->ctx, timeout == 0. ? 0 : 1, 64, ev, tsp)) < 0 &&
           errno == EINTR && !tsp)
        ;
    if (n < 0) {
        if (errno != EINTR)
            ev__syserr("(libev) linuxaio io_getevents");
        return;
    }
    for (long i = 0; i < n; ++i)
        handle_event(loop, &ev[i], 0);
    if (s->ring_ok)
        reap_ring(loop, 0); /* what came after the first */
    else if (n == 64) {
        /* more may wait: fetch them without waiting */
        struct timespec zero = {0, 0};
        while ((n = sys_io_getevents(s->ctx, 0, 64, ev, &zero)) > 0) {
            for (long i = 0; i < n; ++i)
                handle_event(loop, &ev[i], 0);
            if (n < 64)
                break;
        }
    }
}

const struct ev__backend ev__backend_linuxaio = {
    .name = "linuxaio",
    .id = EVBACKEND_LINUXAIO,
    .flags = 0,
    .mintime = 1e-9,
    .init = aio_init,
    .destroy = aio_destroy,
    .fork = aio_fork,
    .modify = aio_modify,
    .poll = aio_poll,
    .flush = NULL, /* only an embedding loop calls it, and this backend is not embeddable */
};

#endif /* EV_USE_LINUXAIO */
