// ev_io on every backend: level-triggered readiness, several watchers per fd,
// events 0 and ev_io_modify, fd numbers that are closed and reused, dup()ed
// fds, files epoll refuses (EPERM), nested epoll fds, many ready fds, peer
// close, fds >= 1024, stopping a pending watcher, and fds closed under a
// watcher (EBADF -> EV_ERROR). A deadline timer in the fixture ends any hang.
#include "test_util.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Record {
    int calls = 0;
    int revents = 0; // of the last call
    int all = 0;     // OR of every call
};

void RecordCb(struct ev_loop *, ev_io *w, int revents)
{
    auto *r = static_cast<Record *>(w->data);
    ++r->calls;
    r->revents = revents;
    r->all |= revents;
}

// Reads (drains) the fd in its callback.
void DrainCb(struct ev_loop *l, ev_io *w, int revents)
{
    char buf[256];
    while (read(w->fd, buf, sizeof buf) > 0)
        ;
    RecordCb(l, w, revents);
}

void SocketPair(int sv[2])
{
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

void WriteByte(int fd)
{
    ASSERT_EQ(send(fd, "x", 1, MSG_NOSIGNAL), 1);
}

class IoTest : public evtest::LoopTest {
  protected:
    void Start(ev_io *w, Record *r, int fd, int events,
               void (*cb)(struct ev_loop *, ev_io *, int) = RecordCb)
    {
        ev_io_init(w, cb, fd, events);
        w->data = r;
        ev_io_start(loop, w);
    }
    // One non-blocking iteration.
    void Nowait() { ev_run(loop, EVRUN_NOWAIT); }
};

TEST_P(IoTest, ReadableAfterPeerWrite)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ);
    WriteByte(sv[1]);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.revents, EV_READ);
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(IoTest, LevelTriggeredRefiresUntilDrained)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ);
    WriteByte(sv[1]);
    for (int i = 0; i < 3; ++i)
        Nowait();
    EXPECT_EQ(r.calls, 3) << "an unread fd is reported on every iteration";
    char c;
    ASSERT_EQ(read(sv[0], &c, 1), 1);
    Nowait();
    Nowait();
    EXPECT_EQ(r.calls, 3) << "a drained fd is not reported again";
    WriteByte(sv[1]);
    Nowait();
    EXPECT_EQ(r.calls, 4);
    ev_io_stop(loop, &w);
    Nowait();
    EXPECT_EQ(r.calls, 4) << "a stopped watcher is not reported";
    close(sv[0]);
    close(sv[1]);
}

TEST_P(IoTest, ReadWriteAndTwoReadersOnOneFd)
{
    int sv[2];
    SocketPair(sv);
    Record r1, r2, rw;
    ev_io w1, w2, ww;
    Start(&w1, &r1, sv[0], EV_READ);
    Start(&w2, &r2, sv[0], EV_READ);
    Start(&ww, &rw, sv[0], EV_WRITE);
    Nowait();
    EXPECT_EQ(r1.calls, 0);
    EXPECT_EQ(r2.calls, 0);
    EXPECT_EQ(rw.calls, 1);
    EXPECT_EQ(rw.revents, EV_WRITE) << "a write watcher never sees EV_READ";
    WriteByte(sv[1]);
    Nowait();
    EXPECT_EQ(r1.calls, 1);
    EXPECT_EQ(r1.revents, EV_READ);
    EXPECT_EQ(r2.calls, 1);
    EXPECT_EQ(rw.calls, 2);
    ev_io_stop(loop, &w1);
    Nowait();
    EXPECT_EQ(r1.calls, 1);
    EXPECT_EQ(r2.calls, 2) << "stopping one reader keeps the other";
    EXPECT_EQ(rw.calls, 3);
    ev_io_stop(loop, &ww);
    Nowait();
    EXPECT_EQ(r2.calls, 3) << "stopping the writer keeps the reader";
    EXPECT_EQ(rw.calls, 3);
    ev_io_stop(loop, &w2);
    Nowait();
    EXPECT_EQ(r2.calls, 3);
    // and back again
    ev_io_start(loop, &w1);
    Nowait();
    EXPECT_EQ(r1.calls, 2);
    ev_io_stop(loop, &w1);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(IoTest, EventsZeroIsLegalAndModifyChangesOnlyEvents)
{
    int sv[2];
    SocketPair(sv);
    WriteByte(sv[1]);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], 0);
    EXPECT_TRUE(ev_is_active(&w));
    Nowait();
    Nowait();
    EXPECT_EQ(r.calls, 0) << "a watcher for no events is never called";
    ev_io_stop(loop, &w);
    EXPECT_FALSE(ev_is_active(&w));

    // ev_io_modify keeps the "fd set" bit that ev_io_set added.
    ev_io w2;
    ev_io_init(&w2, RecordCb, sv[0], EV_READ);
    EXPECT_EQ(w2.events, EV_READ | EV__IOFDSET);
    ev_io_modify(&w2, EV_WRITE);
    EXPECT_EQ(w2.events, EV_WRITE | EV__IOFDSET);
    EXPECT_EQ(w2.fd, sv[0]);

    ev_io_modify(&w, EV_READ);
    EXPECT_EQ(w.fd, sv[0]);
    ev_io_start(loop, &w);
    EXPECT_EQ(w.events & (EV_READ | EV_WRITE), EV_READ);
    Nowait();
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.revents, EV_READ);
    ev_io_stop(loop, &w);
    ev_io_modify(&w, EV_READ | EV_WRITE);
    ev_io_start(loop, &w);
    Nowait();
    EXPECT_EQ(r.calls, 2);
    EXPECT_EQ(r.revents, EV_READ | EV_WRITE);
    ev_io_stop(loop, &w);
    ev_io_modify(&w, 0);
    ev_io_start(loop, &w);
    Nowait();
    EXPECT_EQ(r.calls, 2);
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
}

