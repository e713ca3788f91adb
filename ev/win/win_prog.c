/*
 * win_prog.c - ev on Windows, built by mingw_test.sh with the generated amalgamation (ev.c) and
 * MinGW-w64, and run under wine when it is available. Prints "ok N - what" per check and
 * "ALL OK" at the end; exits 1 at the first failure.
 *
 * Covers: the backend set (select only), a timer and a periodic, io watchers on loopback socket
 * pairs (fds from the EV_WIN32_HANDLE_TO_FD hook; EV_READ, EV_WRITE, EV_ERROR for a closed fd,
 * 100 pairs at once: more than winsock's default FD_SETSIZE), ev_async_send from another thread
 * (CreateThread), ev_stat polling, signals through raise() (twice in a row, and from another
 * thread while the loop blocks), ev_feed_signal, ev_loop_fork and EVFLAG_FORKCHECK (accepted,
 * fork watchers run, nothing re-created), ev_time and ev_sleep.
 */
#define EV_STANDALONE 1
#include "ev.c"

#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

static int checks;

/* The io fds are whatever the library's hooks say (ev_internal.h: C runtime fds by default;
 * mingw_test.sh also builds with the SOCKET itself as the fd). */
#define TO_FD(sock) EV_WIN32_HANDLE_TO_FD((intptr_t)(sock))
#define TO_SOCKET(fd) ((SOCKET)EV_FD_TO_WIN32_HANDLE(fd))
#define CLOSE_FD(fd) EV_WIN32_CLOSE_FD(fd)

#define T_CHECK(cond, what)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("not ok %d - %s (%s, line %d)\n", ++checks, what, #cond, __LINE__);             \
            fflush(stdout);                                                                        \
            exit(1);                                                                               \
        }                                                                                          \
        printf("ok %d - %s\n", ++checks, what);                                                    \
        fflush(stdout);                                                                            \
    } while (0)

/* A guard against hanging: every ev_run below ends within this many seconds. */
#define GUARD 10.

static int guard_fired;

static void guard_cb(EV_P_ ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    guard_fired = 1;
    ev_break(EV_A_ EVBREAK_ALL);
}

static void run_guarded(struct ev_loop *loop)
{
    ev_timer guard;
    ev_timer_init(&guard, guard_cb, GUARD, 0.);
    ev_timer_start(loop, &guard);
    ev_unref(loop); /* the guard alone must not keep ev_run going */
    guard_fired = 0;
    ev_run(loop, 0);
    if (ev_is_active(&guard)) {
        ev_ref(loop);
        ev_timer_stop(loop, &guard);
    }
}

/* ---- timer ---- */

static int timer_fired;
static ev_tstamp timer_at;

static void timer_cb(EV_P_ ev_timer *w, int revents)
{
    (void)w;
    timer_fired = revents;
    timer_at = ev_now(EV_A);
}

/* ---- io on a loopback TCP pair, as C runtime fds ---- */

/* A connected loopback TCP pair, non-blocking, as two fds: 0, or -1. */
static int tcp_pair(int fds[2])
{
    SOCKET lst = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = (int)sizeof a;
    if (lst == INVALID_SOCKET || bind(lst, (struct sockaddr *)&a, len) != 0 ||
        listen(lst, 1) != 0 || getsockname(lst, (struct sockaddr *)&a, &len) != 0)
        return -1;
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&a, (int)sizeof a) != 0)
        return -1;
    SOCKET s = accept(lst, NULL, NULL);
    closesocket(lst);
    if (s == INVALID_SOCKET)
        return -1;
    u_long on = 1;
    ioctlsocket(s, FIONBIO, &on);
    ioctlsocket(c, FIONBIO, &on);
    fds[0] = TO_FD(s);
    fds[1] = TO_FD(c);
    return fds[0] >= 0 && fds[1] >= 0 ? 0 : -1;
}

static int read_events, write_events;
static char got[8];

static void read_cb(EV_P_ ev_io *w, int revents)
{
    read_events |= revents;
    int n = recv(TO_SOCKET(w->fd), got, (int)sizeof got - 1, 0);
    if (n > 0)
        got[n] = 0;
    ev_io_stop(EV_A_ w);
}

