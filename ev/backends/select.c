/*
 * select.c - the select(2) backend. The interest sets are our own bit arrays,
 * grown on demand, so fds above FD_SETSIZE work (Linux's select takes any
 * nfds; only glibc's FD_SET macros stop at FD_SETSIZE). On EBADF the watched
 * fds are probed one by one and the closed ones get EV_ERROR.
 */
#include "../core/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/select.h>

typedef unsigned long word_t;
#define WBITS ((int)(8 * sizeof(word_t)))

struct select_state {
    word_t *rin, *win, *rout, *wout;
    int words; /* allocated words per set */
    int maxfd; /* one more than the highest fd ever watched */
};

static int select_init(struct ev_loop *loop)
{
    struct select_state *s = (struct select_state *)ev__realloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    loop->bstate = s;
    return 0;
}

static void select_destroy(struct ev_loop *loop)
{
    struct select_state *s = (struct select_state *)loop->bstate; /* init succeeded */
    ev__free(s->rin);
    ev__free(s->win);
    ev__free(s->rout);
    ev__free(s->wout);
    ev__free(s);
    loop->bstate = NULL;
}

static int select_fork(struct ev_loop *loop)
{
    (void)loop;
    return 0;
}

static word_t *grow_set(word_t *set, int old, int words)
{
    set = (word_t *)ev__realloc(set, (size_t)words * sizeof(word_t));
    memset(set + old, 0, (size_t)(words - old) * sizeof(word_t));
    return set;
}

static void select_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct select_state *s = (struct select_state *)loop->bstate;
    (void)oev;
    int w = fd / WBITS;
    word_t bit = (word_t)1 << (fd % WBITS);
    if (w >= s->words) {
        int words = s->words ? s->words : 1;
        while (words <= w)
            words *= 2;
        s->rin = grow_set(s->rin, s->words, words);
        s->win = grow_set(s->win, s->words, words);
        s->rout = grow_set(s->rout, s->words, words);
        s->wout = grow_set(s->wout, s->words, words);
        s->words = words;
    }
    if (nev & EV_READ)
        s->rin[w] |= bit;
    else
        s->rin[w] &= ~bit;
    if (nev & EV_WRITE)
        s->win[w] |= bit;
    else
        s->win[w] &= ~bit;
    if ((nev & (EV_READ | EV_WRITE)) && fd >= s->maxfd)
        s->maxfd = fd + 1;
}

/* select said EBADF: find the closed fds and error their watchers. */
static void kill_bad_fds(struct ev_loop *loop)
{
    for (int fd = 0; fd < loop->fd_cap; ++fd)
        if (loop->fds[fd].wanted && fcntl(fd, F_GETFD) < 0 && errno == EBADF)
            ev__fd_kill(loop, fd);
}

static void select_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct select_state *s = (struct select_state *)loop->bstate;
    int words = (s->maxfd + WBITS - 1) / WBITS;
    if (words) {
        memcpy(s->rout, s->rin, (size_t)words * sizeof(word_t));
        memcpy(s->wout, s->win, (size_t)words * sizeof(word_t));
    }
    struct timeval tv, *tvp = NULL;
    if (timeout >= 0.) {
        if (timeout > 1e8)
            timeout = 1e8;
        tv.tv_sec = (time_t)timeout;
        tv.tv_usec = (suseconds_t)((timeout - (ev_tstamp)tv.tv_sec) * 1e6 + 0.999);
        if (tv.tv_usec >= 1000000) {
            ++tv.tv_sec;
            tv.tv_usec -= 1000000;
        }
        tvp = &tv;
    }
    int n = select(s->maxfd, words ? (fd_set *)(void *)s->rout : NULL,
                   words ? (fd_set *)(void *)s->wout : NULL, NULL, tvp);
    if (EV__UNLIKELY(n < 0)) {
        if (errno == EBADF)
            kill_bad_fds(loop);
        else if (errno != EINTR)
            ev__syserr("(libev) select");
        return;
    }
    struct ev__batch batch;
    ev__batch_begin(loop, &batch);
    for (int w = 0; n > 0 && w < words; ++w) {
        word_t r = s->rout[w], wr = s->wout[w];
        word_t any = r | wr;
        while (any) {
            int b = __builtin_ctzl(any);
            word_t bit = (word_t)1 << b;
            any &= ~bit;
            int ev = (r & bit ? EV_READ : 0) | (wr & bit ? EV_WRITE : 0);
            n -= (ev & EV_READ ? 1 : 0) + (ev & EV_WRITE ? 1 : 0);
            ev__batch_fd_feed(loop, &batch, &loop->fds[w * WBITS + b], ev);
        }
    }
    ev__batch_end(loop, &batch);
}

const struct ev__backend ev__backend_select = {
    .name = "select",
    .id = EVBACKEND_SELECT,
    .flags = 0,
    .mintime = 1e-6,
    .init = select_init,
    .destroy = select_destroy,
    .fork = select_fork,
    .modify = select_modify,
    .poll = select_poll,
    .flush = NULL, /* modify() acts at once */
};
