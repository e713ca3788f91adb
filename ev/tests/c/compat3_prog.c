/*
 * compat3_prog.c - a plain C program written against the libev 3.x names that
 * libev 4.33 still offers with EV_COMPAT3 (the default): ev_loop, ev_unloop,
 * ev_default_destroy, ev_loop_count, EVLOOP_*, EVUNLOOP_*, EV_TIMEOUT, and the
 * EV_P/EV_A/EV_DEFAULT macros. It must compile as C against our ev.h and
 * behave as with libev; it exits 0 on success and prints what failed
 * otherwise. Built as a cc_test.
 */
#include <ev.h>

#include <stdio.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

static int timeouts, reads, oneshot_reads;

static void timeout_cb(EV_P_ ev_timer *w, int revents)
{
    (void)w;
    CHECK(revents == EV_TIMEOUT);
    CHECK(EV_TIMEOUT == EV_TIMER);
    CHECK(ev_loop_depth(EV_A) == 1);
    ++timeouts;
    ev_unloop(EV_A_ EVUNLOOP_ALL);
}

static void read_cb(EV_P_ ev_io *w, int revents)
{
    char c;
    CHECK(revents == EV_READ);
    CHECK(read(w->fd, &c, 1) == 1);
    ++reads;
    ev_io_stop(EV_A_ w);
}

static void once_cb(int revents, void *arg)
{
    (void)arg;
    if (revents & EV_READ)
        ++oneshot_reads;
}

/* A function written with the parameter macros, called with EV_DEFAULT_. */
static void arm_timer(EV_P_ ev_timer *t, ev_tstamp after)
{
    ev_timer_init(t, timeout_cb, after, 0.);
    ev_timer_start(EV_A_ t);
}

int main(void)
{
    int fds[2];
    ev_timer t, repeat_t;
    ev_io w;
    unsigned count;
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);

    CHECK(loop != NULL);
    CHECK(EV_DEFAULT == loop);
    CHECK(ev_is_default_loop(loop));
    CHECK(EVLOOP_NONBLOCK == EVRUN_NOWAIT && EVLOOP_ONESHOT == EVRUN_ONCE);
    CHECK(EVUNLOOP_CANCEL == EVBREAK_CANCEL && EVUNLOOP_ONE == EVBREAK_ONE &&
          EVUNLOOP_ALL == EVBREAK_ALL);
    CHECK(EVFLAG_NOSIGFD == 0);

    /* io with ev_loop(ONESHOT) */
    CHECK(pipe(fds) == 0);
    ev_io_init(&w, read_cb, fds[0], EV_READ);
    ev_io_start(EV_DEFAULT_ & w);
    CHECK(write(fds[1], "x", 1) == 1);
    count = ev_loop_count(EV_DEFAULT);
    ev_loop(EV_DEFAULT_ EVLOOP_ONESHOT);
    CHECK(reads == 1);
    CHECK(ev_loop_count(EV_DEFAULT) == count + 1);
    CHECK(!ev_is_active(&w));

    /* nonblocking run with nothing ready */
    ev_loop(EV_DEFAULT_ EVLOOP_NONBLOCK);
    CHECK(ev_loop_count(EV_DEFAULT) == count + 2);

    /* a timer that unloops everything while a repeating timer keeps the
     * loop alive */
    ev_timer_init(&repeat_t, timeout_cb, 60., 60.);
    ev_timer_start(EV_DEFAULT_ & repeat_t);
    arm_timer(EV_DEFAULT_ & t, 0.01);
    ev_loop(EV_DEFAULT_ 0);
    CHECK(timeouts == 1);
    CHECK(ev_is_active(&repeat_t));
    ev_timer_stop(EV_DEFAULT_ & repeat_t);

    /* ev_once on the default loop */
    CHECK(write(fds[1], "y", 1) == 1);
    ev_once(EV_DEFAULT_ fds[0], EV_READ, 10., once_cb, NULL);
    ev_loop(EV_DEFAULT_ 0);
    CHECK(oneshot_reads == 1);
    CHECK(ev_loop_depth(EV_DEFAULT) == 0);
    ev_loop_verify(EV_DEFAULT);

    ev_default_destroy();
    CHECK(ev_default_loop_uc_() == NULL);
    /* and a new default loop after destroying the old one */
    loop = ev_default_loop(0);
    CHECK(loop != NULL);
    ev_default_destroy();

    close(fds[0]);
    close(fds[1]);
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    else
        printf("compat3_prog: ok\n");
    return failures != 0;
}
