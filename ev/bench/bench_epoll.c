/*
 * bench_epoll.c - the floor: the same benchmarks on a bare epoll loop with a callback array and
 * no timers (level-triggered, one epoll_ctl per registration). "timers" and "again" do not
 * apply; "idle" is an epoll_wait(0) per iteration.
 *
 *   bench_epoll classic n=1000 a=100 w=1000 reps=8 | idle n=1000000 | ready n=1000000
 */
#include <sys/epoll.h>

#include "bench.h"

static int ep;

static int *fds;
static long count, fired, writes;
static struct epoll_event evbuf[64];

typedef void (*cb_t)(int idx);
static cb_t *cbs;

static void classic_read_cb(int idx)
{
    int widx = idx + 1;
    if (bench_drain(fds[idx]))
        count++;
    if (writes) {
        if (widx >= n)
            widx -= n;
        bench_poke(fds[widx]);
        writes--;
        fired++;
    }
}

/* One iteration: wait (timeout ms) and dispatch. */
static int run_once(int timeout)
{
    int k = epoll_wait(ep, evbuf, 64, timeout);
    for (int i = 0; i < k; i++) {
        int idx = (int)evbuf[i].data.u32;
        cbs[idx](idx);
    }
    return k;
}

static void classic(void)
{
    int reps = (int)bench_arg("reps", 8);
    double setup[BENCH_MAX_REPS], events[BENCH_MAX_REPS];
    fds = bench_fds(n);
    cbs = (cb_t *)calloc((size_t)n, sizeof *cbs);
    for (int r = -1; r < reps; r++) {
        bench_begin();
        for (int i = 0; i < n; i++) {
            struct epoll_event e;
            e.events = EPOLLIN;
            e.data.u32 = (uint32_t)i;
            cbs[i] = classic_read_cb;
            if (epoll_ctl(ep, r < 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fds[i], &e) < 0)
                bench_die("epoll_ctl");
        }
        run_once(0);
        double ts = bench_end("setup");

        int space = n / a;
        fired = 0;
        bench_begin();
        for (int i = 0; i < a; i++, fired++)
            bench_poke(fds[i * space]);
        count = 0;
        writes = w;
        do
            run_once(0);
        while (count != fired);
        double te = bench_end("events");
        if (r >= 0) {
            setup[r] = ts;
            events[r] = te;
        }
    }
    bench_report("setup", setup, reps, n);
    bench_report("events", events, reps, (double)a + w);
}

static long iterations;

static void idle(void)
{
    double t[1];
    bench_begin();
    for (iterations = 0; iterations < n; iterations++)
        run_once(0);
    t[0] = bench_end("idle");
    bench_report("idle", t, 1, (double)iterations);
}

static void ready_cb(int idx)
{
    iterations++;
}

static void ready(void)
{
    double t[1];
    fds = bench_fds(1);
    cbs = (cb_t *)calloc(1, sizeof *cbs);
    cbs[0] = ready_cb;
    bench_poke(fds[0]);
    struct epoll_event e;
    e.events = EPOLLIN;
    e.data.u32 = 0;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &e) < 0)
        bench_die("epoll_ctl");
    iterations = 0;
    bench_begin();
    while (iterations < n)
        run_once(-1);
    t[0] = bench_end("ready");
    bench_report("ready", t, 1, (double)iterations);
}

static int setup(void)
{
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
        bench_die("epoll_create1");
    printf("method epoll\n");
    return 0;
}

/* The bare loop has no timers: "classic" with t=1 does not apply either. */
static void classic_or_none(void)
{
    if (timeouts) {
        fprintf(stderr, "bench: timeouts do not apply to the bare epoll loop\n");
        exit(3);
    }
    classic();
}

int main(int argc, char **argv)
{
    static const struct bench_test tests[] = {
        {"classic", classic_or_none}, {"idle", idle}, {"ready", ready}, {NULL, NULL}};
    return bench_main(argc, argv, tests, setup);
}
