/*
 * bench_uv.c - the benchmarks on libuv (uv_poll_t for fds, uv_timer_t, uv_idle_t). Timeouts are
 * whole milliseconds in libuv.
 *
 *   bench_uv classic n=1000 a=100 w=1000 t=0 reps=8
 *   bench_uv timers n=1000000 | again n=100000 iters=5 | reset n=100000 | idle n=1000000 | ready
 * n=1000000 bench_uv memory n=10000
 */
#include <uv.h>

#include "bench.h"

static uv_loop_t *loop;
static int *fds;
static uv_poll_t *polls;
static uv_timer_t *tos;
static uint64_t *tos_ms;
static long count, fired, writes;

static void classic_timeout_cb(uv_timer_t *t)
{
    fprintf(stderr, "bench: a timeout fired\n");
    exit(2);
}

static void classic_read_cb(uv_poll_t *p, int status, int events)
{
    int idx = (int)(p - polls), widx = idx + 1;
    if (bench_drain(fds[idx]))
        count++;
    if (timeouts)
        uv_timer_start(&tos[idx], classic_timeout_cb, tos_ms[idx], 0);
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
    polls = (uv_poll_t *)calloc((size_t)n, sizeof *polls);
    tos = (uv_timer_t *)calloc((size_t)n, sizeof *tos);
    tos_ms = (uint64_t *)calloc((size_t)n, sizeof *tos_ms);
    for (int i = 0; i < n; i++) {
        uv_poll_init(loop, &polls[i], fds[i]);
        uv_timer_init(loop, &tos[i]);
    }
    for (int r = -1; r < reps; r++) {
        bench_begin();
        for (int i = 0; i < n; i++) {
            if (timeouts) {
                uv_timer_stop(&tos[i]);
                tos_ms[i] = (uint64_t)((100. + bench_drand() * 50.) * 1000.);
                uv_timer_start(&tos[i], classic_timeout_cb, tos_ms[i], 0);
            }
            uv_poll_stop(&polls[i]);
            uv_poll_start(&polls[i], UV_READABLE, classic_read_cb);
        }
        uv_run(loop, UV_RUN_NOWAIT);
        double ts = bench_end("setup");

        int space = n / a;
        fired = 0;
        bench_begin();
        for (int i = 0; i < a; i++, fired++)
            bench_poke(fds[i * space]);
        count = 0;
        writes = w;
        do
            uv_run(loop, UV_RUN_NOWAIT);
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

static void timer_cb(uv_timer_t *t) {}

static void timers(void)
{
    uv_timer_t *t = (uv_timer_t *)malloc(sizeof *t * (size_t)n);
    uint64_t *ms = (uint64_t *)malloc(sizeof *ms * (size_t)n);
    double ts[1], tp[1];
    for (int i = 0; i < n; i++) {
        uv_timer_init(loop, &t[i]);
        ms[i] = (uint64_t)((10. + bench_drand() * 1000.) * 1000.);
    }
    bench_begin();
    for (int i = 0; i < n; i++)
        uv_timer_start(&t[i], timer_cb, ms[i], 0);
    ts[0] = bench_end("start");
    bench_begin();
    for (int i = 0; i < n; i++)
        uv_timer_stop(&t[i]);
    tp[0] = bench_end("stop");
    bench_report("start", ts, 1, n);
    bench_report("stop", tp, 1, n);
}

static long fires;

static void again_cb(uv_timer_t *t)
{
    fires++;
    uv_timer_again(t);
}

static void again(void)
{
    int iters = (int)bench_arg("iters", 5);
    uv_timer_t *t = (uv_timer_t *)malloc(sizeof *t * (size_t)n);
    double tt[1];
    for (int i = 0; i < n; i++) {
        uv_timer_init(loop, &t[i]);
        uv_timer_start(&t[i], again_cb, 1, 1);
    }
    uv_run(loop, UV_RUN_ONCE);
    fires = 0;
    bench_begin();
    for (int k = 0; k < iters; k++)
        uv_run(loop, UV_RUN_ONCE);
    tt[0] = bench_end("again");
    bench_report("again", tt, 1, (double)fires);
}

/* See bench_ev.c's reset. */
static void reset(void)
{
    long resets = bench_arg("resets", 1000000);
    uv_timer_t *t = (uv_timer_t *)malloc(sizeof *t * (size_t)n);
    double tt[1];
    for (int i = 0; i < n; i++) {
        uint64_t ms = 60000 + bench_rand() % 1000;
        uv_timer_init(loop, &t[i]);
        uv_timer_start(&t[i], timer_cb, ms, ms);
    }
    uv_timer_t **order = (uv_timer_t **)bench_reset_ptrs(resets, n, t, sizeof *t);
    bench_begin();
    for (long k = 0; k < resets; k += 64) {
        uv_update_time(loop);
        long end = k + 64 < resets ? k + 64 : resets;
        for (long j = k; j < end; j++)
            uv_timer_again(order[j]);
    }
    uv_run(loop, UV_RUN_NOWAIT);
    tt[0] = bench_end("reset");
    bench_report("reset", tt, 1, (double)resets);
}

static long iterations;

static void idle_cb(uv_idle_t *i)
{
    if (++iterations == n)
        uv_idle_stop(i);
}

static void idle(void)
{
    uv_idle_t i;
    double t[1];
    uv_idle_init(loop, &i);
    uv_idle_start(&i, idle_cb);
    bench_begin();
    uv_run(loop, UV_RUN_DEFAULT);
    t[0] = bench_end("idle");
    bench_report("idle", t, 1, (double)iterations);
}

static void ready_cb(uv_poll_t *p, int status, int events)
{
    if (++iterations == n)
        uv_poll_stop(p);
}

static void ready(void)
{
    int *p = bench_fds(1);
    uv_poll_t poll;
    double t[1];
    bench_poke(p[0]);
    uv_poll_init(loop, &poll, p[0]);
    uv_poll_start(&poll, UV_READABLE, ready_cb);
    uv_run(loop, UV_RUN_NOWAIT);
    iterations = 0;
    bench_begin();
    uv_run(loop, UV_RUN_DEFAULT);
    t[0] = bench_end("ready");
    bench_report("ready", t, 1, (double)iterations);
}

static void memory(void)
{
    int *p = bench_fds(n);
    uv_poll_t *io = (uv_poll_t *)calloc((size_t)n, sizeof *io);
    uv_timer_t *t = (uv_timer_t *)calloc((size_t)n, sizeof *t);
    long h0 = bench_heap_bytes();
    for (int i = 0; i < n; i++) {
        uv_poll_init(loop, &io[i], p[i]);
        uv_poll_start(&io[i], UV_READABLE, classic_read_cb);
    }
    uv_run(loop, UV_RUN_NOWAIT);
    long h1 = bench_heap_bytes();
    for (int i = 0; i < n; i++) {
        uv_timer_init(loop, &t[i]);
        uv_timer_start(&t[i], timer_cb, 100000 + (uint64_t)i, 0);
    }
    long h2 = bench_heap_bytes();
    printf("size.io %zu\nsize.timer %zu\nheap.io %.1f\nheap.timer %.1f\n", sizeof(uv_poll_t),
           sizeof(uv_timer_t), (double)(h1 - h0) / n, (double)(h2 - h1) / n);
}

static int setup(void)
{
    loop = uv_default_loop();
    printf("method libuv-%s\n", uv_version_string());
    return 0;
}

int main(int argc, char **argv)
{
    static const struct bench_test tests[] = {
        {"classic", classic}, {"timers", timers}, {"again", again},   {"reset", reset},
        {"idle", idle},       {"ready", ready},   {"memory", memory}, {NULL, NULL}};
    return bench_main(argc, argv, tests, setup);
}
