/*
 * bench_ev.c - the benchmarks on the libev 4 API (<ev.h>). The same source is built against ev
 * and against libev 4.33; the runner also runs the libev build on ev's libev.so.4 (the drop-in).
 *
 *   bench_ev classic n=1000 a=100 w=1000 t=0 reps=8
 *   bench_ev timers n=1000000          start + stop of n timers with random timeouts
 *   bench_ev again n=100000 iters=5    n repeating timers fired and re-armed with ev_timer_again
 *   bench_ev reset n=100000 resets=1000000  n active timers re-armed in random order
 *   bench_ev idle n=1000000            loop iterations with one idle watcher
 *   bench_ev ready n=1000000           loop iterations with one always-readable fd
 *   bench_ev memory n=10000            watcher sizes and library heap per watcher
 *   bench_ev rereg n=1000 reps=10      n fds re-registered (stop, set, start) reps times
 */
#include <ev.h>

#include "bench.h"

static struct ev_loop *loop;
static int *fds;
static ev_io *ios;
static ev_timer *tos;
static long count, fired, writes;

static void classic_read_cb(struct ev_loop *l, ev_io *io, int revents)
{
    int idx = (int)(io - ios), widx = idx + 1;
    if (bench_drain(io->fd))
        count++;
    if (timeouts)
        ev_timer_again(l, &tos[idx]);
    if (writes) {
        if (widx >= n)
            widx -= n;
        bench_poke(fds[widx]);
        writes--;
        fired++;
    }
}

static void classic_timeout_cb(struct ev_loop *l, ev_timer *t, int revents)
{
    fprintf(stderr, "bench: a timeout fired\n");
    exit(2);
}

static void classic(void)
{
    int reps = (int)bench_arg("reps", 8);
    double setup[BENCH_MAX_REPS], events[BENCH_MAX_REPS];
    fds = bench_fds(n);
    ios = (ev_io *)calloc((size_t)n, sizeof *ios);
    tos = (ev_timer *)calloc((size_t)n, sizeof *tos);
    for (int i = 0; i < n; i++) {
        ev_io_init(&ios[i], classic_read_cb, fds[i], EV_READ);
        ev_init(&tos[i], classic_timeout_cb);
    }
    /* One untimed round first, so every library starts from its steady state. */
    for (int r = -1; r < reps; r++) {
        bench_begin();
        for (int i = 0; i < n; i++) {
            if (timeouts) {
                ev_timer_stop(loop, &tos[i]);
                tos[i].repeat = 100. + bench_drand() * 50.;
                ev_timer_again(loop, &tos[i]);
            }
            ev_io_stop(loop, &ios[i]);
            ev_io_set(&ios[i], fds[i], EV_READ);
            ev_io_start(loop, &ios[i]);
        }
        ev_run(loop, EVRUN_NOWAIT);
        double ts = bench_end("setup");

        int space = n / a;
        fired = 0;
        bench_begin();
        for (int i = 0; i < a; i++, fired++)
            bench_poke(fds[i * space]);
        count = 0;
        writes = w;
        do
            ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT);
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

static void timer_cb(struct ev_loop *l, ev_timer *t, int revents) {}

static void timers(void)
{
    ev_timer *t = (ev_timer *)malloc(sizeof *t * (size_t)n);
    double ts[1], tp[1];
    for (int i = 0; i < n; i++)
        ev_timer_init(&t[i], timer_cb, 10. + bench_drand() * 1000., 0.);
    bench_begin();
    for (int i = 0; i < n; i++)
        ev_timer_start(loop, &t[i]);
    ts[0] = bench_end("start");
    bench_begin();
    for (int i = 0; i < n; i++)
        ev_timer_stop(loop, &t[i]);
    tp[0] = bench_end("stop");
    bench_report("start", ts, 1, n);
    bench_report("stop", tp, 1, n);
    /* The same starts once more: the heap has its size now, so no page is touched first (the
     * first pass is mostly the kernel's page faults, for every library alike). */
    bench_begin();
    for (int i = 0; i < n; i++)
        ev_timer_start(loop, &t[i]);
    ts[0] = bench_end("restart");
    bench_report("restart", ts, 1, n);
}

static long fires;

static void again_cb(struct ev_loop *l, ev_timer *t, int revents)
{
    fires++;
    ev_timer_again(l, t);
}

static void again(void)
{
    int iters = (int)bench_arg("iters", 5);
    ev_timer *t = (ev_timer *)malloc(sizeof *t * (size_t)n);
    double tt[1];
    for (int i = 0; i < n; i++) {
        double r = 1e-9 + bench_drand() * 1e-6;
        ev_timer_init(&t[i], again_cb, r, r);
        ev_timer_start(loop, &t[i]);
    }
    ev_run(loop, EVRUN_ONCE); /* all due: the first round, untimed */
    fires = 0;
    bench_begin();
    for (int k = 0; k < iters; k++)
        ev_run(loop, EVRUN_ONCE);
    tt[0] = bench_end("again");
    bench_report("again", tt, 1, (double)fires);
}

/* The idle-timeout pattern: n active timers (60-61 s), reset with ev_timer_again in random order
 * while time passes (the loop's clock is updated every 64 resets, as a busy server's iterations
 * would). One loop iteration at the end is measured too: it pays for whatever a library left to
 * do. The order is an array of timer pointers drawn beforehand, so that the loop's own cost per
 * reset is small (6 instructions on x86-64) and the same for every library. */
/* floor=1: what any ev_timer_again has to touch in the watcher, and nothing else. */
static __attribute__((noinline)) void floor_again(ev_tstamp now, ev_timer *w)
{
    if (w->active && !w->pending && now + w->repeat >= w->at)
        w->at = now + w->repeat;
}

static void reset(void)
{
    long resets = bench_arg("resets", 1000000);
    ev_timer *t = (ev_timer *)malloc(sizeof *t * (size_t)n);
    double tt[1];
    for (int i = 0; i < n; i++) {
        ev_timer_init(&t[i], timer_cb, 0., 60. + bench_drand());
        ev_timer_again(loop, &t[i]);
    }
    ev_timer **order = (ev_timer **)bench_reset_ptrs(resets, n, t, sizeof *t);
    struct ev_loop *l = loop;
    if (bench_arg("floor", 0)) {
        /* The memory floor: the same loop over the same watchers, each touched the least any
         * ev_timer_again can (active and pending read, at and repeat read, at written), by a
         * function of this program's: no library in it but the clock update. */
        bench_begin();
        for (long k = 0; k < resets; k += 64) {
            ev_now_update(l);
            ev_tstamp now = ev_now(l);
            long end = k + 64 < resets ? k + 64 : resets;
            for (long j = k; j < end; j++)
                floor_again(now, order[j]);
        }
        tt[0] = bench_end("reset");
        bench_report("reset", tt, 1, (double)resets);
        return;
    }
    bench_begin();
    for (long k = 0; k < resets; k += 64) {
        ev_now_update(l);
        long end = k + 64 < resets ? k + 64 : resets;
        for (long j = k; j < end; j++)
            ev_timer_again(l, order[j]);
    }
    ev_run(l, EVRUN_NOWAIT);
    tt[0] = bench_end("reset");
    bench_report("reset", tt, 1, (double)resets);
}

static long iterations;

static void idle_cb(struct ev_loop *l, ev_idle *i, int revents)
{
    if (++iterations == n)
        ev_idle_stop(l, i);
}

static void idle(void)
{
    ev_idle i;
    double t[1];
    ev_idle_init(&i, idle_cb);
    ev_idle_start(loop, &i);
    bench_begin();
    ev_run(loop, 0);
    t[0] = bench_end("idle");
    bench_report("idle", t, 1, (double)iterations);
}

static void ready_cb(struct ev_loop *l, ev_io *io, int revents)
{
    if (++iterations == n)
        ev_io_stop(l, io);
}

static void ready(void)
{
    int *p = bench_fds(1);
    ev_io io;
    double t[1];
    bench_poke(p[0]);
    ev_io_init(&io, ready_cb, p[0], EV_READ);
    ev_io_start(loop, &io);
    ev_run(loop, EVRUN_NOWAIT); /* registration, untimed */
    iterations = 0;
    bench_begin();
    ev_run(loop, 0);
    t[0] = bench_end("ready");
    bench_report("ready", t, 1, (double)iterations);
}

/* n watched fds re-registered (stop, set, start) reps times, one loop
 * iteration after each pass: for system calls per re-registration. */
static void rereg(void)
{
    int reps = (int)bench_arg("reps", 10);
    int *p = bench_fds(n);
    ev_io *io = (ev_io *)calloc((size_t)n, sizeof *io);
    double t[1];
    for (int i = 0; i < n; i++) {
        ev_io_init(&io[i], classic_read_cb, p[i], EV_READ);
        ev_io_start(loop, &io[i]);
    }
    ev_run(loop, EVRUN_NOWAIT);
    bench_begin();
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < n; i++) {
            ev_io_stop(loop, &io[i]);
            ev_io_set(&io[i], p[i], EV_READ);
            ev_io_start(loop, &io[i]);
        }
        ev_run(loop, EVRUN_NOWAIT);
    }
    t[0] = bench_end("rereg");
    bench_report("rereg", t, 1, (double)n * reps);
}