static void write_cb(EV_P_ ev_io *w, int revents)
{
    write_events |= revents;
    ev_io_stop(EV_A_ w);
}

static void err_cb(EV_P_ ev_io *w, int revents)
{
    read_events |= revents;
    ev_io_stop(EV_A_ w);
}

/* ---- more sockets than winsock's default FD_SETSIZE (64) ---- */

#define NPAIRS 100

static int many_hit = -1, many_calls;

static void many_cb(EV_P_ ev_io *w, int revents)
{
    ++many_calls;
    many_hit = (int)(intptr_t)w->data;
    char buf[8];
    recv(TO_SOCKET(w->fd), buf, (int)sizeof buf, 0);
    ev_break(EV_A_ EVBREAK_ALL);
}

/* ---- async from another thread ---- */

static ev_async async_w;
static struct ev_loop *async_loop;
static volatile LONG async_calls;

static DWORD WINAPI async_thread(LPVOID arg)
{
    (void)arg;
    Sleep(100); /* the loop is blocking in select() by now */
    ev_async_send(async_loop, &async_w);
    return 0;
}

static void async_cb(EV_P_ ev_async *w, int revents)
{
    (void)revents;
    InterlockedIncrement(&async_calls);
    ev_async_stop(EV_A_ w);
}

/* ---- stat ---- */

#define STAT_PATH "ev_win_stat.tmp"

static int stat_calls;
static long long stat_old_size, stat_new_size;

static void stat_cb(EV_P_ ev_stat *w, int revents)
{
    (void)revents;
    ++stat_calls;
    stat_old_size = (long long)w->prev.st_size;
    stat_new_size = (long long)w->attr.st_size;
    ev_stat_stop(EV_A_ w);
}

static void append_cb(EV_P_ ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    FILE *f = fopen(STAT_PATH, "ab");
    if (f) {
        fputs("more data\n", f);
        fclose(f);
    }
}

/* ---- signals ---- */

static int sig_calls;

static void sig_cb(EV_P_ ev_signal *w, int revents)
{
    (void)revents;
    if (++sig_calls == 2)
        ev_signal_stop(EV_A_ w);
}

static DWORD WINAPI raise_thread(LPVOID arg)
{
    (void)arg;
    Sleep(100); /* the loop is blocking in select() by now */
    raise(SIGINT);
    return 0;
}

/* ---- periodic ---- */

static int periodic_calls;

static void periodic_cb(EV_P_ ev_periodic *w, int revents)
{
    ++periodic_calls;
    ev_periodic_stop(EV_A_ w);
}

static void raise_cb(EV_P_ ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    raise(SIGINT); /* the C runtime resets the handler to SIG_DFL: ev re-installs it */
}

/* ---- fork watchers ---- */

static int fork_calls;

static void fork_cb(EV_P_ ev_fork *w, int revents)
{
    (void)w;
    (void)revents;
    ++fork_calls;
    ev_fork_stop(EV_A_ w);
}

static void once_cb(EV_P_ ev_idle *w, int revents)
{
    (void)revents;
    ev_idle_stop(EV_A_ w);
}

