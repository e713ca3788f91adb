// Drives ev/examples/echo_server.cc (compiled in with ECHO_SERVER_NO_MAIN) in a child process:
// echoes, closes idle connections, and exits 0 on SIGTERM and on SIGINT; prints its loop metrics
// on SIGUSR1 and serves them as Prometheus text with --metrics-port.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

int echo_server_main(int argc, char **argv);

namespace {

struct ServerProcess {
    pid_t pid = -1;
    int port = 0;
    int out = -1; // the server's stdout, kept open so its shutdown message never meets EPIPE
    int metrics_port = 0;
    explicit ServerProcess(const char *idle_timeout, bool metrics = false)
    {
        int p[2];
        EXPECT_EQ(pipe(p), 0);
        pid = fork();
        if (pid == 0) {
            dup2(p[1], 1);
            close(p[0]);
            char a0[] = "echo_server", a1[] = "0", a3[] = "--metrics-port", a4[] = "0";
            char a2[16];
            snprintf(a2, sizeof a2, "%s", idle_timeout);
            char *argv[] = {a0, a1, a2, a3, a4, nullptr};
            _exit(echo_server_main(metrics ? 5 : 3, argv));
        }
        close(p[1]);
        out = p[0];
        port = atoi(ReadLine().c_str()); // the first line is the port
        if (metrics) {
            std::string line = ReadLine(); // "metrics on 127.0.0.1 port N"
            size_t at = line.rfind(' ');
            EXPECT_EQ(line.rfind("metrics on 127.0.0.1 port ", 0), 0u) << line;
            metrics_port = at == std::string::npos ? 0 : atoi(line.c_str() + at + 1);
        }
    }
    std::string ReadLine() const
    {
        std::string line;
        char c;
        while (read(out, &c, 1) == 1 && c != '\n')
            line += c;
        return line;
    }
    int Connect(int to = 0) const
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)(to ? to : port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(connect(fd, (sockaddr *)&a, sizeof a), 0);
        return fd;
    }
    int StopWith(int sig)
    {
        kill(pid, sig);
        int status = 0;
        waitpid(pid, &status, 0);
        close(out);
        return status;
    }
};

// Reads up to n bytes, waiting at most 10 s (a deadline, not a timing assertion).
std::string ReadSome(int fd, size_t n)
{
    std::string out;
    while (out.size() < n) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 10000) <= 0)
            break;
        char buf[256];
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        out.append(buf, (size_t)r);
    }
    return out;
}

TEST(EchoServer, EchoesSeveralClientsAndStopsOnSigterm)
{
    ServerProcess s("30");
    ASSERT_GT(s.port, 0);
    int a = s.Connect(), b = s.Connect();
    ASSERT_EQ(write(a, "hello", 5), 5);
    ASSERT_EQ(write(b, "world!", 6), 6);
    EXPECT_EQ(ReadSome(a, 5), "hello");
    EXPECT_EQ(ReadSome(b, 6), "world!");
    int status = s.StopWith(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status)) << "signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(ReadSome(a, 1), "") << "connections closed on shutdown";
    close(a);
    close(b);
}

TEST(EchoServer, ClosesIdleConnectionsAndStopsOnSigint)
{
    ServerProcess s("0.2");
    ASSERT_GT(s.port, 0);
    int a = s.Connect();
    ASSERT_EQ(write(a, "x", 1), 1);
    EXPECT_EQ(ReadSome(a, 1), "x");
    EXPECT_EQ(ReadSome(a, 1), "") << "closed by the server after the idle timeout";
    int status = s.StopWith(SIGINT);
    EXPECT_TRUE(WIFEXITED(status)) << "signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    close(a);
}

TEST(EchoServer, MetricsOnSigusr1AndOnTheMetricsPort)
{
    ServerProcess s("30", true);
    ASSERT_GT(s.port, 0);
    ASSERT_GT(s.metrics_port, 0);
    int a = s.Connect();
    ASSERT_EQ(write(a, "hello", 5), 5);
    EXPECT_EQ(ReadSome(a, 5), "hello");

    int m = s.Connect(s.metrics_port);
    const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    ASSERT_EQ(write(m, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    std::string resp = ReadSome(m, 1 << 20); // until the server closes it
    close(m);
    EXPECT_EQ(resp.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << resp;
    EXPECT_NE(resp.find("\r\n# HELP ev_loop_elapsed_seconds"), std::string::npos) << resp;
    // accept and one read so far, at least
    size_t at = resp.find("\nev_loop_events_total{type=\"io\"} ");
    ASSERT_NE(at, std::string::npos) << resp;
    EXPECT_GE(atoi(resp.c_str() + at + sizeof "\nev_loop_events_total{type=\"io\"} " - 1), 2);

    kill(s.pid, SIGUSR1);
    std::string line = s.ReadLine();
    EXPECT_EQ(line.rfind("metrics loop: utilization ", 0), 0u) << line;
    int status = s.StopWith(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status)) << "signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    close(a);
}

} // namespace
