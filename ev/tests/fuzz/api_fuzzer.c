/*
 * api_fuzzer.c - an API-sequence fuzzer for ev (issue #9).
 *
 * The input is a program: each byte (or group of bytes) picks an operation on
 * a small pool of watchers (io on two pipes, timers, periodics, idle, prepare,
 * check, async, signal, child) of one loop: init, start, stop, ev_timer_again,
 * ev_periodic_again, ev_async_send, raise/ev_feed_signal, forking a child that
 * exits at once with a chosen status (child watchers with pid 0 or a child's
 * pid, trace 0/1, in the default loop, which a flag bit picks), ev_feed_event,
 * ev_set_priority (inactive and not pending only), ev_clear_pending, ev_run
 * (EVRUN_NOWAIT, or EVRUN_ONCE with a zero "guard" timer so it never blocks),
 * ev_break, ev_ref/ev_unref, ev_once, collect intervals, ev_invoke_pending,
 * writes and reads on the pipes, closing a pipe end under its watchers,
 * re-opening a pipe, ev_feed_fd_event, ev_suspend/ev_resume, and destroying
 * and re-creating the loop on another backend (EVFLAG_NOTIMERFD and
 * EVFLAG_SIGNALFD too), and fork() with ev_loop_fork and a run in the child
 * (each loop has a fork watcher, which the child must see called, and a
 * cleanup watcher, which ev_loop_destroy must call once), and appending to a
 * file under an ev_stat watcher (with inotify, a change made before an ev_run
 * whose iteration polled must have been reported when it returns), and writing
 * to the socket of an io watcher in an embedded epoll loop (automatic sweep:
 * read by the time such an ev_run returns). Callbacks read further
 * operations from the same input (nested ev_run included, to depth 2). docs/reliability-fuzz.md has
 * more.
 *
 * After every step: ev_verify(), and a model of what must hold:
 *  - ev_is_active/ev_is_pending of every pool watcher match the model (start
 *    activates, stop deactivates and unqueues, ev_timer_again activates iff
 *    repeat != 0, feed queues, clear_pending unqueues and returns revents iff
 *    queued, a callback is entered unqueued, a one-shot timer is stopped
 *    before its callback and a repeating one stays active);
 *  - after a top-level or nested ev_run nothing is pending, and ev_run's
 *    return value is the model's reference count (active pool watchers +
 *    the guard timer + unfired ev_once watchers + ev_ref - ev_unref);
 *  - timers fire never early (a one-shot's ev_timer_remaining is < 0 in its
 *    callback) and, within one iteration and one priority, in non-decreasing
 *    deadline order;
 *  - an io watcher gets EV_ERROR only if its fd was closed under it, and then
 *    it is stopped; otherwise it gets only the events it asked for;
 *  - an async or signal sent (or a child exited, for the child watchers then
 *    active for it) before an ev_run whose iteration reached the backend poll
 *    has been delivered (or stopped / unqueued) when ev_run returns (signals
 *    and children on select with a closed pipe end excepted: see run_loop);
 *  - a child watcher is called for one of our children (its pid unless it
 *    watches pid 0) with the status it exited with, and stays active.
 * A violated check prints what failed and aborts (libFuzzer keeps the input).
 *
 * Built two ways: with libFuzzer (run_fuzzer.sh), and with replay_main.c as
 * //ev/tests/fuzz:corpus_test, which replays corpus/ and regressions/.
 */
#define _GNU_SOURCE 1
#include <ev.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "api_fuzzer: %s:%d: ", __FILE__, __LINE__);                                \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        abort();                                                                                   \
    } while (0)
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            FAIL("check failed: " #cond ": " __VA_ARGS__);                                         \
    } while (0)

/* ---- the input ------------------------------------------------------------------------------ */

static const uint8_t *in_p;
static size_t in_n;
static int steps_left;

static int more(void)
{
    return in_n > 0 && steps_left > 0;
}

static unsigned byte(void)
{
    if (!in_n)
        return 0;
    --in_n;
    return *in_p++;
}

/* ---- pipes: fixed fd numbers, so a closed one is not reused by the loop's own fds ---------- */

enum { NPIPE = 2, FD_BASE = 300 };
static int fd_open[2 * NPIPE];     /* fd FD_BASE + i is open */
static unsigned closes[2 * NPIPE]; /* times it was closed */

static int pipe_fd(int i)
{
    return FD_BASE + i;
}

static void pipe_close(int i)
{
    if (fd_open[i]) {
        close(pipe_fd(i));
        fd_open[i] = 0;
        ++closes[i];
    }
}

static void pipe_open(int k)
{
    int p[2];
    pipe_close(2 * k);
    pipe_close(2 * k + 1);
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
        FAIL("pipe2: %s", strerror(errno));
    for (int j = 0; j < 2; ++j) {
        if (dup3(p[j], pipe_fd(2 * k + j), O_CLOEXEC) < 0)
            FAIL("dup3: %s", strerror(errno));
        close(p[j]);
        fcntl(pipe_fd(2 * k + j), F_SETFL, O_NONBLOCK);
        fd_open[2 * k + j] = 1;
    }
}

/* ---- the watcher pool and its model --------------------------------------------------------- */

enum kind { K_IO, K_TIMER, K_PERIODIC, K_IDLE, K_PREPARE, K_CHECK, K_ASYNC, K_SIGNAL, K_CHILD };

