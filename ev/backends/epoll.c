/*
 * epoll.c - the Linux epoll backend.
 *
 * fds[fd].kmask is what the kernel has registered for fd (0: nothing, as far
 * as we know) and fds[fd].gen a generation stored in the upper half of the
 * event data, bumped on every EPOLL_CTL_ADD. Removal is lazy: when no watcher
 * wants an fd any more it stays registered (close() usually removes it for
 * free) and is disarmed by the first event it produces. An event whose
 * generation is not the fd's current one comes from a registration we cannot
 * reach any more (a dup of a closed fd): the epoll set is then rebuilt, at the
 * start of the next poll (after the callbacks that may close more), and the
 * new set takes over the old one's fd number (ev__fd_replace): a rebuild never
 * moves the loop's fd onto the number the program has just closed.
 * Regular files are refused by epoll (EPERM); they are always ready, so they
 * are kept on a side list and reported on every poll.
 * The top bit of fds[fd].gen (GEN_DIRTY) is set while the kernel watches more
 * than the watchers want (lazy removal): an event then fails the single
 * generation test of the fast path and takes the slow path, which disarms.
 * A forked child shares the epoll set with its parent: whatever it changes
 * there, the parent's loop loses. So a child that has not called
 * ev_loop_fork never calls epoll_ctl on an inherited set; it builds its own
 * first (ev__fork_count(), bumped by an atfork handler, says a fork happened).
 */
#include "../core/backend.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* epoll_ctl without the C library's wrapper and errno on x86-64 Linux: the
 * return value is 0 or -errno. Registration is on the hot path of every
 * re-armed watcher; epoll_ctl is no cancellation point, so nothing of the C
 * library's is skipped. Sanitizer builds keep the library call, which their
 * interceptors watch (TSan derives happens-before from epoll). */
#ifndef EV_EPOLL_RAW_SYSCALL /* 0 forces the library call (e.g. to wrap it in tests) */
#if defined(__x86_64__) && defined(__linux__) && !defined(EV_SANITIZER_TSAN) &&                    \
    !defined(EV_SANITIZER_ASAN) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define EV_EPOLL_RAW_SYSCALL 1
#else
#define EV_EPOLL_RAW_SYSCALL 0
#endif
#endif
#if EV_EPOLL_RAW_SYSCALL
#include <sys/syscall.h>
static inline int epoll_ctl_raw(int epfd, int op, int fd, struct epoll_event *ev)
{
    long ret;
    register long r10 __asm__("r10") = (long)ev;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"((long)SYS_epoll_ctl), "D"((long)epfd), "S"((long)op), "d"((long)fd),
                       "r"(r10)
                     : "rcx", "r11", "memory");
    return (int)ret;
}
#else
static inline int epoll_ctl_raw(int epfd, int op, int fd, struct epoll_event *ev)
{
    return epoll_ctl(epfd, op, fd, ev) == 0 ? 0 : -errno;
}
#endif

enum { KM_EPERM = 0x40 }; /* kmask bit: fd is on the always-ready list */

#define GEN_DIRTY 0x80000000u /* fds[fd].gen: kmask has bits nobody wants */
#define GEN_MASK 0x7fffffffu

/* epoll's event bits (EPOLLIN 1, EPOLLOUT 4, EPOLLERR 8, EPOLLHUP 16) to
 * EV_READ|EV_WRITE; an error or hang-up wakes readers and writers. Indexed by
 * the low byte of the events (one instruction less than masking them). */
static const unsigned char epoll_to_ev[256] = {
#define EV__E(b)                                                                                   \
    (unsigned char)(((b) & (EPOLLIN | EPOLLERR | EPOLLHUP) ? EV_READ : 0) |                        \
                    ((b) & (EPOLLOUT | EPOLLERR | EPOLLHUP) ? EV_WRITE : 0))
#define EV__E4(b) EV__E(b), EV__E(b + 1), EV__E(b + 2), EV__E(b + 3)
#define EV__E16(b) EV__E4(b), EV__E4(b + 4), EV__E4(b + 8), EV__E4(b + 12)
#define EV__E64(b) EV__E16(b), EV__E16(b + 16), EV__E16(b + 32), EV__E16(b + 48)
    EV__E64(0),
    EV__E64(64),
    EV__E64(128),
    EV__E64(192),
#undef EV__E64
#undef EV__E16
#undef EV__E4
#undef EV__E
};

