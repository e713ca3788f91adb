/*
 * event_bench.c - the classic libevent 1.x benchmark shape (after libevent's
 * test/bench.c, written anew): n socketpairs each with a persistent read
 * event, a active ones seeded with one byte each, and every callback passes a
 * byte on to the next pair until w writes are done. Each round re-sets and
 * re-adds all events, then times only the dispatching. Builds unchanged
 * against //ev:event.
 *
 * usage: event_bench [-n pairs] [-a active] [-w writes] [-r rounds] [-t]
 * (-t: add every event with a 10 s timeout too, as bench.c's timeout mode.)
 * Prints one line per round, "round R: N us, C reads"; exits 1 if a round
 * read a different number of bytes than it wrote.
 */
#include <event.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int num_pipes = 100, num_active = 1, num_writes = 100;
static int use_timeouts;
static int *pipes; /* 2 per pair: [2i] is read, [2i+1] is written */
static struct event *events;
static int count, writes, fired;

static void read_cb(int fd, short which, void *arg)
{
    intptr_t idx = (intptr_t)arg;
    char ch;
    if (read(fd, &ch, 1) == 1)
        ++count;
    if (writes) {
        intptr_t next = idx + 1;
        if (next >= num_pipes)
            next -= num_pipes;
        if (write(pipes[2 * next + 1], "e", 1) == 1) {
            --writes;
            ++fired;
        }
    }
}

static long run_once(void)
{
    struct timeval tv = {10, 0};
    for (int i = 0; i < num_pipes; ++i) {
        if (event_initialized(&events[i]))
            event_del(&events[i]);
        event_set(&events[i], pipes[2 * i], EV_READ | EV_PERSIST, read_cb, (void *)(intptr_t)i);
        event_add(&events[i], use_timeouts ? &tv : NULL);
    }
    event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);

    fired = 0;
    int space = num_pipes / num_active;
    for (int i = 0; i < num_active; ++i, ++fired)
        if (write(pipes[2 * (i * space) + 1], "e", 1) != 1)
            --fired;
    count = 0;
    writes = num_writes;

    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    while (count != fired)
        event_loop(EVLOOP_ONCE);
    gettimeofday(&t1, NULL);
    return (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_usec - t0.tv_usec);
}

int event_bench_main(int argc, char **argv)
{
    int rounds = 25;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (!strcmp(a, "-t")) {
            use_timeouts = 1;
        } else if (i + 1 < argc &&
                   (!strcmp(a, "-n") || !strcmp(a, "-a") || !strcmp(a, "-w") || !strcmp(a, "-r"))) {
            int v = atoi(argv[++i]);
            if (a[1] == 'n')
                num_pipes = v;
            else if (a[1] == 'a')
                num_active = v;
            else if (a[1] == 'w')
                num_writes = v;
            else
                rounds = v;
        } else {
            fprintf(stderr, "usage: %s [-n pairs] [-a active] [-w writes] [-r rounds] [-t]\n",
                    argv[0]);
            return 2;
        }
    }
    if (num_pipes < 1 || num_active < 1 || num_active > num_pipes || num_writes < 0) {
        fprintf(stderr, "event_bench: need 1 <= active <= pairs, writes >= 0\n");
        return 2;
    }

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(2 * num_pipes + 50)) {
        rl.rlim_cur = (rlim_t)(2 * num_pipes + 50);
        if (rl.rlim_max < rl.rlim_cur)
            rl.rlim_max = rl.rlim_cur;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            perror("event_bench: setrlimit");
            return 1;
        }
    }

    events = calloc((size_t)num_pipes, sizeof *events);
    pipes = calloc((size_t)num_pipes * 2, sizeof *pipes);
    if (!events || !pipes) {
        perror("event_bench: calloc");
        return 1;
    }
    event_init();
    for (int i = 0; i < num_pipes; ++i) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, &pipes[2 * i]) < 0) {
            perror("event_bench: socketpair");
            return 1;
        }
    }

    int bad = 0;
    for (int r = 0; r < rounds; ++r) {
        long us = run_once();
        printf("round %d: %ld us, %d reads\n", r, us, count);
        if (count != num_active + num_writes)
            bad = 1;
    }
    fflush(stdout);

    for (int i = 0; i < num_pipes; ++i) {
        event_del(&events[i]);
        close(pipes[2 * i]);
        close(pipes[2 * i + 1]);
    }
    free(events);
    free(pipes);
    return bad;
}

#ifndef EVENT_EXAMPLE_NO_MAIN
int main(int argc, char **argv)
{
    return event_bench_main(argc, argv);
}
#endif