// Puts a new socketpair at the numbers of `old` (the lowest free fds are
// normally exactly those; dup2 makes sure).
void ReopenAt(int old[2])
{
    int sv[2];
    SocketPair(sv);
    for (int i = 0; i < 2; ++i)
        if (sv[i] != old[i]) {
            ASSERT_GE(dup2(sv[i], old[i]), 0);
            close(sv[i]);
        }
}

TEST_P(IoTest, ClosedFdNumberReusedAfterStop)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ, DrainCb);
    WriteByte(sv[1]);
    Nowait();
    ASSERT_EQ(r.calls, 1);
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
    ReopenAt(sv); // same numbers, new files: epoll dropped the old registration
    ev_io_set(&w, sv[0], EV_READ);
    ev_io_start(loop, &w);
    Nowait();
    EXPECT_EQ(r.calls, 1);
    WriteByte(sv[1]);
    EXPECT_TRUE(RunUntil([&] { return r.calls == 2; })) << "the new file was not registered";
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(IoTest, ClosedFdNumberReusedWhileActiveThenReset)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ, DrainCb);
    Nowait(); // registered with the backend
    close(sv[0]);
    close(sv[1]);
    ReopenAt(sv);
    ev_io_stop(loop, &w);
    ev_io_set(&w, sv[0], EV_READ);
    ev_io_start(loop, &w);
    Nowait();
    EXPECT_EQ(r.calls, 0);
    WriteByte(sv[1]);
    EXPECT_TRUE(RunUntil([&] { return r.calls == 1; }));
    EXPECT_EQ(r.revents, EV_READ);
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
}

// The old file stays open through a dup, so an epoll registration for
// (old file, number) survives the close; the new file at that number must
// not inherit the old one's readiness.
TEST_P(IoTest, ReusedNumberDoesNotSeeTheOldFilesEvents)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ, DrainCb);
    Nowait();
    int keep = dup(sv[0]);
    ASSERT_GE(keep, 0);
    int old_peer = sv[1];
    sv[1] = dup(old_peer); // keep the old peer too, free only sv[0]'s number
    close(old_peer);
    ev_io_stop(loop, &w);
    close(sv[0]);
    int nv[2];
    SocketPair(nv);
    if (nv[0] != sv[0]) {
        ASSERT_GE(dup2(nv[0], sv[0]), 0);
        close(nv[0]);
    }
    ev_io_set(&w, sv[0], EV_READ);
    ev_io_start(loop, &w);
    WriteByte(sv[1]); // the OLD file becomes readable
    for (int i = 0; i < 3; ++i)
        Nowait();
    EXPECT_EQ(r.calls, 0) << "readiness of the old file was reported for the new one";
    WriteByte(nv[1]);
    EXPECT_TRUE(RunUntil([&] { return r.calls == 1; }));
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
    close(nv[1]);
    close(keep);
}

