// event_examples_test.cc - the two classic libevent 1.x programs in
// ev/examples (an echo server and a bench.c-style benchmark), built unchanged
// against //ev:event, each run in a forked child on every backend. The child
// gets LIBEV_FLAGS for the backend, so its event_init() (the default loop of a
// fresh process) uses it; its stdout comes back through a pipe. A poll()
// deadline in the parent bounds every wait; a hung child is killed.
#include <event.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "test_util.h"

#ifndef EV_IS_CLEANROOM_EVENT
#error "compiled against a foreign event.h: the include path is wrong"
#endif

extern "C" int event_echo_main(int argc, char **argv);
extern "C" int event_bench_main(int argc, char **argv);

namespace {

const int kDeadlineMs = 20000;

class Child {
  public:
    // Runs main(args) in a child with LIBEV_FLAGS=backend.
    Child(int (*main_fn)(int, char **), std::vector<std::string> args, unsigned backend)
    {
        int p[2];
        if (pipe(p) < 0)
            return;
        pid_ = fork();
        if (pid_ == 0) {
            alarm(kDeadlineMs / 1000 + 5); // in case the parent dies first
            dup2(p[1], 1);
            close(p[0]);
            close(p[1]);
            setenv("LIBEV_FLAGS", std::to_string(backend).c_str(), 1);
            std::vector<char *> argv;
            for (auto &a : args)
                argv.push_back(&a[0]);
            argv.push_back(nullptr);
            int rc = main_fn((int)args.size(), argv.data());
            // event_init() made the default loop: it must use the backend under test.
            if (rc == 0 && (!ev_default_loop_ptr || ev_backend(ev_default_loop_ptr) != backend))
                rc = 99;
            fflush(stdout);
            _exit(rc);
        }
        close(p[1]);
        out_ = p[0];
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        end_ms_ = ts.tv_sec * 1000L + ts.tv_nsec / 1000000 + kDeadlineMs;
    }

    ~Child()
    {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0)
            close(out_);
    }

    bool started() const { return pid_ > 0 && out_ >= 0; }
    pid_t pid() const { return pid_; }

    // The child's next output line ("" on EOF or deadline).
    std::string Line()
    {
        for (;;) {
            size_t nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            if (!Fill())
                return "";
        }
    }

    // Reads all output until EOF, then reaps: the exit status (-1 on deadline).
    int Wait(std::string *rest = nullptr)
    {
        while (Fill()) {
        }
        if (rest)
            *rest = buf_;
        if (!eof_)
            return -1;
        int status = 0;
        if (waitpid(pid_, &status, 0) != pid_)
            return -1;
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    int RemainingMs() const
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        long now = ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
        return end_ms_ > now ? (int)(end_ms_ - now) : 0;
    }

  private:
    bool Fill()
    {
        if (eof_)
            return false;
        struct pollfd pfd = {out_, POLLIN, 0};
        if (poll(&pfd, 1, RemainingMs()) <= 0)
            return false; // deadline
        char chunk[4096];
        ssize_t n = read(out_, chunk, sizeof chunk);
        if (n <= 0) {
            eof_ = true;
            return false;
        }
        buf_.append(chunk, (size_t)n);
        return true;
    }

    pid_t pid_ = -1;
    int out_ = -1;
    bool eof_ = false, reaped_ = false;
    long end_ms_ = 0;
    std::string buf_;
};

// Connects to 127.0.0.1:port, sends msg, and reads the echo back.
std::string EchoOnce(int port, const std::string &msg, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {};
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string got;
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
        write(fd, msg.data(), msg.size()) == (ssize_t)msg.size()) {
        while (got.size() < msg.size()) {
            struct pollfd pfd = {fd, POLLIN, 0};
            if (poll(&pfd, 1, timeout_ms) <= 0)
                break;
            char buf[256];
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0)
                break;
            got.append(buf, (size_t)n);
        }
    }
    close(fd);
    return got;
}

int PortOf(const std::string &line)
{
    const std::string prefix = "listening on 127.0.0.1 port ";
    if (line.rfind(prefix, 0) != 0)
        return -1;
    return atoi(line.c_str() + prefix.size());
}

class EventExamplesTest : public evtest::LoopTest {};

TEST_P(EventExamplesTest, EchoServerServesClientsThenExits)
{
    Child c(event_echo_main, {"event_echo", "-n", "3"}, GetParam());
    ASSERT_TRUE(c.started());
    std::string line = c.Line();
    int port = PortOf(line);
    ASSERT_GT(port, 0) << line;
    for (int i = 0; i < 3; ++i) {
        std::string msg = "hello " + std::to_string(i) + std::string(100 * i, 'x');
        EXPECT_EQ(EchoOnce(port, msg, c.RemainingMs()), msg);
    }
    std::string rest;
    EXPECT_EQ(c.Wait(&rest), 0);
    EXPECT_EQ(rest, "served 3 clients\n");
}

TEST_P(EventExamplesTest, EchoServerExitsOnSigterm)
{
    Child c(event_echo_main, {"event_echo"}, GetParam());
    ASSERT_TRUE(c.started());
    int port = PortOf(c.Line());
    ASSERT_GT(port, 0);
    EXPECT_EQ(EchoOnce(port, "ping", c.RemainingMs()), "ping");
    ASSERT_EQ(kill(c.pid(), SIGTERM), 0); // the signal event ends the loop
    std::string rest;
    EXPECT_EQ(c.Wait(&rest), 0);
    EXPECT_NE(rest.find("served "), std::string::npos) << rest;
}

void ExpectBenchRounds(const std::string &out, int rounds, int reads)
{
    int seen = 0;
    size_t pos = 0;
    while ((pos = out.find("round ", pos)) != std::string::npos) {
        size_t end = out.find('\n', pos);
        std::string line = out.substr(pos, end - pos);
        EXPECT_NE(line.find(", " + std::to_string(reads) + " reads"), std::string::npos) << line;
        ++seen;
        pos = end;
    }
    EXPECT_EQ(seen, rounds) << out;
}

TEST_P(EventExamplesTest, BenchCompletesEveryRound)
{
    Child c(event_bench_main, {"event_bench", "-n", "200", "-a", "20", "-w", "2000", "-r", "3"},
            GetParam());
    ASSERT_TRUE(c.started());
    std::string out;
    EXPECT_EQ(c.Wait(&out), 0);
    ExpectBenchRounds(out, 3, 2020);
}

TEST_P(EventExamplesTest, BenchWithTimeouts)
{
    Child c(event_bench_main,
            {"event_bench", "-t", "-n", "100", "-a", "100", "-w", "500", "-r", "2"}, GetParam());
    ASSERT_TRUE(c.started());
    std::string out;
    EXPECT_EQ(c.Wait(&out), 0);
    ExpectBenchRounds(out, 2, 600);
}

EV_ALL_BACKENDS(EventExamplesTest);

} // namespace
