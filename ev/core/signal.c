/*
 * signal.c - ev_signal and ev_child. A process-wide table, indexed by signal
 * number, records which loop owns each signal (at most one at a time), a
 * `pending` flag set by the handler, and the owner's list of watchers. The
 * handler touches only lock-free atomics and the owner's wake-up channel
 * (ev__wake), so a signal is never lost: it sets the flag first, and the loop
 * clears the flag before it feeds the watchers. With EVFLAG_SIGNALFD the
 * signal is blocked and read from a signalfd instead of being caught.
 * Child watchers live only in the default loop, which holds an unreferenced
 * SIGCHLD watcher that reaps every child and feeds the matching watchers.
 */
#include "ev_internal.h"

#if EV_SIGNAL_ENABLE

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#if EV_USE_SIGNALFD
#include <sys/signalfd.h>
#endif
#if EV_CHILD_ENABLE
#include <sys/wait.h>
#endif

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)

/* Highest signal number + 1: 65 on Linux, where signals 1..64 exist. */
#ifndef EV_NSIG
#if defined(_NSIG)
#define EV_NSIG _NSIG
#elif defined(NSIG)
#define EV_NSIG NSIG
#else
#define EV_NSIG 65
#endif
#endif

/* loop and pending are read by signal handlers and other threads (atomics);
 * head belongs to the owning loop's thread. */
struct sig_slot {
    struct ev_loop *loop; /* owner, or NULL */
    int pending;          /* the signal arrived since the owner last looked */
    ev_watcher_list *head;
};

static struct sig_slot signals[EV_NSIG - 1];

/* loop->sigfd values besides a real fd: not tried yet, and unavailable. */
enum { SIGFD_NONE = -1, SIGFD_FAILED = -2 };

/* The one way the outside world reports a signal: async-signal-safe. */
static void report_signal(int signum)
{
    struct sig_slot *s = &signals[signum - 1];
    struct ev_loop *owner = LOAD(&s->loop);
    if (!owner)
        return;
    STORE(&s->pending, 1);
    ev__wake(owner, &owner->sig_pending);
}

static void signal_handler(int signum)
{
#ifdef _WIN32
    signal(signum, signal_handler); /* the C runtime reset it to SIG_DFL before calling us */
#endif
    int saved = errno; /* the interrupted code may be about to read errno */
    report_signal(signum);
    errno = saved;
}

void ev_feed_signal(int signum) EV_NOEXCEPT
{
    if (signum <= 0 || signum >= EV_NSIG)
        return;
    report_signal(signum);
}

/* Queues every watcher of signum; the caller owns signum. */
static void feed_signal_watchers(struct ev_loop *loop, int signum)
{
    struct sig_slot *s = &signals[signum - 1];
    /* Cleared before feeding: a signal arriving from here on sets it again
     * and is seen by the next iteration. */
    STORE(&s->pending, 0);
    for (ev_watcher_list *w = s->head; w; w = w->next)
        ev__feed(loop, (ev_watcher *)w, EV_SIGNAL);
}

void ev_feed_signal_event(EV_P_ int signum) EV_NOEXCEPT
{
    if (signum <= 0 || signum >= EV_NSIG)
        return;
    if (LOAD(&signals[signum - 1].loop) != loop)
        return;
    if (EV__UNLIKELY(loop->metrics != NULL))
        ev__metrics_fed(loop);
    feed_signal_watchers(loop, signum);
}

void ev__signals_process(struct ev_loop *loop)
{
    for (int sig = 1; sig < EV_NSIG; ++sig) {
        struct sig_slot *s = &signals[sig - 1];
        if (LOAD(&s->pending) && LOAD(&s->loop) == loop)
            feed_signal_watchers(loop, sig);
    }
}

#ifndef _WIN32 /* no signal mask on Windows */
static void mask_signal(int how, int signum)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signum);
    sigprocmask(how, &set, NULL);
}
#endif

