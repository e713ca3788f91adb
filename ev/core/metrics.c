/*
 * metrics.c - loop metrics and the slow-callback hook (ev_metrics.h).
 *
 * A loop without metrics never enters this file: enabling sets the EV__H_METRICS bit, which
 * ev_run already tests together with the release/acquire bit around the poll, and installs
 * ev__metrics_invoke as the loop's invoke callback (as ev_set_invoke_pending_cb would), so the
 * plain paths stay as they are. Per iteration an enabled loop reads the clock once before the
 * poll; the time after the poll is the loop's own mn_now, which ev_run reads before it queues the
 * timers. Idle time is poll end - poll start; busy time is the rest of the measuring period.
 *
 * Events are counted when their callback is invoked, by the event bits (a watcher has no type
 * field). The loop's own watchers (wake-up fd, signalfd, timerfd, inotify: they live inside the
 * loop struct) are not counted. Loop lag: when a batch of timers (periodics) is due, timer.c
 * (periodic.c) calls ev__metrics_due once before firing it, which walks the heap nodes keyed before
 * now: each watcher whose deadline is before now fires in this batch, now - deadline late.
 */
#include "ev_internal.h"
#include "ev_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ev__metrics {
    struct ev_metrics m; /* the counters; elapsed, idle and busy are derived in ev_metrics_get */
    ev_tstamp start;     /* monotonic time of enabling or the last reset */
    ev_tstamp idle;
    ev_tstamp poll_start;
    int in_poll;               /* between poll_begin and poll_end */
    int polled;                /* a poll ended; the next invoke accounts for it */
    void (*user_invoke)(EV_P); /* ev_set_invoke_pending_cb's callback, or NULL */
    ev_metrics_slow_cb slow_cb;
    void *slow_data;
    void (*slow_release)(void *data);
    double threshold;
};

static void release_hook(struct ev__metrics *x)
{
    void (*release)(void *) = x->slow_release;
    void *data = x->slow_data;
    x->slow_cb = NULL;
    x->slow_data = NULL;
    x->slow_release = NULL;
    if (release)
        release(data);
}

static void clear_counters(struct ev__metrics *x)
{
    memset(&x->m, 0, sizeof x->m);
    x->idle = 0.;
    x->start = ev__mono();
    if (x->in_poll)
        x->poll_start = x->start; /* a reset while blocked: the idle time counts from now */
}

int ev_metrics_enable(EV_P_ int on) EV_NOEXCEPT
{
    struct ev__metrics *x = loop->metrics;
    if (on && !x) {
        x = (struct ev__metrics *)ev__realloc(NULL, sizeof *x);
        memset(x, 0, sizeof *x);
        clear_counters(x);
        if (loop->invoke_cb != ev_invoke_pending)
            x->user_invoke = loop->invoke_cb;
        loop->metrics = x;
        loop->invoke_cb = ev__metrics_invoke;
        loop->hooks |= EV__H_METRICS;
    } else if (!on && x) {
        loop->invoke_cb = x->user_invoke ? x->user_invoke : ev_invoke_pending;
        loop->hooks &= ~EV__H_METRICS;
        loop->metrics = NULL;
        release_hook(x);
        ev__free(x);
    }
    return 0;
}

int ev_metrics_enabled(EV_P) EV_NOEXCEPT
{
    return loop->metrics != NULL;
}

void ev__metrics_free(struct ev_loop *loop)
{
    struct ev__metrics *x = loop->metrics;
    if (!x)
        return;
    loop->metrics = NULL;
    release_hook(x);
    ev__free(x);
}

void ev__metrics_env(struct ev_loop *loop)
{
    if (loop->flags & EVFLAG_NOENV)
        return;
#ifndef _WIN32
    if (getuid() != geteuid() || getgid() != getegid())
        return; /* as LIBEV_FLAGS: not from a setuid program's environment */
#endif
    const char *env = getenv("LIBEV_METRICS");
    if (env && atoi(env) > 0)
        ev_metrics_enable(EV_A_ 1);
}

void ev__metrics_user_invoke(struct ev_loop *loop, void (*cb)(EV_P))
{
    loop->metrics->user_invoke = cb == ev_invoke_pending ? NULL : cb;
}

