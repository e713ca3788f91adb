/*
 * select_win32.c - the select backend on Windows (EV_SELECT_IS_WINSOCKET). Watched fds are C
 * runtime fds wrapping SOCKETs; modify() converts each with EV_FD_TO_WIN32_HANDLE once and keeps
 * the SOCKET. A winsock fd_set is not a bitmap but a count and an array of SOCKETs, which select()
 * compacts to the ready ones; the sets here are such arrays, grown on demand (no FD_SETSIZE
 * limit), with the fd of each entry kept alongside so results map back in one pass. Sockets
 * watched for writing are also in the except set: Windows reports a failed non-blocking
 * connect() there, and libev turns it into EV_WRITE too.
 */
#include "../core/backend.h"

#if !defined(_WIN32) || !EV_SELECT_IS_WINSOCKET
#error "select_win32.c is the winsock select backend: Windows only (ev/backends/select.c elsewhere)"
#endif

#include <string.h>

/* Layout-compatible with winsock's fd_set for any count (fd_count, then fd_array). */
struct sockset {
    u_int count;
    SOCKET sock[1];
};

struct wset {
    struct sockset *in;  /* what select() is asked about */
    struct sockset *out; /* the copy select() rewrites */
    int *fd;             /* fd of in->sock[i] */
    int cap;
};

struct winsel_state {
    struct wset r, w;
    struct sockset *e; /* except set: a copy of w.in */
    SOCKET *sock;      /* by fd: the SOCKET behind it while watched */
    int *rpos, *wpos;  /* by fd: index + 1 in r.in / w.in, 0 if absent */
    int fd_cap;
};

static size_t sockset_size(int cap)
{
    return offsetof(struct sockset, sock) + (size_t)(cap ? cap : 1) * sizeof(SOCKET);
}

static int winsel_init(struct ev_loop *loop)
{
    struct winsel_state *s = (struct winsel_state *)ev__realloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    s->r.in = (struct sockset *)ev__realloc(NULL, sockset_size(0));
    s->r.out = (struct sockset *)ev__realloc(NULL, sockset_size(0));
    s->w.in = (struct sockset *)ev__realloc(NULL, sockset_size(0));
    s->w.out = (struct sockset *)ev__realloc(NULL, sockset_size(0));
    s->e = (struct sockset *)ev__realloc(NULL, sockset_size(0));
    s->r.in->count = s->w.in->count = 0;
    loop->bstate = s;
    return 0;
}

static void winsel_destroy(struct ev_loop *loop)
{
    struct winsel_state *s = (struct winsel_state *)loop->bstate;
    if (s) {
        ev__free(s->r.in);
        ev__free(s->r.out);
        ev__free(s->r.fd);
        ev__free(s->w.in);
        ev__free(s->w.out);
        ev__free(s->w.fd);
        ev__free(s->e);
        ev__free(s->sock);
        ev__free(s->rpos);
        ev__free(s->wpos);
        ev__free(s);
    }
    loop->bstate = NULL;
}

static int winsel_fork(struct ev_loop *loop)
{
    (void)loop; /* never called: Windows has no fork */
    return 0;
}

static void wset_add(struct winsel_state *s, struct wset *ws, int *pos, int fd)
{
    if (pos[fd])
        return;
    int n = (int)ws->in->count;
    if (n == ws->cap) {
        int cap = ws->cap ? 2 * ws->cap : 16;
        ws->in = (struct sockset *)ev__realloc(ws->in, sockset_size(cap));
        ws->out = (struct sockset *)ev__realloc(ws->out, sockset_size(cap));
        ws->fd = (int *)ev__realloc(ws->fd, (size_t)cap * sizeof(int));
        if (ws == &s->w)
            s->e = (struct sockset *)ev__realloc(s->e, sockset_size(cap));
        ws->cap = cap;
    }
    ws->in->sock[n] = s->sock[fd];
    ws->fd[n] = fd;
    ws->in->count = (u_int)(n + 1);
    pos[fd] = n + 1;
}

/* Removes fd, moving the last entry into its place. */
static void wset_del(struct wset *ws, int *pos, int fd)
{
    int i = pos[fd] - 1;
    if (i < 0)
        return;
    int last = (int)ws->in->count - 1;
    ws->in->sock[i] = ws->in->sock[last];
    ws->fd[i] = ws->fd[last];
    pos[ws->fd[i]] = i + 1;
    ws->in->count = (u_int)last;
    pos[fd] = 0;
}

