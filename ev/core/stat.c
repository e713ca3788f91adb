/*
 * stat.c - ev_stat: a watcher fires when lstat() of its path reports different
 * attributes than before. With inotify (one fd per loop, opened at the first
 * ev_stat_start) each watcher holds a watch on its path, or on the nearest
 * existing ancestor while the path is missing; every event for a watch
 * descriptor re-stats the watchers on it. Watchers with a watch (w->wd >= 0)
 * sit in loop->stat_state's hash, linked through w->next; every other active
 * watcher polls with its private timer, which is an unreferenced ev_timer (the
 * stat watcher itself holds the loop reference). w->wd is the watch
 * descriptor, -1 if no watch could be placed, -2 while stopped or when the
 * loop has no inotify. With a watch there is no polling, except for a path
 * that exists but refused the watch, and on file systems where inotify misses
 * remote changes (NFS, FUSE, ...: every 30.1 s unless an interval is set).
 */
#include "ev_internal.h"

#if EV_STAT_ENABLE

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if EV_USE_INOTIFY
#include <limits.h>
#include <sys/inotify.h>
#include <sys/vfs.h>
#endif

#ifndef EV_INOTIFY_HASHSIZE
#define EV_INOTIFY_HASHSIZE (EV_FEATURE_DATA ? 16 : 1)
#endif

/* The odd fractions keep many watchers started together from polling in
 * lock-step with each other and with round-second timers (libev's values). */
#define STAT_MIN_INTERVAL 0.1074891
#define STAT_DEF_INTERVAL 5.0074891
#define STAT_REMOTE_INTERVAL 30.1074891 /* safety poll next to inotify on remote fs */

static void stat_timer_cb(EV_P_ ev_timer *t, int revents);

#ifdef _WIN32
/* Windows: ev_statdata is struct _stati64 (no lstat, no inotify: every watcher polls), and its
 * times are whole seconds. */
#define lstat(path, buf) _stati64(path, buf)
#define TIMES_DIFFER(a, b)                                                                         \
    ((a)->st_atime != (b)->st_atime || (a)->st_mtime != (b)->st_mtime ||                           \
     (a)->st_ctime != (b)->st_ctime)
#else
static int ts_differ(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec != b->tv_sec || a->tv_nsec != b->tv_nsec;
}

#define TIMES_DIFFER(a, b)                                                                         \
    (ts_differ(&(a)->st_atim, &(b)->st_atim) || ts_differ(&(a)->st_mtim, &(b)->st_mtim) ||         \
     ts_differ(&(a)->st_ctim, &(b)->st_ctim))
#endif

void ev_stat_stat(EV_P_ ev_stat *w) EV_NOEXCEPT
{
    (void)loop;
    if (lstat(w->path, &w->attr) < 0) {
        memset(&w->attr, 0, sizeof w->attr); /* st_nlink 0 says "absent" */
    } else if (!w->attr.st_nlink) {
        w->attr.st_nlink = 1; /* an existing path must never look absent */
    }
}

/* Nanoseconds are compared too (libev 4.33 compares whole seconds and so
 * misses a same-size edit within the second of the previous one). */
static int attr_differ(const ev_statdata *a, const ev_statdata *b)
{
    return a->st_dev != b->st_dev || a->st_ino != b->st_ino || a->st_mode != b->st_mode ||
           a->st_nlink != b->st_nlink || a->st_uid != b->st_uid || a->st_gid != b->st_gid ||
           a->st_rdev != b->st_rdev || a->st_size != b->st_size || TIMES_DIFFER(a, b);
}

/* Re-stats w and queues EV_STAT if anything changed. prev is only replaced
 * on a change, so inside the callback prev and attr always differ. Returns
 * whether the file's identity (existence, device, inode) changed. */