/* SIGURG: ignored by default, so a signal that outlived its watcher could not kill us */
#define FUZZ_SIGNUM SIGURG

struct slot {
    enum kind kind;
    union {
        ev_watcher w;
        ev_io io;
        ev_timer timer;
        ev_periodic periodic;
        ev_idle idle;
        ev_prepare prepare;
        ev_check check;
        ev_async async;
        ev_signal signal;
        ev_child child;
    } u;
    int m_active; /* model: should be active */
    int fed;      /* fed, or restarted while queued, since its last callback/unqueue:
                   * its next callback is not interpreted strictly */
    double m_at;  /* timers: the deadline (w->at) while active */
    int sent;     /* async, signal, child: sent (a child exited) while active, not yet delivered */
    unsigned got; /* async, signal, child: deliveries (and stops / unqueues that drop a send) */
    int pipe_end; /* io: which pipe fd (0 .. 2*NPIPE-1) */
};

static const enum kind pool_kinds[] = {
    K_IO,    K_IO,    K_IO,       K_IO,       K_TIMER,  K_TIMER, K_TIMER,
    K_TIMER, K_TIMER, K_PERIODIC, K_PERIODIC, K_IDLE,   K_IDLE,  K_PREPARE,
    K_CHECK, K_ASYNC, K_ASYNC,    K_SIGNAL,   K_SIGNAL, K_CHILD, K_CHILD,
};
enum { NSLOT = sizeof pool_kinds / sizeof pool_kinds[0] };

static struct slot pool[NSLOT];
static struct ev_loop *loop;
static ev_timer guard; /* a zero timer that keeps EVRUN_ONCE from blocking */
static int ref_delta;  /* ev_ref - ev_unref calls on this loop */
static int in_cb;      /* callback nesting */
static int trace;      /* FUZZ_TRACE=1: print every operation and callback */

/* timer order: the last timer fired from the heap in this iteration, per priority */
static unsigned order_iter;
static int order_valid[EV_MAXPRI - EV_MINPRI + 1];
static double order_at[EV_MAXPRI - EV_MINPRI + 1];

static const double afters[] = {0., -1., 1e-6, 1e-4, 1e-3, 0.5, 5., 1e30};
static const double repeats[] = {0., 0., 1e-6, 1e-3, 0.01, 1e30};

#define COUNT(a) ((unsigned)(sizeof(a) / sizeof(a)[0]))

static ev_tstamp resched(ev_periodic *w, ev_tstamp now)
{
    (void)w;
    return now + 1e-3;
}

static void verify_pool(const char *where);

static void check_slot(struct slot *s, const char *where)
{
    int i = (int)(s - pool);
    /* a queued timer, periodic or io watcher may have been stopped by the loop (a one-shot
     * that expired, an fd that went bad): its callback tells */
    if (ev_is_pending(&s->u.w) && (s->kind == K_TIMER || s->kind == K_PERIODIC || s->kind == K_IO))
        return;
    CHECK(!!ev_is_active(&s->u.w) == !!s->m_active, "%s: slot %d (kind %d) active=%d model=%d",
          where, i, s->kind, ev_is_active(&s->u.w), s->m_active);
    if (s->kind == K_TIMER && s->m_active)
        CHECK(s->u.timer.at == s->m_at, "%s: slot %d timer deadline moved", where, i);
}

static void verify_pool(const char *where)
{
    ev_verify(loop);
    for (int i = 0; i < NSLOT; ++i)
        check_slot(&pool[i], where);
}

/* ev_once: each holds a reference per watcher (timer, and io when given an fd) until it fires */
static int onces_out, onces_refs, draining;

struct once_rec {
    int refs;
    int fd_end;      /* pipe end watched, or -1 */
    unsigned closes; /* closes[fd_end] when made */
    int closed;      /* the fd was closed when made */
};

static int model_refs(void)
{
    int n = ref_delta + !!ev_is_active(&guard) + onces_refs;
    for (int i = 0; i < NSLOT; ++i)
        n += !!pool[i].m_active;
    return n;
}

static void do_ops(int max);
static int destroying; /* inside ev_loop_destroy (see destroy_loop) */

/* ---- callbacks ------------------------------------------------------------------------------ */

static void cb_common(struct slot *s, int revents)
{
    CHECK(!ev_is_pending(&s->u.w), "callback entered while still pending");
    CHECK(revents != 0, "callback with no events");
    if (trace)
        fprintf(stderr, "%*scb slot %d (kind %d) revents %#x\n", 2 * in_cb, "", (int)(s - pool),
                s->kind, revents);
    ++in_cb;
    s->fed = 0;
    verify_pool("callback entry");
    if (!destroying)
        do_ops((int)(byte() % 4));
    --in_cb;
}

static void io_cb(struct ev_loop *l, ev_io *w, int revents)
{
    struct slot *s = (struct slot *)w->data;
    CHECK(l == loop, "wrong loop");
    if (revents & EV_ERROR) {
        CHECK(!fd_open[s->pipe_end], "EV_ERROR on an open fd %d", w->fd);
        if (!s->fed)
            CHECK(!ev_is_active(w), "EV_ERROR but the watcher is still active");
        s->m_active = !!ev_is_active(w);
    } else if (!s->fed) {
        CHECK(!(revents & ~w->events & (EV_READ | EV_WRITE)), "io events %x not asked for (%x)",
              revents, w->events);
    }
    cb_common(s, revents);
}

