// The libev 4.33 ABI (docs: shared/docs/abi-facts.md sections 1-3): struct
// layouts and constants are checked at compile time, so a layout change fails
// the build; the field-touching macros are checked at run time.
#include <ev.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#ifndef EV_IS_CLEANROOM_EV
#error "compiled against a foreign ev.h"
#endif

#define OFF(type, member, off) static_assert(offsetof(type, member) == (off), #type "." #member)
#define SIZE(type, n) static_assert(sizeof(type) == (n), "sizeof " #type)

// Section 1: the common head and every watcher, as laid out on x86-64 Linux. Other targets
// (--config=aarch64, --config=i386) compare every layout with Debian's libev 4.33 header
// compiled by their own compiler instead: //ev/tests/layout.
#if defined(__x86_64__) && defined(__linux__)
SIZE(ev_watcher, 32);
OFF(ev_watcher, active, 0);
OFF(ev_watcher, pending, 4);
OFF(ev_watcher, priority, 8);
OFF(ev_watcher, data, 16);
OFF(ev_watcher, cb, 24);
SIZE(ev_watcher_list, 40);
OFF(ev_watcher_list, next, 32);
SIZE(ev_watcher_time, 40);
OFF(ev_watcher_time, at, 32);
SIZE(ev_io, 48);
OFF(ev_io, next, 32);
OFF(ev_io, fd, 40);
OFF(ev_io, events, 44);
SIZE(ev_timer, 48);
OFF(ev_timer, at, 32);
OFF(ev_timer, repeat, 40);
SIZE(ev_periodic, 64);
OFF(ev_periodic, at, 32);
OFF(ev_periodic, offset, 40);
OFF(ev_periodic, interval, 48);
OFF(ev_periodic, reschedule_cb, 56);
SIZE(ev_signal, 48);
OFF(ev_signal, next, 32);
OFF(ev_signal, signum, 40);
SIZE(ev_child, 56);
OFF(ev_child, next, 32);
OFF(ev_child, flags, 40);
OFF(ev_child, pid, 44);
OFF(ev_child, rpid, 48);
OFF(ev_child, rstatus, 52);
SIZE(ev_stat, 400);
OFF(ev_stat, next, 32);
OFF(ev_stat, timer, 40);
OFF(ev_stat, interval, 88);
OFF(ev_stat, path, 96);
OFF(ev_stat, prev, 104);
OFF(ev_stat, attr, 248);
OFF(ev_stat, wd, 392);
SIZE(ev_idle, 32);
SIZE(ev_prepare, 32);
SIZE(ev_check, 32);
SIZE(ev_fork, 32);
SIZE(ev_cleanup, 32);
SIZE(ev_embed, 360);
OFF(ev_embed, other, 32);
OFF(ev_embed, io, 40);
OFF(ev_embed, prepare, 88);
OFF(ev_embed, check, 120);
OFF(ev_embed, timer, 152);
OFF(ev_embed, periodic, 200);
OFF(ev_embed, idle, 264);
OFF(ev_embed, fork, 296);
OFF(ev_embed, cleanup, 328);
SIZE(ev_async, 40);
OFF(ev_async, sent, 32);
SIZE(union ev_any_watcher, 400);
SIZE(ev_statdata, 144);
#endif
SIZE(ev_tstamp, 8);
static_assert(sizeof(((ev_async *)0)->sent) == 4, "sent is an int-sized sig_atomic_t");

// Section 2: constants.
static_assert(EV_UNDEF == -1 && EV_NONE == 0 && EV_READ == 1 && EV_WRITE == 2, "io bits");
static_assert(EV__IOFDSET == 0x80 && EV_IO == EV_READ, "iofdset");
static_assert(EV_TIMER == 0x100 && EV_TIMEOUT == EV_TIMER && EV_PERIODIC == 0x200, "timer bits");
static_assert(EV_SIGNAL == 0x400 && EV_CHILD == 0x800 && EV_STAT == 0x1000, "bits");
static_assert(EV_IDLE == 0x2000 && EV_PREPARE == 0x4000 && EV_CHECK == 0x8000, "bits");
static_assert(EV_EMBED == 0x10000 && EV_FORK == 0x20000 && EV_CLEANUP == 0x40000, "bits");
static_assert(EV_ASYNC == 0x80000 && EV_CUSTOM == 0x1000000, "bits");
static_assert(EV_ERROR == (int)0x80000000, "EV_ERROR");
static_assert(EVFLAG_AUTO == 0 && EVFLAG_NOENV == 0x01000000 && EVFLAG_FORKCHECK == 0x02000000,
              "flags");
static_assert(EVFLAG_NOINOTIFY == 0x00100000 && EVFLAG_NOSIGFD == 0 &&
                  EVFLAG_SIGNALFD == 0x00200000 && EVFLAG_NOSIGMASK == 0x00400000 &&
                  EVFLAG_NOTIMERFD == 0x00800000,
              "flags");
static_assert(EVBACKEND_SELECT == 1 && EVBACKEND_POLL == 2 && EVBACKEND_EPOLL == 4 &&
                  EVBACKEND_KQUEUE == 8 && EVBACKEND_DEVPOLL == 0x10 && EVBACKEND_PORT == 0x20 &&
                  EVBACKEND_LINUXAIO == 0x40 && EVBACKEND_IOURING == 0x80 &&
                  EVBACKEND_ALL == 0xFF && EVBACKEND_MASK == 0xFFFF,
              "backends");
