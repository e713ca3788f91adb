/*
 * iouring.c - the Linux io_uring backend, on raw syscalls (no liburing).
 *
 * Every watched fd has at most one armed one-shot IORING_OP_POLL_ADD; its
 * user_data is fd | gen << 32. fds[fd].kmask is the mask of that armed poll
 * (0: none) and fds[fd].gen its generation, bumped whenever a poll is armed or
 * removed, so a completion counts only if its generation is the current one
 * and kmask is set: completions of removed polls, and of polls on a file that
 * an fd number named before close-and-reuse, are dropped. A completion means
 * "ready": it is reported and the poll re-armed, which keeps libev's
 * level-triggered semantics (an armed poll on a ready fd completes at once).
 * Completions posted while callbacks ran may be stale by the next poll (a
 * forked child may have read the data): their fds are looked at with one
 * poll(2) after the (then non-blocking) wait, reported if still ready, and
 * armed again for the next round.
 * Wider events on the same file update the armed poll in place
 * (IORING_POLL_UPDATE_EVENTS); the poll is removed only when nobody wants the
 * fd (it pins the file open) or the fd may name another file (EV__IOFDSET).
 * Updates and removals post no completion when they succeed
 * (IOSQE_CQE_SKIP_SUCCESS).
 * Why one-shot and not multishot polls: a multishot poll posts one
 * completion per wake-up of the file, not per iteration while it is ready;
 * keeping libev's semantics then takes an update of every reported poll
 * before the next wait, and an update or removal searches the kernel's table
 * of armed polls (at most 256 buckets): measured, that costs more than the
 * re-armed one-shot poll, whose completion needs no search (README,
 * benchmark section).
 * SQEs are queued in a local array by modify() and re-arming, and submitted
 * by poll() in the same io_uring_enter that waits (IORING_ENTER_EXT_ARG with a
 * timespec). A kernel without io_uring, without EXT_ARG/NODROP, or refusing it
 * (seccomp, sysctl) makes init() fail, and the registry tries the next backend.
 */
#include "../core/backend.h"

#if EV_USE_IOURING

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RING_SQ_ENTRIES 256u
/* 8192 completions: every armed poll posts at most one, and the kernel's
 * table of armed polls gets its largest size (256 buckets, from the CQ size),
 * which a removal or update searches. */
#define RING_CQ_ENTRIES 8192u
/* user_data of requests whose completion we do not care about (removals):
 * the low half is never a valid fd. */
#define UD_IGNORE ((uint64_t)0xffffffffu)

/* Older uapi headers may lack these; the values are kernel ABI. */
#ifndef IORING_FEAT_NODROP
#define IORING_FEAT_NODROP (1u << 1)
#endif
#ifndef IORING_FEAT_EXT_ARG
#define IORING_FEAT_EXT_ARG (1u << 8)
#endif
#ifndef IORING_ENTER_EXT_ARG
#define IORING_ENTER_EXT_ARG (1u << 3)
#endif
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1u << 7)
#endif
#ifndef IORING_SQ_CQ_OVERFLOW
#define IORING_SQ_CQ_OVERFLOW (1u << 1)
#endif
#ifndef IORING_FEAT_CQE_SKIP
#define IORING_FEAT_CQE_SKIP (1u << 11)
#endif
#ifndef IOSQE_CQE_SKIP_SUCCESS
#define IOSQE_CQE_SKIP_SUCCESS (1u << 6)
#endif
#ifndef IORING_POLL_UPDATE_EVENTS
#define IORING_POLL_UPDATE_EVENTS (1u << 1)
#endif

struct ring_getevents_arg { /* struct io_uring_getevents_arg, kernel ABI */
    uint64_t sigmask;
    uint32_t sigmask_sz;
    uint32_t pad;
    uint64_t ts;
};

struct uring_state {
    /* The mappings, as io_uring_setup described them. */
    void *sq_map, *cq_map;
    size_t sq_map_len, cq_map_len;
    struct io_uring_sqe *sqes;
    size_t sqes_len;
    unsigned *sq_head, *sq_tail, *sq_flags, *sq_array;
    unsigned sq_mask, sq_entries;
    unsigned *cq_head, *cq_tail;
    unsigned cq_mask;
    struct io_uring_cqe *cqes;
    unsigned sq_local_tail; /* entries written into the ring, maybe not yet submitted */
    int submit_all;         /* IORING_SETUP_SUBMIT_ALL: a failing SQE does not stop the batch */
    unsigned forks;         /* ev__fork_count() when the ring was made */