TEST_P(IoTest, DupedFdsAreWatchedSeparately)
{
    int sv[2];
    SocketPair(sv);
    int d = dup(sv[0]);
    ASSERT_GE(d, 0);
    Record ra, rb;
    ev_io wa, wb;
    Start(&wa, &ra, sv[0], EV_READ);
    Start(&wb, &rb, d, EV_READ);
    WriteByte(sv[1]);
    Nowait();
    EXPECT_EQ(ra.calls, 1);
    EXPECT_EQ(rb.calls, 1);
    // Stop and close one number: the other, same file, keeps working.
    ev_io_stop(loop, &wa);
    close(sv[0]);
    Nowait();
    Nowait();
    EXPECT_EQ(ra.calls, 1);
    EXPECT_EQ(rb.calls, 3);
    // dup back onto the closed number and watch it again (no EEXIST trouble).
    int again = dup(d);
    ASSERT_GE(again, 0);
    ev_io_set(&wa, again, EV_READ);
    ev_io_start(loop, &wa);
    Nowait();
    EXPECT_EQ(ra.calls, 2);
    EXPECT_EQ(rb.calls, 4);
    // dup2 over a watched number, then re-set: still fine.
    ev_io_stop(loop, &wa);
    int sv2[2];
    SocketPair(sv2);
    ASSERT_EQ(dup2(sv2[0], again), again);
    ev_io_set(&wa, again, EV_READ);
    ev_io_start(loop, &wa);
    Nowait();
    EXPECT_EQ(ra.calls, 2) << "the new file at that number is not readable";
    WriteByte(sv2[1]);
    EXPECT_TRUE(RunUntil([&] { return ra.calls == 3; }));
    ev_io_stop(loop, &wa);
    ev_io_stop(loop, &wb);
    for (int fd : {d, again, sv[1], sv2[0], sv2[1]})
        close(fd);
}

