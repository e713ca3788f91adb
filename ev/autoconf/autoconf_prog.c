/* Built by autoconf_test.sh from a configure'd tree: ev.c is embedded without EV_STANDALONE, so
 * it includes the config.h that configure wrote with libev.m4's results. Prints the EV_USE_*
 * switches that came out of it (1: compiled in; libev's values are feature bits such as 32) and the
 * backends, then runs a timer and an io watcher on a pipe. */
#include "ev.c"

#include <stdio.h>
#include <unistd.h>

static int timer_fired, io_seen;

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    timer_fired = 1;
    (void)loop;
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    char c;
    if ((revents & EV_READ) && read(w->fd, &c, 1) == 1 && c == 'x')
        io_seen = 1;
    ev_io_stop(loop, w);
}

int main(void)
{
    printf("EV_USE_SELECT=%d EV_USE_POLL=%d EV_USE_EPOLL=%d EV_USE_IOURING=%d EV_USE_KQUEUE=%d "
           "EV_USE_PORT=%d\n",
           !!EV_USE_SELECT, !!EV_USE_POLL, !!EV_USE_EPOLL, !!EV_USE_IOURING, !!EV_USE_KQUEUE,
           !!EV_USE_PORT);
    printf("EV_USE_EVENTFD=%d EV_USE_SIGNALFD=%d EV_USE_TIMERFD=%d EV_USE_INOTIFY=%d\n",
           !!EV_USE_EVENTFD, !!EV_USE_SIGNALFD, !!EV_USE_TIMERFD, !!EV_USE_INOTIFY);
    printf("EV_USE_MONOTONIC=%d EV_USE_REALTIME=%d EV_USE_NANOSLEEP=%d EV_USE_FLOOR=%d\n",
           !!EV_USE_MONOTONIC, !!EV_USE_REALTIME, !!EV_USE_NANOSLEEP, !!EV_USE_FLOOR);
    unsigned supported = ev_supported_backends();
    printf("supported backends: 0x%x%s%s%s\n", supported,
           supported & EVBACKEND_EPOLL ? " epoll" : "", supported & EVBACKEND_POLL ? " poll" : "",
           supported & EVBACKEND_SELECT ? " select" : "");

    struct ev_loop *loop = ev_default_loop(EVFLAG_NOENV);
    if (!loop)
        return 1;
    printf("backend: 0x%x\n", ev_backend(loop));
    int fds[2];
    if (pipe(fds) != 0 || write(fds[1], "x", 1) != 1)
        return 1;
    ev_timer t;
    ev_timer_init(&t, timer_cb, 0.01, 0.);
    ev_timer_start(loop, &t);
    ev_io io;
    ev_io_init(&io, io_cb, fds[0], EV_READ);
    ev_io_start(loop, &io);
    ev_run(loop, 0);
    ev_sleep(0.001);
    printf("timer %s, io %s\n", timer_fired ? "fired" : "MISSING", io_seen ? "seen" : "MISSING");
    return timer_fired && io_seen ? 0 : 1;
}
