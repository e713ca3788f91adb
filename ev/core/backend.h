/*
 * backend.h - the interface between the loop and a kernel readiness API.
 *
 * A backend is one const struct. It keeps its kernel state in loop->backend_fd
 * and loop->bstate, learns what to watch through modify(), and reports
 * readiness through ev__fd_event() and bad fds through ev__fd_kill(). It never
 * touches watchers. registry.c alone knows the preference order.
 */
#ifndef EV_BACKEND_H_
#define EV_BACKEND_H_

#include "ev_internal.h"

enum {
    EV__BACKEND_EMBEDDABLE = 1, /* backend_fd becomes readable when events wait */
};

struct ev__backend {
    const char *name;
    unsigned int id;    /* EVBACKEND_* */
    unsigned int flags; /* EV__BACKEND_* */
    ev_tstamp mintime;  /* the smallest timeout it can wait for */

    /* Creates the kernel state. 0, or -errno (the loop then tries the next
     * backend). May set loop->backend_fd. */
    int (*init)(struct ev_loop *loop);
    /* Frees everything init() and later calls created. */
    void (*destroy)(struct ev_loop *loop);
    /* In the child after fork: re-create the kernel state and re-register
     * every watched fd (ev__fd_rearm_all). 0 or -errno. */
    int (*fork)(struct ev_loop *loop);
    /* fd's wanted events change from oev to nev (EV_READ|EV_WRITE, plus
     * EV__IOFDSET when the fd number may now name another file). */
    void (*modify)(struct ev_loop *loop, int fd, int oev, int nev);
    /* Waits up to timeout seconds (< 0: forever) and reports readiness.
     * EINTR returns quietly; other failures go to ev__syserr. */
    void (*poll)(struct ev_loop *loop, ev_tstamp timeout);
    /* Optional (NULL: modify() acts at once): hands the changes modify()
     * queued, and re-arms poll() queued, to the kernel now. ev_embed needs
     * this: it reifies the embedded loop and then polls its backend fd. */
    void (*flush)(struct ev_loop *loop);
};

#if EV_USE_SELECT
extern const struct ev__backend ev__backend_select;
#endif
#if EV_USE_POLL
extern const struct ev__backend ev__backend_poll;
#endif
#if EV_USE_EPOLL
extern const struct ev__backend ev__backend_epoll;
#endif
#if EV_USE_IOURING
extern const struct ev__backend ev__backend_iouring;
/* iouring.c: whether this kernel lets us create a ring (probed once). */
int ev__iouring_usable(void);
#endif
#if EV_USE_LINUXAIO
extern const struct ev__backend ev__backend_linuxaio;
/* linuxaio.c: whether this kernel has AIO with IOCB_CMD_POLL (probed once). */
int ev__linuxaio_usable(void);
#endif
#if EV_USE_KQUEUE
extern const struct ev__backend ev__backend_kqueue;
#endif
#if EV_USE_PORT
extern const struct ev__backend ev__backend_port;
#endif

#if EV_USE_EPOLL || EV_USE_IOURING || EV_USE_LINUXAIO || EV_USE_KQUEUE || EV_USE_PORT
/* registry.c: how many forks this process is a child of, counted by a
 * pthread_atfork hook installed before the first backend is created. */
extern unsigned int ev__forks_seen;
static inline unsigned int ev__fork_count(void)
{
    return __atomic_load_n(&ev__forks_seen, __ATOMIC_RELAXED);
}
#endif

/* registry.c: picks and initialises a backend for flags; 0 or -errno. */
int ev__backend_choose(struct ev_loop *loop, unsigned int flags);

/* Milliseconds for a timeout, rounded up so a timer never wakes early;
 * -1 for "forever". */
static inline int ev__timeout_ms(ev_tstamp timeout)
{
    if (timeout <= 0.)
        return timeout < 0. ? -1 : 0;
    if (timeout > 1e6)     /* seconds: 1e9 ms still fits an int */
        return 1000000000; /* ~11.5 days; the loop simply wakes and waits again */
    return (int)(timeout * 1e3 + 0.999999);
}

#endif /* EV_BACKEND_H_ */