void ev_metrics_reset(EV_P) EV_NOEXCEPT
{
    if (loop->metrics)
        clear_counters(loop->metrics);
}

void ev_metrics_set_slow_cb(EV_P_ double threshold, ev_metrics_slow_cb cb, void *data,
                            void (*release)(void *data)) EV_NOEXCEPT
{
    if (!loop->metrics && cb)
        ev_metrics_enable(EV_A_ 1);
    struct ev__metrics *x = loop->metrics;
    if (x)
        release_hook(x);
    if (!cb)
        return; /* removed */
    x->slow_cb = cb;
    x->slow_data = data;
    x->slow_release = release;
    x->threshold = threshold > 0. ? threshold : 0.;
}

size_t ev_metrics_get(EV_P_ struct ev_metrics *out, size_t size) EV_NOEXCEPT
{
    struct ev_metrics m;
    memset(&m, 0, sizeof m);
    const struct ev__metrics *x = loop->metrics;
    if (x) {
        m = x->m;
        m.enabled = 1;
        ev_tstamp now = ev__mono();
        ev_tstamp idle = x->idle;
        if (x->in_poll && now > x->poll_start)
            idle += now - x->poll_start; /* read under the loop's lock while it is blocked */
        m.elapsed = now > x->start ? now - x->start : 0.;
        m.idle = idle < m.elapsed ? idle : m.elapsed;
        m.busy = m.elapsed - m.idle;
        m.events_total = 0;
        for (int i = 0; i < EV_METRICS_NTYPES; ++i)
            m.events_total += m.events[i];
    }
    if (size > sizeof m)
        size = sizeof m;
    m.size = (uint32_t)size;
    m.version = EV_METRICS_VERSION;
    if (out && size)
        memcpy(out, &m, size);
    return out ? size : 0;
}

const char *ev_metrics_type_name(int type) EV_NOEXCEPT
{
    static const char *const names[EV_METRICS_NTYPES] = {
        "io",      "timer", "periodic", "signal", "child", "stat",    "idle",
        "prepare", "check", "fork",     "async",  "embed", "cleanup", "custom",
    };
    return type >= 0 && type < EV_METRICS_NTYPES ? names[type] : NULL;
}

EV__COLD void ev__metrics_fed(struct ev_loop *loop)
{
    ++loop->metrics->m.fed;
}

static void add_lag(struct ev__metrics *x, ev_tstamp lag)
{
    if (lag < 0.)
        lag = 0.;
    ++x->m.lag_count;
    x->m.lag_sum += lag;
    if (lag > x->m.lag_max)
        x->m.lag_max = lag;
}

/* Depth first through the nodes keyed before now (a node's children have keys >= its own). */
static void due_from(struct ev__metrics *x, const struct ev__heap_node *h, int end, int k,
                     ev_tstamp now)
{
    if (h[k].at >= now)
        return;
    if (h[k].w->at < now)
        add_lag(x, now - h[k].w->at);
    int c = EV__HEAP_CHILD(k);
    for (int i = 0; i < 4 && c + i < end; ++i)
        due_from(x, h, end, c + i, now);
}

EV__COLD void ev__metrics_due(struct ev_loop *loop, const struct ev__heap_node *h, int end,
                              ev_tstamp now)
{
    if (end > EV__HEAP0)
        due_from(loop->metrics, h, end, EV__HEAP0, now);
}

void ev__metrics_poll_begin(struct ev_loop *loop)
{
    struct ev__metrics *x = loop->metrics;
    ++x->m.iterations;
    x->poll_start = ev__mono();
    x->in_poll = 1;
}

void ev__metrics_poll_end(struct ev_loop *loop)
{
    struct ev__metrics *x = loop->metrics;
    x->in_poll = 0;
    x->polled = 1;
}

/* The loop's own watchers live in the loop struct. */
static int is_internal(const struct ev_loop *loop, const ev_watcher *w)
{
    return (const char *)w >= (const char *)loop && (const char *)w < (const char *)(loop + 1);
}

