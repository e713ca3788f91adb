/*
 * diff_driver.c - the differential fuzzer's driver (issue #15).
 *
 * One program, built twice from this source: against ev (<ev.h> of ev/core,
 * linked with the library) and against Debian's libev 4.33 (/usr/include/ev.h,
 * -lev). diff_run() reads its input as a program of API operations over one
 * default loop and a fixed pool of watchers, and returns a trace of everything
 * observable: every callback with its revents and the watcher's state, the
 * return values of ev_run, ev_clear_pending, ev_pending_count, ev_iteration,
 * ev_depth, ev_is_active/ev_is_pending/ev_priority of every watcher, and
 * ev_timer_remaining rounded to 10 s. Two builds given the same input must
 * print the same trace (diff_fuzzer.c and diff_replay_test.sh compare them).
 *
 * Time is made deterministic: nothing sleeps. Runs are EVRUN_NOWAIT,
 * EVRUN_ONCE with a zero "guard" timer, or a plain ev_run with an always
 * active guard idle watcher (so the poll never waits) and a guard prepare
 * watcher that calls ev_break after a few iterations. Timers are either
 * expired (100 s steps in the past, a distinct deadline per watcher and
 * parameter, so their firing order is fixed) or a million seconds away;
 * repeats are 0 or ten million seconds. Periodics are absolute (1000 s steps
 * in the past, or far away), a 1e6 s interval, or a reschedule callback
 * returning now + 1e5 s. Readiness comes from a pipe and a socketpair that the
 * program fills and drains itself, ev_feed_event, ev_feed_fd_event,
 * ev_feed_signal, raise() (only without EVFLAG_SIGNALFD, so the signal is
 * caught at once), ev_async_send (from this thread or a second one, joined
 * before going on), children that exit with a chosen status (waited for with
 * WNOWAIT so SIGCHLD is pending before the next run), and ev_loop_fork in a
 * forked child whose trace is appended to the parent's.
 *
 * Orders the manual leaves open are canonicalised: the callbacks of one
 * ev_invoke_pending (an ev_set_invoke_pending_cb hook marks its bounds) are
 * grouped into runs of equal priority and the runs' callback blocks (a
 * callback's line and everything traced inside it) are sorted. So that a
 * block does not depend on the order, a callback acts only on its own
 * watcher (stop, ev_timer_again, feed itself, drain its fd), breaks the loop,
 * starts another watcher with that watcher's fixed configuration, or runs a
 * nested EVRUN_NOWAIT loop when it was the only watcher of the driver's queued
 * as that ev_invoke_pending began (and is called first); what a callback does
 * comes from a per-watcher script (set by the program), indexed by that
 * watcher's own invocation count, not from the input's next byte.
 *
 * Excluded by construction (README "Where ev deliberately differs from libev
 * 4.33", and things that are not deterministic):
 *   - a watched fd is never closed under the loop (EBADF: ev reports
 *     EV_ERROR on every backend, libev aborts on poll and epoll);
 *   - the loop never waits without a guard (ev has no finite poll timeout
 *     when nothing time-based is active);
 *   - no ev_run in a forked child (nested in a fork or prepare callback, or a second one
 *     after a break) until its loop has polled: libev runs the fork watchers again in every
 *     ev_run started before then, ev once per fork (README);
 *   - a forked child always calls ev_loop_fork before using the loop, unless
 *     the loop has EVFLAG_FORKCHECK (ev gives a child that does not a private
 *     epoll set);
 *   - ev_stat: every change of a watched file leaves it with a size that path never showed
 *     (see file_op), so whole-second (libev) and nanosecond (ev) time stamps agree on what
 *     changed; times, inode and device numbers are not traced; the interval is the default
 *     (no polling happens within a run); one stat watcher active at a time (libev's watchers
 *     on one inotify target share a watch descriptor, and stopping one removes the other's
 *     watch); no fork with a change not yet seen by a run (after a fork ev compares at once,
 *     libev misses what changed: README); no idle watcher beside stat watchers (libev's
 *     inotify watch re-creation wakes its internal watcher an iteration later: see stat_op);
 *   - embedding: the embedded loop is run after each change of its io watcher, so that its
 *     fd changes never reach the embed watcher's prepare watcher (libev runs the embedded loop
 *     there, bypassing the embed callback; ev only reifies: README, docs/reliability-fuzz.md);
 *     ev's embed watcher holds one loop reference, libev's four (its private io,
 *     prepare and fork watchers hold one each): libev's ev_run return value is traced minus
 *     three while the embed watcher is active, and an embed watcher is not started (and no
 *     ev_unref done while it runs) with more unrefs than refs;
 *   - the fd numbers of the loop's own descriptors, pids, ev_now and
 *     ev_periodic_at are never traced (they differ between any two runs);
 *   - no ev_feed_signal and no raise() on a loop with EVFLAG_SIGNALFD: libev 4.33 then writes
 *     to its wake-up pipe without having started its watcher (Debian's build asserts), and a
 *     raised signal still blocked for the signalfd would kill the process when its last
 *     watcher stops (SIG_DFL); signals reach such loops only as SIGCHLD from children;
 *   - the last active signal watcher is not stopped while a signal fed or raised since the
 *     last poll may still be unread (an untraced check watcher marks each poll): ev drops such
 *     a signal, libev keeps it for the next watcher of that signal, delivered whenever the
 *     loop next handles any signal (README);
 *   - ev_async_send only to a started async watcher: libev 4.33 asserts ("pipe_w not active")
 *     when no async watcher or caught signal has made its pipe yet (ev drops the send);
 *   - only the epoll, poll and select backends (libev 4.33's linuxaio and
 *     io_uring backends are experimental and ev has no linuxaio).
 *
 * Build with -DDIFF_MAIN for a program: `diff_driver FILE...` prints each
 * file's trace; `diff_driver --server` reads inputs framed as a 4-byte length
 * and the bytes from stdin, runs each in a forked child and writes the
 * framed traces to stdout (the fuzzer's libev side).
 */
#define _GNU_SOURCE 1
#include <ev.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diff_driver.h"

/* ---- trace buffer ---- */

#define TRACE_MAX (1u << 20)

static char *tbuf;
static size_t tlen, tcap;
static int tfull;