#if EV_USE_SIGNALFD
static void sigfd_cb(EV_P_ ev_io *w, int revents)
{
    (void)w;
    (void)revents;
    struct signalfd_siginfo si[8];
    for (;;) {
        ssize_t r = read(loop->sigfd, si, sizeof si);
        if (r <= 0)
            return; /* EAGAIN: drained */
        for (size_t i = 0; i < (size_t)r / sizeof si[0]; ++i) {
            int sig = (int)si[i].ssi_signo;
            if (sig > 0 && sig < EV_NSIG && LOAD(&signals[sig - 1].loop) == loop)
                feed_signal_watchers(loop, sig);
        }
        if ((size_t)r < sizeof si)
            return;
    }
}

static int sigfd_open(struct ev_loop *loop)
{
    loop->sigfd = signalfd(-1, &loop->sigfd_set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (loop->sigfd < 0)
        return -1;
    ev_init(&loop->sigfd_w, sigfd_cb);
    ev_io_set(&loop->sigfd_w, loop->sigfd, EV_READ);
    ev__io_start_internal(loop, &loop->sigfd_w);
    return 0;
}

static void sigfd_close(struct ev_loop *loop)
{
    ev__io_stop_internal(loop, &loop->sigfd_w);
    close(loop->sigfd);
    loop->sigfd = SIGFD_NONE;
}

/* signalfd mode: creates the fd on first use. 0 if the loop uses it. */
static int sigfd_add(struct ev_loop *loop, int signum)
{
    if (!(loop->flags & EVFLAG_SIGNALFD) || loop->sigfd == SIGFD_FAILED)
        return -1;
    if (loop->sigfd == SIGFD_NONE) {
        sigemptyset(&loop->sigfd_set);
        if (sigfd_open(loop) < 0) {
            loop->sigfd = SIGFD_FAILED; /* old kernel: use handlers */
            return -1;
        }
    }
    sigaddset(&loop->sigfd_set, signum);
    signalfd(loop->sigfd, &loop->sigfd_set, 0);
    /* Blocked, the signal waits in the kernel until the signalfd is read. */
    if (!(loop->flags & EVFLAG_NOSIGMASK))
        mask_signal(SIG_BLOCK, signum);
    return 0;
}

static int sigfd_owns(struct ev_loop *loop, int signum)
{
    return loop->sigfd >= 0 && sigismember(&loop->sigfd_set, signum) == 1;
}

static void sigfd_del(struct ev_loop *loop, int signum)
{
    sigdelset(&loop->sigfd_set, signum);
    signalfd(loop->sigfd, &loop->sigfd_set, 0);
    if (!(loop->flags & EVFLAG_NOSIGMASK)) {
        /* An instance still waiting was meant for the stopped watchers:
         * discard it, or unblocking would hand it to SIG_DFL (which may
         * terminate the process). */
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, signum);
        struct timespec zero = {0, 0};
        int saved = errno;
        while (sigtimedwait(&one, NULL, &zero) == signum)
            ;
        errno = saved;
        mask_signal(SIG_UNBLOCK, signum);
    }
}
#endif

#ifdef _WIN32
/* Windows: the C runtime's signal() (SIGINT, SIGTERM, SIGBREAK, SIGABRT, ... raised by raise()
 * or the console); no sigaction, no mask. */
static void handler_install(struct ev_loop *loop, int signum)
{
    (void)loop;
    signal(signum, signal_handler);
}

static void handler_remove(int signum)
{
    signal(signum, SIG_DFL);
}
#else
static void handler_install(struct ev_loop *loop, int signum)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = signal_handler;
    sigfillset(&sa.sa_mask); /* no other handler runs inside ours */
    sa.sa_flags = SA_RESTART;
    sigaction(signum, &sa, NULL);
    /* A signalfd loop may have left it blocked; a caught signal must not be. */
    if (!(loop->flags & EVFLAG_NOSIGMASK))
        mask_signal(SIG_UNBLOCK, signum);
}

