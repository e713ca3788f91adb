/*
 * client.c - a loopback TCP client for the example smoke tests (no ev inside, so it tests the
 * servers and not itself).
 *
 *   client port step...
 *
 * Connects to 127.0.0.1:port and performs the steps in order:
 *   send:TEXT  send TEXT and expect exactly TEXT back
 *   big:N      stream N pseudo-random bytes while reading, and expect them all back in order
 *   eof        expect the server to close the connection (end of file) without sending more
 *   sleep:S    sleep S seconds
 * Every wait is bounded by 120 seconds. Prints "done STEP" after each step, and "ok" and exits 0
 * when every step passed, else prints what went wrong and exits 1.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 120000

static int fd;

static void fail(const char *what)
{
    printf("FAIL: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(1);
}

/* Waits until fd is ready for events; fails after WAIT_MS. */
static short wait_for(short events)
{
    struct pollfd p = {fd, events, 0};
    int r;
    do
        r = poll(&p, 1, WAIT_MS);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
        errno = 0;
        fail("timed out");
    }
    if (r < 0)
        fail("poll");
    return p.revents;
}

static void expect_bytes(const char *want, size_t n)
{
    char buf[4096];
    size_t got = 0;
    while (got < n) {
        wait_for(POLLIN);
        size_t chunk = n - got < sizeof buf ? n - got : sizeof buf;
        ssize_t r = recv(fd, buf, chunk, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            fail(r == 0 ? "connection closed before the echo" : "recv");
        }
        if (memcmp(buf, want + got, (size_t)r) != 0) {
            errno = 0;
            fail("echo differs");
        }
        got += (size_t)r;
    }
}

static void step_send(const char *text)
{
    size_t n = strlen(text);
    if (send(fd, text, n, MSG_NOSIGNAL) != (ssize_t)n)
        fail("send");
    expect_bytes(text, n);
}

static void step_big(size_t n)
{
    unsigned char *data = malloc(n ? n : 1), *back = malloc(n ? n : 1);
    if (!data || !back)
        fail("malloc");
    unsigned int x = 12345;
    for (size_t i = 0; i < n; ++i) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    size_t sent = 0, got = 0;
    while (got < n) {
        short re = wait_for(sent < n ? (POLLIN | POLLOUT) : POLLIN);
        if ((re & POLLOUT) && sent < n) {
            ssize_t r = send(fd, data + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                fail("send");
            if (r > 0)
                sent += (size_t)r;
        }
        if (re & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, back + got, n - got, MSG_DONTWAIT);
            if (r == 0) {
                errno = 0;
                fail("connection closed during the stream");
            }
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                fail("recv");
            if (r > 0)
                got += (size_t)r;
        }
    }
    if (memcmp(data, back, n) != 0) {
        errno = 0;
        fail("streamed echo differs");
    }
    free(data);
    free(back);
}

static void step_eof(void)
{
    char c;
    for (;;) {
        wait_for(POLLIN);
        ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
        if (r == 0)
            return;
        if (r > 0) {
            errno = 0;
            fail("unexpected data instead of end of file");
        }
        if (errno == ECONNRESET)
            return; /* closed with unread data: also a close */
        if (errno != EAGAIN && errno != EINTR)
            fail("recv");
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s port step...\n", argv[0]);
        return 2;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        fail("connect");
    for (int i = 2; i < argc; ++i) {
        const char *s = argv[i];
        if (strncmp(s, "send:", 5) == 0)
            step_send(s + 5);
        else if (strncmp(s, "big:", 4) == 0)
            step_big((size_t)strtoul(s + 4, NULL, 10));
        else if (strcmp(s, "eof") == 0)
            step_eof();
        else if (strncmp(s, "sleep:", 6) == 0) {
            double d = atof(s + 6);
            struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        } else {
            fprintf(stderr, "client: unknown step %s\n", s);
            return 2;
        }
        printf("done %s\n", s);
        fflush(stdout);
    }
    close(fd);
    printf("ok\n");
    return 0;
}