static void tracef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tracef(const char *fmt, ...)
{
    if (tfull)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tbuf + tlen, tcap - tlen, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (tlen + (size_t)n < tcap) {
            tlen += (size_t)n;
            return;
        }
        if (tcap >= TRACE_MAX) {
            tfull = 1;
            tlen = strlen(tbuf);
            return;
        }
        tcap *= 2;
        tbuf = realloc(tbuf, tcap);
        if (!tbuf)
            abort();
    }
}

/* ---- canonical order within one ev_invoke_pending ---- */

#define MAX_BLOCKS 2048
#define MAX_NEST 8

struct batch {
    size_t off[MAX_BLOCKS];
    int prio[MAX_BLOCKS];
    int n;
    const void *alone; /* the only watcher of ours pending when the batch began, or NULL */
};
static struct batch batches[MAX_NEST];
static int nbatch;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts each run of equal-priority blocks of the batch that ends at tlen. */
static void canonicalise(struct batch *b)
{
    int i = 0;
    while (i < b->n) {
        int j = i + 1;
        while (j < b->n && b->prio[j] == b->prio[i])
            ++j;
        if (j - i > 1) {
            size_t from = b->off[i], to = j < b->n ? b->off[j] : tlen;
            char *copy = malloc(to - from + 1);
            char **parts = malloc(sizeof(char *) * (size_t)(j - i));
            memcpy(copy, tbuf + from, to - from);
            copy[to - from] = 0;
            for (int k = i; k < j; ++k) {
                size_t e = k + 1 < b->n ? b->off[k + 1] : tlen;
                size_t s = b->off[k];
                char *p = malloc(e - s + 1);
                memcpy(p, copy + (s - from), e - s);
                p[e - s] = 0;
                parts[k - i] = p;
            }
            qsort(parts, (size_t)(j - i), sizeof(char *), cmp_str);
            size_t at = from;
            for (int k = i; k < j; ++k) {
                size_t l = strlen(parts[k - i]);
                memcpy(tbuf + at, parts[k - i], l);
                b->off[k] = at;
                at += l;
                free(parts[k - i]);
            }
            free(parts);
            free(copy);
        }
        i = j;
    }
}

static void batch_begin(const void *alone)
{
    if (nbatch < MAX_NEST) {
        batches[nbatch].n = 0;
        batches[nbatch].alone = alone;
    }
    ++nbatch;
}

/* A callback may run a nested loop only when its watcher was the only one of the driver's
 * pending as its ev_invoke_pending began, and it is the first called: the nested loop then
 * invokes what was queued after it, the same in any order the manual allows. */
static int may_nest(const void *w)
{
    if (nbatch <= 0 || nbatch > MAX_NEST)
        return 0;
    struct batch *b = &batches[nbatch - 1];
    return b->alone == w && b->n == 1;
}

static void batch_end(void)
{
    --nbatch;
    if (nbatch < MAX_NEST && !tfull)
        canonicalise(&batches[nbatch]);
}

static void block_begin(int prio)
{
    if (nbatch <= 0 || nbatch > MAX_NEST)
        return;
    struct batch *b = &batches[nbatch - 1];
    if (b->n < MAX_BLOCKS) {
        b->off[b->n] = tlen;
        b->prio[b->n] = prio;
        ++b->n;
    }
}

/* ---- the program ---- */

static const uint8_t *in;
static size_t inlen, inpos;

static int more(void)
{
    return inpos < inlen;
}

static unsigned byte(void)
{
    return inpos < inlen ? in[inpos++] : 0;
}

enum kind {
    K_IO,
    K_TIMER,
    K_PERIODIC,
    K_IDLE,
    K_PREPARE,
    K_CHECK,
    K_ASYNC,
    K_SIGNAL,
    K_CHILD,
    K_FORK,
    K_CLEANUP
};

/* fds: the pipe (read end FD_PR, write end FD_PW) and the socketpair (FD_S0, FD_S1), on fixed
 * numbers far above what the loops open for themselves. */
enum { FD_PR = 300, FD_PW = 301, FD_S0 = 302, FD_S1 = 303, NFDS = 4 };

static const struct {
    enum kind kind;
    const char *name;
    int fd; /* io: the fd */
} spec[] = {
    {K_IO, "io0", FD_PR}, {K_IO, "io1", FD_PW},  {K_IO, "io2", FD_S0},  {K_IO, "io3", FD_S1},
    {K_IO, "io4", FD_PR}, {K_TIMER, "t0", 0},    {K_TIMER, "t1", 0},    {K_TIMER, "t2", 0},
    {K_TIMER, "t3", 0},   {K_PERIODIC, "p0", 0}, {K_PERIODIC, "p1", 0}, {K_IDLE, "id0", 0},
    {K_IDLE, "id1", 0},   {K_PREPARE, "pre", 0}, {K_CHECK, "chk", 0},   {K_ASYNC, "as0", 0},
    {K_ASYNC, "as1", 0},  {K_SIGNAL, "sg0", 0},  {K_SIGNAL, "sg1", 0},  {K_CHILD, "ch0", 0},
    {K_CHILD, "ch1", 0},  {K_FORK, "fk", 0},     {K_CLEANUP, "cl", 0},
};
#define NW ((int)(sizeof spec / sizeof spec[0]))

union anyw {
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
    ev_fork fork;
    ev_cleanup cleanup;
};

static union anyw pool[NW];
static int inited[NW];
static unsigned script[NW][4]; /* what each callback does, by invocation count */
static unsigned calls[NW];
static unsigned feed_budget;
static struct ev_loop *loop;
static unsigned loop_flags;
static int guard_breaks; /* guard prepare: breaks after this many more iterations */
static ev_timer guard_timer;
static int guard_timer_on; /* an EVRUN_ONCE relies on guard_timer */
static int guard_loop_on;  /* a plain ev_run relies on guard_prepare to end */
static ev_idle guard_idle;
static ev_prepare guard_prepare;
static ev_check guard_check; /* untraced, lowest priority, unref'd: see sig_unseen */
static int sig_unseen;       /* a signal was fed or raised and no poll has read it since */
static int fork_unpolled;    /* in a forked child: the loop has not polled since the fork */
static int ending;           /* the program is over: stop everything */
static int once_out;         /* ev_once callbacks not yet called */
static pid_t kids[8];        /* forked children, by index */
static int nkids;
static int in_child; /* this process is a child made by the fork op */

static int idx_of(const void *w)
{
    return (int)((const union anyw *)w - pool);
}

static int fd_index(int fd)
{
    return fd - FD_PR;
}

