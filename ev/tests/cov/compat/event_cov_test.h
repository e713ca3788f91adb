// event_cov_test.h - the fixture of the ev/compat coverage suites: a base of the backend under
// test (event_base_new() after LIBEV_FLAGS is set), a log callback that records the shim's
// messages, callbacks that record what they saw, and socketpairs closed at the end.
#ifndef EV_TESTS_COV_COMPAT_EVENT_COV_TEST_H_
#define EV_TESTS_COV_COMPAT_EVENT_COV_TEST_H_

#include <event.h>

#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ev/tests/test_util.h"

#ifndef EV_IS_CLEANROOM_EVENT
#error "compiled against a foreign event.h: the include path is wrong"
#endif

namespace evcov {

struct Call {
    int fd;
    short what;
    int tag;
};

inline std::vector<Call> *&Calls()
{
    static std::vector<Call> *calls;
    return calls;
}

inline std::vector<std::string> &Log()
{
    static std::vector<std::string> log;
    return log;
}

inline void LogCb(int severity, const char *msg)
{
    Log().push_back(std::to_string(severity) + ":" + msg);
}

class CompatTest : public evtest::LoopTest {
  protected:
    struct event_base *base = nullptr;
    std::vector<Call> calls;
    std::vector<int> fds_;
    ev_timer base_deadline_{};
    bool base_timed_out = false;

    void SetUp() override
    {
        LoopTest::SetUp();
        Calls() = &calls;
        Log().clear();
        event_set_log_callback(LogCb);
        base = NewBase();
        ASSERT_NE(base, nullptr);
        // A hang fails fast: an unreferenced timer on the base ends any run.
        ev_timer_init(&base_deadline_, &CompatTest::BaseDeadlineCb, 10., 0.);
        base_deadline_.data = this;
        ev_timer_start(Loop(base), &base_deadline_);
        ev_unref(Loop(base));
    }

    void TearDown() override
    {
        if (base) {
            if (ev_is_active(&base_deadline_)) {
                ev_ref(Loop(base));
                ev_timer_stop(Loop(base), &base_deadline_);
            }
            event_base_free(base);
        }
        for (int fd : fds_)
            close(fd);
        event_set_log_callback(nullptr);
        Calls() = nullptr;
        LoopTest::TearDown();
    }

    struct event_base *NewBase()
    {
        setenv("LIBEV_FLAGS", std::to_string(GetParam()).c_str(), 1);
        struct event_base *b = event_base_new();
        unsetenv("LIBEV_FLAGS");
        return b;
    }

    static struct ev_loop *Loop(struct event_base *b)
    {
        return reinterpret_cast<struct ev_loop *>(b);
    }

    // A connected socketpair; both ends closed in TearDown.
    void Pair(int sv[2])
    {
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        fds_.push_back(sv[0]);
        fds_.push_back(sv[1]);
    }

    static void Put(int fd) { ASSERT_EQ(write(fd, "x", 1), 1); }

    static void Record(int fd, short what, void *arg)
    {
        Calls()->push_back({fd, what, (int)(intptr_t)arg});
    }

    int CountTag(int tag) const
    {
        return (int)std::count_if(calls.begin(), calls.end(),
                                  [tag](const Call &c) { return c.tag == tag; });
    }

    std::vector<int> Tags() const
    {
        std::vector<int> t;
        for (const Call &c : calls)
            t.push_back(c.tag);
        return t;
    }

    bool LogHas(const std::string &what) const
    {
        for (const std::string &l : Log())
            if (l.find(what) != std::string::npos)
                return true;
        return false;
    }

    // One iteration of base, blocking until something happens (the deadline at the latest).
    void RunOnce()
    {
        ev_ref(Loop(base));
        event_base_loop(base, EVLOOP_ONCE);
        ev_unref(Loop(base));
    }

    template <class Pred> bool RunBaseUntil(Pred pred)
    {
        while (!pred() && !base_timed_out)
            RunOnce();
        return pred();
    }

  private:
    static void BaseDeadlineCb(struct ev_loop *l, ev_timer *w, int)
    {
        static_cast<CompatTest *>(w->data)->base_timed_out = true;
        ev_ref(l);
        ev_break(l, EVBREAK_ALL);
    }
};

} // namespace evcov

#endif