int main(void)
{
    T_CHECK(ev_version_major() == EV_VERSION_MAJOR, "version");
    T_CHECK(ev_supported_backends() == EVBACKEND_SELECT, "select is the only backend");
    T_CHECK(ev_recommended_backends() == EVBACKEND_SELECT, "and the recommended one");

    struct ev_loop *loop = ev_default_loop(0);
    T_CHECK(loop != NULL, "default loop");
    T_CHECK(ev_backend(loop) == EVBACKEND_SELECT, "default loop uses select");

    ev_tstamp t = ev_time();
    T_CHECK(t > 1.6e9 && t < 4.2e9, "ev_time is a plausible Unix time");
    T_CHECK(ev_now(loop) > t - 5. && ev_now(loop) < t + 5., "ev_now near ev_time");
    ev_tstamp s0 = ev_time();
    ev_sleep(0.05);
    T_CHECK(ev_time() - s0 >= 0.04, "ev_sleep sleeps");

    /* timer */
    ev_timer tm;
    ev_timer_init(&tm, timer_cb, 0.1, 0.);
    ev_now_update(loop);
    ev_tstamp start = ev_now(loop);
    ev_timer_start(loop, &tm);
    run_guarded(loop);
    T_CHECK(!guard_fired && timer_fired == EV_TIMER, "timer fires");
    T_CHECK(timer_at - start >= 0.095 && timer_at - start < 2., "timer fires after its delay");

    /* io */
    WSADATA wsa;
    WSAStartup(MAKEWORD(2, 2), &wsa);
    int fds[2];
    T_CHECK(tcp_pair(fds) == 0, "loopback socket pair as fds");
    ev_io rw, ww;
    ev_io_init(&rw, read_cb, fds[0], EV_READ);
    ev_io_init(&ww, write_cb, fds[1], EV_WRITE);
    ev_io_start(loop, &rw);
    ev_run(loop, EVRUN_NOWAIT);
    T_CHECK(read_events == 0, "nothing to read yet");
    ev_io_start(loop, &ww);
    T_CHECK(send(TO_SOCKET(fds[1]), "ping", 4, 0) == 4, "send");
    run_guarded(loop);
    T_CHECK(!guard_fired && read_events == EV_READ && strcmp(got, "ping") == 0,
            "io watcher gets EV_READ after a send, and reads the data");
    T_CHECK(write_events == EV_WRITE, "io watcher gets EV_WRITE on a connected socket");

    /* the same fd number watched again (EV__IOFDSET path), then closed fds */
    read_events = 0;
    got[0] = 0;
    ev_io_init(&rw, read_cb, fds[0], EV_READ);
    ev_io_start(loop, &rw);
    send(TO_SOCKET(fds[1]), "pong", 4, 0);
    run_guarded(loop);
    T_CHECK(!guard_fired && read_events == EV_READ && strcmp(got, "pong") == 0,
            "io watcher restarted");

    /* a watched fd closed under the loop: its watcher is stopped with EV_ERROR */
    read_events = 0;
    ev_io_init(&rw, err_cb, fds[0], EV_READ);
    ev_io_start(loop, &rw);
    ev_run(loop, EVRUN_NOWAIT);
    CLOSE_FD(fds[0]);
    run_guarded(loop);
    T_CHECK(!guard_fired && (read_events & EV_ERROR) && !ev_is_active(&rw),
            "closed fd: EV_ERROR, watcher stopped");
    CLOSE_FD(fds[1]);

    /* 100 socket pairs: only the one written to is reported */
    static int pfd[NPAIRS][2];
    static ev_io pw[NPAIRS];
    int made = 0;
    while (made < NPAIRS && tcp_pair(pfd[made]) == 0)
        ++made;
    T_CHECK(made == NPAIRS, "100 socket pairs");
    for (int i = 0; i < NPAIRS; ++i) {
        ev_io_init(&pw[i], many_cb, pfd[i][0], EV_READ);
        pw[i].data = (void *)(intptr_t)i;
        ev_io_start(loop, &pw[i]);
    }
    send(TO_SOCKET(pfd[97][1]), "x", 1, 0);
    run_guarded(loop);
    T_CHECK(!guard_fired && many_calls == 1 && many_hit == 97,
            "select() beyond 64 sockets reports the right one");
    for (int i = 0; i < NPAIRS; ++i) {
        ev_io_stop(loop, &pw[i]);
        CLOSE_FD(pfd[i][0]);
        CLOSE_FD(pfd[i][1]);
    }

    /* async from a second thread, while the loop blocks */
    async_loop = loop;
    ev_async_init(&async_w, async_cb);
    ev_async_start(loop, &async_w);
    HANDLE th = CreateThread(NULL, 0, async_thread, NULL, 0, NULL);
    T_CHECK(th != NULL, "CreateThread");
    run_guarded(loop);
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    T_CHECK(!guard_fired && async_calls == 1, "ev_async_send from another thread wakes the loop");

    /* stat polling */
    FILE *f = fopen(STAT_PATH, "wb");
    T_CHECK(f != NULL, "create the stat file");
    fputs("data\n", f);
    fclose(f);
    ev_stat st;
    ev_stat_init(&st, stat_cb, STAT_PATH, 0.1);
    ev_stat_start(loop, &st);
    T_CHECK(st.attr.st_nlink != 0 && st.attr.st_size == 5, "ev_stat reads the attributes");
    ev_timer append;
    ev_timer_init(&append, append_cb, 0.25, 0.);
    ev_timer_start(loop, &append);
    run_guarded(loop);
    T_CHECK(!guard_fired && stat_calls == 1 && stat_old_size == 5 && stat_new_size == 15,
            "ev_stat polling sees the file change");
    remove(STAT_PATH);

    /* signals: raised twice (the handler must survive the first) */
    ev_signal sig;
    ev_signal_init(&sig, sig_cb, SIGINT);
    ev_signal_start(loop, &sig);
    ev_timer r1, r2;
    ev_timer_init(&r1, raise_cb, 0.05, 0.);
    ev_timer_init(&r2, raise_cb, 0.15, 0.);
    ev_timer_start(loop, &r1);
    ev_timer_start(loop, &r2);
    run_guarded(loop);
    T_CHECK(!guard_fired && sig_calls == 2, "raise(SIGINT) reaches the ev_signal watcher, twice");
    T_CHECK(signal(SIGINT, SIG_DFL) == SIG_DFL, "the stopped watcher restored SIG_DFL");

    /* raise() in another thread while the loop blocks in select() */
    sig_calls = 1; /* sig_cb stops the watcher at its second call */
    ev_signal_start(loop, &sig);
    th = CreateThread(NULL, 0, raise_thread, NULL, 0, NULL);
    T_CHECK(th != NULL, "CreateThread (raise)");
    run_guarded(loop);
    WaitForSingleObject(th, INFINITE);
    CloseHandle(th);
    T_CHECK(!guard_fired && sig_calls == 2, "a signal raised in another thread wakes the loop");

    /* periodic */
    ev_periodic pe;
    ev_now_update(loop);
    ev_periodic_init(&pe, periodic_cb, ev_now(loop) + 0.1, 0., NULL);
    ev_periodic_start(loop, &pe);
    run_guarded(loop);
    T_CHECK(!guard_fired && periodic_calls == 1 && ev_now(loop) >= pe.offset - 0.01,
            "absolute periodic fires");

    /* ev_feed_signal, as from another thread */
    sig_calls = 0;
    ev_signal_start(loop, &sig);
    ev_feed_signal(SIGINT);
    ev_run(loop, EVRUN_NOWAIT);
    T_CHECK(sig_calls == 1, "ev_feed_signal");
    ev_signal_stop(loop, &sig);

    /* fork: watchers run, nothing is re-created; EVFLAG_FORKCHECK is accepted */
    ev_fork fw;
    ev_fork_init(&fw, fork_cb);
    ev_fork_start(loop, &fw);
    ev_idle idle;
    ev_idle_init(&idle, once_cb);
    ev_idle_start(loop, &idle);
    ev_loop_fork(loop);
    run_guarded(loop);
    T_CHECK(!guard_fired && fork_calls == 1, "ev_loop_fork runs the fork watchers");

    struct ev_loop *l2 = ev_loop_new(EVFLAG_FORKCHECK);
    T_CHECK(l2 != NULL && ev_backend(l2) == EVBACKEND_SELECT, "ev_loop_new(EVFLAG_FORKCHECK)");
    ev_async a2;
    ev_async_init(&a2, async_cb);
    async_calls = 0;
    ev_async_start(l2, &a2);
    ev_async_send(l2, &a2);
    run_guarded(l2);
    T_CHECK(!guard_fired && async_calls == 1, "second loop: async");
    ev_loop_destroy(l2);

    ev_loop_destroy(loop);
    printf("ALL OK (%d checks)\n", checks);
    return 0;
}
