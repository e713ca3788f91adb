/*
 * poll.c - the poll(2) backend. A dense pollfd array holds the watched fds;
 * `slot[fd]` is the 1-based index of fd in it (0: not there). Removing an fd
 * moves the last entry into its place. POLLNVAL means the fd was closed under
 * us: its watchers get EV_ERROR and the loop goes on.
 */
#include "../core/backend.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

struct poll_state {
    struct pollfd *pfds;
    int cnt, cap;
    int *slot;
    int slot_cap;
};

static int poll_init(struct ev_loop *loop)
{
    struct poll_state *s = (struct poll_state *)ev__realloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    loop->bstate = s;
    return 0;
}

static void poll_destroy(struct ev_loop *loop)
{
    struct poll_state *s = (struct poll_state *)loop->bstate; /* init succeeded */
    ev__free(s->pfds);
    ev__free(s->slot);
    ev__free(s);
    loop->bstate = NULL;
}

static int poll_fork(struct ev_loop *loop)
{
    (void)loop;
    return 0; /* no kernel state */
}

static void poll_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct poll_state *s = (struct poll_state *)loop->bstate;
    (void)oev;
    if (fd >= s->slot_cap) {
        int old = s->slot_cap;
        s->slot = (int *)ev__grow(s->slot, &s->slot_cap, fd + 1, sizeof(int));
        memset(s->slot + old, 0, (size_t)(s->slot_cap - old) * sizeof(int));
    }
    int i = s->slot[fd];
    int want = nev & (EV_READ | EV_WRITE);
    if (want) {
        if (!i) {
            if (s->cnt == s->cap)
                s->pfds =
                    (struct pollfd *)ev__grow(s->pfds, &s->cap, s->cnt + 1, sizeof(struct pollfd));
            i = ++s->cnt;
            s->slot[fd] = i;
            s->pfds[i - 1].fd = fd;
        }
        s->pfds[i - 1].events =
            (short)((want & EV_READ ? POLLIN : 0) | (want & EV_WRITE ? POLLOUT : 0));
    } else if (i) {
        struct pollfd last = s->pfds[--s->cnt];
        s->slot[fd] = 0;
        if (i - 1 != s->cnt) {
            s->pfds[i - 1] = last;
            s->slot[last.fd] = i;
        }
    }
}

static void poll_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct poll_state *s = (struct poll_state *)loop->bstate;
    int n = poll(s->pfds, (nfds_t)s->cnt, ev__timeout_ms(timeout));
    if (EV__UNLIKELY(n < 0)) {
        if (errno != EINTR)
            ev__syserr("(libev) poll");
        return;
    }
    struct ev__batch b;
    ev__batch_begin(loop, &b);
    for (struct pollfd *p = s->pfds; n > 0 && p < s->pfds + s->cnt; ++p) {
        if (!p->revents)
            continue;
        --n;
        if (EV__UNLIKELY(p->revents & POLLNVAL)) {
            ev__batch_end(loop, &b);  /* the kill feeds the queues itself */
            ev__fd_kill(loop, p->fd); /* closed under us */
            ev__batch_begin(loop, &b);
            continue;
        }
        ev__batch_fd_feed(loop, &b, &loop->fds[p->fd],
                          (p->revents & (POLLIN | POLLERR | POLLHUP) ? EV_READ : 0) |
                              (p->revents & (POLLOUT | POLLERR | POLLHUP) ? EV_WRITE : 0));
    }
    ev__batch_end(loop, &b);
}

const struct ev__backend ev__backend_poll = {
    .name = "poll",
    .id = EVBACKEND_POLL,
    .flags = 0,
    .mintime = 1e-3,
    .init = poll_init,
    .destroy = poll_destroy,
    .fork = poll_fork,
    .modify = poll_modify,
    .poll = poll_poll,
    .flush = NULL, /* modify() acts at once */
};
