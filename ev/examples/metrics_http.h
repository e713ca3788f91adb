/*
 * metrics_http.h - the example servers' metrics endpoint: one plain HTTP GET handler on the
 * server's own loop, serving the Prometheus text of ev_metrics.h (ev_metrics_prometheus) on a
 * loopback port. Header-only (static functions), for C11 and C++.
 *
 *   struct metrics_http h;
 *   metrics_http_start(loop, &h, port, render, arg)    bound port, or -1
 *   metrics_http_stop(loop, &h)                        closes the socket and every connection
 *
 * render(buf, size, arg) writes the text like snprintf (NUL-terminated, full length returned).
 * Every request gets one response and the connection is closed: whatever the path,
 * "GET ..." gets 200 and the text, anything else 405. A request must arrive within 8 KiB.
 */
#ifndef EV_EXAMPLES_METRICS_HTTP_H_
#define EV_EXAMPLES_METRICS_HTTP_H_

#include <ev.h>
#include <ev_metrics.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct metrics_http;

typedef size_t (*metrics_http_render)(char *buf, size_t size, void *arg);

struct metrics_http_conn {
    ev_io io; /* first member */
    struct metrics_http *owner;
    struct metrics_http_conn *prev, *next;
    char req[8192];
    size_t req_len;
    char *resp; /* malloc'd; sent from resp_off */
    size_t resp_len, resp_off;
};

struct metrics_http {
    ev_io listen_w;
    metrics_http_render render;
    void *arg;
    struct metrics_http_conn *conns;
};

static inline void metrics_http_close(struct ev_loop *loop, struct metrics_http_conn *c)
{
    struct metrics_http *h = c->owner;
    ev_io_stop(loop, &c->io);
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->resp);
    free(c);
}

/* The whole response: status line, headers and (for GET) the metrics text. */
static inline void metrics_http_respond(struct metrics_http_conn *c)
{
    struct metrics_http *h = c->owner;
    int get = c->req_len >= 4 && memcmp(c->req, "GET ", 4) == 0;
    size_t body_len = get ? h->render(NULL, 0, h->arg) : 0;
    char *body = (char *)malloc(body_len + 1);
    if (!body)
        return;
    if (get)
        h->render(body, body_len + 1, h->arg);
    else
        body[0] = 0;
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     get ? "200 OK" : "405 Method Not Allowed", body_len);
    c->resp = (char *)malloc((size_t)n + body_len);
    if (c->resp) {
        memcpy(c->resp, head, (size_t)n);
        memcpy(c->resp + n, body, body_len);
        c->resp_len = (size_t)n + body_len;
        c->resp_off = 0;
    }
    free(body);
}

static inline void metrics_http_conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct metrics_http_conn *c = (struct metrics_http_conn *)w;
    (void)revents;
    if (!c->resp) {
        ssize_t n = read(w->fd, c->req + c->req_len, sizeof c->req - 1 - c->req_len);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0) {
            metrics_http_close(loop, c);
            return;
        }
        c->req_len += (size_t)n;
        c->req[c->req_len] = 0;
        if (!strstr(c->req, "\r\n\r\n") && !strstr(c->req, "\n\n")) {
            if (c->req_len == sizeof c->req - 1)
                metrics_http_close(loop, c); /* too long */
            return;
        }
        metrics_http_respond(c);
        if (!c->resp) {
            metrics_http_close(loop, c);
            return;
        }
        ev_io_stop(loop, w);
        ev_io_set(w, w->fd, EV_WRITE);
        ev_io_start(loop, w);
        return; /* write when the socket is ready */
    }
    while (c->resp_off < c->resp_len) {
        ssize_t n = send(w->fd, c->resp + c->resp_off, c->resp_len - c->resp_off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0)
            break;
        c->resp_off += (size_t)n;
    }
    metrics_http_close(loop, c);
}

static inline void metrics_http_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct metrics_http *h = (struct metrics_http *)w->data;
    (void)revents;
    int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct metrics_http_conn *c = (struct metrics_http_conn *)calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->owner = h;
    ev_io_init(&c->io, metrics_http_conn_cb, fd, EV_READ);
    ev_io_start(loop, &c->io);
    c->next = h->conns;
    if (c->next)
        c->next->prev = c;
    h->conns = c;
}

/* Listens on 127.0.0.1:port (0: any free port); returns the port, or -1 (and a message). */
static inline int metrics_http_start(struct ev_loop *loop, struct metrics_http *h, int port,
                                     metrics_http_render render, void *arg)
{
    memset(h, 0, sizeof *h);
    h->render = render;
    h->arg = arg;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only: no authentication here */
    socklen_t len = sizeof addr;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        perror("metrics endpoint");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    ev_io_init(&h->listen_w, metrics_http_accept_cb, fd, EV_READ);
    h->listen_w.data = h;
    ev_io_start(loop, &h->listen_w);
    return ntohs(addr.sin_port);
}

static inline void metrics_http_stop(struct ev_loop *loop, struct metrics_http *h)
{
    if (!ev_is_active(&h->listen_w))
        return;
    ev_io_stop(loop, &h->listen_w);
    close(h->listen_w.fd);
    while (h->conns)
        metrics_http_close(loop, h->conns);
}

/* One line per loop for SIGUSR1: utilization, iterations, events, lag, slow callbacks. */
static inline void metrics_print(FILE *out, const char *name, const struct ev_metrics *m)
{
    fprintf(out,
            "metrics %s: utilization %.1f%% (busy %.3f s, idle %.3f s), %llu iterations, "
            "%llu events (io %llu, timer %llu, signal %llu, async %llu), max pending %llu, "
            "lag max %.3f ms over %llu timers, %llu slow callbacks\n",
            name, m->elapsed > 0. ? 100. * m->busy / m->elapsed : 0., m->busy, m->idle,
            (unsigned long long)m->iterations, (unsigned long long)m->events_total,
            (unsigned long long)m->events[EV_METRICS_IO],
            (unsigned long long)m->events[EV_METRICS_TIMER],
            (unsigned long long)m->events[EV_METRICS_SIGNAL],
            (unsigned long long)m->events[EV_METRICS_ASYNC], (unsigned long long)m->max_pending,
            m->lag_max * 1e3, (unsigned long long)m->lag_count,
            (unsigned long long)m->slow_callbacks);
    fflush(out);
}

#endif /* EV_EXAMPLES_METRICS_HTTP_H_ */
