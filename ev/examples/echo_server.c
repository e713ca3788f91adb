/*
 * echo_server.c - a TCP echo server in plain C on the ev API.
 *
 *   echo_server [-a address] [-p port] [-t idle_seconds] [-q] [--metrics-port port]
 *
 * Listens on address (default 127.0.0.1) and port (default 0: any free port); prints
 * "listening on <address> port <n>" once bound. Each connection echoes what it receives and is
 * closed after idle_seconds (default 10) without traffic in either direction. SIGINT or SIGTERM
 * shut the server down cleanly: every watcher is stopped, every socket closed, and the program
 * exits with status 0. -q turns off the per-connection messages.
 *
 * Idle timeouts use the ev_timer_again pattern from the manual: each connection's timer is set
 * up once with repeat = the timeout, and every bit of traffic calls ev_timer_again, which only
 * moves the timer instead of stopping and restarting it.
 *
 * Writes never block: what the peer is not ready to take is kept, reading stops (back-pressure)
 * and a write watcher waits until the socket can take the rest.
 *
 * Loop metrics (ev_metrics.h) are on: SIGUSR1 prints them ("metrics loop: utilization ..."), and
 * with --metrics-port the loop also serves them in the Prometheus text format on 127.0.0.1:port
 * (0: any free port; "metrics on 127.0.0.1 port <n>" is printed).
 */
#define _GNU_SOURCE 1
#include <ev.h>
#include <ev_metrics.h>

#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    ev_io io;      /* first member: the io callback gets the connection from its watcher */
    ev_timer idle; /* repeat = the idle timeout; ev_timer_again on traffic */
    struct conn *prev, *next;
    char buf[16384];
    size_t len, off; /* buf[off..len) still to be written back */
    unsigned long id;
};

static struct {
    int listen_fd;
    double idle_timeout;
    int quiet;
    unsigned long accepted;
    struct conn *conns; /* every open connection, for shutdown */
    ev_io accept_w;
    ev_signal sigint_w, sigterm_w, sigusr1_w;
    struct metrics_http metrics;
} srv;

static void note(unsigned long id, const char *what)
{
    if (!srv.quiet) {
        printf("connection %lu %s\n", id, what);
        fflush(stdout);
    }
}

static void conn_close(struct ev_loop *loop, struct conn *c, const char *why)
{
    ev_io_stop(loop, &c->io);
    ev_timer_stop(loop, &c->idle);
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv.conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    char what[128];
    snprintf(what, sizeof what, "closed (%s)", why);
    note(c->id, what);
    free(c);
}

/* Switches the io watcher between reading (nothing buffered) and writing (an echo pending). */
static void conn_want(struct ev_loop *loop, struct conn *c, int events)
{
    if (c->io.events == events)
        return;
    ev_io_stop(loop, &c->io);
    ev_io_set(&c->io, c->io.fd, events);
    ev_io_start(loop, &c->io);
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = (struct conn *)w;
    (void)revents;
    if (c->len == 0) {
        ssize_t n = read(w->fd, c->buf, sizeof c->buf);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0) {
            conn_close(loop, c, n == 0 ? "end of file" : strerror(errno));
            return;
        }
        c->len = (size_t)n;
        c->off = 0;
    }
    while (c->off < c->len) {
        ssize_t n = send(w->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close(loop, c, strerror(errno));
            return;
        }
        c->off += (size_t)n;
    }
    if (c->off == c->len)
        c->len = c->off = 0;
    conn_want(loop, c, c->len ? EV_WRITE : EV_READ);
    ev_timer_again(loop, &c->idle); /* traffic: the idle time starts over */
}

