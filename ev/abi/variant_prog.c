/* One program, built by variants_test.sh against the amalgamation under many embedding
 * options (each variant's settings come first through -include). It runs a repeating timer,
 * an idle watcher and an io watcher where those exist, and checks that they fired. */
#include "ev.c"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fired, idled, io_seen;

static void tick(EV_P_ ev_timer *w, int revents)
{
    (void)revents;
    if (++fired == 3)
        ev_timer_stop(EV_A_ w);
}

#if EV_IDLE_ENABLE
static void idle_cb(EV_P_ ev_idle *w, int revents)
{
    (void)revents;
    ++idled;
    ev_idle_stop(EV_A_ w);
}
#endif

static void io_cb(EV_P_ ev_io *w, int revents)
{
    char c;
    if (read(w->fd, &c, 1) == 1)
        io_seen = revents;
    ev_io_stop(EV_A_ w);
}

int main(void)
{
#ifdef VARIANT_NO_LOOP
    /* A configuration with no backend compiled in: no loop, and no crash. */
    if (ev_supported_backends() != 0 || ev_default_loop(EVFLAG_NOENV)) {
        printf("a loop without a backend\n");
        return 1;
    }
    printf("no backend compiled in, no loop\n");
    return 0;
#endif
#if EV_MULTIPLICITY
    struct ev_loop *loop = ev_default_loop(EVFLAG_NOENV);
    if (!loop)
        return 2;
#else
    if (!ev_default_loop(EVFLAG_NOENV))
        return 2;
#endif
    ev_timer t;
    ev_timer_init(&t, tick, 0.001, 0.001);
    ev_timer_start(EV_A_ & t);
#if EV_IDLE_ENABLE
    ev_idle i;
    ev_idle_init(&i, idle_cb);
    ev_idle_start(EV_A_ & i);
#endif
    int p[2];
    if (pipe(p) < 0 || write(p[1], "x", 1) != 1)
        return 3;
    ev_io io;
    ev_io_init(&io, io_cb, p[0], EV_READ);
    ev_io_start(EV_A_ & io);
#ifdef VARIANT_CHECK
    VARIANT_CHECK;
#endif
    ev_run(EV_A_ 0);
    printf("backend %u timer %d idle %d io %d sizeof(ev_io) %d\n", ev_backend(EV_A), fired, idled,
           io_seen, (int)sizeof(ev_io));
    int ok = fired == 3 && io_seen == EV_READ;
#if EV_IDLE_ENABLE
    ok = ok && idled == 1;
#endif
    return ok ? 0 : 1;
}