    /* SQEs not yet copied into the ring (queued by modify and re-arming). */
    struct io_uring_sqe *q;
    int qcnt, qcap;
    unsigned char skip_flag; /* IOSQE_CQE_SKIP_SUCCESS, if the kernel has it */

    /* fds whose completion was posted while we were not waiting: looked at
     * again with one poll(2) after the wait (see verify). */
    struct pollfd *vf;
    int vcnt, vcap;
};

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
    return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags,
                     const void *arg, size_t argsz)
{
    return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
}

static void ring_unmap(struct uring_state *s)
{
    if (s->sqes)
        munmap(s->sqes, s->sqes_len);
    if (s->cq_map && s->cq_map != s->sq_map)
        munmap(s->cq_map, s->cq_map_len);
    if (s->sq_map)
        munmap(s->sq_map, s->sq_map_len);
    s->sqes = NULL;
    s->sq_map = s->cq_map = NULL;
}

/* Creates a ring and maps it into s; the ring fd, or -errno. */
static int ring_open(struct uring_state *s)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    p.cq_entries = RING_CQ_ENTRIES;
    int fd = sys_setup(RING_SQ_ENTRIES, &p);
    if (fd < 0 && errno == EINVAL) {
        /* before 5.18: no SUBMIT_ALL (we resubmit what the kernel left) */
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_CQSIZE;
        p.cq_entries = RING_CQ_ENTRIES;
        fd = sys_setup(RING_SQ_ENTRIES, &p);
    }
    if (fd < 0)
        return -errno;
    s->submit_all = (p.flags & IORING_SETUP_SUBMIT_ALL) != 0;
    s->skip_flag = p.features & IORING_FEAT_CQE_SKIP ? IOSQE_CQE_SKIP_SUCCESS : 0;
    s->forks = ev__fork_count();
    /* NODROP keeps completions when the CQ ring is full; EXT_ARG lets the
     * wait carry a timeout. Kernels before 5.11 lack them: use epoll. */
    if ((p.features & (IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG)) !=
        (IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG)) {
        close(fd);
        return -ENOSYS;
    }
    s->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    s->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        if (s->cq_map_len > s->sq_map_len)
            s->sq_map_len = s->cq_map_len;
        s->cq_map_len = s->sq_map_len;
    }
    s->sq_map = mmap(NULL, s->sq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                     IORING_OFF_SQ_RING);
    if (s->sq_map == MAP_FAILED) {
        s->sq_map = NULL;
        goto fail;
    }
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        s->cq_map = s->sq_map;
    } else {
        s->cq_map = mmap(NULL, s->cq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                         IORING_OFF_CQ_RING);
        if (s->cq_map == MAP_FAILED) {
            s->cq_map = NULL;
            goto fail;
        }
    }
    s->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
    s->sqes = (struct io_uring_sqe *)mmap(NULL, s->sqes_len, PROT_READ | PROT_WRITE,
                                          MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (s->sqes == MAP_FAILED) {
        s->sqes = NULL;
        goto fail;
    }
    { /* a block of its own: the gotos above must not jump over these declarations */
        char *sq = (char *)s->sq_map, *cq = (char *)s->cq_map;
        s->sq_head = (unsigned *)(sq + p.sq_off.head);
        s->sq_tail = (unsigned *)(sq + p.sq_off.tail);
        s->sq_flags = (unsigned *)(sq + p.sq_off.flags);
        s->sq_array = (unsigned *)(sq + p.sq_off.array);
        s->sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
        s->sq_entries = *(unsigned *)(sq + p.sq_off.ring_entries);
        s->cq_head = (unsigned *)(cq + p.cq_off.head);
        s->cq_tail = (unsigned *)(cq + p.cq_off.tail);
        s->cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
        s->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
        s->sq_local_tail = *s->sq_tail;
        return fd;
    }

fail:;
    int err = errno;
    ring_unmap(s);
    close(fd);
    return -err;
}

