/*
 * layout_table.c - fills one ev_layout_table (layout.h) from whichever <ev.h> this compilation
 * sees: BUILD.bazel compiles it against ev's header and against Debian's libev 4.33 header, with
 * the default and with large-file (_FILE_OFFSET_BITS=64) struct stat, under the table name
 * EV_LAYOUT_NAME. The list names every public struct of ev.h and every member of each.
 */
#include <ev.h>

#include "layout.h"

#ifndef EV_LAYOUT_NAME
#error "EV_LAYOUT_NAME names the table"
#endif

#ifdef EV_IS_CLEANROOM_EV
#define HEADER "ev"
#else
#define HEADER "libev"
#endif

#define TYPE(t)                                                                                    \
    {                                                                                              \
#t, "", sizeof(t), _Alignof(t), 0                                                          \
    }
#define MEMBER(t, m)                                                                               \
    {                                                                                              \
#t, #m, sizeof(((t *)0)->m), 0, offsetof(t, m)                                             \
    }

/* The head every watcher starts with (EV_WATCHER), and its list and time variants. */
#define HEAD(t)                                                                                    \
    MEMBER(t, active), MEMBER(t, pending), MEMBER(t, priority), MEMBER(t, data), MEMBER(t, cb)
#define LIST_HEAD(t) HEAD(t), MEMBER(t, next)
#define TIME_HEAD(t) HEAD(t), MEMBER(t, at)

static const struct ev_layout_entry entries[] = {
    TYPE(ev_tstamp),
    TYPE(ev_statdata),
    TYPE(ev_watcher),
    HEAD(ev_watcher),
    TYPE(ev_watcher_list),
    LIST_HEAD(ev_watcher_list),
    TYPE(ev_watcher_time),
    TIME_HEAD(ev_watcher_time),
    TYPE(ev_io),
    LIST_HEAD(ev_io),
    MEMBER(ev_io, fd),
    MEMBER(ev_io, events),
    TYPE(ev_timer),
    TIME_HEAD(ev_timer),
    MEMBER(ev_timer, repeat),
    TYPE(ev_periodic),
    TIME_HEAD(ev_periodic),
    MEMBER(ev_periodic, offset),
    MEMBER(ev_periodic, interval),
    MEMBER(ev_periodic, reschedule_cb),
    TYPE(ev_signal),
    LIST_HEAD(ev_signal),
    MEMBER(ev_signal, signum),
    TYPE(ev_child),
    LIST_HEAD(ev_child),
    MEMBER(ev_child, flags),
    MEMBER(ev_child, pid),
    MEMBER(ev_child, rpid),
    MEMBER(ev_child, rstatus),
    TYPE(ev_stat),
    LIST_HEAD(ev_stat),
    MEMBER(ev_stat, timer),
    MEMBER(ev_stat, interval),
    MEMBER(ev_stat, path),
    MEMBER(ev_stat, prev),
    MEMBER(ev_stat, attr),
    MEMBER(ev_stat, wd),
    TYPE(ev_idle),
    HEAD(ev_idle),
    TYPE(ev_prepare),
    HEAD(ev_prepare),
    TYPE(ev_check),
    HEAD(ev_check),
    TYPE(ev_fork),
    HEAD(ev_fork),
    TYPE(ev_cleanup),
    HEAD(ev_cleanup),
    TYPE(ev_embed),
    HEAD(ev_embed),
    MEMBER(ev_embed, other),
    MEMBER(ev_embed, io),
    MEMBER(ev_embed, prepare),
    MEMBER(ev_embed, check),
    MEMBER(ev_embed, timer),
    MEMBER(ev_embed, periodic),
    MEMBER(ev_embed, idle),
    MEMBER(ev_embed, fork),
    MEMBER(ev_embed, cleanup),
    TYPE(ev_async),
    HEAD(ev_async),
    MEMBER(ev_async, sent),
    TYPE(union ev_any_watcher),
    MEMBER(union ev_any_watcher, w),
    MEMBER(union ev_any_watcher, wl),
    MEMBER(union ev_any_watcher, io),
    MEMBER(union ev_any_watcher, timer),
    MEMBER(union ev_any_watcher, periodic),
    MEMBER(union ev_any_watcher, signal),
    MEMBER(union ev_any_watcher, child),
    MEMBER(union ev_any_watcher, stat),
    MEMBER(union ev_any_watcher, idle),
    MEMBER(union ev_any_watcher, prepare),
    MEMBER(union ev_any_watcher, check),
    MEMBER(union ev_any_watcher, fork),
    MEMBER(union ev_any_watcher, cleanup),
    MEMBER(union ev_any_watcher, embed),
    MEMBER(union ev_any_watcher, async),
};

const struct ev_layout_table EV_LAYOUT_NAME = {
    HEADER,
    entries,
    sizeof entries / sizeof entries[0],
};
