/*
 * server_event2.c - the HTTP/1.1 keep-alive benchmark server on libevent 2.1's event API (see
 * server.h): a persistent read event, a write event added only while output is pending, and a
 * timeout event re-added (moved) on every request.
 */
#include "server.h"

#include <event2/event.h>

struct conn {
    int fd;
    struct event *r, *w, *idle;
    int state, owed;
    size_t olen, opos;
    char out[SRV_OUT_CAP];
};

static struct event_base *base;
static struct timeval idle_tv;

static void conn_close(struct conn *c)
{
    event_free(c->r);
    event_free(c->w);
    event_free(c->idle);
    close(c->fd);
    free(c);
}

static void conn_flush(struct conn *c)
{
    while (c->opos < c->olen) {
        ssize_t k = write(c->fd, c->out + c->opos, c->olen - c->opos);
        if (k < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            conn_close(c);
            return;
        }
        c->opos += (size_t)k;
        if (c->opos == c->olen) {
            c->opos = c->olen = 0;
            c->owed = srv_queue(c->out, &c->olen, c->owed);
        }
    }
    if (c->opos < c->olen) {
        if (!event_pending(c->w, EV_WRITE, NULL))
            event_add(c->w, NULL);
        if (c->owed)
            event_del(c->r);
    } else {
        if (event_pending(c->w, EV_WRITE, NULL))
            event_del(c->w);
        if (!event_pending(c->r, EV_READ, NULL))
            event_add(c->r, NULL);
    }
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = (struct conn *)arg;
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_close(c);
        return;
    }
    int reqs = srv_count_requests(buf, (size_t)n, &c->state);
    if (reqs) {
        event_add(c->idle, &idle_tv);
        c->owed = srv_queue(c->out, &c->olen, c->owed + reqs);
        conn_flush(c);
    }
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
    conn_flush((struct conn *)arg);
}

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
    conn_close((struct conn *)arg);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    int fd;
    while ((fd = srv_accept(lfd)) >= 0) {
        struct conn *c = (struct conn *)calloc(1, sizeof *c);
        c->fd = fd;
        c->r = event_new(base, fd, EV_READ | EV_PERSIST, read_cb, c);
        c->w = event_new(base, fd, EV_WRITE | EV_PERSIST, write_cb, c);
        c->idle = evtimer_new(base, idle_cb, c);
        event_add(c->idle, &idle_tv);
        event_add(c->r, NULL);
    }
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    base = event_base_new();
    idle_tv.tv_sec = srv_arg(argc, argv, "idle", 10);
    int lfd = srv_listen((int)srv_arg(argc, argv, "port", 0));
    struct event *acc = event_new(base, lfd, EV_READ | EV_PERSIST, accept_cb, NULL);
    event_add(acc, NULL);
    struct event *term = evsignal_new(base, SIGTERM, stop_cb, NULL);
    struct event *intr = evsignal_new(base, SIGINT, stop_cb, NULL);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_base_dispatch(base);
    return 0;
}