static int stat_check(struct ev_loop *loop, ev_stat *w)
{
    ev_statdata old = w->attr;
    ev_stat_stat(EV_A_ w);
    if (!attr_differ(&old, &w->attr))
        return 0;
    w->prev = old;
    ev__feed(loop, (ev_watcher *)w, EV_STAT);
    return !old.st_nlink != !w->attr.st_nlink || old.st_dev != w->attr.st_dev ||
           old.st_ino != w->attr.st_ino;
}

/* Runs the private timer at `repeat` seconds (0 = stopped). It is kept
 * unreferenced: only the stat watcher counts towards ev_run's liveness. The
 * schedule is left alone when the period does not change. */
static void poll_set(struct ev_loop *loop, ev_stat *w, ev_tstamp repeat)
{
    if (w->timer.active) {
        if (w->timer.repeat == repeat)
            return;
        ++loop->activecnt;
        ev_timer_stop(EV_A_ & w->timer);
    }
    if (repeat > 0.) {
        ev_timer_set(&w->timer, repeat, repeat);
#if EV_MINPRI != EV_MAXPRI
        w->timer.priority = w->priority; /* the poll feeds w at w's level */
#endif
        ev_timer_start(EV_A_ & w->timer);
        --loop->activecnt;
    }
}

static ev_tstamp poll_interval(const ev_stat *w)
{
    return w->interval != 0. ? w->interval : STAT_DEF_INTERVAL;
}

#if EV_USE_INOTIFY

/* Watching the path itself. The directory-entry events matter when the path
 * is a directory: they change its mtime. */
#define WATCH_SELF                                                                                 \
    (IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY | IN_CREATE | IN_DELETE |               \
     IN_MOVED_FROM | IN_MOVED_TO | IN_DONT_FOLLOW | IN_MASK_ADD)
/* Watching an ancestor while the path is missing: only "a name appeared"
 * and "the ancestor went away" matter. Symlinks are followed here, as path
 * resolution does for every component but the last. */
#define WATCH_ANCESTOR (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_MASK_ADD)

struct stat_state {
    ev_watcher_list *head[EV_INOTIFY_HASHSIZE]; /* watchers with wd >= 0, by wd */
};

static ev_watcher_list **wd_bucket(struct ev_loop *loop, int wd)
{
    struct stat_state *s = (struct stat_state *)loop->stat_state;
    return &s->head[(unsigned)wd % EV_INOTIFY_HASHSIZE];
}

static void hash_link(struct ev_loop *loop, ev_stat *w)
{
    ev_watcher_list **head = wd_bucket(loop, w->wd);
    w->next = *head;
    *head = (ev_watcher_list *)w;
}

static void hash_unlink(struct ev_loop *loop, ev_stat *w)
{
    ev_watcher_list **p = wd_bucket(loop, w->wd);
    while (*p && *p != (ev_watcher_list *)w)
        p = &(*p)->next;
    if (*p)
        *p = w->next;
    w->next = NULL;
}

static int wd_in_use(struct ev_loop *loop, int wd)
{
    for (ev_watcher_list *x = *wd_bucket(loop, wd); x; x = x->next)
        if (((ev_stat *)x)->wd == wd)
            return 1;
    return 0;
}

/* Whether inotify is trustworthy on the file system holding `path`: on
 * network and FUSE file systems changes made elsewhere produce no events. */
static int fs_is_local(const char *path)
{
    struct statfs sfs;
    if (statfs(path, &sfs) < 0)
        return 0;
    switch ((unsigned long)sfs.f_type) {
    case 0xEF53UL:     /* ext2/3/4 */
    case 0x9123683EUL: /* btrfs */
    case 0x58465342UL: /* xfs */
    case 0x01021994UL: /* tmpfs */
    case 0x858458F6UL: /* ramfs */
    case 0x958458F6UL: /* hugetlbfs */
    case 0xF2F52010UL: /* f2fs */
    case 0x52654973UL: /* reiserfs */
    case 0x3153464AUL: /* jfs */
    case 0x2FC12FC1UL: /* zfs */
    case 0x794C7630UL: /* overlayfs */
    case 0x4D44UL:     /* vfat */
    case 0x2011BAB0UL: /* exfat */
    case 0x5346544EUL: /* ntfs */
    case 0x9660UL:     /* iso9660 */
    case 0x73717368UL: /* squashfs */
    case 0x28CD3D45UL: /* cramfs */
    case 0x62656572UL: /* sysfs */
    case 0x9FA0UL:     /* proc */
    case 0x1373UL:     /* devfs */
    case 0x27E0EBUL:   /* cgroup */
    case 0x63677270UL: /* cgroup2 */
        return 1;
    default:
        return 0;
    }
}

