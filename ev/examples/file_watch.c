/*
 * file_watch.c - prints the changes of files (or directories) as they happen, with ev_stat.
 *
 *   file_watch [-i seconds] [-n changes] path...
 *
 * One ev_stat watcher per path. The path need not exist yet: its creation is a change like any
 * other. On Linux the library is told of changes through inotify at once; elsewhere (or on file
 * systems inotify cannot watch) it polls the path every -i seconds (0, the default, lets the
 * library choose). Output, one line per change:
 *
 *   watching PATH (exists|missing)
 *   PATH: created (size N)
 *   PATH: deleted
 *   PATH: modified (size A -> B, mtime, mode 644 -> 600, replaced, ...)
 *
 * The changes are worked out against what this program last reported, not against the watcher's
 * prev member: when several changes arrive before the callback runs (a file created and then
 * written to at once), ev_stat calls it once and prev holds only the next-to-last state.
 *
 * After -n changes (default 0: never) the program exits 0; SIGINT and SIGTERM stop it cleanly.
 */
#define _GNU_SOURCE 1
#include <ev.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long max_changes, changes;
struct watch {
    ev_stat w;        /* first member: the callback gets the watch from its watcher */
    struct stat seen; /* the state last reported */
};

static struct watch *watchers;
static int nwatchers;
static ev_signal sigint_w, sigterm_w;

static void stop_all(struct ev_loop *loop)
{
    for (int i = 0; i < nwatchers; ++i)
        ev_stat_stop(loop, &watchers[i].w);
    ev_signal_stop(loop, &sigint_w);
    ev_signal_stop(loop, &sigterm_w);
}

/* Appends ", what" (or "what" at the start) to buf. */
static void add(char *buf, size_t size, const char *what)
{
    size_t n = strlen(buf);
    snprintf(buf + n, size - n, "%s%s", n ? ", " : "", what);
}

static int same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void stat_cb(struct ev_loop *loop, ev_stat *w, int revents)
{
    struct watch *wt = (struct watch *)w;
    const struct stat *was = &wt->seen, *now = &w->attr;
    (void)revents;
    /* st_nlink == 0 is how ev_stat says "does not exist". */
    if (!now->st_nlink) {
        printf("%s: deleted\n", w->path);
    } else if (!was->st_nlink) {
        printf("%s: created (size %lld)\n", w->path, (long long)now->st_size);
    } else {
        char what[256] = "", part[96];
        if (was->st_ino != now->st_ino || was->st_dev != now->st_dev)
            add(what, sizeof what, "replaced");
        if (was->st_size != now->st_size) {
            snprintf(part, sizeof part, "size %lld -> %lld", (long long)was->st_size,
                     (long long)now->st_size);
            add(what, sizeof what, part);
        }
        if (!same_time(was->st_mtim, now->st_mtim))
            add(what, sizeof what, "mtime");
        if ((was->st_mode & 07777) != (now->st_mode & 07777)) {
            snprintf(part, sizeof part, "mode %o -> %o", (unsigned)(was->st_mode & 07777),
                     (unsigned)(now->st_mode & 07777));
            add(what, sizeof what, part);
        }
        if (was->st_uid != now->st_uid || was->st_gid != now->st_gid)
            add(what, sizeof what, "owner");
        if (was->st_nlink != now->st_nlink)
            add(what, sizeof what, "links");
        if (!*what)
            add(what, sizeof what, "touched"); /* e.g. only the ctime moved */
        printf("%s: modified (%s)\n", w->path, what);
    }
    fflush(stdout);
    wt->seen = w->attr;
    if (max_changes > 0 && ++changes >= max_changes)
        stop_all(loop);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    printf("signal %d: stopping\n", w->signum);
    stop_all(loop);
}

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-i seconds] [-n changes] path...\n", prog);
    exit(2);
}

int main(int argc, char **argv)
{
    double interval = 0.;
    int opt;
    while ((opt = getopt(argc, argv, "i:n:")) != -1) {
        switch (opt) {
        case 'i':
            interval = atof(optarg);
            break;
        case 'n':
            max_changes = atol(optarg);
            break;
        default:
            usage(argv[0]);
        }
    }
    if (optind == argc || interval < 0. || max_changes < 0)
        usage(argv[0]);

    struct ev_loop *loop = ev_default_loop(0);
    if (!loop) {
        fprintf(stderr, "file_watch: no event loop\n");
        return 1;
    }
    nwatchers = argc - optind;
    watchers = calloc((size_t)nwatchers, sizeof *watchers);
    if (!watchers)
        return 1;
    for (int i = 0; i < nwatchers; ++i) {
        /* The path string must live as long as the watcher: argv does. */
        ev_stat *w = &watchers[i].w;
        ev_stat_init(w, stat_cb, argv[optind + i], interval);
        ev_stat_start(loop, w); /* fills in w->attr */
        watchers[i].seen = w->attr;
        printf("watching %s (%s)\n", w->path, w->attr.st_nlink ? "exists" : "missing");
    }
    ev_signal_init(&sigint_w, signal_cb, SIGINT);
    ev_signal_start(loop, &sigint_w);
    ev_signal_init(&sigterm_w, signal_cb, SIGTERM);
    ev_signal_start(loop, &sigterm_w);
    fflush(stdout);

    ev_run(loop, 0);
    ev_loop_destroy(loop);
    free(watchers);
    printf("stopped after %ld changes\n", changes);
    return 0;
}
