/* Uses every watcher macro of ev.h, for the header hygiene test (compiled as C and C++). */
#include <ev.h>

static void io_cb(EV_P_ ev_io *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(EV_A_ EVBREAK_ONE);
}

static void timer_cb(EV_P_ ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    (void)EV_A;
}

int main(void)
{
    ev_io io;
    ev_timer t;
    ev_periodic p;
    ev_signal s;
    ev_child c;
    ev_stat st;
    ev_idle i;
    ev_prepare pr;
    ev_check ch;
    ev_fork fk;
    ev_cleanup cl;
    ev_async a;
    ev_embed e;
    int r;
    struct ev_loop *loop = EV_DEFAULT;
    ev_io_init(&io, io_cb, 0, EV_READ);
    ev_io_modify(&io, EV_READ | EV_WRITE);
    ev_timer_init(&t, timer_cb, 1., 0.);
    ev_periodic_init(&p, 0, 0., 1., 0);
    ev_signal_init(&s, 0, 2);
    ev_child_init(&c, 0, 0, 1);
    ev_stat_init(&st, 0, "/", 0.);
    ev_idle_init(&i, 0);
    ev_prepare_init(&pr, 0);
    ev_check_init(&ch, 0);
    ev_fork_init(&fk, 0);
    ev_cleanup_init(&cl, 0);
    ev_async_init(&a, 0);
    ev_embed_init(&e, 0, loop);
    ev_set_priority(&io, 1);
    ev_set_cb(&t, timer_cb);
    ev_io_start(loop, &io);
    ev_loop(loop, EVLOOP_NONBLOCK);
    ev_unloop(loop, EVUNLOOP_ALL);
    p.at = 0.;
    a.sent = 0;
    r = ev_is_active(&io) + ev_priority(&t) + ev_is_pending(&i) + (ev_cb(&io) == io_cb) +
        ev_async_pending(&a) + (int)ev_periodic_at(&p) + ev_is_default_loop(loop);
    ev_io_stop(loop, &io);
    ev_default_destroy();
    return r > 100;
}