static void memory(void)
{
    int *p = bench_fds(n);
    ev_io *io = (ev_io *)calloc((size_t)n, sizeof *io);
    ev_timer *t = (ev_timer *)calloc((size_t)n, sizeof *t);
    long h0 = bench_heap_bytes();
    for (int i = 0; i < n; i++) {
        ev_io_init(&io[i], classic_read_cb, p[i], EV_READ);
        ev_io_start(loop, &io[i]);
    }
    ev_run(loop, EVRUN_NOWAIT);
    long h1 = bench_heap_bytes();
    for (int i = 0; i < n; i++) {
        ev_timer_init(&t[i], timer_cb, 100. + i, 0.);
        ev_timer_start(loop, &t[i]);
    }
    long h2 = bench_heap_bytes();
    printf("size.io %zu\nsize.timer %zu\nheap.io %.1f\nheap.timer %.1f\n", sizeof(ev_io),
           sizeof(ev_timer), (double)(h1 - h0) / n, (double)(h2 - h1) / n);
}

static int setup(void)
{
    loop = ev_default_loop((unsigned)bench_arg("flags", 0));
    if (!loop) {
        fprintf(stderr, "bench: no loop\n");
        return 1;
    }
    printf("backend %u\n", ev_backend(loop));
    return 0;
}

int main(int argc, char **argv)
{
    static const struct bench_test tests[] = {
        {"classic", classic}, {"timers", timers}, {"again", again},
        {"reset", reset},     {"idle", idle},     {"ready", ready},
        {"memory", memory},   {"rereg", rereg},   {NULL, NULL}};
    /* floor=1 applies to the reset test only. */
    bench_argc = argc;
    bench_argv = argv;
    if (bench_arg("floor", 0) && (argc < 2 || strcmp(argv[1], "reset"))) {
        fprintf(stderr, "bench: floor=1 is for the reset test\n");
        return 3;
    }
    return bench_main(argc, argv, tests, setup);
}