static void handler_remove(int signum)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(signum, &sa, NULL);
}
#endif /* !_WIN32 */

/* The first watcher of signum in loop: make the signal reach the loop. */
static void signal_acquire(struct ev_loop *loop, int signum)
{
#if EV_USE_SIGNALFD
    if (sigfd_add(loop, signum) == 0)
        return;
#endif
    loop->wake_used = 1;
    handler_install(loop, signum);
}

/* The last watcher of signum is gone (or loop is being destroyed). */
static void signal_release(struct ev_loop *loop, int signum)
{
    struct sig_slot *s = &signals[signum - 1];
    s->head = NULL;
    STORE(&s->loop, NULL);
    STORE(&s->pending, 0); /* stale: must not reach the next owner */
#if EV_USE_SIGNALFD
    if (sigfd_owns(loop, signum)) {
        sigfd_del(loop, signum);
        return;
    }
#endif
    handler_remove(signum);
}

void ev_signal_start(EV_P_ ev_signal *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    EV__ASSERT(w->signum > 0 && w->signum < EV_NSIG,
               "libev: ev_signal_start: illegal signal number (must be 1 .. EV_NSIG-1)");
    struct sig_slot *s = &signals[w->signum - 1];
    struct ev_loop *owner = LOAD(&s->loop);
    EV__ASSERT(!owner || owner == loop,
               "libev: ev_signal_start: a signal must not be attached to two different loops");
    /* Handlers and ev_feed_signal wake the loop through this channel. */
    if (ev__wake_init(loop) < 0)
        return;
    ev__start(loop, (ev_watcher *)w, 1);
    w->next = s->head;
    s->head = (ev_watcher_list *)w;
    if (!owner) {
        /* Owner first: a signal caught right after the handler is
         * installed must find its loop. */
        STORE(&s->loop, loop);
        signal_acquire(loop, w->signum);
    }
}

void ev_signal_stop(EV_P_ ev_signal *w) EV_NOEXCEPT
{
    ev__unpend(loop, (ev_watcher *)w);
    if (EV__UNLIKELY(!w->active))
        return;
    struct sig_slot *s = &signals[w->signum - 1];
    for (ev_watcher_list **p = &s->head; *p; p = &(*p)->next) {
        if (*p == (ev_watcher_list *)w) {
            *p = w->next;
            break;
        }
    }
    ev__stop(loop, (ev_watcher *)w);
    if (!s->head && LOAD(&s->loop) == loop)
        signal_release(loop, w->signum);
}

void ev__signal_loop_destroy(struct ev_loop *loop)
{
    /* The watchers stay "active", as libev leaves them; they are simply
     * forgotten, and the signals go back to their defaults. */
    for (int sig = 1; sig < EV_NSIG; ++sig)
        if (LOAD(&signals[sig - 1].loop) == loop)
            signal_release(loop, sig);
#if EV_USE_SIGNALFD
    if (loop->sigfd >= 0)
        sigfd_close(loop);
#endif
    loop->sigfd = SIGFD_NONE;
}

void ev__signal_fork(struct ev_loop *loop)
{
#if EV_USE_SIGNALFD
    /* The open signalfd is shared with the parent, and its poll wake-ups
     * belong to the signal queue of the process that registered it; a
     * private one, like every internal fd, keeps the processes apart. */
    if (loop->sigfd < 0)
        return;
    ev__io_stop_internal(loop, &loop->sigfd_w);
    int fd = signalfd(-1, &loop->sigfd_set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        sigfd_close(loop);
        ev__syserr("(libev) signalfd after fork");
        return;
    }
    loop->sigfd = ev__fd_replace(fd, loop->sigfd); /* keeps its number */
    ev_io_set(&loop->sigfd_w, loop->sigfd, EV_READ);
    ev__io_start_internal(loop, &loop->sigfd_w);
#else
    (void)loop;
#endif
}

#if EV_CHILD_ENABLE