static_assert(EVRUN_NOWAIT == 1 && EVRUN_ONCE == 2, "run flags");
static_assert(EVBREAK_CANCEL == 0 && EVBREAK_ONE == 1 && EVBREAK_ALL == 2, "break");
static_assert(EVLOOP_NONBLOCK == EVRUN_NOWAIT && EVLOOP_ONESHOT == EVRUN_ONCE, "compat3");
static_assert(EVUNLOOP_CANCEL == 0 && EVUNLOOP_ONE == 1 && EVUNLOOP_ALL == 2, "compat3");
static_assert(EV_VERSION_MAJOR == 4 && EV_VERSION_MINOR == 33, "version");
static_assert(EV_FEATURES == 0x7f || EV_FEATURES == 0x7c, "features");
static_assert(EV_MINPRI == -2 && EV_MAXPRI == 2, "priorities");
static_assert(EV_MULTIPLICITY == 4 && EV_PERIODIC_ENABLE == 16 && EV_STAT_ENABLE == 16 &&
                  EV_CHILD_ENABLE == 16 && EV_ASYNC_ENABLE == 16 && EV_EMBED_ENABLE == 16,
              "the values a default client sees");
static_assert(EV_COMPAT3 == 1 && EV_PROTOTYPES == 1 && EV_WALK_ENABLE == 0, "defaults");

namespace {

void dummy_io(struct ev_loop *, ev_io *, int) {}
void dummy_timer(struct ev_loop *, ev_timer *, int) {}

// Section 3: what each macro writes, and what it leaves alone.
TEST(Abi, InitWritesOnlyTheHead)
{
    ev_io w;
    memset(&w, 0xAB, sizeof w);
    ev_init(&w, dummy_io);
    EXPECT_EQ(w.active, 0);
    EXPECT_EQ(w.pending, 0);
    EXPECT_EQ(w.priority, 0);
    EXPECT_EQ(w.cb, &dummy_io);
    unsigned char pattern[8];
    memset(pattern, 0xAB, sizeof pattern);
    EXPECT_EQ(memcmp(&w.data, pattern, sizeof w.data), 0) << "data untouched";
    EXPECT_EQ(memcmp(&w.next, pattern, sizeof w.next), 0) << "next untouched";
    EXPECT_EQ(memcmp(&w.fd, pattern, sizeof w.fd), 0) << "fd untouched";
}

TEST(Abi, IoSetAndModifyKeepTheFdSetBit)
{
    ev_io w;
    ev_io_init(&w, dummy_io, 7, EV_READ);
    EXPECT_EQ(w.fd, 7);
    EXPECT_EQ(w.events, EV_READ | EV__IOFDSET);
    ev_io_modify(&w, EV_WRITE);
    EXPECT_EQ(w.events, EV_WRITE | EV__IOFDSET);
    w.events = EV_READ; // as after a start
    ev_io_modify(&w, EV_READ | EV_WRITE);
    EXPECT_EQ(w.events, EV_READ | EV_WRITE);
}

TEST(Abi, TimerPeriodicSignalChildStatSet)
{
    ev_timer t;
    ev_timer_init(&t, dummy_timer, 1.5, 2.5);
    EXPECT_EQ(t.at, 1.5);
    EXPECT_EQ(t.repeat, 2.5);

    ev_periodic p;
    p.at = 42.;
    ev_periodic_set(&p, 1., 2., nullptr);
    EXPECT_EQ(p.offset, 1.);
    EXPECT_EQ(p.interval, 2.);
    EXPECT_EQ(p.reschedule_cb, nullptr);
    EXPECT_EQ(ev_periodic_at(&p), 42.) << "set does not touch at";

    ev_signal s;
    ev_signal_set(&s, 10);
    EXPECT_EQ(s.signum, 10);

    ev_child c;
    ev_child_set(&c, 123, 5);
    EXPECT_EQ(c.pid, 123);
    EXPECT_EQ(c.flags, 1);
    ev_child_set(&c, 0, 0);
    EXPECT_EQ(c.flags, 0);

    ev_stat st;
    ev_stat_set(&st, "/tmp", 3.);
    EXPECT_STREQ(st.path, "/tmp");
    EXPECT_EQ(st.interval, 3.);
    EXPECT_EQ(st.wd, -2);

    ev_async a;
    a.sent = 1;
    EXPECT_EQ(ev_async_pending(&a), 1);
}

TEST(Abi, AccessorsReadRawValues)
{
    ev_io w;
    ev_io_init(&w, dummy_io, 0, EV_READ);
    w.active = 5;
    w.pending = 3;
    EXPECT_EQ(ev_is_active(&w), 5) << "raw value, not normalised";
    EXPECT_EQ(ev_is_pending(&w), 3);
    ev_set_priority(&w, 7);
    EXPECT_EQ(ev_priority(&w), 7) << "the macro does not clamp";
    ev_set_cb(&w, dummy_io);
    EXPECT_EQ(ev_cb(&w), &dummy_io);
}

TEST(Abi, VersionAndDefaultLoopPointer)
{
    EXPECT_EQ(ev_version_major(), 4);
    EXPECT_EQ(ev_version_minor(), 33);
    struct ev_loop *l = ev_default_loop(EVFLAG_NOENV);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(ev_default_loop_ptr, l);
    EXPECT_EQ(EV_DEFAULT_UC, l);
    EXPECT_TRUE(ev_is_default_loop(l));
    ev_loop_destroy(l);
    EXPECT_EQ(ev_default_loop_ptr, nullptr) << "reset when the default loop is destroyed";
}

} // namespace