/* The next generation of f, for a new registration (clean). */
static inline uint32_t next_gen(struct ev__fd *f)
{
    f->gen = (f->gen + 1) & GEN_MASK;
    return f->gen;
}

struct epoll_state {
    struct epoll_event *events;
    int cap;
    int *eperm; /* fds that epoll refused with EPERM */
    int eperm_cnt, eperm_cap;
    int rebuild;
    unsigned int fork_gen; /* ev__fork_count() when this process made the set */
};

/* The set was inherited through fork: epoll_ctl on it edits the parent's. */
static inline int set_is_inherited(const struct epoll_state *s)
{
    return EV__UNLIKELY(ev__fork_count() != s->fork_gen);
}

static inline uint32_t to_epoll(int ev)
{
    static const uint32_t tab[4] = {0, EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT};
    return tab[ev & (EV_READ | EV_WRITE)];
}

static int epoll_open(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static int epoll_init(struct ev_loop *loop)
{
    int fd = epoll_open();
    if (fd < 0)
        return fd;
    struct epoll_state *s = (struct epoll_state *)ev__realloc(NULL, sizeof *s);
    s->cap = 64;
    s->events = (struct epoll_event *)ev__realloc(NULL, (size_t)s->cap * sizeof *s->events);
    s->eperm = NULL;
    s->eperm_cnt = s->eperm_cap = 0;
    s->rebuild = 0;
    s->fork_gen = ev__fork_count();
    loop->backend_fd = fd;
    loop->bstate = s;
    return 0;
}

static void epoll_destroy(struct ev_loop *loop)
{
    struct epoll_state *s = (struct epoll_state *)loop->bstate; /* init succeeded */
    close(loop->backend_fd);
    loop->backend_fd = -1;
    ev__free(s->events);
    ev__free(s->eperm);
    ev__free(s);
    loop->bstate = NULL;
}

/* A fresh epoll set, under the old set's fd number, with every wanted fd registered again. */
static int epoll_recreate(struct ev_loop *loop)
{
    struct epoll_state *s = (struct epoll_state *)loop->bstate;
    int fd = epoll_open();
    if (fd < 0)
        return fd;
    loop->backend_fd = ev__fd_replace(fd, loop->backend_fd);
    loop->backend_renewed = 1;
    s->eperm_cnt = 0;
    s->rebuild = 0;
    s->fork_gen = ev__fork_count();
    ev__fd_rearm_all(loop);
    return 0;
}

static void eperm_add(struct ev_loop *loop, int fd)
{
    struct epoll_state *s = (struct epoll_state *)loop->bstate;
    loop->fds[fd].kmask = KM_EPERM;
    for (int i = 0; i < s->eperm_cnt; ++i)
        if (s->eperm[i] == fd)
            return; /* set again (ev_io_set) before its entry dropped out */
    if (s->eperm_cnt == s->eperm_cap)
        s->eperm = (int *)ev__grow(s->eperm, &s->eperm_cap, s->eperm_cnt + 1, sizeof(int));
    s->eperm[s->eperm_cnt++] = fd;
}

/* epoll_ctl on the fd and mask of rq failed with err (not the EEXIST of a
 * registration that is as wanted): the registration was not what we thought
 * (closed and reused fd, or added behind our back), or the fd is unusable.
 * Everything is recomputed from rq and the fd's state, so that the caller
 * keeps little alive across its system call. */
static EV__COLD void epoll_ctl_failed(struct ev_loop *loop, const struct epoll_event *rq, int err)
{
    int fd = (int)(uint32_t)rq->data.u64;
    struct ev__fd *f = &loop->fds[fd];
    int want = (int)((rq->events & EPOLLIN ? EV_READ : 0) | (rq->events & EPOLLOUT ? EV_WRITE : 0));
    int op = f->kmask && f->kmask != want ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    struct epoll_event ev;
    ev.events = to_epoll(want);
    ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)next_gen(f) << 32);
    if (err == ENOENT && op == EPOLL_CTL_MOD)
        op = EPOLL_CTL_ADD; /* the registration vanished with a close(): add the new file */
    else if (err == EEXIST && op == EPOLL_CTL_ADD)
        op = EPOLL_CTL_MOD; /* registered after all: update it */
    else
        op = -1;
    if (op >= 0 && epoll_ctl(loop->backend_fd, op, fd, &ev) == 0) {
        f->kmask = (unsigned char)want;
        return;
    }
    if (op >= 0)
        err = errno;
    f->kmask = 0;
    if (err == EPERM)
        eperm_add(loop, fd); /* regular file or similar: always ready */
    else
        ev__fd_kill(loop, fd); /* EBADF, ELOOP, EINVAL...: the fd is unusable */
}

