/*
 * mt_server.c - a multi-threaded TCP echo server: one event loop per thread.
 *
 *   mt_server [-a address] [-p port] [-w workers] [-r] [-q] [--metrics-port port]
 *
 * The main thread runs the default loop with the listening socket and the signal watchers. It
 * accepts connections and hands each one, round robin, to a worker thread: the fd goes into the
 * worker's queue (a mutex-protected list) and ev_async_send wakes the worker's loop, which was
 * made with ev_loop_new and is touched by no other thread. The worker's async callback takes the
 * fds out of the queue and serves them (echo, with back-pressure).
 *
 * With -r (Linux, BSD) there is no acceptor: every worker has a listening socket of its own on the
 * same port (SO_REUSEPORT), and the kernel spreads the connections over them. The main thread
 * keeps only the signal watchers; ev_async is then used only for the request to quit.
 *
 * Prints "listening on <address> port <n>", then "worker <k>: connection <n>" for every
 * connection a worker takes on (unless -q). SIGINT or SIGTERM: the acceptor stops, asks every
 * worker to quit (a flag under the queue's mutex, then ev_async_send), joins the threads (each
 * closes its connections and destroys its loop) and exits with status 0.
 *
 * Loop metrics (ev_metrics.h) are on for every loop. SIGUSR1 prints one line per loop ("metrics
 * acceptor: ...", "metrics worker <k>: ..."), so an imbalance between the threads shows in their
 * utilization; --metrics-port serves the same as Prometheus text (label loop="acceptor" or
 * loop="worker-<k>") on 127.0.0.1:port from the main loop. The main thread reads a worker's
 * loop under the documented locking rule: each worker holds its loop_mu while it runs, and its
 * loop's release/acquire callbacks drop and retake it around the poll.
 */
#define _GNU_SOURCE 1
#include <ev.h>
#include <ev_metrics.h>

#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    ev_io io; /* first member: the callback gets the connection from its watcher */
    struct conn *prev, *next;
    char buf[16384];
    size_t len, off; /* buf[off..len) still to be written back */
};

struct fd_node {
    int fd;
    struct fd_node *next;
};

struct worker {
    int id;
    pthread_t thread;
    struct ev_loop *loop;
    ev_async wake;
    ev_io accept; /* -r: the worker's own listening socket */
    struct conn *conns;
    unsigned long served;
    pthread_mutex_t loop_mu; /* held by the worker except while its loop polls */
    /* Shared with the acceptor, under mu: */
    pthread_mutex_t mu;
    struct fd_node *head, *tail;
    int quit;
};

static int quiet;
static struct worker *workers;
static int nworkers;

/* ---- in a worker thread ---- */

static void conn_close(struct worker *wk, struct conn *c)
{
    ev_io_stop(wk->loop, &c->io);
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        wk->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

static void conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct worker *wk = ev_userdata(loop);
    struct conn *c = (struct conn *)w;
    (void)revents;
    if (c->len == 0) {
        ssize_t n = read(w->fd, c->buf, sizeof c->buf);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0) {
            conn_close(wk, c);
            return;
        }
        c->len = (size_t)n;
        c->off = 0;
    }
    while (c->off < c->len) {
        ssize_t n = send(w->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) {
            conn_close(wk, c);
            return;
        }
        c->off += (size_t)n;
    }
    if (c->off == c->len)
        c->len = c->off = 0;
    int want = c->len ? EV_WRITE : EV_READ;
    if (w->events != want) {
        ev_io_stop(loop, w);
        ev_io_set(w, w->fd, want);
        ev_io_start(loop, w);
    }
}

static void serve(struct worker *wk, int fd)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    ev_io_init(&c->io, conn_cb, fd, EV_READ);
    ev_io_start(wk->loop, &c->io);
    c->next = wk->conns;
    if (c->next)
        c->next->prev = c;
    wk->conns = c;
    ++wk->served;
    if (!quiet) {
        printf("worker %d: connection %lu\n", wk->id, wk->served);
        fflush(stdout);
    }
}

/* Woken by the acceptor: new connections, or the request to quit. */
static void wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    struct worker *wk = ev_userdata(loop);
    (void)w;
    (void)revents;
    pthread_mutex_lock(&wk->mu);
    struct fd_node *list = wk->head;
    wk->head = wk->tail = NULL;
    int quit = wk->quit;
    pthread_mutex_unlock(&wk->mu);
    while (list) {
        struct fd_node *next = list->next;
        if (quit)
            close(list->fd);
        else
            serve(wk, list->fd);
        free(list);
        list = next;
    }
    if (quit) {
        if (ev_is_active(&wk->accept)) {
            ev_io_stop(loop, &wk->accept);
            close(wk->accept.fd);
        }
        while (wk->conns)
            conn_close(wk, wk->conns);
        ev_async_stop(loop, &wk->wake);
        ev_break(loop, EVBREAK_ALL);
    }
}