static void timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
    struct slot *s = (struct slot *)w->data;
    CHECK(l == loop, "wrong loop");
    if ((revents & EV_TIMER) && !s->fed && s->m_active) {
        /* fired from the heap */
        if (w->repeat == 0.) {
            CHECK(!ev_is_active(w), "one-shot timer still active in its callback");
            CHECK(ev_timer_remaining(l, w) < 0., "timer fired early (%g left)",
                  ev_timer_remaining(l, w));
            s->m_active = 0;
        } else {
            CHECK(ev_is_active(w), "repeating timer stopped");
            CHECK(w->at > s->m_at, "repeating timer not moved forward (%.9f -> %.9f)", s->m_at,
                  w->at);
        }
        int p = ev_priority(w) - EV_MINPRI;
        unsigned it = ev_iteration(l);
        if (it != order_iter) {
            memset(order_valid, 0, sizeof order_valid);
            order_iter = it;
        }
        if (order_valid[p])
            CHECK(order_at[p] <= s->m_at, "timers out of order: %.9f after %.9f", s->m_at,
                  order_at[p]);
        order_valid[p] = 1;
        order_at[p] = s->m_at;
    } else {
        s->m_active = !!ev_is_active(w); /* fed (maybe merged with a heap event): either */
    }
    s->m_at = w->at;
    cb_common(s, revents);
}

static void periodic_cb(struct ev_loop *l, ev_periodic *w, int revents)
{
    struct slot *s = (struct slot *)w->data;
    CHECK(l == loop, "wrong loop");
    if ((revents & EV_PERIODIC) && !s->fed && s->m_active && w->interval == 0. && !w->reschedule_cb)
        CHECK(!ev_is_active(w), "absolute periodic still active after firing");
    s->m_active = !!ev_is_active(w);
    cb_common(s, revents);
}

static void async_cb(struct ev_loop *l, ev_async *w, int revents)
{
    struct slot *s = (struct slot *)w->data;
    CHECK(l == loop, "wrong loop");
    if (revents & EV_ASYNC) {
        s->sent = 0;
        ++s->got;
    }
    cb_common(s, revents);
}

static void signal_cb(struct ev_loop *l, ev_signal *w, int revents)
{
    struct slot *s = (struct slot *)w->data;
    CHECK(l == loop, "wrong loop");
    if (revents & EV_SIGNAL) {
        s->sent = 0;
        ++s->got;
    }
    cb_common(s, revents);
}

/* Children forked by spawn_kid(): each exits at once with a status from the input. */
enum { MAX_KIDS = 16 };
static pid_t kids[MAX_KIDS];
static int kid_status[MAX_KIDS]; /* the exit code */
static int nkids;

static void child_cb(struct ev_loop *l, ev_child *w, int revents)
{
    struct slot *s = (struct slot *)w->data;
    CHECK(l == loop, "wrong loop");
    if ((revents & EV_CHILD) && !s->fed) {
        int k = 0;
        while (k < nkids && kids[k] != w->rpid)
            ++k;
        CHECK(k < nkids, "child watcher called for pid %d, not one of ours", (int)w->rpid);
        CHECK(w->pid == 0 || w->pid == w->rpid, "child watcher for pid %d called for pid %d",
              (int)w->pid, (int)w->rpid);
        CHECK(WIFEXITED(w->rstatus) && WEXITSTATUS(w->rstatus) == kid_status[k],
              "child %d: status %#x, it exited with %d", (int)w->rpid, (unsigned)w->rstatus,
              kid_status[k]);
        CHECK(ev_is_active(w), "child watcher stopped by the loop");
    }
    if (revents & EV_CHILD) {
        s->sent = 0;
        ++s->got;
    }
    cb_common(s, revents);
}

static void plain_cb(struct ev_loop *l, ev_watcher *w, int revents)
{
    CHECK(l == loop, "wrong loop");
    cb_common((struct slot *)w->data, revents);
}

static void once_cb(int revents, void *arg)
{
    struct once_rec *r = (struct once_rec *)arg;
    CHECK(revents & (EV_TIMER | EV_READ | EV_WRITE), "ev_once callback with revents %#x", revents);
    if (revents & EV_ERROR)
        CHECK(r->fd_end >= 0 && (r->closed || closes[r->fd_end] != r->closes),
              "ev_once EV_ERROR on an fd never closed");
    --onces_out;
    onces_refs -= r->refs;
    free(r);
    if (trace)
        fprintf(stderr, "%*sonce revents %#x\n", 2 * in_cb, "", revents);
    ++in_cb;
    verify_pool("ev_once callback");
    do_ops((int)(byte() % 4));
    --in_cb;
}

/* Before a loop goes: every ev_once must fire (an unfired one would leak, as in libev). */
/* A fork watcher (unreferenced) and a cleanup watcher beside the pool, in every loop. */
static ev_fork fork_w;
static ev_cleanup cleanup_w;
static int fork_calls, cleanup_calls;

/* An ev_stat watcher (unreferenced) on a private file that grows by one byte per change. */
static ev_stat stat_w;
static char stat_path[64];
static int stat_calls, stat_changed; /* changed: since its last callback */

static void stat_cb(struct ev_loop *l, ev_stat *w, int revents)
{
    CHECK(l == loop && w == &stat_w && (revents & EV_STAT), "stat watcher called wrongly");
    if (!(revents & ~EV_STAT) && stat_changed)
        CHECK(w->attr.st_size != w->prev.st_size, "stat callback without a size change");
    if (trace)
        fprintf(stderr, "%*sstat cb size %lld\n", 2 * in_cb, "", (long long)w->attr.st_size);
    ++stat_calls;
    stat_changed = 0;
}

