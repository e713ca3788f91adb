// event_cov_nobase_test.cc - the libevent 1.x shim's global API (event_init, event_dispatch,
// event_set ... without a base argument) when no base can be made, and when the program never
// called event_init. A program of its own: the first test needs a process in which ev's default
// loop was never made, so the tests run in file order and nothing else runs here.
#include <event.h>

#include <stdint.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#ifndef EV_IS_CLEANROOM_EVENT
#error "compiled against a foreign event.h: the include path is wrong"
#endif

namespace {

std::vector<std::string> g_log;
int g_calls;

void LogCb(int severity, const char *msg)
{
    g_log.push_back(std::to_string(severity) + ":" + msg);
}

void Count(int, short, void *)
{
    ++g_calls;
}

// Backends this build cannot make: LIBEV_FLAGS naming only those makes ev_default_loop and
// ev_loop_new fail, as on a system without a working backend.
unsigned MissingBackends()
{
    unsigned all = EVBACKEND_SELECT | EVBACKEND_POLL | EVBACKEND_EPOLL | EVBACKEND_KQUEUE |
                   EVBACKEND_DEVPOLL | EVBACKEND_PORT | EVBACKEND_LINUXAIO | EVBACKEND_IOURING;
    return all & ~ev_supported_backends();
}

// Every call refuses with -1 (or NULL) instead of using a base that does not exist.
TEST(CompatNoBase, NoBackendNoBase)
{
    if (ev_default_loop_ptr)
        GTEST_SKIP() << "ev's default loop exists already in this process";
    unsigned missing = MissingBackends();
    if (!missing)
        GTEST_SKIP() << "every backend is compiled in";
    event_set_log_callback(LogCb);
    setenv("LIBEV_FLAGS", std::to_string(missing).c_str(), 1);

    EXPECT_EQ(event_init(), nullptr);
    EXPECT_EQ(event_base_new(), nullptr);
    event_base_free(nullptr); // no current base: nothing to do
    EXPECT_EQ(event_dispatch(), -1);
    EXPECT_EQ(event_loop(EVLOOP_NONBLOCK), -1);
    EXPECT_EQ(event_loopexit(nullptr), -1);
    EXPECT_EQ(event_loopbreak(), -1);
    EXPECT_EQ(event_priority_init(2), -1);
    EXPECT_EQ(event_once(-1, EV_TIMEOUT, Count, nullptr, nullptr), -1);

    struct event ev;
    evtimer_set(&ev, Count, nullptr);
    EXPECT_EQ(ev.ev_base, nullptr);
    EXPECT_TRUE(event_initialized(&ev));
    g_log.clear();
    struct timeval zero = {0, 0};
    EXPECT_EQ(evtimer_add(&ev, &zero), -1);
    ASSERT_EQ(g_log.size(), 1u);
    EXPECT_NE(g_log[0].find("has no base"), std::string::npos) << g_log[0];
    EXPECT_EQ(evtimer_pending(&ev, nullptr), 0);
    EXPECT_EQ(event_priority_set(&ev, 0), 0);
    EXPECT_EQ(evtimer_del(&ev), 0);
    EXPECT_EQ(ev_default_loop_ptr, nullptr);
    EXPECT_EQ(g_calls, 0);

    unsetenv("LIBEV_FLAGS");
    event_set_log_callback(nullptr);
}

// Without event_init, the first call that needs the current base makes it: ev's default loop,
// which event_base_free never destroys (ev code may share it).
TEST(CompatNoBase, CurrentBaseMadeOnFirstUse)
{
    g_calls = 0;
    EXPECT_EQ(event_once(-1, EV_TIMEOUT, Count, nullptr, nullptr), 0);
    ASSERT_NE(ev_default_loop_ptr, nullptr);
    EXPECT_EQ(event_dispatch(), 1);
    EXPECT_EQ(g_calls, 1);

    struct ev_loop *def = ev_default_loop_ptr;
    event_base_free(reinterpret_cast<struct event_base *>(def));
    EXPECT_EQ(ev_default_loop_ptr, def);
    // It is no longer the current base: the next event_set makes a new one.
    struct event t;
    evtimer_set(&t, Count, nullptr);
    ASSERT_NE(t.ev_base, nullptr);
    EXPECT_NE((void *)t.ev_base, (void *)def);
    struct timeval zero = {0, 0};
    ASSERT_EQ(evtimer_add(&t, &zero), 0);
    EXPECT_EQ(event_dispatch(), 1);
    EXPECT_EQ(g_calls, 2);
    event_base_free(nullptr);
    // The default loop still works for ev code.
    EXPECT_EQ(ev_run(def, EVRUN_NOWAIT), 0);
}

} // namespace