static void state(int i, const char *sep)
{
    union anyw *w = &pool[i];
    tracef("%s%s:%c%c%d", sep, spec[i].name, ev_is_active(&w->w) ? 'A' : '-',
           ev_is_pending(&w->w) ? 'P' : '-', ev_priority(&w->w));
    if (spec[i].kind == K_TIMER && inited[i]) {
        double r = ev_timer_remaining(loop, &w->timer);
        tracef("(%.0f)", floor((r + 5) / 10) * 10);
    }
}

/* ---- ev_stat: two watchers on the files f and g of a private directory ---- */

static char stat_dir[64];
static char stat_path[2][80];
static ev_stat stw[2];
static int st_inited[2];
static unsigned st_written; /* bytes written to the files so far (see file_op) */
static unsigned st_mode_gen;
static int st_dirty; /* a file changed since the last top-level ev_run */
static int st_used;  /* a stat watcher was started: no idle watchers from now on */

static void stat_attr(const char *what, const ev_statdata *a)
{
    /* No times, inode or device numbers: they differ between any two runs. A path that cannot
     * be stat'ed has st_nlink 0 and, the manual says, unspecified other fields (libev keeps the
     * last ones, ev clears them). */
    if (!a->st_nlink)
        tracef(" %s=n", what);
    else
        tracef(" %s=y:%lld:%o", what, (long long)a->st_size, (unsigned)(a->st_mode & 07777));
}

static void stat_cb(struct ev_loop *l, ev_stat *w, int revents)
{
    int k = (int)(w - stw);
    block_begin(ev_priority(w));
    tracef(" cb st%d rev=%x %c%c depth=%u", k, (unsigned)revents, ev_is_active(w) ? 'A' : '-',
           ev_is_pending(w) ? 'P' : '-', ev_depth(l));
    stat_attr("attr", &w->attr);
    stat_attr("prev", &w->prev);
    tracef("\n");
}

static void append(const char *path, unsigned n)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    char buf[256];
    memset(buf, 'x', sizeof buf);
    while (n) {
        unsigned c = n < sizeof buf ? n : (unsigned)sizeof buf;
        ssize_t r = write(fd, buf, c);
        if (r <= 0)
            break;
        n -= (unsigned)r;
        st_written += (unsigned)r;
    }
    close(fd);
}

/* A change to f or g. Every change ends with a size no stat of that path has shown before (an
 * append, or a new file longer than everything written so far), so that ev (nanosecond times)
 * and libev (whole seconds) both see it: README's "ev_stat compares timestamps to the
 * nanosecond" is excluded by construction. */
static void file_op(unsigned p)
{
    st_dirty = 1;
    const char *a = stat_path[p % 2], *b = stat_path[1 - p % 2];
    switch (p / 2 % 5) {
    case 0:
        if (access(a, F_OK) == 0) { /* a new file is made by "create" only */
            append(a, 1);
            tracef("append %c\n", 'f' + (int)(p % 2));
        }
        break;
    case 1:
        if (access(a, F_OK) == 0) {
            chmod(a, 0400 | (++st_mode_gen % 0100));
            append(a, 1);
            tracef("chmod %c\n", 'f' + (int)(p % 2));
        }
        break;
    case 2:
        if (rename(a, b) == 0) {
            append(b, 1);
            tracef("rename %c\n", 'f' + (int)(p % 2));
        }
        break;
    case 3:
        if (unlink(a) == 0)
            tracef("unlink %c\n", 'f' + (int)(p % 2));
        break;
    default:
        if (access(a, F_OK) != 0) {
            append(a, st_written + 1);
            tracef("create %c\n", 'f' + (int)(p % 2));
        }
        break;
    }
}

static void stat_op(unsigned p)
{
    int k = (int)(p % 2);
    ev_stat *w = &stw[k];
    switch (p / 2 % 4) {
    case 0:
    case 1:
        /* One at a time: two watchers on one inotify target (the directory of two missing
         * paths, or one file renamed) share a watch descriptor in libev, and stopping one
         * removes the other's watch (libev then misses its changes). */
        if (ev_is_active(&stw[1 - k]))
            break;
        /* libev re-creates a file's inotify watch after each change it reports and removes it
         * when the watcher stops; the IN_IGNORED event that follows wakes its internal inotify
         * watcher in the next iteration, which then runs no idle watchers. So no idle watcher
         * runs beside stat watchers: none may be active now, none starts from now on, and the
         * guard idle's calls are not traced. */
        for (int j = 0; j < NW; ++j)
            if (spec[j].kind == K_IDLE && inited[j] &&
                (ev_is_active(&pool[j].w) || ev_is_pending(&pool[j].w)))
                return;
        st_used = 1;
        if (!ev_is_active(w)) {
            if (!ev_is_pending(w)) {
                ev_stat_init(w, stat_cb, stat_path[k], 0.);
                st_inited[k] = 1;
            }
            ev_stat_start(loop, w);
        }
        tracef("stat start st%d", k);
        stat_attr("attr", &w->attr);
        tracef("\n");
        break;
    case 2:
        if (st_inited[k]) {
            ev_stat_stop(loop, w);
            tracef("stat stop st%d\n", k);
        }
        break;
    default:
        /* Not with a change unseen: if the path was just created, libev (which re-adds its
         * inotify watch only when its own check sees a change) keeps watching the directory
         * and misses the file's later changes; ev follows the file (docs/reliability-fuzz.md,
         * finding 5). */
        if (st_inited[k] && !st_dirty) {
            ev_stat_stat(loop, w);
            tracef("stat stat st%d", k);
            stat_attr("attr", &w->attr);
            tracef("\n");
        }
        break;
    }
}

static void drain(int fd);

/* ---- an embedded loop (epoll), with an io watcher on its own pipe and a timer ---- */

enum { FD_ER = 306, FD_EW = 307 };
static struct ev_loop *eloop;
static ev_embed emb;
static int emb_inited;
static ev_io e_io;
static ev_timer e_t;
static int net_refs; /* ev_ref - ev_unref by the program */

static void e_cb(struct ev_loop *l, ev_watcher *w, int revents)
{
    block_begin(ev_priority(w));
    tracef(" ecb %s rev=%x %c%c depth=%u\n", w == (ev_watcher *)&e_io ? "eio" : "et",
           (unsigned)revents, ev_is_active(w) ? 'A' : '-', ev_is_pending(w) ? 'P' : '-',
           ev_depth(l));
    if (w == (ev_watcher *)&e_io)
        drain(FD_ER);
}