/* An embedded epoll loop (automatic sweep; the embed watcher unreferenced) with an io watcher
 * on a private socketpair. */
static struct ev_loop *inner;
static ev_embed embed_w;
static ev_io inner_io;
static int inner_sv[2] = {-1, -1};
static int inner_reads, inner_sent; /* sent: written since the inner callback last read */

static void inner_cb(struct ev_loop *l, ev_io *w, int revents)
{
    CHECK(l == inner && w == &inner_io && revents == EV_READ, "inner io called wrongly");
    char buf[64];
    while (read(w->fd, buf, sizeof buf) > 0)
        ;
    if (trace)
        fprintf(stderr, "%*sinner io\n", 2 * in_cb, "");
    ++inner_reads;
    inner_sent = 0;
}

static void inner_send(void)
{
    if (inner && write(inner_sv[1], "x", 1) == 1)
        inner_sent = 1;
}

static void embed_make(void)
{
    if (!(ev_embeddable_backends() & ev_supported_backends() & EVBACKEND_EPOLL))
        return;
    if (inner_sv[0] < 0) {
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, inner_sv) == 0, "socketpair");
        fcntl(inner_sv[0], F_SETFL, O_NONBLOCK);
    }
    inner = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    CHECK(inner != NULL, "no embeddable loop");
    ev_io_init(&inner_io, inner_cb, inner_sv[0], EV_READ);
    ev_io_start(inner, &inner_io);
    ev_run(inner, EVRUN_NOWAIT); /* what was left in the socket is read here */
    inner_sent = 0;
    ev_embed_init(&embed_w, NULL, inner);
    ev_embed_start(loop, &embed_w);
    ev_unref(loop);
}

static void embed_destroy(void)
{
    if (!inner)
        return;
    ev_ref(loop);
    ev_embed_stop(loop, &embed_w);
    ev_io_stop(inner, &inner_io);
    ev_loop_destroy(inner);
    inner = NULL;
}

static void stat_change(void)
{
    int fd = open(stat_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = write(fd, "x", 1);
        (void)r;
        close(fd);
        stat_changed = 1;
    }
}

static void fork_cb(struct ev_loop *l, ev_fork *w, int revents)
{
    CHECK(l == loop && w == &fork_w && revents == EV_FORK, "fork watcher called wrongly");
    ++fork_calls;
}

static void cleanup_cb(struct ev_loop *l, ev_cleanup *w, int revents)
{
    CHECK(l == loop && w == &cleanup_w && revents == EV_CLEANUP, "cleanup watcher called wrongly");
    ++cleanup_calls;
}

/* fork(); the child calls ev_loop_fork and runs the loop once (its callbacks go on reading
 * the input, with every check): its fork watcher must have been called (more than once is
 * possible: a callback queued before the run may break the loop before the fork is applied,
 * and the next ev_run, nested or not, runs the fork watchers again, as libev's ev_run does). */
static void fork_check(void)
{
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        fork_calls = 0;
        /* a signal still pending in the kernel (blocked for a signalfd) is not inherited */
        for (int i = 0; i < NSLOT; ++i)
            if (pool[i].kind == K_SIGNAL || pool[i].kind == K_CHILD)
                pool[i].sent = 0; /* nor are the parent's children this one's */
        nkids = 0;
        ev_loop_fork(loop);
        ev_run(loop, EVRUN_NOWAIT);
        _exit(fork_calls >= 1 ? 0 : 3);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "forked child ended with status %#x (3: fork watcher not called)", (unsigned)st);
    CHECK(fork_calls == 0, "fork watcher called in the parent");
    inner_sent = 0; /* the child may have read it */
}

/* fork() a child that exits at once with status (op >> 5); wait until it is a zombie without
 * reaping it, so that SIGCHLD is pending (queued before the parent's wait returns): the child
 * watchers of the default loop that match it (its pid or 0) must be called by the next ev_run
 * that polls. Elsewhere (another loop, no watcher) ev never reaps it: reap_kids() does. */
static void spawn_kid(unsigned op)
{
    if (nkids >= MAX_KIDS)
        return;
    int status = (int)(op >> 5);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(status);
    kids[nkids] = pid;
    kid_status[nkids] = status;
    ++nkids;
    siginfo_t si;
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
        CHECK(errno == EINTR, "waitid: %s", strerror(errno));
    if (trace)
        fprintf(stderr, "%*skid %d exited %d\n", 2 * in_cb, "", (int)pid, status);
    for (int i = 0; i < NSLOT; ++i) {
        struct slot *t = &pool[i];
        if (t->kind == K_CHILD && t->m_active && (t->u.child.pid == 0 || t->u.child.pid == pid))
            t->sent = 1;
    }
}

/* Reaps whatever of the children the loop has not. */
static void reap_kids(void)
{
    for (int k = 0; k < nkids; ++k) {
        int st;
        while (waitpid(kids[k], &st, 0) < 0 && errno == EINTR)
            ;
    }
    nkids = 0;
}

static void drain_onces(void);

static void guard_cb(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
}

/* ---- operations ----------------------------------------------------------------------------- */

