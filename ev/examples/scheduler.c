/*
 * scheduler.c - a periodic job scheduler on ev_periodic.
 *
 *   scheduler [-i seconds] [-o offset] [-r] [-n runs] [-c command]
 *
 * Runs a job every -i seconds (default 300, i.e. every five minutes), on the wall clock:
 *
 *  - default (interval mode): ev_periodic with offset -o (default 0) and interval -i. The job
 *    runs at the UTC times offset + k * interval, e.g. -i 300 at hh:00, hh:05, hh:10 ... UTC,
 *    however long the program has been running and whatever the clock was set to meanwhile.
 *  - -r (reschedule_cb mode): a callback computes each next time itself, here as the next
 *    multiple of the interval counted from *local* midnight (mktime), so that -i 86400 -o 10800
 *    means 03:00 local time every day, across daylight-saving changes, which a fixed UTC interval
 *    cannot do.
 *
 * The job prints "run <n> at <local time>" and, with -c, runs the command with /bin/sh (the loop
 * waits for it: keep it short). After -n runs (default 0: never) the program exits 0; SIGINT and
 * SIGTERM stop it cleanly (status 0) too. Before each wait it prints "next run at <local time>".
 */
#define _GNU_SOURCE 1
#include <ev.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double interval = 300., offset;
static long max_runs, runs;
static const char *command;
static ev_periodic job_w;
static ev_signal sigint_w, sigterm_w;

/* "2026-11-24 13:05:00.000" in local time, rounded to the millisecond. */
static const char *local_time(ev_tstamp t, char *buf, size_t size)
{
    long long ms = llround(t * 1000.);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03d", (int)(ms % 1000));
    return buf;
}

static void announce_next(void)
{
    char buf[64];
    printf("next run at %s\n", local_time(ev_periodic_at(&job_w), buf, sizeof buf));
    fflush(stdout);
}

/* Local midnight of the day containing t, as a timestamp (mktime knows the time zone). */
static ev_tstamp local_midnight(ev_tstamp t)
{
    time_t secs = (time_t)floor(t);
    struct tm tm;
    localtime_r(&secs, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1; /* let mktime find out whether midnight was in summer time */
    return (ev_tstamp)mktime(&tm);
}

/* reschedule_cb: the first multiple of the interval (plus offset) after now, counted from local
 * midnight. Must return a time after now; it may not touch the loop. */
static ev_tstamp next_local_slot(ev_periodic *w, ev_tstamp now)
{
    (void)w;
    ev_tstamp base = local_midnight(now) + offset;
    if (base > now)
        base -= 86400.; /* an offset later than now today counts from yesterday */
    ev_tstamp next = base + (floor((now - base) / interval) + 1.) * interval;
    if (next <= now) /* rounding at the boundary */
        next += interval;
    return next;
}

static void stop_all(struct ev_loop *loop)
{
    ev_periodic_stop(loop, &job_w);
    ev_signal_stop(loop, &sigint_w);
    ev_signal_stop(loop, &sigterm_w);
}

static void job_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
    char buf[64];
    (void)w;
    (void)revents;
    printf("run %ld at %s\n", ++runs, local_time(ev_now(loop), buf, sizeof buf));
    fflush(stdout);
    if (command) {
        int status = system(command);
        if (status != 0)
            printf("command exited with status %d\n", status);
    }
    if (max_runs > 0 && runs >= max_runs) {
        stop_all(loop); /* nothing left: ev_run returns */
        return;
    }
    announce_next(); /* the periodic has already been rescheduled when the callback runs */
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    printf("signal %d: stopping after %ld runs\n", w->signum, runs);
    stop_all(loop);
}

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-i seconds] [-o offset] [-r] [-n runs] [-c command]\n", prog);
    exit(2);
}

int main(int argc, char **argv)
{
    int opt, reschedule = 0;
    while ((opt = getopt(argc, argv, "i:o:rn:c:")) != -1) {
        switch (opt) {
        case 'i':
            interval = atof(optarg);
            break;
        case 'o':
            offset = atof(optarg);
            break;
        case 'r':
            reschedule = 1;
            break;
        case 'n':
            max_runs = atol(optarg);
            break;
        case 'c':
            command = optarg;
            break;
        default:
            usage(argv[0]);
        }
    }
    if (optind != argc || !(interval > 0.) || max_runs < 0)
        usage(argv[0]);

    struct ev_loop *loop = ev_default_loop(0);
    if (!loop) {
        fprintf(stderr, "scheduler: no event loop\n");
        return 1;
    }
    if (reschedule) {
        ev_periodic_init(&job_w, job_cb, 0., 0., next_local_slot);
        printf("every %g s from local midnight%s\n", interval, offset ? " plus the offset" : "");
    } else {
        ev_periodic_init(&job_w, job_cb, offset, interval, 0);
        printf("every %g s on the UTC clock, offset %g s\n", interval, offset);
    }
    ev_periodic_start(loop, &job_w);
    ev_signal_init(&sigint_w, signal_cb, SIGINT);
    ev_signal_start(loop, &sigint_w);
    ev_signal_init(&sigterm_w, signal_cb, SIGTERM);
    ev_signal_start(loop, &sigterm_w);
    announce_next();

    ev_run(loop, 0);
    ev_loop_destroy(loop);
    printf("done after %ld runs\n", runs);
    return 0;
}
