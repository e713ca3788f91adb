// Reliability checklist items that had no test (docs/reliability.md), on every
// backend:
// - an idle loop with no time-based watcher never wakes: 2 s with one io
//   watcher on a silent pipe take exactly one loop iteration (the one that
//   the pipe's byte ends);
// - accept() failing with EMFILE under a level-triggered watcher does not
//   spin the loop when the callback sheds the connection with a reserve fd
//   (the pattern of ev/examples/echo_server.c), and a timer is still served.
#include "ev/tests/test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace {

class ChecklistTest : public evtest::LoopTest {};

struct IdleWake {
    int calls = 0;
};

void IdleReadCb(struct ev_loop *l, ev_io *w, int)
{
    char c;
    if (read(w->fd, &c, 1) == 1)
        ++static_cast<IdleWake *>(w->data)->calls;
    ev_io_stop(l, w);
}

TEST_P(ChecklistTest, IdleLoopWithoutTimersNeverWakes)
{
    StopDeadline(); // the fixture's safety timer would be a time-based watcher
    int p[2];
    ASSERT_EQ(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    IdleWake wake;
    ev_io io;
    ev_io_init(&io, IdleReadCb, p[0], EV_READ);
    io.data = &wake;
    ev_io_start(loop, &io);
    ev_run(loop, EVRUN_NOWAIT); // registration
    unsigned before = ev_iteration(loop);
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::seconds(2));
        ASSERT_EQ(write(p[1], "x", 1), 1);
    });
    ev_run(loop, 0); // ends when the callback stops the only watcher
    writer.join();
    EXPECT_EQ(wake.calls, 1);
    EXPECT_EQ(ev_iteration(loop) - before, 1u)
        << "the loop woke up without an event while nothing time-based was active";
    close(p[0]);
    close(p[1]);
}

// The child's accept loop: level-triggered, one connection per callback, with
// a reserve fd freed to take and drop a connection when accept hits EMFILE.
struct Acceptor {
    int reserve = -1;
    int accepted = 0, shed = 0, calls = 0, other_errors = 0, ticks = 0;
    int want = 0;
    std::vector<int> kept;
};

void AcceptCb(struct ev_loop *l, ev_io *w, int)
{
    auto *a = static_cast<Acceptor *>(w->data);
    ++a->calls;
    int fd = accept4(w->fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
        a->kept.push_back(fd);
        ++a->accepted;
    } else if (errno == EMFILE || errno == ENFILE) {
        close(a->reserve);
        fd = accept4(w->fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            ++a->shed;
        }
        a->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
    } else if (errno != EAGAIN) {
        ++a->other_errors;
    }
    if (a->accepted + a->shed == a->want)
        ev_io_stop(l, w);
}

void TickCb(struct ev_loop *l, ev_timer *w, int)
{
    ++static_cast<Acceptor *>(w->data)->ticks;
}

TEST_P(ChecklistTest, AcceptEmfileDoesNotSpinAndTimersRun)
{
    constexpr int kClients = 12;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(lfd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr *>(&sa), sizeof sa), 0);
    ASSERT_EQ(listen(lfd, 64), 0);
    socklen_t len = sizeof sa;
    ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr *>(&sa), &len), 0);
    // Every connection is queued before the child accepts anything.
    std::vector<int> clients;
    for (int i = 0; i < kClients; ++i) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(c, 0);
        ASSERT_EQ(connect(c, reinterpret_cast<sockaddr *>(&sa), sizeof sa), 0);
        clients.push_back(c);
    }
    fflush(nullptr);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        alarm(60);
        ev_loop_fork(loop);
        Acceptor a;
        a.want = kClients;
        a.reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
        // Room for exactly 3 more descriptors: the limit is set just above the
        // highest open one, every free number below it is filled, then three
        // are freed. The other connections hit EMFILE.
        int top = a.reserve;
        for (int fd = a.reserve + 1; fd < 65536; ++fd)
            if (fcntl(fd, F_GETFD) >= 0)
                top = fd;
        struct rlimit rl = {(rlim_t)top + 4, (rlim_t)top + 4};
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(10);
        std::vector<int> fillers;
        for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
            fillers.push_back(fd);
        if (fillers.size() < 3)
            _exit(10);
        for (int k = 0; k < 3; ++k) {
            close(fillers.back());
            fillers.pop_back();
        }
        ev_io w;
        ev_io_init(&w, AcceptCb, lfd, EV_READ);
        w.data = &a;
        ev_io_start(loop, &w);
        ev_timer t;
        ev_timer_init(&t, TickCb, 0.001, 0.001);
        t.data = &a;
        ev_timer_start(loop, &t);
        while (ev_is_active(&w) || a.ticks < 3)
            ev_run(loop, EVRUN_ONCE);
        ev_timer_stop(loop, &t);
        int code = 0;
        if (a.shed == 0)
            code = 11; // the limit was never hit: the test proved nothing
        else if (a.accepted + a.shed != kClients)
            code = 12;
        else if (a.calls > kClients + 2 || a.other_errors)
            code = 13; // the watcher was called without a connection to take: a spin
        _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "11: no EMFILE, 12: connections lost, 13: the accept watcher spun";
    for (int c : clients)
        close(c);
    close(lfd);
}

EV_ALL_BACKENDS(ChecklistTest);

} // namespace