static void slot_init(struct slot *s)
{
    ev_watcher *w = &s->u.w;
    switch (s->kind) {
    case K_IO: {
        static const int evs[] = {EV_READ, EV_WRITE, EV_READ | EV_WRITE, 0};
        s->pipe_end = (int)(byte() % (2 * NPIPE));
        ev_io_init(&s->u.io, io_cb, pipe_fd(s->pipe_end), evs[byte() % 4]);
        break;
    }
    case K_TIMER:
        ev_timer_init(&s->u.timer, timer_cb, afters[byte() % COUNT(afters)],
                      repeats[byte() % COUNT(repeats)]);
        break;
    case K_PERIODIC: {
        unsigned b = byte();
        double ofs = (b & 3) == 0 ? 0. : (b & 3) == 1 ? ev_now(loop) - 1. : ev_now(loop) + 1e6;
        double ival = (b >> 2 & 3) == 0 ? 0. : (b >> 2 & 3) == 1 ? 1e-3 : 1.;
        ev_periodic_init(&s->u.periodic, periodic_cb, ofs, ival, (b & 16) ? resched : NULL);
        break;
    }
    case K_IDLE:
        ev_idle_init(&s->u.idle, (void (*)(struct ev_loop *, ev_idle *, int))plain_cb);
        break;
    case K_PREPARE:
        ev_prepare_init(&s->u.prepare, (void (*)(struct ev_loop *, ev_prepare *, int))plain_cb);
        break;
    case K_CHECK:
        ev_check_init(&s->u.check, (void (*)(struct ev_loop *, ev_check *, int))plain_cb);
        break;
    case K_ASYNC:
        ev_async_init(&s->u.async, async_cb);
        break;
    case K_SIGNAL:
        ev_signal_init(&s->u.signal, signal_cb, FUZZ_SIGNUM);
        break;
    case K_CHILD: {
        /* any child, or one of ours (maybe reaped already: then it is never called) */
        unsigned b = byte();
        pid_t pid = (b & 6) && nkids ? kids[(b >> 3) % (unsigned)nkids] : 0;
        ev_child_init(&s->u.child, child_cb, pid, (int)(b & 1));
        break;
    }
    }
    w->data = s;
    s->m_active = 0;
    s->fed = 0;
    s->sent = 0;
}

static void slot_start(struct slot *s)
{
    if (ev_is_pending(&s->u.w))
        s->fed = 1; /* its next callback may be for the previous activation */
    switch (s->kind) {
    case K_IO:
        ev_io_start(loop, &s->u.io);
        break;
    case K_TIMER:
        ev_timer_start(loop, &s->u.timer);
        break;
    case K_PERIODIC:
        ev_periodic_start(loop, &s->u.periodic);
        break;
    case K_IDLE:
        ev_idle_start(loop, &s->u.idle);
        break;
    case K_PREPARE:
        ev_prepare_start(loop, &s->u.prepare);
        break;
    case K_CHECK:
        ev_check_start(loop, &s->u.check);
        break;
    case K_ASYNC:
        if (!s->m_active)
            s->sent = 0;
        ev_async_start(loop, &s->u.async);
        break;
    case K_SIGNAL:
        if (!s->m_active)
            s->sent = 0;
        ev_signal_start(loop, &s->u.signal);
        break;
    case K_CHILD:
        if (!ev_is_default_loop(loop))
            return; /* child watchers live in the default loop only */
        if (!s->m_active)
            s->sent = 0;
        ev_child_start(loop, &s->u.child);
        break;
    }
    s->m_active = 1;
    if (s->kind == K_TIMER)
        s->m_at = s->u.timer.at;
}

static void slot_stop(struct slot *s)
{
    switch (s->kind) {
    case K_IO:
        ev_io_stop(loop, &s->u.io);
        break;
    case K_TIMER:
        ev_timer_stop(loop, &s->u.timer);
        break;
    case K_PERIODIC:
        ev_periodic_stop(loop, &s->u.periodic);
        break;
    case K_IDLE:
        ev_idle_stop(loop, &s->u.idle);
        break;
    case K_PREPARE:
        ev_prepare_stop(loop, &s->u.prepare);
        break;
    case K_CHECK:
        ev_check_stop(loop, &s->u.check);
        break;
    case K_ASYNC:
        ev_async_stop(loop, &s->u.async);
        s->sent = 0;
        ++s->got;
        break;
    case K_SIGNAL:
        ev_signal_stop(loop, &s->u.signal);
        s->sent = 0;
        ++s->got;
        break;
    case K_CHILD: /* only unqueues it where it was never started (not the default loop) */
        ev_child_stop(loop, &s->u.child);
        s->sent = 0;
        ++s->got;
        break;
    }
    CHECK(!ev_is_pending(&s->u.w), "pending after stop");
    s->m_active = 0;
    s->fed = 0;
}

static int kind_events(enum kind k)
{
    switch (k) {
    case K_IO:
        return EV_READ;
    case K_TIMER:
        return EV_TIMER;
    case K_PERIODIC:
        return EV_PERIODIC;
    case K_IDLE:
        return EV_IDLE;
    case K_PREPARE:
        return EV_PREPARE;
    case K_CHECK:
        return EV_CHECK;
    case K_ASYNC:
        return EV_ASYNC;
    case K_SIGNAL:
        return EV_SIGNAL;
    case K_CHILD:
        return EV_CHILD;
    }
    return EV_CUSTOM;
}