static void emb_cb(struct ev_loop *l, ev_embed *w, int revents)
{
    block_begin(ev_priority(w));
    tracef(" cb emb rev=%x %c%c depth=%u\n", (unsigned)revents, ev_is_active(w) ? 'A' : '-',
           ev_is_pending(w) ? 'P' : '-', ev_depth(l));
    ev_embed_sweep(l, w);
}

/* README: ev's embed watcher holds one loop reference, libev's four (its io, prepare and fork
 * watchers hold one each): ev_run's return value is compared without libev's three. */
static int run_value(int r)
{
#ifndef EV_IS_CLEANROOM_EV
    if (emb_inited && ev_is_active(&emb))
        r -= 3;
#endif
    return r;
}

static void embed_op(unsigned p)
{
    if (!eloop)
        return;
    switch (p % 6) {
    case 0:
        /* not with more unrefs than refs, where ev's count could be 0 and libev's not */
        if (!(emb_inited && (ev_is_active(&emb) || ev_is_pending(&emb))) && net_refs >= 0) {
            ev_embed_init(&emb, p & 8 ? emb_cb : NULL, eloop);
            ev_set_priority(&emb, (int)(p / 16 % 5) - 2);
            emb_inited = 1;
            ev_embed_start(loop, &emb);
            tracef("embed start %s %d\n", p & 8 ? "cb" : "auto", ev_priority(&emb));
        }
        break;
    case 1:
        if (emb_inited) {
            ev_embed_stop(loop, &emb);
            tracef("embed stop\n");
        }
        break;
    case 2:
        tracef("embed sweep\n");
        if (emb_inited)
            ev_embed_sweep(loop, &emb);
        break;
    case 3:
        if (ev_is_active(&e_io)) {
            ev_io_stop(eloop, &e_io);
        } else {
            ev_io_init(&e_io, (void (*)(struct ev_loop *, ev_io *, int))e_cb, FD_ER, EV_READ);
            ev_io_start(eloop, &e_io);
        }
        tracef("eio %c\n", ev_is_active(&e_io) ? 'A' : '-');
        /* Not compared (an open divergence, docs/reliability-fuzz.md): while the embedded loop
         * has fd changes, libev's embed prepare watcher runs it (EVRUN_NOWAIT), ev's only hands
         * the changes to its backend. Running it here leaves no changes behind. */
        ev_run(eloop, EVRUN_NOWAIT);
        break;
    case 4:
        if (ev_is_active(&e_t)) {
            ev_timer_stop(eloop, &e_t);
        } else {
            ev_timer_init(&e_t, (void (*)(struct ev_loop *, ev_timer *, int))e_cb,
                          -100. * (1 + p / 8 % 4), 0.);
            ev_timer_start(eloop, &e_t);
        }
        tracef("et %c\n", ev_is_active(&e_t) ? 'A' : '-');
        break;
    default:
        tracef("ewrite %zd pend=%u iter=%u\n", write(FD_EW, "e", 1), ev_pending_count(eloop),
               ev_iteration(eloop));
        break;
    }
}

static void snapshot(const char *what)
{
    tracef("%s pend=%u iter=%u depth=%u", what, ev_pending_count(loop), ev_iteration(loop),
           ev_depth(loop));
    for (int i = 0; i < NW; ++i)
        if (inited[i])
            state(i, " ");
    if (emb_inited)
        tracef(" emb:%c%c%d", ev_is_active(&emb) ? 'A' : '-', ev_is_pending(&emb) ? 'P' : '-',
               ev_priority(&emb));
    for (int k = 0; k < 2; ++k)
        if (st_inited[k])
            tracef(" st%d:%c%c%d", k, ev_is_active(&stw[k]) ? 'A' : '-',
                   ev_is_pending(&stw[k]) ? 'P' : '-', ev_priority(&stw[k]));
    tracef("\n");
}

static void drain(int fd)
{
    char buf[256];
    ssize_t n, total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += n;
    tracef("  drain fd%d %zd\n", fd_index(fd), total);
}

static double reschedule(ev_periodic *w, ev_tstamp now)
{
    return now + 1e5 + idx_of(w);
}

static void cb(struct ev_loop *l, ev_watcher *w, int revents);

/* Configures watcher i (not active, not pending) from p. */
static void configure(int i, unsigned p)
{
    union anyw *w = &pool[i];
    if (!inited[i]) {
        ev_init(&w->w, cb);
        inited[i] = 1;
    }
    switch (spec[i].kind) {
    case K_IO:
        ev_io_set(&w->io, spec[i].fd, (int)(1 + p % 3));
        break;
    case K_TIMER: {
        double after = p % 8 < 5 ? -100.0 * (1 + i * 8 + p % 8) : 1e6 + i * 1000 + p % 8;
        ev_timer_set(&w->timer, after, (p >> 3) & 1 ? 1e7 + i : 0.);
        break;
    }
    case K_PERIODIC:
        switch (p % 4) {
        case 0: /* absolute, in the past: fires once */
            ev_periodic_set(&w->periodic, ev_now(loop) - 1000.0 * (1 + i * 4 + (p >> 2) % 4), 0, 0);
            break;
        case 1: /* absolute, far away */
            ev_periodic_set(&w->periodic, ev_now(loop) + 1e6, 0, 0);
            break;
        case 2: /* interval */
            ev_periodic_set(&w->periodic, 0, 1e6 + i, 0);
            break;
        default:
            ev_periodic_set(&w->periodic, 0, 0, reschedule);
            break;
        }
        break;
    case K_SIGNAL:
        ev_signal_set(&w->signal, SIGUSR1);
        break;
    case K_CHILD: {
        int pid = 0;
        if (p % 2 && nkids > 0)
            pid = kids[(p >> 1) % (unsigned)nkids];
        ev_child_set(&w->child, pid, (int)((p >> 4) & 1));
        break;
    }
    default:
        break;
    }
}

static void start(int i)
{
    union anyw *w = &pool[i];
    switch (spec[i].kind) {
    case K_IO:
        ev_io_start(loop, &w->io);
        break;
    case K_TIMER:
        ev_timer_start(loop, &w->timer);
        break;
    case K_PERIODIC:
        ev_periodic_start(loop, &w->periodic);
        break;
    case K_IDLE:
        ev_idle_start(loop, &w->idle);
        break;
    case K_PREPARE:
        ev_prepare_start(loop, &w->prepare);
        break;
    case K_CHECK:
        ev_check_start(loop, &w->check);
        break;
    case K_ASYNC:
        ev_async_start(loop, &w->async);
        break;
    case K_SIGNAL:
        ev_signal_start(loop, &w->signal);
        break;
    case K_CHILD:
        ev_child_start(loop, &w->child);
        break;
    case K_FORK:
        ev_fork_start(loop, &w->fork);
        break;
    case K_CLEANUP:
        ev_cleanup_start(loop, &w->cleanup);
        break;
    }
}

