/*
 * supervisor.c - keeps a command running: restarts it with exponential back-off, with ev_child.
 *
 *   supervisor [-b seconds] [-m seconds] [-s seconds] [-n max_restarts] -- command [args...]
 *
 * Starts the command (fork + execvp) and watches it with an ev_child watcher. When it exits, for
 * whatever reason, it is started again after a delay: -b seconds at first (default 1), doubled
 * after each quick failure up to -m seconds (default 60). A run that lasted at least -s seconds
 * (default 10) counts as healthy and resets the delay to -b. The delay is an ev_timer.
 *
 * After -n restarts (default 0: no limit) the supervisor gives up and exits 1 once the command
 * exits again. SIGINT or SIGTERM: no more restarts, the signal is passed on to the command, the
 * supervisor waits for it to exit and then exits 0.
 *
 * Output: "started pid P (run N)", "pid P exited with status S" or "... killed by signal S",
 * "restart N in D s", "giving up after N restarts", "signal S: stopping".
 */
#define _GNU_SOURCE 1
#include <ev.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char **command;
static double base_delay = 1., max_delay = 60., healthy_after = 10., delay;
static long max_restarts, restarts;
static int stopping, exit_status;
static pid_t child_pid;
static ev_tstamp started_at;
static ev_child child_w;
static ev_timer restart_w;
static ev_signal sigint_w, sigterm_w;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static void start_child(struct ev_loop *loop)
{
    fflush(stdout); /* nothing buffered may be written twice */
    /* Every signal blocked across the fork: a SIGTERM passed on to the child before it has reset
     * its dispositions would otherwise run ev's handler (inherited) and be lost, and the command
     * would never see it. Blocked, it waits for the child's SIG_DFL. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        perror("supervisor: fork");
        exit_status = 1;
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    if (pid == 0) {
        /* The child: signals back to their defaults (ev caught or blocked some), then unblocked
         * (what ev blocked too), then exec. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(command[0], command);
        fprintf(stderr, "supervisor: %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    child_pid = pid;
    started_at = ev_now(loop);
    /* Started after the fork: a child that exits at once is still seen, as the default loop
     * collects exit statuses and matches them to watchers in its next iteration. */
    ev_child_set(&child_w, pid, 0);
    ev_child_start(loop, &child_w);
    say("started pid %ld (run %ld)\n", (long)pid, restarts + 1);
}

static void restart_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    start_child(loop);
}

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
    (void)revents;
    ev_child_stop(loop, w); /* a watcher for a pid is of no use once it has exited */
    if (WIFSIGNALED(w->rstatus))
        say("pid %ld killed by signal %d\n", (long)w->rpid, WTERMSIG(w->rstatus));
    else
        say("pid %ld exited with status %d\n", (long)w->rpid, WEXITSTATUS(w->rstatus));
    child_pid = 0;
    if (stopping) {
        ev_signal_stop(loop, &sigint_w);
        ev_signal_stop(loop, &sigterm_w);
        return; /* nothing left: ev_run returns */
    }
    if (max_restarts > 0 && restarts >= max_restarts) {
        say("giving up after %ld restarts\n", restarts);
        exit_status = 1;
        ev_signal_stop(loop, &sigint_w);
        ev_signal_stop(loop, &sigterm_w);
        return;
    }
    if (ev_now(loop) - started_at >= healthy_after)
        delay = base_delay; /* it ran long enough: start over with the short delay */
    else if (restarts > 0)
        delay = delay * 2. < max_delay ? delay * 2. : max_delay;
    ++restarts;
    say("restart %ld in %.3f s\n", restarts, delay);
    ev_timer_set(&restart_w, delay, 0.);
    ev_timer_start(loop, &restart_w);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    say("signal %d: stopping\n", w->signum);
    stopping = 1;
    ev_timer_stop(loop, &restart_w);
    if (child_pid > 0) {
        kill(child_pid, w->signum); /* child_cb ends the loop when it has exited */
    } else {
        ev_signal_stop(loop, &sigint_w);
        ev_signal_stop(loop, &sigterm_w);
    }
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-b seconds] [-m seconds] [-s seconds] [-n max_restarts] -- command "
            "[args...]\n",
            prog);
    exit(2);
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "+b:m:s:n:")) != -1) {
        switch (opt) {
        case 'b':
            base_delay = atof(optarg);
            break;
        case 'm':
            max_delay = atof(optarg);
            break;
        case 's':
            healthy_after = atof(optarg);
            break;
        case 'n':
            max_restarts = atol(optarg);
            break;
        default:
            usage(argv[0]);
        }
    }
    if (optind == argc || base_delay < 0. || max_delay < base_delay || max_restarts < 0)
        usage(argv[0]);
    command = argv + optind;
    delay = base_delay;

    /* ev_child works in the default loop only (it owns SIGCHLD). */
    struct ev_loop *loop = ev_default_loop(0);
    if (!loop) {
        fprintf(stderr, "supervisor: no event loop\n");
        return 1;
    }
    ev_init(&child_w, child_cb);
    ev_init(&restart_w, restart_cb);
    ev_signal_init(&sigint_w, signal_cb, SIGINT);
    ev_signal_start(loop, &sigint_w);
    ev_signal_init(&sigterm_w, signal_cb, SIGTERM);
    ev_signal_start(loop, &sigterm_w);
    start_child(loop);

    ev_run(loop, 0);
    ev_loop_destroy(loop);
    return exit_status;
}