/* Whether this kernel lets us create a ring at all; asked once. */
int ev__iouring_usable(void)
{
    static int cached; /* 0: not asked yet, 1: usable, -1: not */
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (!v) {
        struct uring_state s;
        memset(&s, 0, sizeof s);
        int fd = ring_open(&s);
        if (fd >= 0) {
            ring_unmap(&s);
            close(fd);
        }
        v = fd >= 0 ? 1 : -1;
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v > 0;
}

static struct io_uring_sqe *queue_sqe(struct uring_state *s)
{
    if (s->qcnt == s->qcap)
        s->q = (struct io_uring_sqe *)ev__grow(s->q, &s->qcap, s->qcnt + 1, sizeof *s->q);
    struct io_uring_sqe *e = &s->q[s->qcnt++];
    memset(e, 0, sizeof *e);
    return e;
}

static inline uint64_t user_data(int fd, uint32_t gen)
{
    return (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
}

static inline uint32_t poll_mask(int want)
{
    uint32_t mask = (want & EV_READ ? POLLIN : 0u) | (want & EV_WRITE ? POLLOUT : 0u);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    mask = (mask << 16) | (mask >> 16); /* the kernel swaps the halves back */
#endif
    return mask;
}

static void queue_poll_add(struct ev_loop *loop, int fd, int want)
{
    struct ev__fd *f = &loop->fds[fd];
    struct io_uring_sqe *e = queue_sqe((struct uring_state *)loop->bstate);
    e->opcode = IORING_OP_POLL_ADD;
    e->fd = fd;
    e->poll32_events = poll_mask(want);
    e->user_data = user_data(fd, ++f->gen);
    f->kmask = (unsigned char)want;
}

/* The armed poll of fd (the same file) to want, in place: one request, and
 * its completion is skipped when it succeeds. If the poll completed already,
 * the update fails quietly and the completion re-arms with the new events. */
static void queue_poll_update(struct ev_loop *loop, int fd, int want)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    struct ev__fd *f = &loop->fds[fd];
    uint64_t ud = user_data(fd, f->gen);
    /* A poll still in our queue (re-armed after a completion, say) is
     * changed there: an update would find it completed already. */
    for (int i = s->qcnt; i-- > 0;)
        if (s->q[i].user_data == ud && s->q[i].opcode == IORING_OP_POLL_ADD) {
            s->q[i].poll32_events = poll_mask(want);
            f->kmask = (unsigned char)want;
            return;
        }
    struct io_uring_sqe *e = queue_sqe(s);
    e->opcode = IORING_OP_POLL_REMOVE;
    e->flags = s->skip_flag;
    e->fd = -1;
    e->addr = user_data(fd, f->gen);
    e->len = IORING_POLL_UPDATE_EVENTS;
    e->poll32_events = poll_mask(want);
    e->user_data = UD_IGNORE;
    f->kmask = (unsigned char)want;
}

static void queue_poll_remove(struct ev_loop *loop, int fd)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    struct ev__fd *f = &loop->fds[fd];
    struct io_uring_sqe *e = queue_sqe(s);
    e->opcode = IORING_OP_POLL_REMOVE;
    e->flags = s->skip_flag;
    e->fd = -1;
    e->addr = user_data(fd, f->gen);
    e->user_data = UD_IGNORE;
    ++f->gen; /* whatever the removed poll still reports is stale */
    f->kmask = 0;
}

static int uring_init(struct ev_loop *loop)
{
    struct uring_state *s = (struct uring_state *)ev__realloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    int fd = ring_open(s);
    if (fd < 0) {
        ev__free(s);
        return fd;
    }
    loop->backend_fd = fd;
    loop->bstate = s;
    return 0;
}

static void uring_destroy(struct ev_loop *loop)
{
    struct uring_state *s = (struct uring_state *)loop->bstate; /* init succeeded */
    ring_unmap(s);
    ev__free(s->q);
    ev__free(s->vf);
    ev__free(s);
    close(loop->backend_fd); /* cancels every request still armed */
    loop->backend_fd = -1;
    loop->bstate = NULL;
}

static int uring_fork(struct ev_loop *loop)
{
    /* The inherited mappings and fd name the parent's ring: drop our view of
     * it (the parent keeps it) and arm every wanted fd on a new one, which
     * takes over the old fd's number (ev__fd_replace). Without a ring there
     * is nothing to go on with: as libev, ask the syserr callback (which may
     * free resources; the default aborts) and try again until it works. */
    struct uring_state *s = (struct uring_state *)loop->bstate;
    ring_unmap(s);
    s->qcnt = 0;
    int fd;
    while ((fd = ring_open(s)) < 0) {
        errno = -fd;
        ev__syserr("(libev) io_uring_setup after fork");
    }
    loop->backend_fd = ev__fd_replace(fd, loop->backend_fd);
    loop->backend_renewed = 1;
    ev__fd_rearm_all(loop);
    return 0;
}

static void uring_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct ev__fd *f = &loop->fds[fd];
    int want = nev & (EV_READ | EV_WRITE);
    (void)oev;
    if (f->kmask) {
        /* An armed poll covering what we want may stay: its completion is
         * filtered by fds[fd].wanted and the re-arm narrows it. A poll nobody
         * wants is removed now, because it pins the file open. */
        if (want && !(nev & EV__IOFDSET)) {
            if (want & ~f->kmask)
                queue_poll_update(loop, fd, want); /* wider, on the same file */
            return;
        }
        queue_poll_remove(loop, fd);
    }
    if (want)
        queue_poll_add(loop, fd, want);
}