// Every fd open in this process, in order.
std::vector<int> OpenFds()
{
    std::vector<int> out;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return out;
    while (struct dirent *e = readdir(d))
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            out.push_back(atoi(e->d_name));
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

int syserrs; // ev_set_syserr_cb calls (RebuildKeepsTheLoopFdOffClosedNumbers)
void CountSyserr(const char *)
{
    ++syserrs;
}

// A registration the backend cannot remove any more (its fd number was closed while a dup keeps
// the file open, so the file still reports) makes epoll rebuild its set. The new set keeps the
// loop's fd number: the program may dup2 onto the number it has just closed, and the loop works
// on (before, the new set took that very number, and dup2 replaced it: epoll_wait EINVAL).
TEST_P(IoTest, RebuildKeepsTheLoopFdOffClosedNumbers)
{
    syserrs = 0;
    ev_set_syserr_cb(CountSyserr);
    int sv[2];
    SocketPair(sv);
    int keep = dup(sv[0]);
    ASSERT_GE(keep, 0);
    int nv[2]; // the file the program later puts under the closed number
    SocketPair(nv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ, DrainCb);
    Nowait();
    ev_io_stop(loop, &w);
    const int closed = sv[0];
    std::vector<int> fds = OpenFds(); // the loop's among them
    fds.erase(std::find(fds.begin(), fds.end(), closed));
    close(closed);
    WriteByte(sv[1]); // the file behind the closed number (still open as keep) becomes readable
    for (int i = 0; i < 3; ++i)
        Nowait(); // it reports through the old registration: the set is rebuilt
    EXPECT_EQ(r.calls, 0) << "a stopped watcher was called";
    EXPECT_EQ(OpenFds(), fds) << "the rebuilt set moved to another number";
    // The program reuses the number it closed, and watches it.
    ASSERT_EQ(dup2(nv[0], closed), closed);
    close(nv[0]);
    Record r2;
    ev_io w2;
    Start(&w2, &r2, closed, EV_READ, DrainCb);
    WriteByte(nv[1]);
    EXPECT_TRUE(RunUntil([&] { return r2.calls >= 1; }));
    EXPECT_EQ(syserrs, 0) << "the loop failed a system call";
    ev_io_stop(loop, &w2);
    ev_set_syserr_cb(nullptr);
    for (int fd : {closed, nv[1], sv[1], keep})
        close(fd);
}

// epoll_ctl refuses regular files, /dev/null and directories with EPERM;
// they are always ready, and must be reported as such (libev 4.18+).
TEST_P(IoTest, FilesEpollRefusesAreAlwaysReady)
{
    char path[] = "/tmp/ev_io_test_XXXXXX";
    int file = mkstemp(path);
    ASSERT_GE(file, 0);
    unlink(path);
    int null = open("/dev/null", O_RDWR);
    ASSERT_GE(null, 0);
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    ASSERT_GE(dir, 0);
    Record rf, rn, rd, rfw;
    ev_io wf, wn, wd, wfw;
    Start(&wf, &rf, file, EV_READ);
    Start(&wfw, &rfw, file, EV_WRITE);
    Start(&wn, &rn, null, EV_READ | EV_WRITE);
    Start(&wd, &rd, dir, EV_READ);
    EXPECT_TRUE(RunUntil([&] { return rf.calls && rn.calls && rd.calls && rfw.calls; }));
    EXPECT_EQ(rf.revents, EV_READ);
    EXPECT_EQ(rfw.revents, EV_WRITE);
    EXPECT_EQ(rn.revents, EV_READ | EV_WRITE);
    EXPECT_EQ(rd.revents, EV_READ);
    int before = rf.calls;
    Nowait();
    Nowait();
    EXPECT_EQ(rf.calls, before + 2) << "always ready means every iteration";
    // stopped: no longer reported; restarted: reported again
    ev_io_stop(loop, &wf);
    ev_io_stop(loop, &wfw);
    Nowait();
    Nowait();
    EXPECT_EQ(rf.calls, before + 2);
    ev_io_start(loop, &wf);
    Nowait();
    EXPECT_EQ(rf.calls, before + 3);
    for (ev_io *w : {&wf, &wn, &wd})
        ev_io_stop(loop, w);
    close(file);
    close(null);
    close(dir);
}

TEST_P(IoTest, EpollFdAsWatchedFd)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    ASSERT_GE(ep, 0);
    int sv[2];
    SocketPair(sv);
    struct epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.fd = sv[0];
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
    Record r;
    ev_io w;
    Start(&w, &r, ep, EV_READ);
    Nowait();
    EXPECT_EQ(r.calls, 0);
    WriteByte(sv[1]);
    EXPECT_TRUE(RunUntil([&] { return r.calls == 1; }));
    EXPECT_EQ(r.revents, EV_READ);
    ev_io_stop(loop, &w);
    close(ep);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(IoTest, HundredFdsReadyAtOnce)
{
    constexpr int N = 100;
    std::vector<std::array<int, 2>> pairs(N);
    std::vector<Record> recs(N);
    std::vector<ev_io> ws(N);
    for (int i = 0; i < N; ++i) {
        SocketPair(pairs[i].data());
        Start(&ws[i], &recs[i], pairs[i][0], EV_READ, DrainCb);
    }
    for (int i = 0; i < N; ++i)
        WriteByte(pairs[i][1]);
    EXPECT_TRUE(RunUntil([&] {
        return std::all_of(recs.begin(), recs.end(), [](const Record &r) { return r.calls > 0; });
    }));
    for (auto &r : recs)
        EXPECT_EQ(r.calls, 1);
    // Again, with the watchers added one per iteration while all are ready.
    for (int i = 0; i < N; ++i) {
        ev_io_stop(loop, &ws[i]);
        recs[i] = Record();
        WriteByte(pairs[i][1]);
    }
    for (int i = 0; i < N; ++i) {
        ev_io_start(loop, &ws[i]);
        Nowait();
    }
    for (auto &r : recs)
        EXPECT_EQ(r.calls, 1);
    for (int i = 0; i < N; ++i) {
        ev_io_stop(loop, &ws[i]);
        close(pairs[i][0]);
        close(pairs[i][1]);
    }
}

// One poll reporting many fds whose watchers have every priority, some of them already
// pending (fed before the poll) and more than the queues' first capacity: each watcher runs
// once, with its events merged into what it was fed; priorities from the highest down; within
// a priority, what was queued before the poll runs after what the poll queued (the last queued
// runs first, as in libev); the loop's invariants hold inside every callback. An invoke
// callback that defers (as programs that hand callbacks to another thread have) keeps what was
// fed queued across the poll.
struct Invocation {
    int priority, index, revents;
};
std::vector<Invocation> *g_order;

void OrderCb(struct ev_loop *l, ev_io *w, int revents)
{
    ev_verify(l);
    g_order->push_back(
        {ev_priority(w), static_cast<int>(reinterpret_cast<intptr_t>(w->data)), revents});
}

TEST_P(IoTest, OneBatchOfEventsKeepsPrioritiesAndMergesWithWhatWasFed)
{
    constexpr int N = 60; // fds; two watchers on every third one
    std::vector<std::array<int, 2>> pairs(N);
    std::vector<ev_io> ws(N + N / 3);
    std::vector<Invocation> order;
    g_order = &order;
    for (int i = 0; i < N; ++i) {
        SocketPair(pairs[i].data());
        WriteByte(pairs[i][1]);
    }
    for (size_t k = 0; k < ws.size(); ++k) {
        int fd = pairs[k < N ? k : (k - N) * 3][0];
        ev_io_init(&ws[k], OrderCb, fd, EV_READ);
        // Mostly priority 0 (the common case), every priority present.
        ev_set_priority(&ws[k], k % 4 ? 0 : static_cast<int>(k / 4 % 5) - 2);
        ws[k].data = reinterpret_cast<void *>(static_cast<intptr_t>(k));
        ev_io_start(loop, &ws[k]);
    }
    // The fds stay ready (nobody reads). With invocation deferred, polls queue every watcher
    // (kqueue reports as many fds per poll as its event array holds: as many polls as it
    // takes; a watcher reported again merges into its entry).
    auto poll_all_deferred = [&] {
        ev_set_invoke_pending_cb(loop, [](struct ev_loop *) {});
        for (int i = 0; i < 100 && ev_pending_count(loop) < ws.size(); ++i)
            ev_run(loop, EVRUN_NOWAIT);
        ev_set_invoke_pending_cb(loop, ev_invoke_pending);
        ev_verify(loop);
        EXPECT_EQ(order.size(), 0u);
        EXPECT_EQ(ev_pending_count(loop), ws.size());
    };
    // The first round grows the queues; the second finds them empty with room.
    for (int round = 0; round < 2; ++round) {
        poll_all_deferred();
        ev_invoke_pending(loop);
        EXPECT_EQ(order.size(), ws.size()) << "round " << round << ": every watcher once";
        EXPECT_EQ(ev_pending_count(loop), 0u);
        order.clear();
    }
    const int fed[] = {1, 4, 9, 30, N + 2}; // priorities 0, -2, 0, 0 and (k = 62) 0
    for (int k : fed)
        ev_feed_event(loop, &ws[k], EV_CUSTOM);
    poll_all_deferred();
    ev_invoke_pending(loop);
    g_order = nullptr;

    ASSERT_EQ(order.size(), ws.size()) << "every watcher once";
    std::vector<int> seen(ws.size(), 0);
    for (size_t i = 0; i < order.size(); ++i) {
        const Invocation &v = order[i];
        ++seen[v.index];
        bool was_fed = std::find(std::begin(fed), std::end(fed), v.index) != std::end(fed);
        EXPECT_EQ(v.revents, was_fed ? EV_READ | EV_CUSTOM : EV_READ) << "watcher " << v.index;
        if (i)
            EXPECT_LE(v.priority, order[i - 1].priority) << "the highest priority first";
        if (i && !was_fed && v.priority == order[i - 1].priority) {
            bool prev_fed =
                std::find(std::begin(fed), std::end(fed), order[i - 1].index) != std::end(fed);
            EXPECT_FALSE(prev_fed) << "fed before the poll, so run after the poll's own";
        }
    }
    for (size_t k = 0; k < ws.size(); ++k)
        EXPECT_EQ(seen[k], 1) << "watcher " << k;
    for (auto &w : ws)
        ev_io_stop(loop, &w);
    for (auto &p : pairs) {
        close(p[0]);
        close(p[1]);
    }
}

TEST_P(IoTest, PeerCloseGivesReadAndWriteSeesEpipe)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ);
    Nowait();
    EXPECT_EQ(r.calls, 0);
    close(sv[1]);
    EXPECT_TRUE(RunUntil([&] { return r.calls > 0; }));
    EXPECT_TRUE(r.revents & EV_READ);
    char c;
    EXPECT_EQ(read(sv[0], &c, 1), 0) << "EOF";
    ev_io_stop(loop, &w);
    // The write side is ready too, and writing fails with EPIPE.
    Record rw;
    ev_io ww;
    Start(&ww, &rw, sv[0], EV_WRITE);
    EXPECT_TRUE(RunUntil([&] { return rw.calls > 0; }));
    EXPECT_TRUE(rw.revents & EV_WRITE);
    EXPECT_EQ(send(sv[0], "x", 1, MSG_NOSIGNAL), -1);
    EXPECT_EQ(errno, EPIPE);
    ev_io_stop(loop, &ww);
    close(sv[0]);
}