static int type_of(int revents)
{
    /* EV_TIMER (0x100) up to EV_ASYNC (0x80000), one bit each */
    static const unsigned char by_bit[12] = {
        EV_METRICS_TIMER, EV_METRICS_PERIODIC, EV_METRICS_SIGNAL,  EV_METRICS_CHILD,
        EV_METRICS_STAT,  EV_METRICS_IDLE,     EV_METRICS_PREPARE, EV_METRICS_CHECK,
        EV_METRICS_EMBED, EV_METRICS_FORK,     EV_METRICS_CLEANUP, EV_METRICS_ASYNC,
    };
    if (revents & (EV_READ | EV_WRITE))
        return EV_METRICS_IO;
    unsigned int bits = ((unsigned int)revents >> 8) & 0xfffu;
    return bits ? (int)by_bit[__builtin_ctz(bits)] : (int)EV_METRICS_CUSTOM;
}

/* After a poll: the idle time. */
static void account_poll(struct ev_loop *loop, struct ev__metrics *x)
{
    x->polled = 0;
    ev_tstamp now = loop->mn_now;
    if (now > x->poll_start)
        x->idle += now - x->poll_start;
}

/* Counts what a foreign invoke callback is about to invoke. */
static void count_queue(struct ev_loop *loop, struct ev__metrics *x)
{
    for (int p = 0; p < EV__NUMPRI; ++p) {
        const struct ev__plevel *l = &loop->pq[p];
        for (int i = 0; i < l->cnt; ++i)
            if (l->q[i].w != &loop->pending_none && !is_internal(loop, l->q[i].w))
                ++x->m.events[type_of(l->q[i].events)];
    }
}

void ev__metrics_invoke(EV_P)
{
    struct ev__metrics *x = loop->metrics;
    /* With a slow-callback hook: when the next callback starts. Read afresh at the first one
     * (not mn_now: queueing a large batch of expired timers must not count as a callback). */
    ev_tstamp t = 0.;
    int have_t = 0;
    if (x->polled)
        account_poll(loop, x);
    uint64_t queued = 0;
    for (int p = 0; p < EV__NUMPRI; ++p)
        queued += (uint64_t)loop->pq[p].cnt;
    if (queued > x->m.max_pending)
        x->m.max_pending = queued;
    if (x->user_invoke) {
        count_queue(loop, x);
        x->user_invoke(EV_A);
        return;
    }

    /* ev_invoke_pending's order: the highest priority first, each level from its end. */
    unsigned int mask;
    while ((mask = loop->pending_mask)) {
        int pri = 31 ^ __builtin_clz(mask);
        struct ev__plevel *l = &loop->pq[pri];
        int n = --l->cnt;
        if (!n)
            loop->pending_mask = mask ^ (1u << pri);
        ev_watcher *w = l->q[n].w;
        int revents = l->q[n].events;
        if (w == &loop->pending_none)
            continue;
        w->pending = 0;
        int type = is_internal(loop, w) ? -1 : type_of(revents);
        if (type >= 0)
            ++x->m.events[type];
        if (!x->slow_cb) {
            EV_CB_INVOKE(w, revents);
            have_t = 0;
        } else {
            int priority = EV__PRI(w) + EV_MINPRI; /* before the callback: it may free w */
            if (!have_t)
                t = ev__mono();
            EV_CB_INVOKE(w, revents);
            ev_tstamp end = ev__mono();
            ev_tstamp d = end - t;
            t = end;
            have_t = 1;
            x = loop->metrics;
            if (x && x->slow_cb && type >= 0 && d > x->threshold) {
                ++x->m.slow_callbacks;
                x->slow_cb(EV_A_ w, type, priority, d, x->slow_data);
                t = ev__mono(); /* the hook's own time is nobody's */
            }
        }
        x = loop->metrics;
        if (EV__UNLIKELY(x == NULL || loop->invoke_cb != ev__metrics_invoke)) {
            loop->invoke_cb(EV_A); /* disabled by the callback: the rest the plain way */
            return;
        }
    }
}

/* ---------------------------------------------------------------------------
 * Prometheus text format.
 */
struct out {
    char *buf;
    size_t size, len;
};