/* Test-only, declared nowhere public: when non-zero, every inotify_add_watch
 * fails with this errno (e.g. ENOSPC, as when max_user_watches is reached),
 * so tests can exercise the fallback without changing a system-wide limit. */
int ev__test_inotify_add_errno;

static int add_watch(int fd, const char *path, uint32_t mask)
{
    if (EV__UNLIKELY(ev__test_inotify_add_errno)) {
        errno = ev__test_inotify_add_errno;
        return -1;
    }
    return inotify_add_watch(fd, path, mask);
}

/* Places w's watch: on the path, or on the nearest ancestor that accepts
 * one. Sets w->wd (-1 if none could be placed) and links w into the hash;
 * returns the polling period still needed next to the watch (0 for none). */
static ev_tstamp infy_attach(struct ev_loop *loop, ev_stat *w)
{
    char buf[PATH_MAX];
    size_t len = strlen(w->path);
    int wd = add_watch(loop->inotify_fd, w->path, WATCH_SELF);
    if (wd >= 0) {
        w->wd = wd;
        hash_link(loop, w);
        if (fs_is_local(w->path))
            return 0.;
        return w->interval != 0. ? w->interval : STAT_REMOTE_INTERVAL;
    }
    /* ENOSPC (max_user_watches) and friends: inotify cannot help here. */
    int only_missing = errno == ENOENT || errno == ENOTDIR;
    if (!only_missing && errno != EACCES)
        goto fail;
    if (len >= sizeof buf)
        goto fail;
    memcpy(buf, w->path, len + 1);
    while (len > 0) {
        /* Cut the last component (and the slashes before it). */
        while (len > 1 && buf[len - 1] == '/')
            --len;
        while (len > 0 && buf[len - 1] != '/')
            --len;
        while (len > 1 && buf[len - 1] == '/')
            --len;
        if (len == 0)
            memcpy(buf, ".", 2); /* a relative path's first component */
        else
            buf[len] = '\0';
        wd = add_watch(loop->inotify_fd, buf, WATCH_ANCESTOR);
        if (wd >= 0) {
            w->wd = wd;
            hash_link(loop, w);
            /* A missing component shows up as an event here, so a missing
             * path is not polled (libev 4.33 polls it at the default
             * interval as well); a path that exists but refused the watch
             * can only be polled. */
            return only_missing ? 0. : poll_interval(w);
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            if (errno != EACCES)
                goto fail;
            only_missing = 0;
        }
        if (len == 1 && buf[0] == '/')
            break;
    }
fail:
    w->wd = -1;
    return poll_interval(w);
}

/* Unlinks w from the hash; the kernel watch goes only with its last user,
 * since watchers on one inode share the descriptor. */
static void infy_detach(struct ev_loop *loop, ev_stat *w)
{
    int wd = w->wd;
    if (wd < 0)
        return;
    hash_unlink(loop, w);
    w->wd = -1;
    if (!wd_in_use(loop, wd))
        inotify_rm_watch(loop->inotify_fd, wd);
}

/* Moves w's watch to wherever its path now leads. The new watch is placed
 * before the old one is dropped, so an unchanged target keeps its watch. */
static void infy_retarget(struct ev_loop *loop, ev_stat *w)
{
    int old = w->wd;
    if (old >= 0)
        hash_unlink(loop, w);
    poll_set(loop, w, infy_attach(loop, w));
    if (old >= 0 && old != w->wd && !wd_in_use(loop, old))
        inotify_rm_watch(loop->inotify_fd, old);
}

