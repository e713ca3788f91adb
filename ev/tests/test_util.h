/*
 * test_util.h - the fixture every loop test uses. Tests derive from LoopTest
 * and are instantiated with EV_ALL_BACKENDS(Suite), so each runs once per
 * backend compiled in and usable here, with the backend in the test name.
 * A deadline timer (unreferenced) breaks the loop if a test would hang, and
 * `timed_out` says so.
 */
#ifndef EV_TESTS_TEST_UTIL_H_
#define EV_TESTS_TEST_UTIL_H_

#include <ev.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#ifndef EV_IS_CLEANROOM_EV
#error "compiled against a foreign ev.h: the include path is wrong"
#endif

namespace evtest {

/* The emulator that runs this test program ("qemu-user" under --config=aarch64, whose run_under
 * wrapper sets EV_TEST_EMULATOR), or nullptr when it runs on its own CPU. Tests of what an
 * emulator does not provide skip with a reason naming it. */
inline const char *Emulator()
{
    const char *e = std::getenv("EV_TEST_EMULATOR");
    return e && *e ? e : nullptr;
}

inline std::vector<unsigned> Backends()
{
    std::vector<unsigned> out;
    static const unsigned all[] = {EVBACKEND_SELECT,  EVBACKEND_POLL, EVBACKEND_EPOLL,
                                   EVBACKEND_KQUEUE,  EVBACKEND_PORT, EVBACKEND_IOURING,
                                   EVBACKEND_LINUXAIO};
    for (unsigned b : all)
        if (ev_supported_backends() & b)
            out.push_back(b);
    return out;
}

inline std::string BackendName(unsigned b)
{
    switch (b) {
    case EVBACKEND_SELECT:
        return "select";
    case EVBACKEND_POLL:
        return "poll";
    case EVBACKEND_EPOLL:
        return "epoll";
    case EVBACKEND_KQUEUE:
        return "kqueue";
    case EVBACKEND_PORT:
        return "port";
    case EVBACKEND_IOURING:
        return "iouring";
    case EVBACKEND_LINUXAIO:
        return "linuxaio";
    default:
        return "b" + std::to_string(b);
    }
}

struct BackendNamer {
    std::string operator()(const ::testing::TestParamInfo<unsigned> &info) const
    {
        return BackendName(info.param);
    }
};

class LoopTest : public ::testing::TestWithParam<unsigned> {
  protected:
    struct ev_loop *loop = nullptr;
    ev_timer deadline_{};
    bool timed_out = false;

    /* Extra loop flags a derived fixture may add (EVFLAG_SIGNALFD, ...). */
    virtual unsigned ExtraFlags() const { return 0; }

    void SetUp() override
    {
        loop = ev_loop_new(EVFLAG_NOENV | GetParam() | ExtraFlags());
        ASSERT_NE(loop, nullptr);
        ASSERT_EQ(ev_backend(loop), GetParam());
        ev_set_userdata(loop, this);
        ev_timer_init(&deadline_, &LoopTest::DeadlineCb, 10., 0.);
        ev_timer_start(loop, &deadline_);
        ev_unref(loop); /* the deadline must not keep ev_run going */
    }

    void TearDown() override
    {
        if (loop) {
            StopDeadline();
            ev_loop_destroy(loop);
        }
        loop = nullptr;
    }

    /* Re-arms the deadline (seconds from now). */
    void Deadline(double seconds)
    {
        StopDeadline();
        ev_timer_set(&deadline_, seconds, 0.);
        ev_timer_start(loop, &deadline_);
        ev_unref(loop);
    }

    void StopDeadline()
    {
        if (ev_is_active(&deadline_)) {
            ev_ref(loop);
            ev_timer_stop(loop, &deadline_);
        }
    }

    /* Runs until pred() holds, the loop ends, or the deadline passes. */
    template <class Pred> bool RunUntil(Pred pred)
    {
        while (!pred() && !timed_out) {
            ev_ref(loop); /* keep ev_run blocking even with nothing else active */
            ev_run(loop, EVRUN_ONCE);
            ev_unref(loop);
        }
        return pred();
    }

  private:
    static void DeadlineCb(struct ev_loop *l, ev_timer *, int)
    {
        auto *self = static_cast<LoopTest *>(ev_userdata(l));
        self->timed_out = true;
        ev_ref(l); /* balance the unref: the timer stopped itself */
        ev_break(l, EVBREAK_ALL);
    }
};

} // namespace evtest

#define EV_ALL_BACKENDS(Suite)                                                                     \
    INSTANTIATE_TEST_SUITE_P(AllBackends, Suite, ::testing::ValuesIn(::evtest::Backends()),        \
                             ::evtest::BackendNamer())

#endif