static void run_loop(int once)
{
    int async_before[NSLOT];
    unsigned got_before[NSLOT];
    for (int i = 0; i < NSLOT; ++i) {
        async_before[i] =
            (pool[i].kind == K_ASYNC || pool[i].kind == K_SIGNAL || pool[i].kind == K_CHILD) &&
            pool[i].m_active && pool[i].sent;
        got_before[i] = pool[i].got;
    }
    unsigned it0 = ev_iteration(loop);
    int stat_before = stat_changed && stat_w.wd >= 0 && !in_cb; /* watched with inotify */
    int stat_calls0 = stat_calls;
    int inner_before = inner_sent && !in_cb;
    int inner_reads0 = inner_reads;
    unsigned closes0 = 0, closed0 = 0; /* closes so far; closed pipe ends now */
    for (int i = 0; i < 2 * NPIPE; ++i) {
        closes0 += closes[i];
        closed0 += !fd_open[i];
    }
    if (once) {
        /* ONCE: the guard (a zero timer) keeps the poll from blocking */
        ev_timer_stop(loop, &guard);
        ev_timer_set(&guard, 0., 0.);
        ev_timer_start(loop, &guard);
    }
    if (trace)
        fprintf(stderr, "%*srun %s begin iter %u\n", 2 * in_cb, "", once ? "ONCE" : "NOWAIT", it0);
    int ret = ev_run(loop, once ? EVRUN_ONCE : EVRUN_NOWAIT);
    if (trace)
        fprintf(stderr, "%*srun end iter %u\n", 2 * in_cb, "", ev_iteration(loop));
    CHECK(ret == model_refs(), "ev_run returned %d, model says %d", ret, model_refs());
    CHECK(ev_pending_count(loop) == 0, "%u watchers still pending after ev_run",
          ev_pending_count(loop));
    for (int i = 0; i < NSLOT; ++i)
        CHECK(!ev_is_pending(&pool[i].u.w), "slot %d pending after ev_run", i);
    /* select answers EBADF for a closed fd without reporting the others (the closed fd's
     * watchers get EV_ERROR): a signalfd's readiness then shows one iteration later. So with
     * select and a closed pipe end around, signal delivery is not checked. */
    unsigned closes1 = 0, closed1 = 0;
    for (int i = 0; i < 2 * NPIPE; ++i) {
        closes1 += closes[i];
        closed1 += !fd_open[i];
    }
    int select_ebadf =
        ev_backend(loop) == EVBACKEND_SELECT && (closed0 || closed1 || closes1 != closes0);
    if (ev_iteration(loop) != it0) {
        /* the backend was polled: whatever was sent before is delivered */
        for (int i = 0; i < NSLOT; ++i)
            if (async_before[i] && !(pool[i].kind != K_ASYNC && select_ebadf))
                CHECK(pool[i].got != got_before[i],
                      "async/signal/child %d sent before ev_run but not delivered", i);
        /* inotify's events are queued by the change itself */
        if (stat_before && !select_ebadf)
            CHECK(stat_calls != stat_calls0, "a file change before ev_run was not reported");
        /* the embedded loop's fd is ready: the embed watcher sweeps it in that iteration */
        if (inner_before && !select_ebadf)
            CHECK(inner_reads != inner_reads0, "data for the embedded loop was not read");
    }
    if (in_cb && ev_depth(loop) > 0) {
        /* an outer EVRUN_ONCE may still poll: keep the guard armed */
        if (!ev_is_active(&guard)) {
            ev_timer_set(&guard, 0., 0.);
            ev_timer_start(loop, &guard);
        }
    } else if (!in_cb) {
        ev_timer_stop(loop, &guard);
    }
    verify_pool("after ev_run");
}

static void drain_onces(void)
{
    draining = 1;
    for (int i = 0; onces_out > 0 && i < 100000; ++i)
        run_loop(1);
    draining = 0;
    CHECK(onces_out == 0, "%d ev_once callbacks never came", onces_out);
}

static void destroy_loop(void)
{
    if (!loop)
        return;
    drain_onces();
    ev_ref(loop);
    ev_stat_stop(loop, &stat_w);
    embed_destroy();
    cleanup_calls = 0;
    /* ev_loop_destroy invokes the cleanup watchers with whatever else is queued (libev too):
     * those callbacks must not start anything (an ev_once made now would never be freed) */
    destroying = 1;
    ev_loop_destroy(loop);
    destroying = 0;
    CHECK(cleanup_calls == 1, "cleanup watcher called %d times by ev_loop_destroy", cleanup_calls);
    loop = NULL;
    reap_kids();
}

