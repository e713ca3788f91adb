/*
 * bench.h - what every benchmark program shares: the clock, the result lines, the callgrind
 * markers, the socket pairs and the random numbers. One program per API (bench_ev.c for the
 * libev API, bench_event.c for the libevent 1.x API, bench_uv.c for libuv, bench_epoll.c for
 * a bare epoll loop) links against whichever library the runner (ev/bench/run.py) chose.
 *
 * A program runs one test, given on its command line, and prints "name value" lines:
 *   ns.<region> <nanoseconds per operation>    (wall time, median of the repetitions)
 *   ops.<region> <operations per repetition>
 *   ...other facts (bytes) with their own names.
 * Under callgrind (--collect-atstart=no) only the measured regions are counted, and every region
 * is dumped on its own ("region <name>"), so the runner divides instructions by ops.
 */
#ifndef EV_BENCH_BENCH_H_
#define EV_BENCH_BENCH_H_

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include) && !defined(BENCH_NO_CALLGRIND)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND 1
#endif
#endif
#ifndef BENCH_HAVE_CALLGRIND
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(s)
#endif

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A measured region: instructions are collected only between begin and end. */
static double bench_region_start;

static inline void bench_begin(void)
{
    CALLGRIND_TOGGLE_COLLECT;
    bench_region_start = bench_now();
}

/* Returns the seconds spent; dumps the callgrind counts under the region's name. */
static inline double bench_end(const char *region)
{
    double t = bench_now() - bench_region_start;
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(region);
    (void)region;
    return t;
}

static inline void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* Repetitions of a region: the median is reported. */
#define BENCH_MAX_REPS 64

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Prints ns.<region> (median of seconds[] / ops) and ops.<region>. */
static inline void bench_report(const char *region, double *seconds, int reps, double ops)
{
    double m = bench_median(seconds, reps);
    printf("ns.%s %.3f\nops.%s %.0f\n", region, ops > 0 ? m * 1e9 / ops : 0.0, region, ops);
}

/* xorshift: the same pseudo-random sequence for every library. */
static uint64_t bench_rng = 88172645463325252ull;

static inline uint64_t bench_rand(void)
{
    bench_rng ^= bench_rng << 13;
    bench_rng ^= bench_rng >> 7;
    bench_rng ^= bench_rng << 17;
    return bench_rng;
}

static inline double bench_drand(void)
{
    return (double)(bench_rand() >> 11) * (1.0 / 9007199254740992.0);
}

/* The reset benchmark's order: `count` random timer indices below n, drawn before the measured
 * region so that every library resets the same timers in the same order. */
static inline int *bench_reset_order(long count, int n)
{
    int *idx = (int *)malloc(sizeof(int) * (size_t)count);
    if (!idx)
        bench_die("malloc");
    for (long k = 0; k < count; k++)
        idx[k] = (int)(bench_rand() % (uint64_t)n);
    return idx;
}

/* The same order as pointers to the timers (`size` bytes each, from `base`), so that the measured
 * loop's own cost per reset is a load, a call and the loop's count (6 instructions on x86-64,
 * the same for every library on the libev and libuv APIs). */
static inline void **bench_reset_ptrs(long count, int n, void *base, size_t size)
{
    int *idx = bench_reset_order(count, n);
    void **p = (void **)malloc(sizeof(void *) * (size_t)count);
    if (!p)
        bench_die("malloc");
    for (long k = 0; k < count; k++)
        p[k] = (char *)base + (size_t)idx[k] * size;
    free(idx);
    return p;
}

/* Raises the soft fd limit to the hard one (the classic benchmark needs 2 fds per watcher). */
static inline void bench_raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)need; /* allowed with CAP_SYS_RESOURCE */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (long)rl.rlim_cur < need) {
        fprintf(stderr, "bench: need %ld fds, RLIMIT_NOFILE is %ld\n", need, (long)rl.rlim_cur);
        exit(2);
    }
}

/* n watched fds: non-blocking eventfds (one fd per watcher, so that N = 10000 fits a limit of
 * 20000 fds; the classic benchmark used pipes, two fds each). In semaphore mode, like a pipe
 * read one byte at a time: bench_poke adds one, bench_drain takes one, and the fd stays
 * readable while pokes are left. */
static inline int *bench_fds(int n)
{
    int *fds = (int *)malloc(sizeof(int) * (size_t)n);
    if (!fds)
        bench_die("malloc");
    bench_raise_nofile(n + 64L);
    for (int i = 0; i < n; i++)
        if ((fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE)) < 0)
            bench_die("eventfd");
    return fds;
}

static inline void bench_poke(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) != sizeof one)
        bench_die("write");
}

static inline int bench_drain(int fd)
{
    uint64_t v;
    return read(fd, &v, sizeof v) == sizeof v;
}

/* Command line: bench_x TEST [key=value...]; bench_arg("n", 100) reads n=... */
static int bench_argc;
static char **bench_argv;

/* The sizes every program reads: n watchers (or operations), a active chains, w writes, and
 * t (1: a timeout per watcher). */
static int n, a, w, timeouts;

static long bench_arg(const char *key, long dflt)
{
    size_t k = strlen(key);
    for (int i = 2; i < bench_argc; i++)
        if (!strncmp(bench_argv[i], key, k) && bench_argv[i][k] == '=')
            return strtol(bench_argv[i] + k + 1, NULL, 10);
    return dflt;
}

/* The tests a program offers; a test missing from the table does not apply to its API. */
struct bench_test {
    const char *name;
    void (*run)(void);
};

static long bench_arg(const char *key, long dflt);

/* main() of every program: reads the sizes, sets the library up (setup prints what it runs on
 * and returns 0, or non-zero if it cannot), runs the test named by argv[1]. Exit status 0, 2 on
 * an error, 3 when the test does not apply. */
static inline int bench_main(int argc, char **argv, const struct bench_test *tests,
                             int (*setup)(void))
{
    bench_argc = argc;
    bench_argv = argv;
    const char *test = argc > 1 ? argv[1] : "classic";
    n = (int)bench_arg("n", !strcmp(test, "classic") ? 1000 : 1000000);
    a = (int)bench_arg("a", 100);
    w = (int)bench_arg("w", 1000);
    timeouts = (int)bench_arg("t", 0);
    if (a > n)
        a = n;
    for (const struct bench_test *t = tests; t->name; ++t) {
        if (strcmp(t->name, test))
            continue;
        if (setup())
            return 2;
        t->run();
        return 0;
    }
    fprintf(stderr, "bench: test %s does not apply here\n", test);
    return 3;
}

/* Heap in use, from glibc's allocator statistics. */
#include <malloc.h>
static inline long bench_heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return (long)mi.uordblks + (long)mi.hblkhd;
#else
    struct mallinfo mi = mallinfo();
    return (long)mi.uordblks + (long)mi.hblkhd;
#endif
}

#endif /* EV_BENCH_BENCH_H_ */