TEST_P(IoTest, ShutdownGivesRead)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ);
    ASSERT_EQ(shutdown(sv[1], SHUT_WR), 0);
    EXPECT_TRUE(RunUntil([&] { return r.calls > 0; }));
    EXPECT_EQ(r.revents, EV_READ);
    ev_io_stop(loop, &w);
    close(sv[0]);
    close(sv[1]);
}

// fd numbers above FD_SETSIZE (1024) and near RLIMIT_NOFILE, on every backend
// (our select keeps its own bit arrays, so it handles them too).
TEST_P(IoTest, FdsAbove1024)
{
    struct rlimit rl;
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 2048)
        GTEST_SKIP() << "RLIMIT_NOFILE " << rl.rlim_cur << " too small";
    if (GetParam() == EVBACKEND_SELECT && evtest::Emulator())
        GTEST_SKIP() << evtest::Emulator() << "'s select() aborts on fds >= FD_SETSIZE (it copies "
                     << "the sets into fixed-size host fd_sets)";
    int top = rl.rlim_cur > 20000 ? 19990 : (int)rl.rlim_cur - 10;
    int targets[][2] = {{1100, 1101}, {4096, 4097}, {top, top + 1}};
    std::vector<Record> recs(3);
    std::vector<ev_io> ws(3);
    for (int i = 0; i < 3; ++i) {
        int sv[2];
        SocketPair(sv);
        for (int k = 0; k < 2; ++k) {
            ASSERT_EQ(dup2(sv[k], targets[i][k]), targets[i][k]);
            close(sv[k]);
        }
        Start(&ws[i], &recs[i], targets[i][0], EV_READ, DrainCb);
    }
    Nowait();
    for (auto &r : recs)
        EXPECT_EQ(r.calls, 0);
    WriteByte(targets[1][1]);
    EXPECT_TRUE(RunUntil([&] { return recs[1].calls == 1; }));
    EXPECT_EQ(recs[0].calls, 0);
    EXPECT_EQ(recs[2].calls, 0);
    WriteByte(targets[2][1]);
    WriteByte(targets[0][1]);
    EXPECT_TRUE(RunUntil([&] { return recs[0].calls == 1 && recs[2].calls == 1; }));
    EXPECT_EQ(recs[1].calls, 1);
    for (int i = 0; i < 3; ++i) {
        ev_io_stop(loop, &ws[i]);
        close(targets[i][0]);
        close(targets[i][1]);
    }
}

