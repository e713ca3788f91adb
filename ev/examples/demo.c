/*
 * demo.c - the main job: ev at work for about two seconds.
 *
 * A repeating timer ticks; a writer timer sends messages over a socketpair
 * that an io watcher reads; a worker thread wakes the loop with ev_async; the
 * program sends itself SIGUSR1, which a signal watcher catches; a periodic
 * fires on the wall clock. When everything has happened the loop runs out of
 * watchers and ev_run returns by itself.
 */
#include <ev.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sv[2];
static double t0;
static int ticks, messages, asyncs;

static ev_timer tick_w, writer_w;
static ev_io reader_w;
static ev_async async_w;
static ev_signal signal_w;
static ev_periodic periodic_w;

static void say(struct ev_loop *loop, const char *what)
{
    printf("[%6.3f s] %s\n", ev_now(loop) - t0, what);
    fflush(stdout);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    char buf[64];
    snprintf(buf, sizeof buf, "timer: tick %d (every 0.5 s)", ++ticks);
    say(loop, buf);
    if (ticks == 4) {
        ev_timer_stop(loop, w);
        raise(SIGUSR1); /* delivered race-free on the next iteration */
    }
}

static void writer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    static int n;
    char msg[32];
    int len = snprintf(msg, sizeof msg, "hello #%d", ++n);
    if (write(sv[1], msg, (size_t)len) != len)
        perror("write");
    if (n == 3) {
        ev_timer_stop(loop, w);
        shutdown(sv[1], SHUT_WR); /* the reader will see end-of-file */
    }
}

static void reader_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    char buf[64], line[96];
    ssize_t n = read(w->fd, buf, sizeof buf - 1);
    if (n <= 0) {
        say(loop, "io: peer closed the socket, reader stops");
        ev_io_stop(loop, w);
        return;
    }
    buf[n] = 0;
    snprintf(line, sizeof line, "io: read \"%s\" from the socketpair", buf);
    say(loop, line);
    ++messages;
}

static void async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    say(loop, "async: woken up by the worker thread");
    ++asyncs;
    ev_async_stop(loop, w);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    say(loop, "signal: caught SIGUSR1");
    ev_signal_stop(loop, w);
}

static void periodic_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
    say(loop, "periodic: the wall clock passed the next full 0.75 s mark");
    ev_periodic_stop(loop, w);
}

static void *worker(void *arg)
{
    struct ev_loop *loop = arg;
    ev_sleep(0.8); /* pretend to work */
    ev_async_send(loop, &async_w);
    return NULL;
}

int main(void)
{
    struct ev_loop *loop = ev_default_loop(0);
    if (!loop) {
        fprintf(stderr, "demo: could not create the default loop\n");
        return 1;
    }
    const char *names[] = {"select",  "poll", "epoll",    "kqueue",
                           "devpoll", "port", "linuxaio", "io_uring"};
    unsigned int b = ev_backend(loop);
    printf("ev %d.%d demo, backend %s\n", ev_version_major(), ev_version_minor(),
           names[__builtin_ctz(b)]);
    t0 = ev_now(loop);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        return 1;
    }

    ev_timer_init(&tick_w, tick_cb, 0.5, 0.5);
    ev_timer_start(loop, &tick_w);
    ev_timer_init(&writer_w, writer_cb, 0.2, 0.3);
    ev_timer_start(loop, &writer_w);
    ev_io_init(&reader_w, reader_cb, sv[0], EV_READ);
    ev_io_start(loop, &reader_w);
    ev_async_init(&async_w, async_cb);
    ev_async_start(loop, &async_w);
    ev_signal_init(&signal_w, signal_cb, SIGUSR1);
    ev_signal_start(loop, &signal_w);
    ev_periodic_init(&periodic_w, periodic_cb, 0., 0.75, 0);
    ev_periodic_start(loop, &periodic_w);

    pthread_t th;
    pthread_create(&th, NULL, worker, loop);

    int left = ev_run(loop, 0);
    pthread_join(th, NULL);

    printf("done after %u iterations: %d ticks, %d messages, %d async wake-up; %d watchers left\n",
           ev_iteration(loop), ticks, messages, asyncs, left);
    close(sv[0]);
    close(sv[1]);
    ev_loop_destroy(loop);
    return (ticks == 4 && messages == 3 && asyncs == 1 && left == 0) ? 0 : 1;
}