static void conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, idle));
    (void)revents;
    conn_close(loop, c, "idle timeout");
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return; /* EAGAIN, or a client that has gone again: wait for the next one */
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->id = ++srv.accepted;
    ev_io_init(&c->io, conn_io_cb, fd, EV_READ);
    ev_io_start(loop, &c->io);
    ev_init(&c->idle, conn_idle_cb);
    c->idle.repeat = srv.idle_timeout;
    ev_timer_again(loop, &c->idle); /* starts the timer: repeat seconds from now */
    c->next = srv.conns;
    if (c->next)
        c->next->prev = c;
    srv.conns = c;
    note(c->id, "opened");
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    printf("signal %d: shutting down\n", w->signum);
    fflush(stdout);
    ev_io_stop(loop, &srv.accept_w);
    ev_signal_stop(loop, &srv.sigint_w);
    ev_signal_stop(loop, &srv.sigterm_w);
    ev_ref(loop);
    ev_signal_stop(loop, &srv.sigusr1_w);
    metrics_http_stop(loop, &srv.metrics);
    while (srv.conns)
        conn_close(loop, srv.conns, "shutdown");
    ev_break(loop, EVBREAK_ALL);
}

static void metrics_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct ev_metrics m;
    (void)w;
    (void)revents;
    ev_metrics_get(loop, &m, sizeof m);
    metrics_print(stdout, "loop", &m);
}

static size_t render_metrics(char *buf, size_t size, void *arg)
{
    struct ev_metrics m;
    ev_metrics_get((struct ev_loop *)arg, &m, sizeof m);
    return ev_metrics_prometheus(buf, size, &m, NULL, 1);
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-a address] [-p port] [-t idle_seconds] [-q] [--metrics-port port]\n",
            prog);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *address = "127.0.0.1";
    int port = 0, opt, metrics_port = -1;
    srv.idle_timeout = 10.;
    static const struct option longopts[] = {{"metrics-port", required_argument, NULL, 'M'},
                                             {NULL, 0, NULL, 0}};
    while ((opt = getopt_long(argc, argv, "a:p:t:q", longopts, NULL)) != -1) {
        switch (opt) {
        case 'M':
            metrics_port = atoi(optarg);
            if (metrics_port < 0 || metrics_port > 65535)
                usage(argv[0]);
            break;
        case 'a':
            address = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 't':
            srv.idle_timeout = atof(optarg);
            break;
        case 'q':
            srv.quiet = 1;
            break;
        default:
            usage(argv[0]);
        }
    }
    if (optind != argc || port < 0 || port > 65535 || !(srv.idle_timeout > 0.))
        usage(argv[0]);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
        fprintf(stderr, "echo_server: bad IPv4 address %s\n", address);
        return 2;
    }
    int one = 1;
    socklen_t len = sizeof addr;
    srv.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv.listen_fd < 0 ||
        setsockopt(srv.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(srv.listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(srv.listen_fd, 128) < 0 ||
        getsockname(srv.listen_fd, (struct sockaddr *)&addr, &len) < 0) {
        perror("echo_server");
        return 1;
    }

    struct ev_loop *loop = ev_default_loop(0);
    if (!loop) {
        fprintf(stderr, "echo_server: no event loop (bad LIBEV_FLAGS?)\n");
        return 1;
    }
    ev_io_init(&srv.accept_w, accept_cb, srv.listen_fd, EV_READ);
    ev_io_start(loop, &srv.accept_w);
    ev_signal_init(&srv.sigint_w, signal_cb, SIGINT);
    ev_signal_start(loop, &srv.sigint_w);
    ev_signal_init(&srv.sigterm_w, signal_cb, SIGTERM);
    ev_signal_start(loop, &srv.sigterm_w);
    ev_metrics_enable(loop, 1);
    ev_signal_init(&srv.sigusr1_w, metrics_cb, SIGUSR1);
    ev_signal_start(loop, &srv.sigusr1_w);
    ev_unref(loop); /* the metrics signal alone does not keep the server running */

    printf("listening on %s port %d\n", address, ntohs(addr.sin_port));
    if (metrics_port >= 0) {
        int got = metrics_http_start(loop, &srv.metrics, metrics_port, render_metrics, loop);
        if (got < 0)
            return 1;
        printf("metrics on 127.0.0.1 port %d\n", got);
    }
    fflush(stdout);
    ev_run(loop, 0);

    close(srv.listen_fd);
    ev_loop_destroy(loop);
    printf("bye\n");
    return 0;
}