static int sig_watchers_active(void);

static void stop(int i)
{
    union anyw *w = &pool[i];
    if (!inited[i])
        return;
    switch (spec[i].kind) {
    case K_IO:
        ev_io_stop(loop, &w->io);
        break;
    case K_TIMER:
        ev_timer_stop(loop, &w->timer);
        break;
    case K_PERIODIC:
        ev_periodic_stop(loop, &w->periodic);
        break;
    case K_IDLE:
        ev_idle_stop(loop, &w->idle);
        break;
    case K_PREPARE:
        ev_prepare_stop(loop, &w->prepare);
        break;
    case K_CHECK:
        ev_check_stop(loop, &w->check);
        break;
    case K_ASYNC:
        ev_async_stop(loop, &w->async);
        break;
    case K_SIGNAL:
        /* ev drops a signal whose last watcher stops before a poll read it; libev keeps it
         * for the next watcher of that signal, whenever the loop next handles any signal
         * (README, "Where ev deliberately differs"): never stop the last one then */
        if (!ending && sig_unseen && ev_is_active(&w->signal) && sig_watchers_active() == 1)
            return;
        ev_signal_stop(loop, &w->signal);
        break;
    case K_CHILD:
        ev_child_stop(loop, &w->child);
        break;
    case K_FORK:
        ev_fork_stop(loop, &w->fork);
        break;
    case K_CLEANUP:
        ev_cleanup_stop(loop, &w->cleanup);
        break;
    }
}

/* Starts watcher i, configuring it from p first if it may be (re)configured. */
static void start_with(int i, unsigned p)
{
    union anyw *w = &pool[i];
    if (spec[i].kind == K_IDLE && st_used)
        return; /* see stat_op */
    if (!inited[i] || (!ev_is_active(&w->w) && !ev_is_pending(&w->w)))
        configure(i, p);
    start(i);
}

static void run(int flags);

static void cb(struct ev_loop *l, ev_watcher *ew, int revents)
{
    int i = idx_of(ew);
    union anyw *w = &pool[i];
    block_begin(ev_priority(ew));
    tracef(" cb %s rev=%x %c%c depth=%u", spec[i].name, (unsigned)revents,
           ev_is_active(ew) ? 'A' : '-', ev_is_pending(ew) ? 'P' : '-', ev_depth(l));
    if (spec[i].kind == K_CHILD)
        for (int k = 0; k < nkids; ++k)
            if (kids[k] == w->child.rpid)
                tracef(" kid%d status=%x", k, (unsigned)w->child.rstatus);
    if (spec[i].kind == K_TIMER)
        tracef(" rem=%.0f", floor((ev_timer_remaining(l, &w->timer) + 5) / 10) * 10);
    tracef("\n");
    unsigned op = script[i][calls[i]++ % 4];
    switch (op % 10) {
    case 0:
        break;
    case 1:
        tracef("  stop\n");
        stop(i);
        break;
    case 2:
        tracef("  break one\n");
        ev_break(l, EVBREAK_ONE);
        break;
    case 3:
        tracef("  break all\n");
        ev_break(l, EVBREAK_ALL);
        break;
    case 4:
        if (feed_budget) {
            --feed_budget;
            tracef("  feed self %x\n", 0x100u << (op / 10 % 4));
            ev_feed_event(l, ew, (int)(0x100u << (op / 10 % 4)));
        }
        break;
    case 5:
        if (spec[i].kind == K_IO) {
            drain(w->io.fd);
        } else if (spec[i].kind == K_TIMER) {
            ev_timer_again(l, &w->timer);
            tracef("  again %c\n", ev_is_active(ew) ? 'A' : '-');
        } else if (spec[i].kind == K_PERIODIC) {
            ev_periodic_again(l, &w->periodic);
            tracef("  again %c\n", ev_is_active(ew) ? 'A' : '-');
        }
        break;
    case 6:
    case 7: {
        /* another watcher, with a configuration that depends only on it */
        int j = (int)((op / 10 + (unsigned)i) % (unsigned)NW);
        if (spec[j].kind == K_CHILD)
            break;
        tracef("  start %s\n", spec[j].name);
        start_with(j, (unsigned)j * 7);
        break;
    }
    case 8:
        /* README: ev runs the fork watchers once per fork; libev runs them again in every
         * ev_run started before its loop has polled since the fork */
        if (may_nest(ew) && ev_depth(l) < 3 && !fork_unpolled) {
            tracef("  nested\n");
            run(EVRUN_NOWAIT);
            /* the nested loop may have fired the guard of an EVRUN_ONCE: re-arm it, or the
             * outer iteration would wait for nothing (libev: up to a minute) */
            /* ev_run cancels a pending EVBREAK_ONE: the guard prepare's break of the outer
             * loop (run K) may have been taken by the nested one; repeat it */
            if (guard_loop_on && guard_breaks <= 0)
                ev_break(l, EVBREAK_ONE);
            if (guard_timer_on && !ev_is_active(&guard_timer)) {
                ev_timer_set(&guard_timer, 0., 0.);
                ev_timer_start(l, &guard_timer);
            }
        }
        break;
    case 9:
        tracef("  set prio? %s\n", ev_is_active(ew) ? "no" : "stopped");
        break;
    }
}

static void guard_cb(struct ev_loop *l, ev_watcher *w, int revents)
{
    (void)l;
    block_begin(ev_priority(w));
    if (!(st_used && w == (ev_watcher *)&guard_idle)) /* see stat_op */
        tracef(" guard %x\n", (unsigned)revents);
}

/* After every poll, below every other callback of its iteration (the loop's own signal
 * handling runs at the highest priority): the signals fed or raised before it were read. */
static void guard_check_cb(struct ev_loop *l, ev_check *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
    sig_unseen = 0;
    fork_unpolled = 0;
}

static void guard_prepare_cb(struct ev_loop *l, ev_prepare *w, int revents)
{
    (void)w;
    (void)revents;
    block_begin(ev_priority(w));
    tracef(" guard prepare\n");
    if (--guard_breaks <= 0)
        ev_break(l, EVBREAK_ONE);
    if (tfull) /* a runaway program: end it */
        ev_break(l, EVBREAK_ALL);
}