#if defined(__GNUC__) || defined(__clang__)
static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = o->len < o->size ? o->buf + o->len : NULL;
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void head(struct out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *label_of(const char *const *labels, int i)
{
    return labels && labels[i] ? labels[i] : "";
}

/* name{labels} value, for a double or a count */
static void sample(struct out *o, const char *name, const char *labels, double v)
{
    if (*labels)
        put(o, "%s{%s} %.9g\n", name, labels, v);
    else
        put(o, "%s %.9g\n", name, v);
}

static void count(struct out *o, const char *name, const char *labels, uint64_t v)
{
    if (*labels)
        put(o, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
    else
        put(o, "%s %llu\n", name, (unsigned long long)v);
}

size_t ev_metrics_prometheus(char *buf, size_t size, const struct ev_metrics *ms,
                             const char *const *labels, int n) EV_NOEXCEPT
{
    struct out o = {buf, size, 0};
    if (size)
        buf[0] = 0;
    head(&o, "ev_loop_elapsed_seconds", "gauge", "Seconds since the loop's metrics were reset.");
    for (int i = 0; i < n; ++i)
        sample(&o, "ev_loop_elapsed_seconds", label_of(labels, i), ms[i].elapsed);
    head(&o, "ev_loop_idle_seconds_total", "counter", "Seconds the loop was blocked in its poll.");
    for (int i = 0; i < n; ++i)
        sample(&o, "ev_loop_idle_seconds_total", label_of(labels, i), ms[i].idle);
    head(&o, "ev_loop_busy_seconds_total", "counter",
         "Seconds the loop was not blocked (callbacks and the loop's own work).");
    for (int i = 0; i < n; ++i)
        sample(&o, "ev_loop_busy_seconds_total", label_of(labels, i), ms[i].busy);
    head(&o, "ev_loop_utilization", "gauge", "busy / elapsed since the reset.");
    for (int i = 0; i < n; ++i)
        sample(&o, "ev_loop_utilization", label_of(labels, i),
               ms[i].elapsed > 0. ? ms[i].busy / ms[i].elapsed : 0.);
    head(&o, "ev_loop_iterations_total", "counter", "Loop iterations (polls).");
    for (int i = 0; i < n; ++i)
        count(&o, "ev_loop_iterations_total", label_of(labels, i), ms[i].iterations);
    head(&o, "ev_loop_events_total", "counter", "Callbacks invoked, by watcher type.");
    for (int i = 0; i < n; ++i)
        for (int t = 0; t < EV_METRICS_NTYPES; ++t) {
            char l[256];
            const char *base = label_of(labels, i);
            snprintf(l, sizeof l, "%s%stype=\"%s\"", base, *base ? "," : "",
                     ev_metrics_type_name(t));
            count(&o, "ev_loop_events_total", l, ms[i].events[t]);
        }
    head(&o, "ev_loop_fed_events_total", "counter", "Events queued by ev_feed_*.");
    for (int i = 0; i < n; ++i)
        count(&o, "ev_loop_fed_events_total", label_of(labels, i), ms[i].fed);
    head(&o, "ev_loop_max_pending", "gauge", "The most watchers pending at once.");
    for (int i = 0; i < n; ++i)
        count(&o, "ev_loop_max_pending", label_of(labels, i), ms[i].max_pending);
    head(&o, "ev_loop_lag_seconds", "summary", "How late timers and periodics ran.");
    for (int i = 0; i < n; ++i) {
        sample(&o, "ev_loop_lag_seconds_sum", label_of(labels, i), ms[i].lag_sum);
        count(&o, "ev_loop_lag_seconds_count", label_of(labels, i), ms[i].lag_count);
    }
    head(&o, "ev_loop_lag_max_seconds", "gauge", "The largest timer or periodic lag.");
    for (int i = 0; i < n; ++i)
        sample(&o, "ev_loop_lag_max_seconds", label_of(labels, i), ms[i].lag_max);
    head(&o, "ev_loop_slow_callbacks_total", "counter",
         "Callbacks that ran longer than the slow-callback threshold.");
    for (int i = 0; i < n; ++i)
        count(&o, "ev_loop_slow_callbacks_total", label_of(labels, i), ms[i].slow_callbacks);
    return o.len;
}