static void make_loop(unsigned b)
{
    static const unsigned backends[] = {EVBACKEND_EPOLL, EVBACKEND_POLL, EVBACKEND_SELECT,
                                        EVBACKEND_IOURING};
    unsigned want = backends[b % 4];
    if (!(ev_supported_backends() & want))
        want = EVBACKEND_EPOLL;
    unsigned flags = EVFLAG_NOENV | want;
    if (b & 4)
        flags |= EVFLAG_NOTIMERFD;
    if (b & 8)
        flags |= EVFLAG_SIGNALFD;
    /* the default loop (child watchers work only there) */
    loop = b & 16 ? ev_default_loop(flags) : ev_loop_new(flags);
    CHECK(loop != NULL, "ev_loop_new(%#x) failed", flags);
    if (trace)
        fprintf(stderr, "new loop, flags %#x\n", flags);
    CHECK(ev_backend(loop) == want, "backend %#x, wanted %#x", ev_backend(loop), want);
    ref_delta = 0;
    onces_out = onces_refs = 0;
    order_iter = ~0u;
    ev_timer_init(&guard, guard_cb, 0., 0.);
    ev_fork_init(&fork_w, fork_cb);
    ev_fork_start(loop, &fork_w);
    ev_unref(loop); /* outside the model's reference count */
    ev_cleanup_init(&cleanup_w, cleanup_cb);
    ev_cleanup_start(loop, &cleanup_w); /* holds no reference (as in libev) */
    fork_calls = 0;
    if (!stat_path[0]) {
        snprintf(stat_path, sizeof stat_path, "%s", "/tmp/ev-api-fuzz-stat.XXXXXX");
        int fd = mkstemp(stat_path);
        CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
        close(fd);
    }
    ev_stat_init(&stat_w, stat_cb, stat_path, 0.);
    ev_stat_start(loop, &stat_w);
    ev_unref(loop);
    stat_changed = 0;
    embed_make();
    for (int i = 0; i < NSLOT; ++i) {
        memset(&pool[i], 0, sizeof pool[i]);
        pool[i].kind = pool_kinds[i];
        slot_init(&pool[i]);
    }
}