static void once_cb(int revents, void *arg)
{
    block_begin(0);
    --once_out;
    tracef(" once %d rev=%x\n", (int)(intptr_t)arg, (unsigned)revents);
}

static const void *alone_pending(struct ev_loop *l);

static void invoke(struct ev_loop *l)
{
    if (l == eloop && emb_inited) {
        block_begin(ev_priority(&emb));
        tracef(" sweep\n");
    }
    batch_begin(alone_pending(l));
    ev_invoke_pending(l);
    batch_end();
}

static int rel_count, acq_count;

static void release_cb(struct ev_loop *l)
{
    (void)l;
    ++rel_count;
}

static void acquire_cb(struct ev_loop *l)
{
    (void)l;
    ++acq_count;
}

/* The one watcher of the driver's that is pending in l, or NULL (none, several, or an ev_once
 * outstanding, whose watchers the driver cannot see). */
static const void *alone_pending(struct ev_loop *l)
{
    const void *found = NULL;
    int n = 0;
    if (l == eloop) {
        if (ev_is_pending(&e_io))
            found = &e_io, ++n;
        if (ev_is_pending(&e_t))
            found = &e_t, ++n;
        return n == 1 ? found : NULL;
    }
    if (once_out)
        return NULL;
    for (int i = 0; i < NW; ++i)
        if (inited[i] && ev_is_pending(&pool[i].w))
            found = &pool[i], ++n;
    for (int k = 0; k < 2; ++k)
        if (st_inited[k] && ev_is_pending(&stw[k]))
            found = &stw[k], ++n;
    if (emb_inited && ev_is_pending(&emb))
        found = &emb, ++n;
    if (ev_is_pending(&guard_timer))
        found = &guard_timer, ++n;
    if (ev_is_pending(&guard_idle))
        found = &guard_idle, ++n;
    if (ev_is_pending(&guard_prepare))
        found = &guard_prepare, ++n;
    return n == 1 ? found : NULL;
}

static void run(int flags)
{
    unsigned it = ev_iteration(loop);
    int r = run_value(ev_run(loop, flags));
    if (ev_depth(loop) == 0 && ev_iteration(loop) != it)
        st_dirty = 0; /* polled: the inotify events were read */
    tracef("  run(%d) = %d\n", flags, r);
}

/* ---- top level ---- */

static void *send_thread(void *arg)
{
    ev_async_send(loop, arg);
    return NULL;
}

static void fork_child(unsigned p)
{
    if (nkids >= (int)(sizeof kids / sizeof kids[0]))
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit((int)(p % 4));
    if (pid < 0) {
        tracef("fork failed\n");
        return;
    }
    kids[nkids++] = pid;
    siginfo_t si;
    /* until it is a zombie, without reaping it: SIGCHLD is then pending for the loop */
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    tracef("kid%d exited %d\n", nkids - 1, (int)(p % 4));
}

static void loop_fork(unsigned p)
{
    /* README: after a fork ev compares its stat watchers at once; libev re-adds their inotify
     * watches without comparing and so misses what changed since the loop last read them. */
    if (st_dirty && (ev_is_active(&stw[0]) || ev_is_active(&stw[1])))
        return;
    int fds[2];
    if (pipe(fds) < 0)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        size_t mark = tlen;
        in_child = 1;
        nkids = 0; /* not our children */
        if (!(loop_flags & EVFLAG_FORKCHECK) || p % 2)
            ev_loop_fork(loop);
        tracef("in child:\n");
        fork_unpolled = 1;
        run(EVRUN_NOWAIT);
        if ((p & 2) && !fork_unpolled) /* see case 8 of cb() */
            run(EVRUN_NOWAIT);
        snapshot("child");
        size_t off = mark;
        while (off < tlen) {
            ssize_t n = write(fds[1], tbuf + off, tlen - off);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        _exit(0);
    }
    close(fds[1]);
    tracef("forked (%u)\n", p % 4);
    char buf[4096];
    ssize_t n;
    for (;;) {
        n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        tracef("%.*s", (int)n, buf);
    }
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    tracef("child done %x\n", (unsigned)st);
}

/* How many of the signal watchers are active. */
static int sig_watchers_active(void)
{
    int n = 0;
    for (int i = 0; i < NW; ++i)
        if (spec[i].kind == K_SIGNAL && inited[i] && ev_is_active(&pool[i].w))
            ++n;
    return n;
}