/* Copies queued SQEs into the ring; returns how many wait unsubmitted there. */
static unsigned fill_ring(struct uring_state *s, int *qpos)
{
    unsigned head = __atomic_load_n(s->sq_head, __ATOMIC_ACQUIRE);
    unsigned tail = s->sq_local_tail;
    while (*qpos < s->qcnt && tail - head < s->sq_entries) {
        unsigned idx = tail & s->sq_mask;
        s->sqes[idx] = s->q[(*qpos)++];
        s->sq_array[idx] = idx;
        ++tail;
    }
    s->sq_local_tail = tail;
    __atomic_store_n(s->sq_tail, tail, __ATOMIC_RELEASE);
    return tail - head;
}

static void verify_add(struct uring_state *s, int fd, int want)
{
    if (s->vcnt == s->vcap)
        s->vf = (struct pollfd *)ev__grow(s->vf, &s->vcap, s->vcnt + 1, sizeof *s->vf);
    struct pollfd *p = &s->vf[s->vcnt++];
    p->fd = fd;
    p->events = (short)((want & EV_READ ? POLLIN : 0) | (want & EV_WRITE ? POLLOUT : 0));
    p->revents = 0;
}

/* recheck: the completion was posted while we were not waiting (running
 * callbacks, or blocked elsewhere), so the readiness it reports may be gone,
 * e.g. read by another process: the fd is looked at again after the wait. */
static void handle_cqe(struct ev_loop *loop, const struct io_uring_cqe *c, int recheck)
{
    if (c->user_data == UD_IGNORE)
        return;
    int fd = (int)(uint32_t)c->user_data;
    if (EV__UNLIKELY(fd < 0 || fd >= loop->fd_cap))
        return;
    struct ev__fd *f = &loop->fds[fd];
    if ((uint32_t)(c->user_data >> 32) != f->gen || !f->kmask)
        return;   /* a removed poll, or one on a file this fd named before */
    f->kmask = 0; /* one-shot: nothing armed any more */
    int res = c->res;
    if (EV__UNLIKELY(res < 0)) {
        if (res == -ECANCELED || res == -EINTR || res == -EAGAIN) {
            if (f->wanted)
                queue_poll_add(loop, fd, f->wanted); /* not about the fd: try again */
        } else {
            ev__fd_kill(loop, fd); /* EBADF, or a file poll cannot watch */
        }
        return;
    }
    if (recheck) {
        if (f->wanted)
            verify_add((struct uring_state *)loop->bstate, fd, f->wanted);
        return;
    }
    int got = (res & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
              (res & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0);
    int want = f->wanted;
    if (want)
        queue_poll_add(loop, fd, want);
    ev__fd_event(loop, fd, got & want);
}

/* Handles every completion in the CQ ring; the number handled. */
static int reap(struct ev_loop *loop, int recheck)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    unsigned head = *s->cq_head;
    unsigned tail = __atomic_load_n(s->cq_tail, __ATOMIC_ACQUIRE);
    int n = 0;
    while (head != tail) {
        /* copy first: handling may not touch the ring, but keep it simple */
        struct io_uring_cqe c = s->cqes[head & s->cq_mask];
        ++head;
        ++n;
        __atomic_store_n(s->cq_head, head, __ATOMIC_RELEASE);
        handle_cqe(loop, &c, recheck);
        if (head == tail)
            tail = __atomic_load_n(s->cq_tail, __ATOMIC_ACQUIRE);
    }
    return n;
}

/* The fds of completions posted while we were not waiting, looked at with
 * one poll(2): reported if still ready, and armed again for the next round
 * (arming them at once would let a ready fd complete again in this
 * submission, and cost a second poll for one event). */
static void verify(struct ev_loop *loop)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    int n = s->vcnt;
    s->vcnt = 0;
    int r = poll(s->vf, (nfds_t)n, 0);
    for (int i = 0; i < n; ++i) {
        int fd = s->vf[i].fd;
        if (fd >= loop->fd_cap)
            continue;
        struct ev__fd *f = &loop->fds[fd];
        int want = f->wanted;
        if (!f->kmask && want)
            queue_poll_add(loop, fd, want);
        short re = s->vf[i].revents;
        if (r > 0 && re && !(re & POLLNVAL)) {
            int got = (re & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
                      (re & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0);
            ev__fd_event(loop, fd, got & want);
        }
    }
}

