// 15,000 fds (7,500 socketpairs, both ends watched) on poll, epoll, io_uring
// and linuxaio (whose AIO context grows to 16,384 polls, or which goes on with
// epoll alone when the system's AIO limit refuses that): a random half is made readable, exactly
// those are reported (each once, level-triggered until drained), then the rest; then every watcher
// is stopped and every fd closed. RLIMIT_NOFILE's soft limit is raised to the hard one; the test is
// skipped if the hard limit is too low.
#include "ev/tests/stress/stress_util.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

namespace {

constexpr int kFds = 15000;

struct Watched {
    ev_io w;
    int peer;
    bool readable; // a byte is waiting
    int calls;
};

struct FdRun {
    std::vector<Watched> ws;
    long reported = 0, spurious = 0, bad_revents = 0;
};

void ReadCb(struct ev_loop *l, ev_io *w, int revents)
{
    auto *r = static_cast<FdRun *>(w->data);
    Watched &x = *reinterpret_cast<Watched *>(w);
    ++x.calls;
    if (revents != EV_READ)
        ++r->bad_revents;
    if (!x.readable) {
        ++r->spurious;
        return;
    }
    char c;
    if (read(w->fd, &c, 1) == 1) {
        x.readable = false;
        ++r->reported;
    }
}

class FdStress : public evtest::LoopTest {
  protected:
    rlimit saved_{};
    bool raised_ = false;
    std::vector<int> fds_;

    void SetUp() override
    {
        rlimit rl;
        ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
        saved_ = rl;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)kFds + 256)
            GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << rl.rlim_max << " < " << kFds + 256;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? (rlim_t)kFds * 2 : rl.rlim_max;
        ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0) << strerror(errno);
        raised_ = true;
        LoopTest::SetUp();
    }

    void TearDown() override
    {
        LoopTest::TearDown();
        for (int fd : fds_)
            close(fd);
        if (raised_)
            setrlimit(RLIMIT_NOFILE, &saved_);
    }
};

TEST_P(FdStress, FifteenThousandFdsAllReadableReported)
{
    const unsigned seed = evstress::Seed();
    SCOPED_TRACE("EV_STRESS_SEED=" + std::to_string(seed));
    std::mt19937 rng(seed);
    FdRun r;
    r.ws.resize(kFds);
    fds_.reserve(kFds);
    for (int i = 0; i < kFds; i += 2) {
        int sv[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0)
            << "pair " << i / 2 << ": " << strerror(errno);
        fds_.push_back(sv[0]);
        fds_.push_back(sv[1]);
        r.ws[i].peer = sv[1];
        r.ws[i + 1].peer = sv[0];
        ev_io_init(&r.ws[i].w, ReadCb, sv[0], EV_READ);
        ev_io_init(&r.ws[i + 1].w, ReadCb, sv[1], EV_READ);
    }
    EXPECT_GT(fds_.back(), 1024 * 8) << "fd numbers far above FD_SETSIZE";
    for (Watched &x : r.ws) {
        x.readable = false;
        x.calls = 0;
        x.w.data = &r;
        ev_io_start(loop, &x.w);
    }
    Deadline(50.);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(r.spurious, 0) << "nothing is readable yet";

    // Round 1: a random half; round 2: the others.
    std::vector<int> order(kFds);
    for (int i = 0; i < kFds; ++i)
        order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int round = 0; round < 2; ++round) {
        long expect = 0;
        for (int k = round * kFds / 2; k < (round + 1) * kFds / 2; ++k) {
            Watched &x = r.ws[order[k]];
            ASSERT_EQ(write(x.peer, "x", 1), 1);
            x.readable = true;
            ++expect;
        }
        long before = r.reported;
        EXPECT_TRUE(RunUntil([&] { return r.reported - before == expect; }))
            << "round " << round << ": reported " << r.reported - before << " of " << expect;
        ev_run(loop, EVRUN_NOWAIT); // drained fds must stay quiet
        EXPECT_EQ(r.spurious, 0);
    }
    EXPECT_EQ(r.bad_revents, 0);
    for (Watched &x : r.ws)
        EXPECT_EQ(x.calls, 1) << "fd " << x.w.fd;
    ev_verify(loop);
    for (Watched &x : r.ws)
        ev_io_stop(loop, &x.w);
    ev_verify(loop);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0) << "no watcher left";
}

INSTANTIATE_TEST_SUITE_P(PollEpollIouring, FdStress,
                         ::testing::ValuesIn(evstress::BackendsIn(EVBACKEND_POLL | EVBACKEND_EPOLL |
                                                                  EVBACKEND_IOURING |
                                                                  EVBACKEND_LINUXAIO)),
                         ::evtest::BackendNamer());

} // namespace