static void op(void)
{
    unsigned o = byte() % 31;
    int i = (int)(byte() % (unsigned)NW);
    union anyw *w = &pool[i];
    switch (o) {
    case 0:
    case 1:
    case 2: {
        unsigned p = byte();
        start_with(i, p);
        tracef("start %s %u", spec[i].name, p);
        state(i, " ");
        tracef("\n");
        break;
    }
    case 3:
    case 4:
        stop(i);
        if (inited[i]) {
            tracef("stop");
            state(i, " ");
            tracef("\n");
        }
        break;
    case 5:
        if (!inited[i])
            configure(i, 0);
        {
            int rev = (int)(1u << (byte() % 16));
            ev_feed_event(loop, &w->w, rev);
            tracef("feed %s %x pend=%u\n", spec[i].name, (unsigned)rev, ev_pending_count(loop));
        }
        break;
    case 6:
        if (inited[i])
            tracef("clear %s = %x\n", spec[i].name, (unsigned)ev_clear_pending(loop, &w->w));
        break;
    case 7: {
        int pri = (int)(byte() % 5) - 2;
        if (inited[i] && !ev_is_active(&w->w) && !ev_is_pending(&w->w)) {
            ev_set_priority(&w->w, pri);
            tracef("prio %s %d\n", spec[i].name, ev_priority(&w->w));
        }
        break;
    }
    case 8:
    case 9:
        tracef("run nowait\n");
        run(EVRUN_NOWAIT);
        snapshot(" after");
        break;
    case 10:
        tracef("run once\n");
        ev_timer_set(&guard_timer, 0., 0.);
        ev_timer_start(loop, &guard_timer);
        guard_timer_on = 1;
        run(EVRUN_ONCE);
        guard_timer_on = 0;
        ev_timer_stop(loop, &guard_timer);
        snapshot(" after");
        break;
    case 11: {
        guard_breaks = 1 + i % 4;
        tracef("run %d\n", guard_breaks);
        ev_idle_start(loop, &guard_idle);
        ev_prepare_start(loop, &guard_prepare);
        guard_loop_on = 1;
        run(0);
        guard_loop_on = 0;
        ev_idle_stop(loop, &guard_idle);
        ev_prepare_stop(loop, &guard_prepare);
        snapshot(" after");
        break;
    }
    case 12: {
        int fd = FD_PR + i % NFDS;
        int rev = (int)(1 + byte() % 3);
        ev_feed_fd_event(loop, fd, rev);
        tracef("feed fd%d %x pend=%u\n", fd_index(fd), (unsigned)rev, ev_pending_count(loop));
        break;
    }
    case 13: {
        /* write into the pipe or either socket */
        static const int wfd[] = {FD_PW, FD_S0, FD_S1};
        int fd = wfd[i % 3];
        ssize_t n = write(fd, "x", 1);
        tracef("write fd%d %zd\n", fd_index(fd), n);
        break;
    }
    case 14: {
        static const int rfd[] = {FD_PR, FD_S0, FD_S1};
        drain(rfd[i % 3]);
        break;
    }
    case 15: {
        ev_async *a = &pool[spec[i].kind == K_ASYNC ? i : 15 + i % 2].async;
        if (!ev_is_active(a))
            break; /* libev asserts when it has no pipe yet (see the header) */
        if (i % 3 == 0) {
            pthread_t t;
            if (pthread_create(&t, NULL, send_thread, a) == 0)
                pthread_join(t, NULL);
        } else {
            ev_async_send(loop, a);
        }
        tracef("send %s %d\n", spec[idx_of(a)].name, ev_async_pending(a) ? 1 : 0);
        break;
    }
    case 16:
        if (loop_flags & EVFLAG_SIGNALFD)
            break;
        if (i % 2 == 0 && sig_watchers_active()) {
            raise(SIGUSR1);
            tracef("raise\n");
        } else {
            ev_feed_signal(SIGUSR1);
            tracef("feed signal\n");
        }
        sig_unseen = 1;
        break;
    case 17:
        if (i % 2 == 0 && emb_inited && ev_is_active(&emb) && net_refs <= 0)
            break; /* see embed_op */
        net_refs += i % 2 ? 1 : -1;
        if (i % 2)
            ev_ref(loop);
        else
            ev_unref(loop);
        tracef("%sref\n", i % 2 ? "" : "un");
        break;
    case 18:
        if (spec[i].kind == K_TIMER && inited[i]) {
            if (byte() % 2) {
                w->timer.repeat = (i % 2) ? 1e7 + i : 0.;
                tracef("repeat %s %.0f\n", spec[i].name, w->timer.repeat);
            }
            ev_timer_again(loop, &w->timer);
            tracef("again");
            state(i, " ");
            tracef("\n");
        } else if (spec[i].kind == K_PERIODIC && inited[i]) {
            ev_periodic_again(loop, &w->periodic);
            tracef("again");
            state(i, " ");
            tracef("\n");
        }
        break;
    case 19:
        tracef("invoke\n");
        invoke(loop);
        break;
    case 20:
        tracef("suspend/resume\n");
        ev_suspend(loop);
        ev_resume(loop);
        break;
    case 21:
        ev_now_update(loop);
        tracef("now update\n");
        break;
    case 22:
        snapshot("state");
        break;
    case 23:
        ev_break(loop, i % 3);
        tracef("break %d\n", i % 3);
        break;
    case 24:
        fork_child(byte());
        break;
    case 25:
        loop_fork(byte());
        break;
    case 26:
        for (int k = 0; k < 4; ++k)
            script[i][k] = byte();
        tracef("script %s\n", spec[i].name);
        break;
    case 27: {
        unsigned p = byte();
        if (p % 2) {
            ev_once(loop, FD_PW, EV_WRITE, -1., once_cb, (void *)(intptr_t)(p % 16));
        } else {
            ev_once(loop, -1, 0, 0., once_cb, (void *)(intptr_t)(p % 16));
        }
        ++once_out;
        tracef("once %u\n", p % 16);
        break;
    }
    case 28:
        stat_op((unsigned)i);
        break;
    case 29:
        file_op((unsigned)i);
        break;
    case 30:
        embed_op((unsigned)i | byte() << 8);
        break;
    }
}

static void place(int fd, int at)
{
    if (fd != at) {
        dup2(fd, at);
        close(fd);
    }
    fcntl(at, F_SETFL, O_NONBLOCK);
    fcntl(at, F_SETFD, FD_CLOEXEC);
}

static const unsigned backends[] = {EVBACKEND_EPOLL, EVBACKEND_POLL, EVBACKEND_SELECT};

