/*
 * log_prog.c - a libevent 1.x program that carries libevent's own log.c (as every user of its
 * evdns.c and evutil.c does), linked with the shim (issue 18, item 7). log.c defines
 * event_set_log_callback itself: the link must not fail on a second definition, and the
 * callback the program installs through log.c must receive the shim's own warnings too.
 * Exits 0 when it does; prints what it got otherwise.
 */
#include <event.h>

#include <stdio.h>
#include <string.h>

#include "log.h"

static int got_shim, got_own;
static int last_severity = -1;

static void log_cb(int severity, const char *msg)
{
    last_severity = severity;
    if (strstr(msg, "event_add"))
        ++got_shim;
    if (strstr(msg, "own message"))
        ++got_own;
    printf("callback: %d %s\n", severity, msg);
}

int main(void)
{
    if (!event_init())
        return 2;
    event_set_log_callback(log_cb);
    event_warnx("own message %d", 1); /* log.c's function: its own callback */
    struct event never_set;
    memset(&never_set, 0, sizeof never_set);
    /* Misuse the shim reports with a warning (-1 and a message). */
    int r = event_add(&never_set, NULL);
    if (r != -1 || got_own != 1 || got_shim != 1 || last_severity != _EVENT_LOG_WARN) {
        printf("FAIL: event_add %d, own %d, shim %d, severity %d\n", r, got_own, got_shim,
               last_severity);
        return 1;
    }
    printf("ok\n");
    return 0;
}
