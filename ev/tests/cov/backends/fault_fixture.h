/*
 * fault_fixture.h - what the backend fault suites (linux_fault_test.cc, emu_fault_test.cc) share:
 * the syserr messages recorded, an io watcher that counts its calls, and a base of their
 * fixtures that owns the loop under test and the fds a test makes, with helpers to watch, spin
 * the loop and run a scenario in a forked child.
 */
#ifndef EV_TESTS_COV_BACKENDS_FAULT_FIXTURE_H
#define EV_TESTS_COV_BACKENDS_FAULT_FIXTURE_H

#include <ev.h>
#include <gtest/gtest.h>

#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "ev/tests/fault/child.h"

namespace covfault {

/* The messages ev passed to the syserr callback (RecordSyserr) since the fixture's SetUp. */
inline std::vector<std::string> &Syserrs()
{
    static std::vector<std::string> v;
    return v;
}

inline void RecordSyserr(const char *msg)
{
    Syserrs().push_back(msg);
}

struct Counter {
    ev_io w;
    int calls = 0;
    int revents = 0;
};

inline void CountCb(struct ev_loop *, ev_io *w, int revents)
{
    Counter *c = reinterpret_cast<Counter *>(w);
    ++c->calls;
    c->revents |= revents;
}

/* The fixtures' loop (made by the fixture) and fds (closed by it), and what tests do with them. */
class LoopUnderTest {
  protected:
    struct ev_loop *loop = nullptr;
    std::vector<int> fds;

    /* A non-blocking socket pair (both ends writable; readable once written to). */
    void Pair(int sv[2])
    {
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        fds.push_back(sv[0]);
        fds.push_back(sv[1]);
    }

    void Watch(Counter &c, int fd, int events)
    {
        ev_io_init(&c.w, CountCb, fd, events);
        ev_io_start(loop, &c.w);
    }

    /* Runs non-blocking iterations until pred() holds (at most n). */
    bool Spin(const std::function<bool()> &pred, int n = 200)
    {
        for (int i = 0; i < n && !pred(); ++i)
            ev_run(loop, EVRUN_NOWAIT);
        return pred();
    }

    /* Runs fn in a forked child; the child's expectations fail it with status 1. */
    void InChild(const std::function<void()> &fn)
    {
        std::string err;
        int status = evfault::RunInChild(
            [&] {
                const ::testing::TestResult *r =
                    ::testing::UnitTest::GetInstance()->current_test_info()->result();
                int before = r->total_part_count();
                fn();
                int failed = 0;
                for (int i = before; i < r->total_part_count(); ++i)
                    failed += r->GetTestPartResult(i).failed();
                fflush(stdout);
                _exit(failed ? 1 : 0);
            },
            &err);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
            << "status " << status << ": " << err;
    }
};

} // namespace covfault

#endif
