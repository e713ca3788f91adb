/*
 * linked_prog.c - a Windows program on //ev:core as Bazel builds it for //platforms:windows (the
 * library compiled on its own, linked in as an archive), through <ev.h> alone: a timer ends the
 * loop, and the backend is select. Prints "ALL OK" when both hold (mingw_test.sh runs it).
 */
#include <ev.h>
#include <stdio.h>

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

int main(void)
{
    struct ev_loop *loop = ev_default_loop(0);
    ev_timer t;
    ev_timer_init(&t, on_timer, 0.01, 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    if (ev_backend(loop) != EVBACKEND_SELECT) {
        printf("not ok - backend %u, not select\n", ev_backend(loop));
        return 1;
    }
    printf("ALL OK\n");
    return 0;
}