static void winsel_modify(struct ev_loop *loop, int fd, int oev, int nev)
{
    struct winsel_state *s = (struct winsel_state *)loop->bstate;
    if (fd >= s->fd_cap) {
        int cap = s->fd_cap ? s->fd_cap : 64;
        while (cap <= fd)
            cap *= 2;
        s->sock = (SOCKET *)ev__realloc(s->sock, (size_t)cap * sizeof(SOCKET));
        s->rpos = (int *)ev__realloc(s->rpos, (size_t)cap * sizeof(int));
        s->wpos = (int *)ev__realloc(s->wpos, (size_t)cap * sizeof(int));
        memset(s->rpos + s->fd_cap, 0, (size_t)(cap - s->fd_cap) * sizeof(int));
        memset(s->wpos + s->fd_cap, 0, (size_t)(cap - s->fd_cap) * sizeof(int));
        s->fd_cap = cap;
    }
    int watched = s->rpos[fd] || s->wpos[fd];
    if (watched && (nev & EV__IOFDSET || !(nev & (EV_READ | EV_WRITE)))) {
        /* The fd may now wrap another socket: forget the old one. */
        wset_del(&s->r, s->rpos, fd);
        wset_del(&s->w, s->wpos, fd);
        watched = 0;
    }
    if (!(nev & (EV_READ | EV_WRITE)))
        return;
    if (!watched) {
        intptr_t h = EV_FD_TO_WIN32_HANDLE(fd);
        if (h == (intptr_t)-1 || h == (intptr_t)-2) {
            ev__fd_kill(loop, fd); /* not an open fd: its watchers get EV_ERROR */
            return;
        }
        s->sock[fd] = (SOCKET)h;
    }
    if (nev & EV_READ)
        wset_add(s, &s->r, s->rpos, fd);
    else
        wset_del(&s->r, s->rpos, fd);
    if (nev & EV_WRITE)
        wset_add(s, &s->w, s->wpos, fd);
    else
        wset_del(&s->w, s->wpos, fd);
    (void)oev;
}

/* select() keeps the ready sockets in their original order, so one walk over `in` pairs them
 * with their fds; a socket found out of order is looked up from the start. */
static void report(struct ev_loop *loop, const struct wset *ws, const struct sockset *out, int ev)
{
    int n = (int)ws->in->count, k = (int)out->count, i = 0;
    for (int j = 0; j < k; ++j) {
        SOCKET so = out->sock[j];
        int start = i;
        while (i < n && ws->in->sock[i] != so)
            ++i;
        if (i == n) {
            for (i = 0; i < start && ws->in->sock[i] != so; ++i)
                ;
            if (i == start) {
                i = start;
                continue; /* not ours (cannot happen) */
            }
        }
        ev__fd_event(loop, ws->fd[i], ev);
        ++i;
    }
}

/* select() failed with WSAENOTSOCK: error the watchers of every fd that no longer names a
 * socket. */
static void kill_bad_fds(struct ev_loop *loop)
{
    struct winsel_state *s = (struct winsel_state *)loop->bstate;
    for (int fd = 0; fd < s->fd_cap; ++fd) {
        if (!s->rpos[fd] && !s->wpos[fd])
            continue;
        int type, len = (int)sizeof type;
        if (getsockopt(s->sock[fd], SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0 &&
            WSAGetLastError() == WSAENOTSOCK) {
            wset_del(&s->r, s->rpos, fd);
            wset_del(&s->w, s->wpos, fd);
            ev__fd_kill(loop, fd);
        }
    }
}

static void winsel_poll(struct ev_loop *loop, ev_tstamp timeout)
{
    struct winsel_state *s = (struct winsel_state *)loop->bstate;
    int nr = (int)s->r.in->count, nw = (int)s->w.in->count;
    if (!nr && !nw) {
        /* Windows' select() refuses empty sets (WSAEINVAL): just sleep. */
        if (timeout < 0.)
            Sleep(INFINITE);
        else
            ev_sleep(timeout);
        return;
    }
    size_t rbytes = sockset_size(nr), wbytes = sockset_size(nw);
    memcpy(s->r.out, s->r.in, rbytes);
    memcpy(s->w.out, s->w.in, wbytes);
    memcpy(s->e, s->w.in, wbytes);
    struct timeval tv, *tvp = NULL;
    if (timeout >= 0.) {
        if (timeout > 1e6)
            timeout = 1e6; /* tv_sec is a long */
        tv.tv_sec = (long)timeout;
        tv.tv_usec = (long)((timeout - (ev_tstamp)tv.tv_sec) * 1e6 + 0.999);
        if (tv.tv_usec >= 1000000) {
            ++tv.tv_sec;
            tv.tv_usec -= 1000000;
        }
        tvp = &tv;
    }
    int n = select(0, nr ? (fd_set *)(void *)s->r.out : NULL,
                   nw ? (fd_set *)(void *)s->w.out : NULL, nw ? (fd_set *)(void *)s->e : NULL, tvp);
    if (EV__UNLIKELY(n == SOCKET_ERROR)) {
        int err = WSAGetLastError();
        if (err == WSAENOTSOCK)
            kill_bad_fds(loop);
        else if (err != WSAEINTR && err != WSAEINPROGRESS)
            ev__syserr("(libev) select");
        return;
    }
    if (n <= 0)
        return;
    if (nr)
        report(loop, &s->r, s->r.out, EV_READ);
    if (nw) {
        report(loop, &s->w, s->w.out, EV_WRITE);
        report(loop, &s->w, s->e, EV_WRITE); /* failed connect(): merged with the above */
    }
}

const struct ev__backend ev__backend_select = {
    .name = "select",
    .id = EVBACKEND_SELECT,
    .flags = 0,
    .mintime = 1e-3, /* winsock's select() waits in milliseconds */
    .init = winsel_init,
    .destroy = winsel_destroy,
    .fork = winsel_fork,
    .modify = winsel_modify,
    .poll = winsel_poll,
    .flush = NULL, /* modify() acts at once */
};
