/*
 * diff_fuzzer.c - the differential fuzzer (issue #15): a libFuzzer target that runs each input
 * through diff_driver.c twice, in this process against ev (instrumented, so libFuzzer's coverage
 * is ev's) and in a persistent server process built against Debian's libev 4.33
 * (diff_driver_libev --server, which forks per input), and aborts when the traces differ,
 * printing both. The server's path is $DIFF_LIBEV_SERVER, or diff_driver_libev beside this
 * program.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diff_driver.h"

static char server_path[4096];
static pid_t server = -1;
static int to_server = -1, from_server = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *env = getenv("DIFF_LIBEV_SERVER");
    if (env) {
        snprintf(server_path, sizeof server_path, "%s", env);
    } else {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0)
            n = 0;
        self[n] = 0;
        snprintf(server_path, sizeof server_path, "%s/diff_driver_libev", dirname(self));
    }
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    /* libFuzzer starts its helper threads (the RSS watcher) after this: they inherit a mask
     * that blocks the signals of the program, so that SIGCHLD and SIGUSR1 reach the main
     * thread only, as in the libev side's single-threaded process (a signal blocked for a
     * signalfd loop must not be taken by another thread that leaves it at SIG_DFL). The main
     * thread unblocks them again before the first input. */
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGCHLD);
    sigaddset(&ss, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &ss, NULL);
    return 0;
}

static void start_server(void)
{
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0)
        abort();
    server = fork();
    if (server == 0) {
        dup2(a[0], 0);
        dup2(b[1], 1);
        close(a[0]);
        close(a[1]);
        close(b[0]);
        close(b[1]);
        execl(server_path, server_path, "--server", (char *)NULL);
        perror(server_path);
        _exit(127);
    }
    close(a[0]);
    close(b[1]);
    to_server = a[1];
    from_server = b[0];
}

static int io_all(int fd, void *buf, size_t n, int wr)
{
    char *p = buf;
    while (n) {
        ssize_t r = wr ? write(fd, p, n) : read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static char *libev_trace(const uint8_t *data, size_t size, size_t *len)
{
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (server < 0)
            start_server();
        uint32_t n = (uint32_t)size, l;
        if (io_all(to_server, &n, sizeof n, 1) == 0 &&
            io_all(to_server, (void *)data, size, 1) == 0 &&
            io_all(from_server, &l, sizeof l, 0) == 0) {
            char *t = malloc((size_t)l + 1);
            if (io_all(from_server, t, l, 0) == 0) {
                t[l] = 0;
                *len = l;
                return t;
            }
            free(t);
        }
        fprintf(stderr, "diff_fuzzer: libev server %s lost, restarting\n", server_path);
        close(to_server);
        close(from_server);
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        server = -1;
    }
    fprintf(stderr, "diff_fuzzer: libev server %s does not work\n", server_path);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    static int unblocked;
    if (!unblocked) {
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        sigaddset(&ss, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &ss, NULL);
        unblocked = 1;
    }
    size_t elen, llen;
    char *ev_t;
    diff_run(data, size, &ev_t, &elen);
    char *lib_t = libev_trace(data, size, &llen);
    if (elen != llen || memcmp(ev_t, lib_t, elen) != 0) {
        /* the first differing line, then both traces */
        size_t i = 0, line = 1, bol = 0;
        while (i < elen && i < llen && ev_t[i] == lib_t[i]) {
            if (ev_t[i] == '\n') {
                ++line;
                bol = i + 1;
            }
            ++i;
        }
        fprintf(stderr,
                "diff_fuzzer: traces differ at line %zu\n--- libev 4.33:\n%s\n--- ev:\n%s\n", line,
                lib_t, ev_t);
        fprintf(stderr, "--- first difference: libev \"%.*s\" / ev \"%.*s\"\n",
                (int)strcspn(lib_t + bol, "\n"), lib_t + bol, (int)strcspn(ev_t + bol, "\n"),
                ev_t + bol);
        abort();
    }
    free(ev_t);
    free(lib_t);
    return 0;
}
