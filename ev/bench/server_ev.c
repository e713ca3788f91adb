/*
 * server_ev.c - the HTTP/1.1 keep-alive benchmark server on the libev 4 API (see server.h). Built
 * against ev (ev/core) and against Debian's libev 4.33 from the same source.
 */
#include "server.h"

#include <ev.h>

struct conn {
    ev_io r, w;
    ev_timer idle;
    int state; /* request terminator match */
    int owed;  /* responses that did not fit the output buffer */
    size_t olen, opos;
    char out[SRV_OUT_CAP];
};

static struct ev_loop *loop;
static double idle_timeout;

static void conn_close(struct conn *c)
{
    ev_io_stop(loop, &c->r);
    ev_io_stop(loop, &c->w);
    ev_timer_stop(loop, &c->idle);
    close(c->r.fd);
    free(c);
}

/* Writes what is pending; watches for writability only while something is left. Returns -1 if
 * the connection was closed. */
static int conn_flush(struct conn *c)
{
    while (c->opos < c->olen) {
        ssize_t k = write(c->r.fd, c->out + c->opos, c->olen - c->opos);
        if (k < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            conn_close(c);
            return -1;
        }
        c->opos += (size_t)k;
        if (c->opos == c->olen) {
            c->opos = c->olen = 0;
            c->owed = srv_queue(c->out, &c->olen, c->owed);
        }
    }
    if (c->opos < c->olen) {
        if (!ev_is_active(&c->w))
            ev_io_start(loop, &c->w);
        if (c->owed && ev_is_active(&c->r))
            ev_io_stop(loop, &c->r); /* back-pressure */
    } else {
        if (ev_is_active(&c->w))
            ev_io_stop(loop, &c->w);
        if (!ev_is_active(&c->r))
            ev_io_start(loop, &c->r);
    }
    return 0;
}

static void read_cb(struct ev_loop *l, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)w;
    char buf[16384];
    ssize_t n = read(w->fd, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_close(c);
        return;
    }
    int reqs = srv_count_requests(buf, (size_t)n, &c->state);
    if (reqs) {
        ev_timer_again(l, &c->idle);
        c->owed = srv_queue(c->out, &c->olen, c->owed + reqs);
        conn_flush(c);
    }
}

static void write_cb(struct ev_loop *l, ev_io *w, int revents)
{
    conn_flush((struct conn *)((char *)w - offsetof(struct conn, w)));
}

static void idle_cb(struct ev_loop *l, ev_timer *t, int revents)
{
    conn_close((struct conn *)((char *)t - offsetof(struct conn, idle)));
}

static void accept_cb(struct ev_loop *l, ev_io *w, int revents)
{
    int fd;
    while ((fd = srv_accept(w->fd)) >= 0) {
        struct conn *c = (struct conn *)malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->state = c->owed = 0;
        c->olen = c->opos = 0;
        ev_io_init(&c->r, read_cb, fd, EV_READ);
        ev_io_init(&c->w, write_cb, fd, EV_WRITE);
        ev_init(&c->idle, idle_cb);
        c->idle.repeat = idle_timeout;
        ev_timer_again(l, &c->idle);
        ev_io_start(l, &c->r);
    }
}

static void stop_cb(struct ev_loop *l, ev_signal *s, int revents)
{
    ev_break(l, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
    loop = ev_default_loop((unsigned)srv_arg(argc, argv, "flags", 0));
    if (!loop) {
        fprintf(stderr, "server: no loop\n");
        return 1;
    }
    idle_timeout = (double)srv_arg(argc, argv, "idle", 10);
    ev_io acc;
    ev_io_init(&acc, accept_cb, srv_listen((int)srv_arg(argc, argv, "port", 0)), EV_READ);
    ev_io_start(loop, &acc);
    ev_signal term, intr;
    ev_signal_init(&term, stop_cb, SIGTERM);
    ev_signal_start(loop, &term);
    ev_signal_init(&intr, stop_cb, SIGINT);
    ev_signal_start(loop, &intr);
    fprintf(stderr, "server: backend %u\n", ev_backend(loop));
    ev_run(loop, 0);
    return 0;
}
