/*
 * bench_event.c - the benchmarks on the libevent 1.x API (<event.h>). Built three times: against
 * ev's shim (//ev:event), libev 4.33's emulation (libev-libevent-dev's event.h + libev.so.4) and
 * libevent 2.1. The libevent API has no idle watcher, so "idle" is not run here.
 *
 *   bench_event classic n=1000 a=100 w=1000 t=0 reps=8
 *   bench_event timers n=1000000 | again n=100000 iters=5 | reset n=100000 | ready n=1000000 |
 * memory n=10000
 */
#include <sys/time.h>

#include <event.h>

#include "bench.h"

static int *fds;
static struct event *evs;
static struct timeval *tvs;
static long count, fired, writes;

static void classic_read_cb(int fd, short which, void *arg)
{
    int idx = (int)(intptr_t)arg, widx = idx + 1;
    if (which & EV_TIMEOUT) {
        fprintf(stderr, "bench: a timeout fired\n");
        exit(2);
    }
    if (bench_drain(fd))
        count++;
    if (timeouts)
        event_add(&evs[idx], &tvs[idx]); /* re-arms the timeout */
    if (writes) {
        if (widx >= n)
            widx -= n;
        bench_poke(fds[widx]);
        writes--;
        fired++;
    }
}

static void classic(void)
{
    int reps = (int)bench_arg("reps", 8);
    double setup[BENCH_MAX_REPS], events[BENCH_MAX_REPS];
    fds = bench_fds(n);
    evs = (struct event *)calloc((size_t)n, sizeof *evs);
    tvs = (struct timeval *)calloc((size_t)n, sizeof *tvs);
    for (int r = -1; r < reps; r++) {
        bench_begin();
        for (int i = 0; i < n; i++) {
            if (r >= 0)
                event_del(&evs[i]);
            event_set(&evs[i], fds[i], EV_READ | EV_PERSIST, classic_read_cb, (void *)(intptr_t)i);
            if (timeouts) {
                double t = 100. + bench_drand() * 50.;
                tvs[i].tv_sec = (long)t;
                tvs[i].tv_usec = (long)((t - (long)t) * 1e6);
            }
            event_add(&evs[i], timeouts ? &tvs[i] : NULL);
        }
        event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
        double ts = bench_end("setup");

        int space = n / a;
        fired = 0;
        bench_begin();
        for (int i = 0; i < a; i++, fired++)
            bench_poke(fds[i * space]);
        count = 0;
        writes = w;
        do
            event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
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

static void timer_cb(int fd, short which, void *arg) {}

static void timers(void)
{
    struct event *t = (struct event *)malloc(sizeof *t * (size_t)n);
    struct timeval *tv = (struct timeval *)malloc(sizeof *tv * (size_t)n);
    double ts[1], tp[1];
    for (int i = 0; i < n; i++) {
        double d = 10. + bench_drand() * 1000.;
        tv[i].tv_sec = (long)d;
        tv[i].tv_usec = (long)((d - (long)d) * 1e6);
        evtimer_set(&t[i], timer_cb, NULL);
    }
    bench_begin();
    for (int i = 0; i < n; i++)
        evtimer_add(&t[i], &tv[i]);
    ts[0] = bench_end("start");
    bench_begin();
    for (int i = 0; i < n; i++)
        evtimer_del(&t[i]);
    tp[0] = bench_end("stop");
    bench_report("start", ts, 1, n);
    bench_report("stop", tp, 1, n);
}

static long fires;
static struct timeval again_tv = {0, 1};

static void again_cb(int fd, short which, void *arg)
{
    fires++;
    evtimer_add((struct event *)arg, &again_tv);
}

static void again(void)
{
    int iters = (int)bench_arg("iters", 5);
    struct event *t = (struct event *)malloc(sizeof *t * (size_t)n);
    double tt[1];
    for (int i = 0; i < n; i++) {
        evtimer_set(&t[i], again_cb, &t[i]);
        evtimer_add(&t[i], &again_tv);
    }
    event_loop(EVLOOP_ONCE);
    fires = 0;
    bench_begin();
    for (int k = 0; k < iters; k++)
        event_loop(EVLOOP_ONCE);
    tt[0] = bench_end("again");
    bench_report("again", tt, 1, (double)fires);
}

/* See bench_ev.c's reset: evtimer_add of an added event moves its timeout (libevent reads the
 * clock in every evtimer_add outside the loop; ev's shim and libev's emulation use the loop's
 * time, so no clock update is added here). */
static void reset(void)
{
    long resets = bench_arg("resets", 1000000);
    struct event *t = (struct event *)malloc(sizeof *t * (size_t)n);
    struct timeval *tv = (struct timeval *)malloc(sizeof *tv * (size_t)n);
    double tt[1];
    for (int i = 0; i < n; i++) {
        tv[i].tv_sec = 60;
        tv[i].tv_usec = (long)(bench_rand() % 1000000);
        evtimer_set(&t[i], timer_cb, &t[i]);
        evtimer_add(&t[i], &tv[i]);
    }
    int *idx = bench_reset_order(resets, n);
    bench_begin();
    for (long k = 0; k < resets; k++)
        evtimer_add(&t[idx[k]], &tv[idx[k]]);
    event_loop(EVLOOP_NONBLOCK);
    tt[0] = bench_end("reset");
    bench_report("reset", tt, 1, (double)resets);
}

static long iterations;

static void ready_cb(int fd, short which, void *arg)
{
    if (++iterations == n)
        event_del((struct event *)arg);
}

static void ready(void)
{
    int *p = bench_fds(1);
    struct event e;
    double t[1];
    bench_poke(p[0]);
    event_set(&e, p[0], EV_READ | EV_PERSIST, ready_cb, &e);
    event_add(&e, NULL);
    event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
    iterations = 0;
    bench_begin();
    event_dispatch();
    t[0] = bench_end("ready");
    bench_report("ready", t, 1, (double)iterations);
}

static void memory(void)
{
    int *p = bench_fds(n);
    struct event *e = (struct event *)calloc((size_t)n, sizeof *e);
    struct event *t = (struct event *)calloc((size_t)n, sizeof *t);
    struct timeval tv = {100, 0};
    long h0 = bench_heap_bytes();
    for (int i = 0; i < n; i++) {
        event_set(&e[i], p[i], EV_READ | EV_PERSIST, classic_read_cb, NULL);
        event_add(&e[i], NULL);
    }
    event_loop(EVLOOP_ONCE | EVLOOP_NONBLOCK);
    long h1 = bench_heap_bytes();
    for (int i = 0; i < n; i++) {
        evtimer_set(&t[i], timer_cb, NULL);
        tv.tv_usec = i;
        evtimer_add(&t[i], &tv);
    }
    long h2 = bench_heap_bytes();
    printf("size.io %zu\nsize.timer %zu\nheap.io %.1f\nheap.timer %.1f\n", sizeof(struct event),
           sizeof(struct event), (double)(h1 - h0) / n, (double)(h2 - h1) / n);
}

static int setup(void)
{
    if (!event_init()) {
        fprintf(stderr, "bench: event_init failed\n");
        return 1;
    }
    printf("method %s\n", event_get_method());
    return 0;
}

int main(int argc, char **argv)
{
    static const struct bench_test tests[] = {
        {"classic", classic}, {"timers", timers}, {"again", again}, {"reset", reset},
        {"ready", ready},     {"memory", memory}, {NULL, NULL}};
    return bench_main(argc, argv, tests, setup);
}
