/* Run by minimal_size_test.sh against ev.c built with -Os and EV_MINIMAL=1 (the same define on
 * this file, so that ev.h describes the same structures): without EV_MULTIPLICITY there is one
 * loop and no loop argument (EV_P/EV_A expand to nothing), priorities are gone, and the optional
 * watcher types are compiled out. A repeating timer, an io watcher on a pipe and ev_once. */
#include "ev.h"

#include <stdio.h>
#include <unistd.h>

static int ticks, io_seen, once_seen;

static void tick(EV_P_ ev_timer *w, int revents)
{
    (void)revents;
    if (++ticks == 3)
        ev_timer_stop(EV_A_ w);
}

static void readable(EV_P_ ev_io *w, int revents)
{
    char c;
    if ((revents & EV_READ) && read(w->fd, &c, 1) == 1)
        io_seen = 1;
    ev_io_stop(EV_A_ w);
}

static void once(int revents, void *arg)
{
    (void)arg;
    once_seen = revents & EV_TIMER;
}

int main(void)
{
#if EV_MULTIPLICITY
    struct ev_loop *loop = ev_default_loop(0);
    if (!loop)
        return 2;
#else
    if (!ev_default_loop(0))
        return 2;
#endif
    int fds[2];
    if (pipe(fds) != 0 || write(fds[1], "x", 1) != 1)
        return 2;
    ev_timer t;
    ev_timer_init(&t, tick, 0.001, 0.001);
    ev_timer_start(EV_A_ & t);
    ev_io io;
    ev_io_init(&io, readable, fds[0], EV_READ);
    ev_io_start(EV_A_ & io);
    ev_once(EV_A_ - 1, 0, 0.002, once, NULL);
    ev_run(EV_A_ 0);
    printf("EV_MULTIPLICITY=%d EV_PERIODIC_ENABLE=%d EV_STAT_ENABLE=%d sizeof(ev_io)=%zu "
           "sizeof(ev_timer)=%zu: timer %d, io %d, once %d\n",
           !!EV_MULTIPLICITY, !!EV_PERIODIC_ENABLE, !!EV_STAT_ENABLE, sizeof(ev_io),
           sizeof(ev_timer), ticks, io_seen, !!once_seen);
    return ticks == 3 && io_seen && once_seen ? 0 : 1;
}