static void epoll_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct ev__fd *f = &loop->fds[fd];
    int want = nev & (EV_READ | EV_WRITE);
    (void)oev;
    if (!want) {
        if (f->kmask & ~KM_EPERM)
            f->gen |= GEN_DIRTY; /* lazy removal, see above */
        return;
    }
    if (f->kmask & KM_EPERM) {
        if (!(nev & EV__IOFDSET))
            return;   /* still the same always-ready file */
        f->kmask = 0; /* maybe a new file: ask epoll again; the list entry
                         drops out at the next poll */
    }
    if (f->kmask == want && !(nev & EV__IOFDSET)) {
        f->gen &= GEN_MASK; /* wanted again as registered: clean */
        return;
    }
    if (set_is_inherited((const struct epoll_state *)loop->bstate)) {
        /* A child without ev_loop_fork: a private set, which registers fd
         * (its wanted events are already recorded) and every other fd. */
        if (epoll_recreate(loop) < 0)
            ev__syserr("(libev) epoll_create1");
        return;
    }

    struct epoll_event ev;
    ev.events = to_epoll(want);
    /* An fd set again (ev_io_set) with the mask the kernel has: ADD, which
     * fails cheaply with EEXIST when the registration is still there (the
     * same file) and registers the new file after a close and reuse. */
    int op = f->kmask && f->kmask != want ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    uint32_t gen = op == EPOLL_CTL_ADD ? (f->gen + 1) & GEN_MASK : f->gen & GEN_MASK;
    ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
    int err = -epoll_ctl_raw(loop->backend_fd, op, fd, &ev);
    if (EV__LIKELY(!err)) {
        f->kmask = (unsigned char)want;
        f->gen = gen;
        return;
    }
    if (EV__LIKELY(err == EEXIST && f->kmask == want)) {
        f->gen &= GEN_MASK; /* still registered as wanted, under its generation */
        return;
    }
    epoll_ctl_failed(loop, &ev, err);
}

/* An event whose generation is not the fd's clean current one: either the
 * fd has GEN_DIRTY (the kernel watches more than we want: disarm the rest
 * and keep what is wanted) or it comes from an unreachable old registration
 * (rebuild the set at the next poll). Returns the events still to report. */
static EV__COLD int epoll_event_slow(struct ev_loop *loop, struct epoll_state *s,
                                     struct epoll_event *e, int got)
{
    int fd = (int)(uint32_t)e->data.u64;
    struct ev__fd *f = &loop->fds[fd];
    if ((uint32_t)(e->data.u64 >> 32) != (f->gen & GEN_MASK)) {
        s->rebuild = 1;
        return 0;
    }
    int want = f->wanted;
    struct epoll_event ev;
    ev.events = to_epoll(want);
    ev.data.u64 = e->data.u64;
    f->kmask = (unsigned char)want;
    f->gen &= GEN_MASK;
    if (set_is_inherited(s))
        s->rebuild = 1; /* never disarm in the parent's set */
    else if (epoll_ctl(loop->backend_fd, want ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, &ev) < 0)
        s->rebuild = 1; /* the fd number no longer names that file */
    return got & want;
}

static void epoll_process(struct ev_loop *loop, struct epoll_state *s, int n);

/* After the events: a full event array grows, always-ready files are
 * reported. */
