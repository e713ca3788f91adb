/*
 * event_echo.c - an echo server written the way libevent 1.x programs are:
 * event_init, event_set/event_add with EV_PERSIST, signal_set, event_dispatch,
 * event_loopexit. It builds unchanged against //ev:event.
 *
 * usage: event_echo [-n clients]
 * Listens on 127.0.0.1 (a port the kernel picks), prints
 * "listening on 127.0.0.1 port N", echoes whatever clients send, and exits
 * after the n-th client has disconnected (-n) or on SIGINT/SIGTERM, printing
 * "served N clients".
 */
#include <event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct client {
    struct event ev;
    char buf[4096];
};

static int max_clients; /* 0: serve until a signal */
static int served;

static void client_readable(int fd, short what, void *arg)
{
    struct client *c = arg;
    ssize_t n = read(fd, c->buf, sizeof c->buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        event_del(&c->ev);
        close(fd);
        free(c);
        if (++served == max_clients)
            event_loopexit(NULL);
        return;
    }
    /* Echo clients send little at a time: a blocking write is fine here. */
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(fd, c->buf + off, (size_t)(n - off));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        off += w;
    }
    fcntl(fd, F_SETFL, flags);
}

static void listener_readable(int fd, short what, void *arg)
{
    int cfd = accept(fd, NULL, NULL);
    if (cfd < 0)
        return;
    fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) | O_NONBLOCK);
    struct client *c = calloc(1, sizeof *c);
    if (!c) {
        close(cfd);
        return;
    }
    event_set(&c->ev, cfd, EV_READ | EV_PERSIST, client_readable, c);
    event_add(&c->ev, NULL);
}

static void on_signal(int signum, short what, void *arg)
{
    event_loopexit(NULL);
}

int event_echo_main(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            max_clients = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [-n clients]\n", argv[0]);
            return 2;
        }
    }

    event_init();

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;
    socklen_t len = sizeof sin;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(lfd, 16) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sin, &len) < 0) {
        perror("event_echo: listen");
        return 1;
    }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);

    struct event listener, sigint, sigterm;
    event_set(&listener, lfd, EV_READ | EV_PERSIST, listener_readable, NULL);
    event_add(&listener, NULL);
    signal_set(&sigint, SIGINT, on_signal, NULL);
    signal_add(&sigint, NULL);
    signal_set(&sigterm, SIGTERM, on_signal, NULL);
    signal_add(&sigterm, NULL);

    printf("listening on 127.0.0.1 port %d\n", ntohs(sin.sin_port));
    fflush(stdout);

    event_dispatch();

    event_del(&listener);
    signal_del(&sigint);
    signal_del(&sigterm);
    close(lfd);
    printf("served %d clients\n", served);
    fflush(stdout);
    return 0;
}

#ifndef EVENT_EXAMPLE_NO_MAIN
int main(int argc, char **argv)
{
    return event_echo_main(argc, argv);
}
#endif