static int enter_failed(void)
{
    if (errno == EINTR || errno == ETIME || errno == EAGAIN || errno == EBUSY)
        return 0;
    ev__syserr("(libev) io_uring_enter");
    return 1;
}

/* Moves every queued SQE into the ring, submitting full rings on the way.
 * Returns how many wait in the ring unsubmitted (they all fit), or -1 when
 * io_uring_enter failed for good (ev__syserr has been told). */
static int flush_queue(struct ev_loop *loop)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    int qpos = 0;
    unsigned pending = fill_ring(s, &qpos);
    /* Without SUBMIT_ALL the kernel stops a batch at a failing SQE: submit
     * until the ring is empty, so that the waiting call has nothing left. */
    while (qpos < s->qcnt || (!s->submit_all && pending)) {
        int r = sys_enter(loop->backend_fd, pending, 0, 0, NULL, 0);
        if (r < 0) {
            if (enter_failed())
                return -1;
            if (errno == EAGAIN || errno == EBUSY) {
                /* completions are backed up: make room, then go on */
                reap(loop, 1);
                sys_enter(loop->backend_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0);
            }
        } else if (r == 0 && qpos == s->qcnt) {
            break; /* the kernel takes no more now; the next call retries */
        }
        pending = fill_ring(s, &qpos);
    }
    s->qcnt = 0;
    return (int)pending;
}

/* In a child of a fork that did not call ev_loop_fork the ring is still the
 * parent's: submitting to it or reaping from it would steal the parent's
 * events. Make our own first. */
static void uring_check_fork(struct ev_loop *loop)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    if (EV__UNLIKELY(s->forks != ev__fork_count()))
        uring_fork(loop);
}

static void uring_flush(struct ev_loop *loop)
{
    uring_check_fork(loop);
    int pending = flush_queue(loop);
    if (pending > 0 && sys_enter(loop->backend_fd, (unsigned)pending, 0, 0, NULL, 0) < 0)
        enter_failed();
}

static void uring_wait(struct ev_loop *loop, ev_tstamp timeout)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    uring_check_fork(loop);
    if (*s->cq_head != __atomic_load_n(s->cq_tail, __ATOMIC_ACQUIRE))
        reap(loop, 1); /* posted since the last poll: maybe stale by now */
    if (s->vcnt)
        timeout = 0.; /* those fds may be ready: no waiting */
    int pending = flush_queue(loop);
    if (pending < 0)
        return;

    struct ring_getevents_arg arg;
    struct __kernel_timespec ts;
    memset(&arg, 0, sizeof arg);
    unsigned flags = IORING_ENTER_GETEVENTS, min_complete = 0;
    if (timeout != 0.) {
        min_complete = 1;
        if (timeout > 0.) {
            if (timeout > 1e9)
                timeout = 1e9; /* the loop simply wakes and waits again */
            ts.tv_sec = (long long)timeout;
            long long ns = (long long)((timeout - (double)ts.tv_sec) * 1e9 + 0.999999);
            if (ns >= 1000000000) {
                ++ts.tv_sec;
                ns -= 1000000000;
            }
            ts.tv_nsec = ns;
            arg.ts = (uint64_t)(uintptr_t)&ts;
            flags |= IORING_ENTER_EXT_ARG;
        }
    }
    int r = sys_enter(loop->backend_fd, (unsigned)pending, min_complete, flags,
                      flags & IORING_ENTER_EXT_ARG ? &arg : NULL,
                      flags & IORING_ENTER_EXT_ARG ? sizeof arg : 0);
    if (r < 0 && enter_failed())
        return;
    reap(loop, 0);
    /* Completions the CQ ring could not hold wait in the kernel: fetch them. */
    while (__atomic_load_n(s->sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_CQ_OVERFLOW) {
        if (sys_enter(loop->backend_fd, 0, 0, IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
            enter_failed())
            return;
        if (!reap(loop, 0))
            break;
    }
}

static void uring_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct uring_state *s = (struct uring_state *)loop->bstate;
    uring_wait(loop, timeout);
    if (s->vcnt)
        verify(loop);
}

const struct ev__backend ev__backend_iouring = {
    .name = "io_uring",
    .id = EVBACKEND_IOURING,
    .flags = EV__BACKEND_EMBEDDABLE,
    .mintime = 1e-6,
    .init = uring_init,
    .destroy = uring_destroy,
    .fork = uring_fork,
    .modify = uring_modify,
    .poll = uring_poll,
    .flush = uring_flush,
};

#endif /* EV_USE_IOURING */