/* -r: a connection on the worker's own listening socket. */
static void worker_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
        serve(ev_userdata(loop), fd);
}

static void loop_release(struct ev_loop *loop)
{
    struct worker *wk = ev_userdata(loop);
    pthread_mutex_unlock(&wk->loop_mu);
}

static void loop_acquire(struct ev_loop *loop)
{
    struct worker *wk = ev_userdata(loop);
    pthread_mutex_lock(&wk->loop_mu);
}

static void *worker_main(void *arg)
{
    struct worker *wk = arg;
    pthread_mutex_lock(&wk->loop_mu);
    ev_run(wk->loop, 0);
    ev_loop_destroy(wk->loop);
    pthread_mutex_unlock(&wk->loop_mu);
    if (!quiet) {
        printf("worker %d: stopped after %lu connections\n", wk->id, wk->served);
        fflush(stdout);
    }
    return NULL;
}

/* ---- in the main thread ---- */

static void hand_over(struct worker *wk, int fd)
{
    struct fd_node *n = malloc(sizeof *n);
    if (!n) {
        close(fd);
        return;
    }
    n->fd = fd;
    n->next = NULL;
    pthread_mutex_lock(&wk->mu);
    if (wk->tail)
        wk->tail->next = n;
    else
        wk->head = n;
    wk->tail = n;
    pthread_mutex_unlock(&wk->mu);
    ev_async_send(wk->loop, &wk->wake); /* thread-safe; several sends may wake it once */
}

static ev_io accept_w;
static ev_signal sigint_w, sigterm_w, sigusr1_w;
static struct metrics_http metrics_w;

/* Every loop's metrics: the acceptor's (the main loop), then each worker's, read under its lock. */
static void all_metrics(struct ev_loop *loop, struct ev_metrics *ms)
{
    ev_metrics_get(loop, &ms[0], sizeof ms[0]);
    for (int i = 0; i < nworkers; ++i) {
        pthread_mutex_lock(&workers[i].loop_mu);
        ev_metrics_get(workers[i].loop, &ms[i + 1], sizeof ms[i + 1]);
        pthread_mutex_unlock(&workers[i].loop_mu);
    }
}

static void metrics_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)w;
    (void)revents;
    struct ev_metrics *ms = calloc((size_t)nworkers + 1, sizeof *ms);
    if (!ms)
        return;
    all_metrics(loop, ms);
    metrics_print(stdout, "acceptor", &ms[0]);
    for (int i = 0; i < nworkers; ++i) {
        char name[32];
        snprintf(name, sizeof name, "worker %d", i);
        metrics_print(stdout, name, &ms[i + 1]);
    }
    free(ms);
}

static size_t render_metrics(char *buf, size_t size, void *arg)
{
    struct ev_loop *loop = arg;
    size_t n = (size_t)nworkers + 1, len = 0;
    struct ev_metrics *ms = calloc(n, sizeof *ms);
    char(*names)[48] = calloc(n, sizeof *names);
    const char **labels = calloc(n, sizeof *labels);
    if (ms && names && labels) {
        all_metrics(loop, ms);
        for (size_t i = 0; i < n; ++i) {
            if (i == 0)
                snprintf(names[i], sizeof names[i], "loop=\"acceptor\"");
            else
                snprintf(names[i], sizeof names[i], "loop=\"worker-%zu\"", i - 1);
            labels[i] = names[i];
        }
        len = ev_metrics_prometheus(buf, size, ms, labels, (int)n);
    } else if (size) {
        buf[0] = 0;
    }
    free(ms);
    free(names);
    free(labels);
    return len;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    static unsigned long next;
    (void)loop;
    (void)revents;
    int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
        hand_over(&workers[next++ % (unsigned long)nworkers], fd);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    printf("signal %d: shutting down\n", w->signum);
    fflush(stdout);
    ev_io_stop(loop, &accept_w);
    ev_signal_stop(loop, &sigint_w);
    ev_signal_stop(loop, &sigterm_w);
    ev_ref(loop);
    ev_signal_stop(loop, &sigusr1_w);
    metrics_http_stop(loop, &metrics_w); /* no more reads of the workers' loops from here on */
    for (int i = 0; i < nworkers; ++i) {
        pthread_mutex_lock(&workers[i].mu);
        workers[i].quit = 1;
        pthread_mutex_unlock(&workers[i].mu);
        ev_async_send(workers[i].loop, &workers[i].wake);
    }
    ev_break(loop, EVBREAK_ALL);
}

/* A listening socket on addr; fills in the port the kernel chose. -1 (and a message) on error. */
static int listen_on(struct sockaddr_in *addr, int reuseport)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof *addr;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        perror("mt_server: socket");
        return -1;
    }
    if (reuseport) {
#ifdef SO_REUSEPORT
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
            perror("mt_server: SO_REUSEPORT");
            return -1;
        }
