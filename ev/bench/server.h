/*
 * server.h - what the HTTP/1.1 keep-alive benchmark servers share (server_ev.c on the libev API,
 * built against ev and against libev 4.33; server_uv.c on libuv; server_event2.c on libevent 2.1).
 * Each server answers every request on a connection with the same fixed 200 response, resets a
 * per-connection idle timeout on every request, and watches for writability only while output is
 * pending. ev/bench/server_bench.sh drives them with wrk on loopback.
 *
 *   server_X [port=0] [idle=10] [flags=0]     prints "port N" once it listens
 */
#ifndef EV_BENCH_SERVER_H_
#define EV_BENCH_SERVER_H_

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char srv_response[] = "HTTP/1.1 200 OK\r\n"
                                   "Content-Type: text/plain\r\n"
                                   "Content-Length: 13\r\n"
                                   "\r\n"
                                   "Hello, world!";
#define SRV_RESPONSE_LEN (sizeof srv_response - 1)

/* Output buffer size: a connection that would queue more stops reading until it drains. */
#define SRV_OUT_CAP (64 * 1024)

static inline long srv_arg(int argc, char **argv, const char *key, long dflt)
{
    size_t k = strlen(key);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], key, k) && argv[i][k] == '=')
            return strtol(argv[i] + k + 1, NULL, 10);
    return dflt;
}

static inline void srv_die(const char *what)
{
    fprintf(stderr, "server: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* A non-blocking listening socket on 127.0.0.1:port (0: any free port); prints "port N". */
static inline int srv_listen(int port)
{
    signal(SIGPIPE, SIG_IGN);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        srv_die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((unsigned short)port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        srv_die("bind");
    if (listen(fd, 4096) < 0)
        srv_die("listen");
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    printf("port %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

/* Accepts one connection (non-blocking, no Nagle); -1 when none is left or on error. */
static inline int srv_accept(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* Counts the ends of request heads ("\r\n\r\n") in buf, carrying the match state across reads
 * in *state (0..3: how much of the terminator the previous bytes matched). Bodies are not
 * supported: the benchmark sends GETs. */
static inline int srv_count_requests(const char *buf, size_t n, int *state)
{
    int s = *state, count = 0;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '\r')
            s = (s == 2) ? 3 : 1;
        else if (c == '\n' && (s == 1 || s == 3)) {
            if (s == 3) {
                count++;
                s = 0;
            } else
                s = 2;
        } else
            s = 0;
    }
    *state = s;
    return count;
}

/* Appends count responses to out (len *olen, capacity SRV_OUT_CAP); returns how many did not
 * fit (the caller keeps them owed and stops reading until the output drains). */
static inline int srv_queue(char *out, size_t *olen, int count)
{
    while (count > 0 && *olen + SRV_RESPONSE_LEN <= SRV_OUT_CAP) {
        memcpy(out + *olen, srv_response, SRV_RESPONSE_LEN);
        *olen += SRV_RESPONSE_LEN;
        count--;
    }
    return count;
}

#endif /* EV_BENCH_SERVER_H_ */
