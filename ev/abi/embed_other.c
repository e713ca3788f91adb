/* The rest of an embedding program: the public header only. */
#include "ev.h"

static int fired;

static void tick(EV_P_ ev_timer *w, int revents)
{
    (void)revents;
    if (++fired == 3)
        ev_timer_stop(EV_A_ w);
}

int other_run(struct ev_loop *loop)
{
    ev_timer t;
    ev_timer_init(&t, tick, 0.001, 0.001);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    return fired;
}