// Many watchers on one fd (a linked list per fd), stopped and restarted in
// random order: exactly the active ones are called.
TEST_P(IoTest, ManyWatchersOnOneFdRandomStops)
{
    int sv[2];
    SocketPair(sv);
    WriteByte(sv[1]);
    constexpr int N = 16;
    std::vector<Record> recs(N);
    std::vector<ev_io> ws(N);
    std::vector<bool> on(N, true);
    for (int i = 0; i < N; ++i)
        Start(&ws[i], &recs[i], sv[0], i % 3 == 2 ? EV_READ | EV_WRITE : EV_READ);
    unsigned seed = 99;
    for (int round = 0; round < 40; ++round) {
        for (int k = 0; k < 3; ++k) {
            int i = (int)(rand_r(&seed) % N);
            if (on[i])
                ev_io_stop(loop, &ws[i]);
            else
                ev_io_start(loop, &ws[i]);
            on[i] = !on[i];
        }
        std::vector<int> before(N);
        for (int i = 0; i < N; ++i)
            before[i] = recs[i].calls;
        Nowait();
        for (int i = 0; i < N; ++i)
            EXPECT_EQ(recs[i].calls - before[i], on[i] ? 1 : 0) << "round " << round << " w " << i;
    }
    for (auto &w : ws)
        ev_io_stop(loop, &w);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0);
    close(sv[0]);
    close(sv[1]);
}

struct Cross {
    ev_io a, b;
    int calls = 0;
};

void CrossStopCb(struct ev_loop *l, ev_io *w, int)
{
    auto *c = static_cast<Cross *>(w->data);
    ++c->calls;
    ev_io_stop(l, w == &c->a ? &c->b : &c->a);
}

