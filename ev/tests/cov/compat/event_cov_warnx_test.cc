// event_cov_warnx_test.cc - a program that carries libevent 1.x's log.c (as every user of its
// evdns.c or evutil.c does) defines event_warnx: the shim's warnings then go through it, where
// log.c's own callback and format apply, unless a callback was set with the shim's
// event_set_log_callback. This program defines event_warnx the way log.c does (the real log.c
// is linked against the shim by //ev/tests/libevent14:log_link_test).
#include <event.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#ifndef EV_IS_CLEANROOM_EVENT
#error "compiled against a foreign event.h: the include path is wrong"
#endif

namespace {
std::vector<std::string> g_warnx, g_cb;
} // namespace

extern "C" void event_warnx(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_warnx.push_back(buf);
}

namespace {

void LogCb(int severity, const char *msg)
{
    g_cb.push_back(std::to_string(severity) + ":" + msg);
}

TEST(CompatWarnx, WarningsGoThroughTheProgramsEventWarnx)
{
    struct event zero;
    memset(&zero, 0, sizeof zero);
    event_set_log_callback(nullptr);
    testing::internal::CaptureStderr();
    EXPECT_EQ(event_add(&zero, nullptr), -1);
    EXPECT_EQ(event_priority_set(&zero, 0), -1);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
    ASSERT_EQ(g_warnx.size(), 2u);
    EXPECT_EQ(g_warnx[0].rfind("event_add: event ", 0), 0u) << g_warnx[0];
    EXPECT_NE(g_warnx[0].find("event_set"), std::string::npos) << g_warnx[0];
    EXPECT_EQ(g_warnx[1].rfind("event_priority_set: ", 0), 0u) << g_warnx[1];

    // A callback set through the shim takes precedence.
    event_set_log_callback(LogCb);
    EXPECT_EQ(event_del(&zero), -1);
    EXPECT_EQ(g_warnx.size(), 2u);
    ASSERT_EQ(g_cb.size(), 1u);
    EXPECT_EQ(g_cb[0].rfind("2:event_del: ", 0), 0u) << g_cb[0];
    event_set_log_callback(nullptr);
}

} // namespace
