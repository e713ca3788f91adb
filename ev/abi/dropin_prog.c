/*
 * dropin_prog.c - a program written for libev 4.33, compiled against Debian's ev.h and linked
 * with Debian's libev.so.4. The drop-in test runs it twice, with Debian's library and with ours
 * (LD_LIBRARY_PATH), and compares what it prints. It exercises io, timers, periodics, signals,
 * children, async from a thread, stat and fork; the last line names the library it really loaded.
 */
#include <ev.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int sv[2];
static int io_seen, timer_seen, periodic_seen, signal_seen, child_status = -1, async_seen,
                                                            stat_seen;
static ev_io io_w;
static ev_timer timer_w, guard_w;
static ev_periodic periodic_w;
static ev_signal signal_w;
static ev_child child_w;
static ev_async async_w;
static ev_stat stat_w;
static char path[64];

static void io_cb(EV_P_ ev_io *w, int revents)
{
    char c;
    if (read(w->fd, &c, 1) == 1 && c == 'x')
        io_seen = revents;
    ev_io_stop(EV_A_ w);
}

static void timer_cb(EV_P_ ev_timer *w, int revents)
{
    if (++timer_seen == 3)
        ev_timer_stop(EV_A_ w);
}

static void periodic_cb(EV_P_ ev_periodic *w, int revents)
{
    periodic_seen = revents;
}

static void signal_cb(EV_P_ ev_signal *w, int revents)
{
    signal_seen = w->signum;
    ev_signal_stop(EV_A_ w);
}

static void child_cb(EV_P_ ev_child *w, int revents)
{
    child_status = WEXITSTATUS(w->rstatus);
    ev_child_stop(EV_A_ w);
}

static void async_cb(EV_P_ ev_async *w, int revents)
{
    async_seen = 1;
    ev_async_stop(EV_A_ w);
}

static void stat_cb(EV_P_ ev_stat *w, int revents)
{
    if (w->attr.st_nlink)
        stat_seen = (int)w->attr.st_size;
    ev_stat_stop(EV_A_ w);
}

static void guard_cb(EV_P_ ev_timer *w, int revents)
{
    ev_break(EV_A_ EVBREAK_ALL);
}

static void *thread_main(void *arg)
{
    ev_async_send((struct ev_loop *)arg, &async_w);
    return NULL;
}

int main(void)
{
    struct ev_loop *loop = ev_default_loop(0);
    if (!loop)
        return 2;
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    snprintf(path, sizeof path, "/tmp/ev_dropin_%d", (int)getpid());
    unlink(path);

    ev_io_init(&io_w, io_cb, sv[0], EV_READ);
    ev_io_start(loop, &io_w);
    ev_timer_init(&timer_w, timer_cb, 0.001, 0.001);
    ev_timer_start(loop, &timer_w);
    ev_periodic_init(&periodic_w, periodic_cb, ev_now(loop) + 0.01, 0., 0);
    ev_periodic_start(loop, &periodic_w);
    ev_signal_init(&signal_w, signal_cb, SIGUSR1);
    ev_signal_start(loop, &signal_w);
    ev_async_init(&async_w, async_cb);
    ev_async_start(loop, &async_w);
    ev_stat_init(&stat_w, stat_cb, path, 0.05);
    ev_stat_start(loop, &stat_w);
    ev_timer_init(&guard_w, guard_cb, 10., 0.);
    ev_timer_start(loop, &guard_w);
    ev_unref(loop);

    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    ev_child_init(&child_w, child_cb, pid, 0);
    ev_child_start(loop, &child_w);

    write(sv[1], "x", 1);
    raise(SIGUSR1);
    FILE *f = fopen(path, "w");
    fputs("hello", f);
    fclose(f);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, loop);

    int left = ev_run(loop, 0);
    pthread_join(th, NULL);
    unlink(path);
    ev_ref(loop);
    ev_timer_stop(loop, &guard_w);

    printf("version %d.%d backend-in-recommended %d\n", ev_version_major(), ev_version_minor(),
           (ev_backend(loop) & ev_recommended_backends()) != 0);
    printf("io %d timer %d periodic %d signal %d child %d async %d stat %d left %d\n", io_seen,
           timer_seen, periodic_seen, signal_seen, child_status, async_seen, stat_seen, left);

    /* fork: the child keeps using the loop after ev_loop_fork */
    pid = fork();
    if (pid == 0) {
        ev_loop_fork(loop);
        io_seen = 0;
        ev_io_start(loop, &io_w);
        write(sv[1], "x", 1);
        ev_run(loop, EVRUN_ONCE);
        _exit(io_seen == EV_READ ? 0 : 1);
    }
    int status;
    ev_child_stop(loop, &child_w);
    waitpid(pid, &status, 0);
    printf("fork child %d\n", WEXITSTATUS(status));
    /* ev_default_loop_ptr is read directly by the client (a copy relocation) */
    printf("is_default %d uc %d\n", ev_is_default_loop(loop), ev_default_loop_uc_() == loop);
    ev_loop_destroy(loop);
    printf("after destroy uc %d\n", ev_default_loop_uc_() == NULL);

    /* Which library is this? (not compared: the test checks it separately) */
    FILE *m = fopen("/proc/self/maps", "r");
    char line[512];
    while (m && fgets(line, sizeof line, m))
        if (strstr(line, "libev.so")) {
            fprintf(stderr, "loaded %s", strchr(line, '/'));
            break;
        }
    return 0;
}