#else
        fprintf(stderr, "mt_server: no SO_REUSEPORT on this system\n");
        return -1;
#endif
    }
    if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
        perror("mt_server: bind/listen");
        return -1;
    }
    return fd;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-a address] [-p port] [-w workers] [-r] [-q] [--metrics-port port]\n",
            prog);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *address = "127.0.0.1";
    int port = 0, opt, reuseport = 0, metrics_port = -1;
    nworkers = 4;
    static const struct option longopts[] = {{"metrics-port", required_argument, NULL, 'M'},
                                             {NULL, 0, NULL, 0}};
    while ((opt = getopt_long(argc, argv, "a:p:w:rq", longopts, NULL)) != -1) {
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
        case 'w':
            nworkers = atoi(optarg);
            break;
        case 'r':
            reuseport = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            usage(argv[0]);
        }
    }
    if (optind != argc || port < 0 || port > 65535 || nworkers < 1 || nworkers > 1024)
        usage(argv[0]);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &addr.sin_addr) != 1) {
        fprintf(stderr, "mt_server: bad IPv4 address %s\n", address);
        return 2;
    }
    /* The listening socket: the acceptor's, or with -r worker 0's (the others then bind the
     * port it got). */
    int lfd = listen_on(&addr, reuseport);
    if (lfd < 0)
        return 1;

    /* The default loop and its signal watchers come first, so that the worker threads inherit
     * the signal mask the library set up (it blocks the signals when it reads them from a
     * signalfd, with EVFLAG_SIGNALFD or LIBEV_FLAGS). */
    struct ev_loop *loop = ev_default_loop(0);
    if (!loop) {
        fprintf(stderr, "mt_server: no event loop\n");
        return 1;
    }
    ev_signal_init(&sigint_w, signal_cb, SIGINT);
    ev_signal_start(loop, &sigint_w);
    ev_signal_init(&sigterm_w, signal_cb, SIGTERM);
    ev_signal_start(loop, &sigterm_w);
    ev_metrics_enable(loop, 1);
    ev_signal_init(&sigusr1_w, metrics_cb, SIGUSR1);
    ev_signal_start(loop, &sigusr1_w);
    ev_unref(loop); /* the metrics signal alone does not keep the server running */
    workers = calloc((size_t)nworkers, sizeof *workers);
    if (!workers)
        return 1;
    for (int i = 0; i < nworkers; ++i) {
        struct worker *wk = &workers[i];
        wk->id = i;
        pthread_mutex_init(&wk->mu, NULL);
        pthread_mutex_init(&wk->loop_mu, NULL);
        wk->loop = ev_loop_new(0);
        if (!wk->loop) {
            fprintf(stderr, "mt_server: ev_loop_new failed\n");
            return 1;
        }
        ev_set_userdata(wk->loop, wk);
        ev_metrics_enable(wk->loop, 1);
        ev_set_loop_release_cb(wk->loop, loop_release, loop_acquire);
        ev_async_init(&wk->wake, wake_cb);
        ev_async_start(wk->loop, &wk->wake);
        ev_init(&wk->accept, worker_accept_cb);
        if (reuseport) {
            /* Set up before the thread starts: pthread_create orders it before the thread. */
            int fd = i == 0 ? lfd : listen_on(&addr, 1);
            if (fd < 0)
                return 1;
            ev_io_set(&wk->accept, fd, EV_READ);
            ev_io_start(wk->loop, &wk->accept);
        }
        int err = pthread_create(&wk->thread, NULL, worker_main, wk);
        if (err) {
            fprintf(stderr, "mt_server: pthread_create: %s\n", strerror(err));
            return 1;
        }
    }

    if (!reuseport) {
        ev_io_init(&accept_w, accept_cb, lfd, EV_READ);
        ev_io_start(loop, &accept_w);
    }
    printf("listening on %s port %d with %d workers%s\n", address, ntohs(addr.sin_port), nworkers,
           reuseport ? " (SO_REUSEPORT)" : "");
    if (metrics_port >= 0) {
        int got = metrics_http_start(loop, &metrics_w, metrics_port, render_metrics, loop);
        if (got < 0)
            return 1;
        printf("metrics on 127.0.0.1 port %d\n", got);
    }
    fflush(stdout);
    ev_run(loop, 0);

    for (int i = 0; i < nworkers; ++i) {
        pthread_join(workers[i].thread, NULL);
        pthread_mutex_destroy(&workers[i].mu);
        pthread_mutex_destroy(&workers[i].loop_mu);
    }
    free(workers);
    if (!reuseport)
        close(lfd); /* with -r worker 0 closed it */
    ev_loop_destroy(loop);
    printf("bye\n");
    return 0;
}