/* An event for `wd`: re-stat its watchers and follow the path if it may
 * have moved. The walk survives retargeting: a moved watcher is re-linked at
 * the head of a list, never after the saved successor. */
static void infy_wd_event(struct ev_loop *loop, int wd, uint32_t mask)
{
    ev_watcher_list *x = *wd_bucket(loop, wd);
    while (x) {
        ev_watcher_list *next = x->next;
        ev_stat *w = (ev_stat *)x;
        if (w->wd == wd) {
            int moved = stat_check(loop, w);
            /* IN_CREATE / IN_MOVED_TO come from a directory watch: the path may exist now
             * (even when ev_stat_stat already saw it, so that nothing "moved") */
            if (moved || !w->attr.st_nlink ||
                (mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_CREATE |
                         IN_MOVED_TO))) {
                infy_retarget(loop, w);
                /* Changes between the old watch and the new one. */
                stat_check(loop, w);
            }
        }
        x = next;
    }
}

/* The event queue overflowed: anything may have changed. Retargeting
 * re-links watchers, so the walk goes over a snapshot of the hash. */
static void infy_check_all(struct ev_loop *loop)
{
    struct stat_state *s = (struct stat_state *)loop->stat_state;
    size_t n = 0;
    for (int i = 0; i < EV_INOTIFY_HASHSIZE; ++i)
        for (ev_watcher_list *x = s->head[i]; x; x = x->next)
            ++n;
    if (!n)
        return;
    ev_stat **all = (ev_stat **)ev__realloc(NULL, n * sizeof *all);
    n = 0;
    for (int i = 0; i < EV_INOTIFY_HASHSIZE; ++i)
        for (ev_watcher_list *x = s->head[i]; x; x = x->next)
            all[n++] = (ev_stat *)x;
    for (size_t i = 0; i < n; ++i) {
        stat_check(loop, all[i]);
        infy_retarget(loop, all[i]);
        stat_check(loop, all[i]);
    }
    ev__free(all);
}

static void infy_cb(EV_P_ ev_io *io, int revents)
{
    (void)io;
    (void)revents;
    /* One read per callback; the level-triggered watcher brings us back. */
    union {
        struct inotify_event ev;
        char raw[4096 + sizeof(struct inotify_event) + NAME_MAX + 1];
    } buf;
    ssize_t n = read(loop->inotify_fd, &buf, sizeof buf);
    if (n <= 0)
        return; /* EAGAIN: someone else drained it; EINTR: next time */
    for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
        struct inotify_event *ev = (struct inotify_event *)(buf.raw + off);
        if (ev->mask & IN_Q_OVERFLOW)
            infy_check_all(loop);
        else if (ev->wd >= 0)
            infy_wd_event(loop, ev->wd, ev->mask);
        off += (ssize_t)(sizeof(struct inotify_event) + ev->len);
    }
}

/* Opens the loop's inotify fd: -2 if unavailable (then every watcher polls). `old` is the
 * instance it replaces (its number is kept), or -1. */
static void infy_open(struct ev_loop *loop, int old)
{
    loop->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (loop->inotify_fd < 0) {
        if (old >= 0)
            close(old);
        loop->inotify_fd = -2;
        return;
    }
    loop->inotify_fd = ev__fd_replace(loop->inotify_fd, old);
    if (!loop->stat_state) {
        loop->stat_state = ev__realloc(NULL, sizeof(struct stat_state));
        memset(loop->stat_state, 0, sizeof(struct stat_state));
    }
    ev_init(&loop->inotify_w, infy_cb);
    ev_io_set(&loop->inotify_w, loop->inotify_fd, EV_READ);
    ev__io_start_internal(loop, &loop->inotify_w);
}

static void infy_close(struct ev_loop *loop)
{
    if (loop->inotify_fd >= 0) {
        ev__io_stop_internal(loop, &loop->inotify_w);
        close(loop->inotify_fd);
    }
    loop->inotify_fd = -1;
}

