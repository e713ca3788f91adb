/* Three timer ticks, then the loop runs out of watchers and returns. */
#include <ev.h>
#include <stdio.h>

static int ticks;

static void tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    printf("tick %d\n", ++ticks);
    if (ticks == 3)
        ev_timer_stop(loop, w);
}

int main(void)
{
    struct ev_loop *loop = ev_default_loop(0);
    ev_timer t;

    ev_timer_init(&t, tick, 0.01, 0.01);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    printf("ev %d.%d, %d ticks\n", ev_version_major(), ev_version_minor(), ticks);
    return ticks == 3 ? 0 : 1;
}