// uv:watcher_cross_stop: both are pending in one iteration; whichever runs
// first stops the other, which then must not run.
TEST_P(IoTest, StopPendingWatcherFromAnotherCallback)
{
    int sv[2];
    SocketPair(sv);
    WriteByte(sv[1]);
    Cross c;
    ev_io_init(&c.a, CrossStopCb, sv[0], EV_READ);
    ev_io_init(&c.b, CrossStopCb, sv[0], EV_READ);
    c.a.data = c.b.data = &c;
    ev_io_start(loop, &c.a);
    ev_io_start(loop, &c.b);
    Nowait();
    EXPECT_EQ(c.calls, 1);
    EXPECT_NE(ev_is_active(&c.a), ev_is_active(&c.b));
    ev_io_stop(loop, &c.a);
    ev_io_stop(loop, &c.b);
    // Same on two fds.
    int sv2[2];
    SocketPair(sv2);
    WriteByte(sv2[1]);
    Cross d;
    ev_io_init(&d.a, CrossStopCb, sv[0], EV_READ);
    ev_io_init(&d.b, CrossStopCb, sv2[0], EV_READ);
    d.a.data = d.b.data = &d;
    ev_io_start(loop, &d.a);
    ev_io_start(loop, &d.b);
    Nowait();
    EXPECT_EQ(d.calls, 1);
    ev_io_stop(loop, &d.a);
    ev_io_stop(loop, &d.b);
    for (int fd : {sv[0], sv[1], sv2[0], sv2[1]})
        close(fd);
}

// EBADF: an fd closed without stopping its watchers. Every watcher of that fd
// gets EV_ERROR|EV_READ|EV_WRITE once and is stopped; the loop and other fds
// keep working. We deliberately do better than libev 4.33, which does this on
// select only and aborts with an assertion on poll and epoll. epoll forgets a
// closed fd silently, so the test makes the backend look at the fd again by
// re-setting a second watcher on that number, which any program that reuses a
// watcher does.
// A watcher started on an fd that is already closed gets its error in the
// iteration that starts it, without the loop first waiting for something else:
// linuxaio learns of the closed fd only from io_submit, inside the backend's
// poll, and waited (here: for the deadline) before it ran the error callbacks.
TEST_P(IoTest, WatcherOnClosedFdGetsItsErrorWithoutWaiting)
{
    int sv[2];
    SocketPair(sv);
    int fd = sv[0];
    close(sv[0]);
    Deadline(60.); // only a loop that waits for it reaches it
    Record r;
    ev_io w;
    Start(&w, &r, fd, EV_READ);
    ev_run(loop, EVRUN_ONCE);
    EXPECT_FALSE(timed_out);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.revents, EV_ERROR | EV_READ | EV_WRITE);
    EXPECT_FALSE(ev_is_active(&w));
    close(sv[1]);
}

TEST_P(IoTest, ClosedWatchedFdGivesErrorToAllItsWatchers)
{
    int bad[2], good[2];
    SocketPair(bad);
    SocketPair(good);
    Record ra, rb, rg;
    ev_io wa, wb, wg;
    Start(&wa, &ra, bad[0], EV_READ);
    Start(&wb, &rb, bad[0], EV_WRITE);
    Start(&wg, &rg, good[0], EV_READ, DrainCb);
    WriteByte(good[1]);
    Nowait();
    ASSERT_EQ(rg.calls, 1);
    rb = Record();
    int badfd = bad[0];
    close(badfd);
    ev_io_stop(loop, &wb);
    ev_io_set(&wb, badfd, EV_WRITE);
    ev_io_start(loop, &wb);
    EXPECT_TRUE(RunUntil([&] { return ra.calls && rb.calls; }));
    const int kErr = EV_ERROR | EV_READ | EV_WRITE;
    EXPECT_EQ(kErr, (int)0x80000003);
    EXPECT_EQ(ra.revents, kErr);
    EXPECT_EQ(rb.revents, kErr);
    EXPECT_EQ(ra.calls, 1);
    EXPECT_EQ(rb.calls, 1);
    EXPECT_FALSE(ev_is_active(&wa));
    EXPECT_FALSE(ev_is_active(&wb));
    Nowait();
    Nowait();
    EXPECT_EQ(ra.calls, 1);
    EXPECT_EQ(rb.calls, 1);
    // The loop goes on and the other fd still works.
    WriteByte(good[1]);
    EXPECT_TRUE(RunUntil([&] { return rg.calls == 2; }));
    // The number can be used again with a new file.
    int sv[2];
    SocketPair(sv);
    if (sv[0] != badfd) {
        ASSERT_EQ(dup2(sv[0], badfd), badfd);
        close(sv[0]);
    }
    ev_io_set(&wa, badfd, EV_READ);
    ev_io_start(loop, &wa);
    WriteByte(sv[1]);
    EXPECT_TRUE(RunUntil([&] { return ra.calls == 2; }));
    EXPECT_EQ(ra.revents, EV_READ);
    ev_io_stop(loop, &wa);
    ev_io_stop(loop, &wg);
    for (int fd : {badfd, sv[1], bad[1], good[0], good[1]})
        close(fd);
}