void diff_run(const uint8_t *data, size_t size, char **trace, size_t *trace_len)
{
    in = data;
    inlen = size;
    inpos = 0;
    tcap = 4096;
    tlen = 0;
    tfull = 0;
    tbuf = malloc(tcap);
    tbuf[0] = 0;
    nbatch = 0;
    memset(pool, 0, sizeof pool);
    memset(inited, 0, sizeof inited);
    memset(script, 0, sizeof script);
    memset(calls, 0, sizeof calls);
    feed_budget = 64;
    once_out = 0;
    nkids = 0;
    in_child = 0;
    rel_count = acq_count = 0;

    memset(stw, 0, sizeof stw);
    memset(st_inited, 0, sizeof st_inited);
    st_written = st_mode_gen = 0;
    st_dirty = 0;
    st_used = 0;
    snprintf(stat_dir, sizeof stat_dir, "%s", "/tmp/ev-difffuzz.XXXXXX");
    if (!mkdtemp(stat_dir))
        abort();
    snprintf(stat_path[0], sizeof stat_path[0], "%s/f", stat_dir);
    snprintf(stat_path[1], sizeof stat_path[1], "%s/g", stat_dir);

    int p[2], s[2];
    if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0)
        abort();
    place(p[0], FD_PR);
    place(p[1], FD_PW);
    place(s[0], FD_S0);
    place(s[1], FD_S1);

    unsigned b = byte();
    loop_flags = backends[b % 3] | EVFLAG_NOENV;
    if (b & 4)
        loop_flags |= EVFLAG_SIGNALFD;
    if (b & 8)
        loop_flags |= EVFLAG_NOTIMERFD;
    if (b & 16)
        loop_flags |= EVFLAG_FORKCHECK;
    if (b & 32)
        loop_flags |= EVFLAG_NOINOTIFY;
    emb_inited = 0;
    net_refs = 0;
    memset(&emb, 0, sizeof emb);
    memset(&e_io, 0, sizeof e_io);
    memset(&e_t, 0, sizeof e_t);
    eloop = NULL;
    {
        int e[2];
        if (pipe(e) < 0)
            abort();
        place(e[0], FD_ER);
        place(e[1], FD_EW);
    }
    loop = ev_default_loop(loop_flags);
    if (loop && (b & 128) && (ev_embeddable_backends() & EVBACKEND_EPOLL)) {
        eloop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
        if (eloop)
            ev_set_invoke_pending_cb(eloop, invoke);
    }
    if (!loop) {
        tracef("no loop\n");
    } else {
        tracef("loop %x\n", ev_backend(loop));
        ev_set_invoke_pending_cb(loop, invoke);
        if (b & 64)
            ev_set_loop_release_cb(loop, release_cb, acquire_cb);
        ev_init(&guard_timer, (void (*)(struct ev_loop *, ev_timer *, int))guard_cb);
        ev_idle_init(&guard_idle, (void (*)(struct ev_loop *, ev_idle *, int))guard_cb);
        ev_set_priority(&guard_idle, EV_MINPRI);
        ev_prepare_init(&guard_prepare, guard_prepare_cb);
        ev_set_priority(&guard_prepare, EV_MAXPRI);
        ev_check_init(&guard_check, guard_check_cb);
        ev_set_priority(&guard_check, EV_MINPRI);
        ev_check_start(loop, &guard_check);
        ev_unref(loop);
        sig_unseen = 0;
        ending = 0;

        while (more() && !tfull)
            op();

        snapshot("end");
        ending = 1;
        ev_ref(loop);
        ev_check_stop(loop, &guard_check);
        for (int i = 0; i < NW; ++i)
            if (spec[i].kind != K_CLEANUP) {
                stop(i);
                if (inited[i])
                    ev_clear_pending(loop, &pool[i].w);
            }
        if (eloop) {
            if (emb_inited) {
                ev_embed_stop(loop, &emb);
                ev_clear_pending(loop, &emb);
            }
            ev_io_stop(eloop, &e_io);
            ev_timer_stop(eloop, &e_t);
            ev_loop_destroy(eloop);
            eloop = NULL;
        }
        for (int k = 0; k < 2; ++k)
            if (st_inited[k]) {
                ev_stat_stop(loop, &stw[k]);
                ev_clear_pending(loop, &stw[k]);
            }
        /* every ev_once must have been called before the loop goes (the pool is stopped
         * first, so that no script keeps the loop from polling) */
        for (int k = 0; once_out > 0 && k < 10; ++k) {
            tracef("finish once\n");
            ev_timer_set(&guard_timer, 0., 0.);
            ev_timer_start(loop, &guard_timer);
            guard_timer_on = 1;
            run(EVRUN_ONCE);
            guard_timer_on = 0;
            ev_timer_stop(loop, &guard_timer);
        }
        tracef("destroy\n");
        batch_begin(NULL);
        ev_loop_destroy(loop);
        batch_end();
        loop = NULL;
        if (rel_count != acq_count)
            tracef("release %d acquire %d\n", rel_count, acq_count);
    }

    for (int fd = FD_PR; fd < FD_PR + NFDS; ++fd)
        close(fd);
    close(FD_ER);
    close(FD_EW);
    unlink(stat_path[0]);
    unlink(stat_path[1]);
    rmdir(stat_dir);
    /* reap what is left of the children */
    for (int k = 0; k < nkids; ++k) {
        int st;
        waitpid(kids[k], &st, WNOHANG);
    }
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGUSR1);
    sigaddset(&ss, SIGCHLD);
    struct timespec zero = {0, 0};
    signal(SIGUSR1, SIG_IGN);
    while (sigtimedwait(&ss, NULL, &zero) > 0)
        ;
    sigprocmask(SIG_UNBLOCK, &ss, NULL);
    signal(SIGUSR1, SIG_DFL);

    *trace = tbuf;
    *trace_len = tlen;
    tbuf = NULL;
}

#ifdef DIFF_MAIN

static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Runs one input in a forked child (so a crash or hang is reported, not fatal) and returns the
 * trace, with a last line for an abnormal end. */
static char *run_isolated(const uint8_t *data, size_t size, size_t *len)
{
    int fds[2];
    if (pipe(fds) < 0)
        abort();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(20);
        char *t;
        size_t n;
        diff_run(data, size, &t, &n);
        write_all(fds[1], t, n);
        _exit(0);
    }
    close(fds[1]);
    size_t cap = 4096, n = 0;
    char *t = malloc(cap);
    for (;;) {
        if (n + 4096 > cap)
            t = realloc(t, cap *= 2);
        ssize_t r = read(fds[0], t + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char line[64];
        int l = snprintf(line, sizeof line, "ABNORMAL END status %x\n", (unsigned)st);
        if (n + (size_t)l + 1 > cap)
            t = realloc(t, cap = n + (size_t)l + 1);
        memcpy(t + n, line, (size_t)l);
        n += (size_t)l;
    }
    t[n] = 0;
    *len = n;
    return t;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc == 2 && strcmp(argv[1], "--server") == 0) {
        for (;;) {
            uint32_t n;
            if (read_all(0, &n, sizeof n) < 0)
                return 0;
            uint8_t *data = malloc(n ? n : 1);
            if (read_all(0, data, n) < 0)
                return 1;
            size_t len;
            char *t = run_isolated(data, n, &len);
            uint32_t l = (uint32_t)len;
            if (write_all(1, &l, sizeof l) < 0 || write_all(1, t, len) < 0)
                return 1;
            free(t);
            free(data);
        }
    }
    /* --inproc FILE...: every file in this process, one after the other (as the fuzzer runs ev) */
    int inproc = argc > 1 && strcmp(argv[1], "--inproc") == 0;
    for (int a = 1 + inproc; a < argc; ++a) {
        FILE *f = fopen(argv[a], "rb");
        if (!f) {
            perror(argv[a]);
            return 2;
        }
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        size_t len;
        char *t;
        if (inproc)
            diff_run(buf, n, &t, &len);
        else
            t = run_isolated(buf, n, &len);
        if (argc > 2 + inproc)
            printf("=== %s\n", argv[a]);
        fwrite(t, 1, len, stdout);
        free(t);
    }
    return 0;
}
#endif