static void do_op(void)
{
    --steps_left;
    unsigned op = byte();
    struct slot *s = &pool[byte() % NSLOT];
    ev_watcher *w = &s->u.w;
    if (trace)
        fprintf(stderr, "%*sop %u slot %d (kind %d) depth %d iter %u\n", 2 * in_cb, "", op % 27,
                (int)(s - pool), s->kind, ev_depth(loop), ev_iteration(loop));
    switch (op % 27) {
    case 0: /* (re)initialise: only when neither active nor pending */
        if (!ev_is_active(w) && !ev_is_pending(w))
            slot_init(s);
        break;
    case 1:
    case 2:
        slot_start(s);
        break;
    case 3:
        slot_stop(s);
        break;
    case 4: /* again */
        if (s->kind == K_TIMER) {
            ev_timer_again(loop, &s->u.timer);
            s->m_active = s->u.timer.repeat != 0.;
            s->fed = 0;
            s->m_at = s->u.timer.at;
            CHECK(!ev_is_pending(w), "pending after ev_timer_again");
        } else if (s->kind == K_PERIODIC) {
            ev_periodic_again(loop, &s->u.periodic);
            s->m_active = 1;
            s->fed = 0;
        } else if (s->kind == K_ASYNC) {
            ev_async_send(loop, &s->u.async);
            if (s->m_active)
                s->sent = 1;
        } else if (s->kind == K_SIGNAL) {
            /* raise only while this loop owns the signal; ev_feed_signal at any time */
            int any = 0;
            for (int i = 0; i < NSLOT; ++i)
                any |= pool[i].kind == K_SIGNAL && pool[i].m_active;
            if (trace)
                fprintf(stderr, "%*s%s\n", 2 * in_cb, "",
                        op & 0x80 ? "ev_feed_signal"
                        : any     ? "raise"
                                  : "-");
            if (op & 0x80)
                ev_feed_signal(FUZZ_SIGNUM);
            else if (any)
                raise(FUZZ_SIGNUM);
            for (int i = 0; i < NSLOT; ++i)
                if (pool[i].kind == K_SIGNAL && pool[i].m_active)
                    pool[i].sent = 1;
        } else if (s->kind == K_CHILD) {
            spawn_kid(op); /* exits with op >> 5 */
        }
        break;
    case 5:
    case 6: /* feed */
        ev_feed_event(loop, w, kind_events(s->kind) | (op & 0x80 ? EV_CUSTOM : 0));
        CHECK(ev_is_pending(w), "not pending after ev_feed_event");
        s->fed = 1;
        break;
    case 7: /* priority, only when inactive and not pending */
        if (!ev_is_active(w) && !ev_is_pending(w))
            ev_set_priority(w, (int)(byte() % 7) - 3);
        break;
    case 8: { /* clear pending */
        int was = ev_is_pending(w);
        int r = ev_clear_pending(loop, w);
        CHECK(!ev_is_pending(w), "pending after ev_clear_pending");
        CHECK(!!r == !!was, "ev_clear_pending returned %#x, was pending %d", r, was);
        if (was) {
            s->fed = 0;
            if ((s->kind == K_ASYNC && (r & EV_ASYNC)) ||
                (s->kind == K_SIGNAL && (r & EV_SIGNAL)) ||
                (s->kind == K_CHILD && (r & EV_CHILD))) {
                s->sent = 0;
                ++s->got;
            }
            if (s->kind == K_TIMER || s->kind == K_PERIODIC) {
                /* a heap event: the one-shot was already stopped when it was queued */
                s->m_active = !!ev_is_active(w);
                if (s->kind == K_TIMER)
                    s->m_at = s->u.timer.at;
            }
            if (s->kind == K_IO && (r & EV_ERROR))
                s->m_active = !!ev_is_active(w); /* stopped by the loop, maybe started again */
        }
        break;
    }
    case 9:
    case 10:
        if (ev_depth(loop) < 2)
            run_loop(0);
        break;
    case 11:
    case 12:
        if (ev_depth(loop) < 2)
            run_loop(1);
        break;
    case 13:
        ev_break(loop, op & 0x80 ? EVBREAK_ALL : EVBREAK_ONE);
        break;
    case 14: { /* write to a pipe */
        int k = (int)(byte() % NPIPE);
        char buf[64] = {0};
        ssize_t r = write(pipe_fd(2 * k + 1), buf, 1 + (op >> 5) * 8);
        (void)r;
        break;
    }
    case 15: { /* read from a pipe */
        int k = (int)(byte() % NPIPE);
        char buf[256];
        ssize_t r = read(pipe_fd(2 * k), buf, op & 0x80 ? sizeof buf : 1);
        (void)r;
        break;
    }
    case 16:
        if (op & 0x80) {
            ev_ref(loop);
            ++ref_delta;
        } else if (ref_delta > -2) {
            ev_unref(loop);
            --ref_delta;
        }
        break;
    case 17: /* close a pipe end under whatever watches it */
        if (s->kind == K_IO && (op & 0x20))
            pipe_close(s->pipe_end);
        break;
    case 18: { /* re-open a pipe: its io watchers are stopped and set again first */
        int k = (int)(byte() % NPIPE);
        for (int i = 0; i < NSLOT; ++i) {
            struct slot *t = &pool[i];
            if (t->kind == K_IO && t->pipe_end / 2 == k) {
                slot_stop(t);
                ev_io_set(&t->u.io, t->u.io.fd, t->u.io.events & (EV_READ | EV_WRITE));
            }
        }
        pipe_open(k);
        break;
    }
    case 19: /* destroy and re-create the loop: top level only */
        if (!in_cb && (op & 0x60) == 0x60) {
            destroy_loop();
            make_loop(byte());
        }
        break;
    case 20: /* set a timer's values while inactive */
        if (s->kind == K_TIMER && !ev_is_active(w)) {
            if (ev_is_pending(w))
                s->fed = 1; /* its queued callback sees the new values */
            ev_timer_set(&s->u.timer, afters[byte() % COUNT(afters)],
                         repeats[byte() % COUNT(repeats)]);
        }
        break;
    case 21:
        if (s->kind == K_IO) {
            ev_feed_fd_event(loop, s->u.io.fd, (int)(op >> 6) & (EV_READ | EV_WRITE));
            for (int i = 0; i < NSLOT; ++i)
                if (pool[i].kind == K_IO && ev_is_pending(&pool[i].u.w))
                    pool[i].fed = 1;
        } else {
            inner_send(); /* data for the embedded loop */
        }
        break;
    case 22: /* suspend + resume: active timers move by the suspended time */
        if (!in_cb) {
            ev_suspend(loop);
            ev_resume(loop);
            for (int i = 0; i < NSLOT; ++i)
                if (pool[i].kind == K_TIMER && pool[i].m_active)
                    pool[i].m_at = pool[i].u.timer.at;
        }
        break;
    case 23:
        if (op & 0x80 && !in_cb)
            fork_check();
        else if (op & 0x40)
            stat_change();
        else
            ev_now_update(loop);
        break;
    case 24: /* ev_once with a timeout (0 or 1 us) and maybe a pipe fd */
        if (!draining) {
            struct once_rec *r = (struct once_rec *)malloc(sizeof *r);
            r->fd_end = op & 0x80 ? -1 : (int)(byte() % (2 * NPIPE));
            r->refs = 1 + (r->fd_end >= 0);
            r->closes = r->fd_end >= 0 ? closes[r->fd_end] : 0;
            r->closed = r->fd_end >= 0 && !fd_open[r->fd_end];
            ++onces_out;
            onces_refs += r->refs;
            ev_once(loop, r->fd_end >= 0 ? pipe_fd(r->fd_end) : -1, op & 0x40 ? EV_WRITE : EV_READ,
                    op & 0x20 ? 1e-6 : 0., once_cb, r);
        }
        break;
    case 25: { /* collect intervals: never make a run block, as every timeout here is 0 */
        static const double ivs[] = {0., 1e-5, 1e-4};
        if (op & 0x80)
            ev_set_io_collect_interval(loop, ivs[byte() % 3]);
        else
            ev_set_timeout_collect_interval(loop, ivs[byte() % 3]);
        break;
    }
    case 26: /* invoke what is queued, outside ev_run */
        if (!in_cb) {
            ev_invoke_pending(loop);
            CHECK(ev_pending_count(loop) == 0, "pending after ev_invoke_pending");
            ev_timer_stop(loop, &guard);
        }
        break;
    }
    verify_pool("after op");
}

static void do_ops(int max)
{
    while (max-- > 0 && more())
        do_op();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* libFuzzer starts its helper threads (the RSS watcher) after this: they inherit a mask that
     * blocks SIGCHLD, so that a child's exit reaches the main thread (and the loop) before the
     * wait for it returns. The first input unblocks it in the main thread. */
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &ss, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        trace = getenv("FUZZ_TRACE") && atoi(getenv("FUZZ_TRACE"));
        signal(SIGPIPE, SIG_IGN); /* writes to a pipe whose read end was closed */
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        pthread_sigmask(SIG_UNBLOCK, &ss, NULL);
        once = 1;
    }
    in_p = data;
    in_n = size;
    steps_left = 4000;
    in_cb = 0;
    for (int k = 0; k < NPIPE; ++k)
        pipe_open(k);
    make_loop(byte());
    verify_pool("new loop");
    while (more())
        do_op();
    /* a last run: whatever is pending is invoked, then everything goes */
    run_loop(0);
    destroy_loop();
    for (int i = 0; i < 2 * NPIPE; ++i)
        pipe_close(i);
    return 0;
}
