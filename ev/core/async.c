/*
 * async.c - the wake-up channel and ev_async. Other threads and signal handlers
 * set a flag (async_pending, sig_pending) and, if the loop may be blocking,
 * write to an eventfd (or a pipe). The loop announces that it may block by
 * setting wake_wanted before it computes its timeout; a writer that finds it
 * clear only sets wake_skipped, which the loop checks before blocking and after
 * polling. All shared words are accessed with atomics, so the protocol is
 * visible to TSan; ev_async_send is async-signal-safe (lock-free atomics and
 * write(2), errno preserved).
 */
#include "ev_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#if EV_USE_EVENTFD
#include <sys/eventfd.h>
#endif

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)

#ifdef _WIN32
/* Windows: the channel is a loopback TCP pair of C runtime fds (win32.c, made by wake_open
 * below), used with recv/send. Without fork it is never re-created (loop.c). */
#define WAKE_READ(fd, buf, n) ev__win32_recv(fd, buf, (int)(n))
#define WAKE_WRITE(fd, buf, n) ev__win32_send(fd, buf, (int)(n))
#define WAKE_CLOSE(fd) EV_WIN32_CLOSE_FD(fd)
#else
#define WAKE_READ read
#define WAKE_WRITE write
#define WAKE_CLOSE close
#endif

static void wake_cb(EV_P_ ev_io *w, int revents)
{
    (void)w;
    if (revents & EV_READ) {
        if (loop->wake_rfd == loop->wake_wfd) {
            uint64_t v;
            ssize_t r = WAKE_READ(loop->wake_rfd, &v, sizeof v);
            (void)r;
        } else {
            char buf[64];
            while (WAKE_READ(loop->wake_rfd, buf, sizeof buf) == (ssize_t)sizeof buf)
                ;
        }
    }
#if EV_SIGNAL_ENABLE
    if (LOAD(&loop->sig_pending) && XCHG(&loop->sig_pending, 0))
        ev__signals_process(loop);
#endif
    if (LOAD(&loop->async_pending) && XCHG(&loop->async_pending, 0))
        ev__async_process(loop);
}

#ifdef _WIN32
static int wake_open(struct ev_loop *loop)
{
    int p[2];
    int r = ev__win32_socketpair(p);
    if (r < 0)
        return r;
    loop->wake_rfd = p[0];
    loop->wake_wfd = p[1];
    return 0;
}
#else
static int cloexec_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int wake_open(struct ev_loop *loop)
{
#if EV_USE_EVENTFD
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd >= 0) {
        loop->wake_rfd = loop->wake_wfd = fd;
        return 0;
    }
#endif
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    if (cloexec_nonblock(p[0]) < 0 || cloexec_nonblock(p[1]) < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    loop->wake_rfd = p[0];
    loop->wake_wfd = p[1];
    return 0;
}
#endif /* !_WIN32 */

int ev__wake_init(struct ev_loop *loop)
{
    if (loop->wake_rfd >= 0)
        return 0;
    int r = wake_open(loop);
    if (r < 0) {
        ev__syserr("(libev) error creating signal/async pipe");
        return r;
    }
    ev_init(&loop->wake_w, wake_cb);
    ev_io_set(&loop->wake_w, loop->wake_rfd, EV_READ);
    ev__io_start_internal(loop, &loop->wake_w);
    /* A send before the channel existed (ev_async_send on a watcher not started yet) left its
     * flag set with nothing to clear it, and every later send would return early on that flag:
     * look at the flags once more in the next iteration. */
    if (LOAD(&loop->async_pending) || LOAD(&loop->sig_pending))
        STORE(&loop->wake_skipped, 1);
    return 0;
}

static void wake_close(struct ev_loop *loop)
{
    if (loop->wake_wfd != loop->wake_rfd)
        WAKE_CLOSE(loop->wake_wfd);
    WAKE_CLOSE(loop->wake_rfd);
    loop->wake_rfd = loop->wake_wfd = -1;
}

void ev__wake_destroy(struct ev_loop *loop)
{
    if (loop->wake_rfd < 0)
        return;
    ev__io_stop_internal(loop, &loop->wake_w);
    wake_close(loop);
}

void ev__wake_fork(struct ev_loop *loop)
{
    /* The child shares the parent's eventfd/pipe: make a private one. */
    if (loop->wake_rfd < 0)
        return;
    ev__io_stop_internal(loop, &loop->wake_w);
    int old_r = loop->wake_rfd, old_w = loop->wake_wfd;
    if (wake_open(loop) < 0) { /* leaves the old fds in place */
        wake_close(loop);
        ev__syserr("(libev) error creating signal/async pipe");
        return;
    }
    /* The new channel takes the old numbers (see ev__fd_replace). */
    int r = ev__fd_replace(loop->wake_rfd, old_r);
    int w = r;
    if (loop->wake_wfd != loop->wake_rfd)
        w = ev__fd_replace(loop->wake_wfd, old_w != old_r ? old_w : -1);
    else if (old_w != old_r)
        WAKE_CLOSE(old_w); /* a pipe before, an eventfd now */
    loop->wake_rfd = r;
    loop->wake_wfd = w;
    ev_io_set(&loop->wake_w, loop->wake_rfd, EV_READ);
    ev__io_start_internal(loop, &loop->wake_w);
    /* Anything sent around the fork is looked at once more. */
    if (loop->wake_used || LOAD(&loop->async_pending) || LOAD(&loop->sig_pending))
        STORE(&loop->wake_skipped, 1);
}

void ev__wake(struct ev_loop *loop, int *flag)
{
    if (LOAD(flag))
        return; /* a wake-up is already on its way */
    STORE(flag, 1);
    STORE(&loop->wake_skipped, 1);
    EV__STORE_LOAD_FENCE();
    if (LOAD(&loop->wake_wanted)) {
        int saved = errno;
        if (loop->wake_rfd == loop->wake_wfd) {
            uint64_t one = 1;
            ssize_t r = WAKE_WRITE(loop->wake_wfd, &one, sizeof one);
            (void)r;
        } else {
            /* A full pipe already wakes the loop: EAGAIN is fine. */
            ssize_t r = WAKE_WRITE(loop->wake_wfd, "", 1);
            (void)r;
        }
        errno = saved;
    }
}

#if EV_ASYNC_ENABLE
void ev__async_process(struct ev_loop *loop)
{
    for (int i = loop->asyncs.cnt; i--;) {
        ev_async *w = (ev_async *)loop->asyncs.w[i];
        if (__atomic_load_n(&w->sent, __ATOMIC_SEQ_CST)) {
            __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
            ev__feed(loop, (ev_watcher *)w, EV_ASYNC);
        }
    }
}

void ev_async_start(EV_P_ ev_async *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    __atomic_store_n(&w->sent, 0, __ATOMIC_SEQ_CST);
    if (ev__wake_init(loop) < 0)
        return;
    loop->wake_used = 1;
    ev__wlist_add(loop, &loop->asyncs, (ev_watcher *)w);
}

void ev_async_stop(EV_P_ ev_async *w) EV_NOEXCEPT
{
    ev__unpend(loop, (ev_watcher *)w);
    if (EV__UNLIKELY(!w->active))
        return;
    ev__wlist_del(loop, &loop->asyncs, (ev_watcher *)w);
}

void ev_async_send(EV_P_ ev_async *w) EV_NOEXCEPT
{
    __atomic_store_n(&w->sent, 1, __ATOMIC_SEQ_CST);
    ev__wake(loop, &loop->async_pending);
}
#else
void ev__async_process(struct ev_loop *loop)
{
    (void)loop;
}
#endif
