/*
 * registry.c - which backends exist, in which order they are preferred, and
 * which ones a loop gets. The only file that knows the preference order:
 * io_uring, kqueue, port, epoll, linuxaio, poll, select.
 */
#include "../core/backend.h"

#include <errno.h>

static const struct ev__backend *const backends[] = {
#if EV_USE_IOURING
    &ev__backend_iouring,
#endif
#if EV_USE_KQUEUE
    &ev__backend_kqueue,
#endif
#if EV_USE_PORT
    &ev__backend_port,
#endif
#if EV_USE_EPOLL
    &ev__backend_epoll,
#endif
#if EV_USE_LINUXAIO
    &ev__backend_linuxaio,
#endif
#if EV_USE_POLL
    &ev__backend_poll,
#endif
#if EV_USE_SELECT
    &ev__backend_select,
#endif
};

#define NBACKENDS ((int)(sizeof backends / sizeof backends[0]))

#if EV_USE_EPOLL || EV_USE_IOURING || EV_USE_LINUXAIO || EV_USE_KQUEUE || EV_USE_PORT
#include <pthread.h>

/* Forks this process has made children of, counted in the child. Backends
 * whose kernel object a child must not share (an epoll set, an io_uring ring,
 * a kqueue, a port) compare it with its value when they made the object, and
 * make a new one in a child that did not call ev_loop_fork. */
unsigned int ev__forks_seen;
static pthread_once_t fork_hook_once = PTHREAD_ONCE_INIT;

static void count_fork(void)
{
    __atomic_add_fetch(&ev__forks_seen, 1, __ATOMIC_RELAXED);
}

static void install_fork_hook(void)
{
    pthread_atfork(NULL, NULL, count_fork);
}
#endif

unsigned int ev_supported_backends(void) EV_NOEXCEPT
{
    unsigned int mask = 0;
    for (int i = 0; i < NBACKENDS; ++i)
        mask |= backends[i]->id;
#if EV_USE_IOURING
    if (!ev__iouring_usable())
        mask &= ~(unsigned int)EVBACKEND_IOURING; /* seccomp, sysctl or an old kernel */
#endif
#if EV_USE_LINUXAIO
    if (!ev__linuxaio_usable())
        mask &= ~(unsigned int)EVBACKEND_LINUXAIO; /* no AIO, or no IOCB_CMD_POLL (before 4.18) */
#endif
    return mask;
}

unsigned int ev_recommended_backends(void) EV_NOEXCEPT
{
    unsigned int mask = ev_supported_backends();
    /* io_uring is opt-in until it wins on our benchmarks; kqueue is broken
     * for most fd types on macOS. */
    mask &= ~(unsigned int)(EVBACKEND_IOURING | EVBACKEND_LINUXAIO);
#ifdef __APPLE__
    mask &= ~(unsigned int)EVBACKEND_KQUEUE;
#endif
    return mask;
}

unsigned int ev_embeddable_backends(void) EV_NOEXCEPT
{
    /* Backends whose kernel object is an fd that polls readable when events
     * wait, whether compiled in or not (as libev reports it). */
    return EVBACKEND_EPOLL | EVBACKEND_KQUEUE | EVBACKEND_PORT | EVBACKEND_IOURING;
}

int ev__backend_choose(struct ev_loop *loop, unsigned int flags)
{
#if EV_USE_EPOLL || EV_USE_IOURING || EV_USE_LINUXAIO || EV_USE_KQUEUE || EV_USE_PORT
    pthread_once(&fork_hook_once, install_fork_hook); /* before any kernel object exists */
#endif
    unsigned int want = flags & EVBACKEND_MASK;
    if (!want)
        want = ev_recommended_backends();
    int err = -ENOSYS;
    for (int i = 0; i < NBACKENDS; ++i) {
        if (!(backends[i]->id & want))
            continue;
        loop->backend = backends[i];
        err = backends[i]->init(loop);
        if (err == 0)
            return 0;
        loop->backend = NULL;
        loop->backend_fd = -1;
    }
    return err;
}