#ifndef EV_PID_HASHSIZE
#define EV_PID_HASHSIZE (EV_FEATURE_DATA ? 16 : 1)
#endif

/* Child watchers of the default loop, hashed by pid (pid 0 = any child). */
static ev_watcher_list *children[EV_PID_HASHSIZE];
/* The default loop's SIGCHLD watcher: unreferenced, highest priority. */
static ev_signal sigchld_w;

static ev_watcher_list **child_bucket(int pid)
{
    return &children[(unsigned int)pid & (EV_PID_HASHSIZE - 1)];
}

/* Feeds the watchers of one bucket that want (pid, status). */
static void child_feed_bucket(struct ev_loop *loop, int bucket_pid, int pid, int status)
{
    int traced = WIFSTOPPED(status) || WIFCONTINUED(status);
    for (ev_watcher_list *l = *child_bucket(bucket_pid); l; l = l->next) {
        ev_child *w = (ev_child *)l;
        if ((w->pid != pid && w->pid) || (traced && !(w->flags & 1)))
            continue;
        w->rpid = pid;
        w->rstatus = status;
        /* Run before anything else, as libev does. A watcher already queued
         * keeps its slot (its priority names the queue it sits in). */
        if (!w->pending)
            EV__SET_PRI(w, EV_MAXPRI);
        ev__feed(loop, (ev_watcher *)w, EV_CHILD);
    }
}

static void sigchld_cb(EV_P_ ev_signal *sw, int revents)
{
    (void)revents;
    /* SIGCHLDs coalesce: one signal may stand for many children, so every
     * child is reaped, one per call. Each status is handed over before the
     * next is collected, since a watcher (pid 0 above all) holds only one
     * rpid/rstatus: this watcher is queued again first, and the child
     * watchers after it, which makes them run before it (LIFO within a
     * priority), all in the same ev_invoke_pending. */
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED);
    if (pid <= 0)
        return;
    ev__feed(loop, (ev_watcher *)sw, EV_SIGNAL);
    child_feed_bucket(loop, pid, pid, status);
    if (child_bucket(pid) != child_bucket(0))
        child_feed_bucket(loop, 0, pid, status);
}

void ev__child_default_init(struct ev_loop *loop)
{
    ev_signal_init(&sigchld_w, sigchld_cb, SIGCHLD);
    ev_set_priority(&sigchld_w, EV_MAXPRI);
    ev_signal_start(EV_A_ & sigchld_w);
    ev_unref(EV_A); /* reaping alone must not keep ev_run going */
}

void ev__child_default_destroy(struct ev_loop *loop)
{
    if (ev_is_active(&sigchld_w)) {
        ev_ref(EV_A);
        ev_signal_stop(EV_A_ & sigchld_w);
    }
    /* Forget the watchers: a new default loop must not feed them. */
    memset(children, 0, sizeof children);
}

void ev_child_start(EV_P_ ev_child *w) EV_NOEXCEPT
{
#if EV_MULTIPLICITY
    EV__ASSERT(loop == ev_default_loop_ptr,
               "libev: child watchers are only supported in the default loop");
#endif
    if (EV__UNLIKELY(w->active))
        return;
    ev__start(loop, (ev_watcher *)w, 1);
    ev_watcher_list **b = child_bucket(w->pid);
    w->next = *b;
    *b = (ev_watcher_list *)w;
}

void ev_child_stop(EV_P_ ev_child *w) EV_NOEXCEPT
{
    ev__unpend(loop, (ev_watcher *)w);
    if (EV__UNLIKELY(!w->active))
        return;
    /* Not finding it is fine: the default loop was destroyed meanwhile. */
    for (ev_watcher_list **p = child_bucket(w->pid); *p; p = &(*p)->next) {
        if (*p == (ev_watcher_list *)w) {
            *p = w->next;
            break;
        }
    }
    ev__stop(loop, (ev_watcher *)w);
}

#endif /* EV_CHILD_ENABLE */

#endif /* EV_SIGNAL_ENABLE */