static EV__COLD void epoll_after(struct ev_loop *loop, struct epoll_state *s, int n)
{
    if (n == s->cap) {
        ev__free(s->events);
        s->cap *= 2;
        s->events = (struct epoll_event *)ev__realloc(NULL, (size_t)s->cap * sizeof *s->events);
        /* More fds may be ready than fitted: collect them in this same
         * iteration (libevent's EVLOOP_ONCE handles every ready fd), growing
         * again while the array comes back full. Level-triggered: the fds
         * already reported come again, and their events merge. */
        int more = epoll_wait(loop->backend_fd, s->events, s->cap, 0);
        if (more > 0)
            epoll_process(loop, s, more);
    }
    for (int i = 0; i < s->eperm_cnt; ++i) {
        int fd = s->eperm[i];
        struct ev__fd *f = &loop->fds[fd];
        if ((f->kmask & KM_EPERM) && f->wanted) {
            ev__fd_event(loop, fd, f->wanted);
        } else {
            if (f->kmask & KM_EPERM)
                f->kmask = 0;
            s->eperm[i--] = s->eperm[--s->eperm_cnt];
        }
    }
}

/* Before a wait with a rebuild due or always-ready files listed: the rebuild (the wanted
 * events are up to date: the changes were reified), and no blocking for those files. */
static EV__COLD ev_tstamp epoll_before(struct ev_loop *loop, struct epoll_state *s,
                                       ev_tstamp timeout)
{
    if (s->rebuild && epoll_recreate(loop) < 0)
        ev__syserr("(libev) epoll_create1");
    return s->eperm_cnt ? 0. : timeout;
}

/* The halves of an event's data (fd, generation), each read on its own. */
static inline uint32_t event_fd(const struct epoll_event *e)
{
    return (uint32_t)e->data.u64;
}

static inline uint32_t event_gen(const struct epoll_event *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t gen;
    memcpy(&gen, (const char *)&e->data + 4, sizeof gen);
    return gen;
#else
    return (uint32_t)(e->data.u64 >> 32);
#endif
}

/* The events of one wait (out of line: an empty wait stays cheap). */
static EV__NOINLINE void epoll_process(struct ev_loop *loop, struct epoll_state *s, int n)
{
    /* Nothing in this loop reallocates either array (callbacks run later). */
    struct epoll_event *events = s->events;
    struct ev__fd *fds = loop->fds;
    struct ev__batch b;
    ev__batch_begin(loop, &b);
    for (int i = 0; i < n; ++i) {
        struct epoll_event *e = &events[i];
        struct ev__fd *f = &fds[event_fd(e)];
        int got = epoll_to_ev[(unsigned char)e->events];
        if (EV__UNLIKELY(event_gen(e) != f->gen))
            got = epoll_event_slow(loop, s, e, got); /* feeds nothing */
        /* Each watcher takes only its own events (ev__batch_fd_feed masks them). */
        ev__batch_fd_feed(loop, &b, f, got);
    }
    ev__batch_end(loop, &b);
    if (EV__UNLIKELY(n == s->cap || s->eperm_cnt))
        epoll_after(loop, s, n);
}

static void epoll_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct epoll_state *s = (struct epoll_state *)loop->bstate;
    if (EV__UNLIKELY(s->eperm_cnt | s->rebuild))
        timeout = epoll_before(loop, s, timeout);
    int n = epoll_wait(loop->backend_fd, s->events, s->cap, ev__timeout_ms(timeout));
    if (EV__UNLIKELY(n < 0)) {
        if (errno != EINTR)
            ev__syserr("(libev) epoll_wait");
        return;
    }
    if (n || s->eperm_cnt)
        epoll_process(loop, s, n);
}

static int epoll_fork(struct ev_loop *loop)
{
    return epoll_recreate(loop);
}

const struct ev__backend ev__backend_epoll = {
    .name = "epoll",
    .id = EVBACKEND_EPOLL,
    .flags = EV__BACKEND_EMBEDDABLE,
    .mintime = 1e-3,
    .init = epoll_init,
    .destroy = epoll_destroy,
    .fork = epoll_fork,
    .modify = epoll_modify,
    .poll = epoll_poll,
    .flush = NULL, /* modify() acts at once */
};