// Without anything that makes the backend look at the fd again: select
// (EBADF from select) and poll (POLLNVAL) notice by themselves. epoll does not
// hear of the closed fd at all (the kernel dropped it): the watcher just stays
// silent, which is what libev does too; the loop must keep running.
TEST_P(IoTest, ClosedWatchedFdNoticedByPollingBackends)
{
    int bad[2], good[2];
    SocketPair(bad);
    SocketPair(good);
    Record ra, rg;
    ev_io wa, wg;
    Start(&wa, &ra, bad[0], EV_READ);
    Start(&wg, &rg, good[0], EV_READ, DrainCb);
    Nowait();
    close(bad[0]);
    // kqueue and ports drop a closed fd's registration like epoll; io_uring's
    // and linuxaio's armed poll keeps the file open and waits on.
    if (GetParam() & (EVBACKEND_EPOLL | EVBACKEND_KQUEUE | EVBACKEND_PORT | EVBACKEND_IOURING |
                      EVBACKEND_LINUXAIO)) {
        for (int i = 0; i < 3; ++i)
            Nowait();
        EXPECT_EQ(ra.calls, 0);
    } else {
        EXPECT_TRUE(RunUntil([&] { return ra.calls > 0; }));
        EXPECT_EQ(ra.calls, 1);
        EXPECT_EQ(ra.revents, EV_ERROR | EV_READ | EV_WRITE);
        EXPECT_FALSE(ev_is_active(&wa));
    }
    WriteByte(good[1]);
    EXPECT_TRUE(RunUntil([&] { return rg.calls == 1; }));
    ev_io_stop(loop, &wa);
    ev_io_stop(loop, &wg);
    close(bad[1]);
    close(good[0]);
    close(good[1]);
}

TEST_P(IoTest, FeedFdEvent)
{
    int sv[2];
    SocketPair(sv);
    Record rr, rw;
    ev_io wr, ww;
    Start(&wr, &rr, sv[0], EV_READ);
    Start(&ww, &rw, sv[0], EV_WRITE);
    ev_feed_fd_event(loop, sv[0], EV_READ);
    EXPECT_TRUE(ev_is_pending(&wr));
    EXPECT_FALSE(ev_is_pending(&ww)) << "revents are masked by each watcher's events";
    ev_invoke_pending(loop);
    EXPECT_EQ(rr.calls, 1);
    EXPECT_EQ(rr.revents, EV_READ);
    EXPECT_EQ(rw.calls, 0);
    ev_feed_fd_event(loop, 100000, EV_READ); // out of range: ignored
    ev_feed_fd_event(loop, sv[1], EV_READ);  // unwatched: ignored
    ev_feed_fd_event(loop, -1, EV_READ);
    EXPECT_EQ(ev_pending_count(loop), 0u);
    ev_io_stop(loop, &wr);
    ev_io_stop(loop, &ww);
    close(sv[0]);
    close(sv[1]);
}

TEST_P(IoTest, StartTwiceAndStopInactiveAreNoOps)
{
    int sv[2];
    SocketPair(sv);
    Record r;
    ev_io w;
    Start(&w, &r, sv[0], EV_READ);
    ev_io_start(loop, &w);
    WriteByte(sv[1]);
    Nowait();
    EXPECT_EQ(r.calls, 1) << "started twice must not be listed twice";
    ev_io_stop(loop, &w);
    ev_io_stop(loop, &w);
    EXPECT_EQ(ev_run(loop, EVRUN_NOWAIT), 0) << "references balanced";
    close(sv[0]);
    close(sv[1]);
}

} // namespace

EV_ALL_BACKENDS(IoTest);