#endif /* EV_USE_INOTIFY */

static void stat_timer_cb(EV_P_ ev_timer *t, int revents)
{
    (void)revents;
    ev_stat *w = (ev_stat *)((char *)t - offsetof(ev_stat, timer));
    int moved = stat_check(loop, w);
#if EV_USE_INOTIFY
    /* The safety poll saw what inotify did not: follow the path. */
    if (moved && w->wd >= 0 && loop->inotify_fd >= 0)
        infy_retarget(loop, w);
#else
    (void)moved;
#endif
}

void ev_stat_start(EV_P_ ev_stat *w) EV_NOEXCEPT
{
    if (EV__UNLIKELY(w->active))
        return;
    EV__ASSERT(w->path, "libev: ev_stat_start called with a NULL path");
    /* Negative intervals are raised too, as libev does. */
    if (w->interval != 0. && w->interval < STAT_MIN_INTERVAL)
        w->interval = STAT_MIN_INTERVAL;
    ev__start(loop, (ev_watcher *)w, 1); /* clamps the priority the timer copies */
    ev_init(&w->timer, stat_timer_cb);
    w->timer.repeat = 0.;
    w->next = NULL;
    w->wd = -2; /* stays so without inotify (as libev 4.33 leaves it) */

    ev_tstamp repeat = poll_interval(w);
#if EV_USE_INOTIFY
    if (loop->inotify_fd == -1) {
        if (loop->flags & EVFLAG_NOINOTIFY)
            loop->inotify_fd = -2;
        else
            infy_open(loop, -1);
    }
    /* The watch goes first: a change after it is an event, one before it is
     * in the attributes read below. */
    if (loop->inotify_fd >= 0)
        repeat = infy_attach(loop, w);
#endif
    ev_stat_stat(EV_A_ w);
    poll_set(loop, w, repeat);
}

void ev_stat_stop(EV_P_ ev_stat *w) EV_NOEXCEPT
{
    ev__unpend(loop, (ev_watcher *)w);
    if (EV__UNLIKELY(!w->active))
        return;
#if EV_USE_INOTIFY
    if (w->wd >= 0 && loop->inotify_fd >= 0)
        infy_detach(loop, w);
#endif
    poll_set(loop, w, 0.);
    w->wd = -2;
    ev__stop(loop, (ev_watcher *)w);
}

void ev__stat_loop_destroy(struct ev_loop *loop)
{
#if EV_USE_INOTIFY
    infy_close(loop);
#endif
    ev__free(loop->stat_state);
    loop->stat_state = NULL;
    loop->inotify_fd = -1;
}

void ev__stat_fork(struct ev_loop *loop)
{
#if EV_USE_INOTIFY
    if (loop->inotify_fd < 0)
        return;
    /* The inherited fd is the parent's inotify instance: close our copy
     * without removing any watch, then rebuild every watch on a new one. */
    struct stat_state *s = (struct stat_state *)loop->stat_state;
    ev_watcher_list *all = NULL;
    for (int i = 0; i < EV_INOTIFY_HASHSIZE; ++i) {
        while (s->head[i]) {
            ev_watcher_list *x = s->head[i];
            s->head[i] = x->next;
            x->next = all;
            all = x;
        }
    }
    /* The new instance takes the old number (see ev__fd_replace). */
    int old = loop->inotify_fd;
    ev__io_stop_internal(loop, &loop->inotify_w);
    loop->inotify_fd = -1;
    infy_open(loop, old);
    while (all) {
        ev_stat *w = (ev_stat *)all;
        all = all->next;
        w->next = NULL;
        w->wd = -2;
        if (loop->inotify_fd >= 0)
            poll_set(loop, w, infy_attach(loop, w));
        else
            poll_set(loop, w, poll_interval(w));
        /* Events went to the shared instance meanwhile (maybe read by the
         * parent): compare now. */
        stat_check(loop, w);
    }
#else
    (void)loop;
#endif
}

#endif /* EV_STAT_ENABLE */
