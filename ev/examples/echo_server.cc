// echo_server.cc - a TCP echo service on ev:: classes.
//
// Listens on 127.0.0.1 (port from argv[1], 0 = any free port, printed on stdout), echoes what
// each client sends, closes a connection after idle_timeout seconds without traffic, and shuts
// down cleanly on SIGINT or SIGTERM: stops accepting, closes every connection, returns 0.
//
// Loop metrics (ev_metrics.h, through ev++'s loop_ref::metrics()) are on: SIGUSR1 prints them
// ("metrics loop: utilization ..."); with --metrics-port PORT (anywhere among the arguments; 0 =
// any free port) the loop also serves them as Prometheus text on 127.0.0.1, and the line after
// the port says "metrics on 127.0.0.1 port <n>".
#include <ev++.h>

#include "metrics_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <vector>

namespace {

class Server;

// One client: an io watcher for reading and a timer that resets on traffic.
class Connection {
  public:
    Connection(Server &server, int fd, double idle_timeout);
    ~Connection() { close(fd_); }

  private:
    void on_readable(ev::io &w, int revents);
    void on_idle(ev::timer &w, int revents);

    Server &server_;
    int fd_;
    ev::io io_;
    ev::timer idle_;
};

class Server {
  public:
    Server(ev::loop_ref loop, int listen_fd, double idle_timeout)
        : loop_(loop), listen_fd_(listen_fd), idle_timeout_(idle_timeout), accept_(loop),
          sigint_(loop), sigterm_(loop), sigusr1_(loop)
    {
        loop_.enable_metrics();
        sigusr1_.set<Server, &Server::on_metrics_signal>(this);
        sigusr1_.start(SIGUSR1);
        loop_.unref(); // the metrics signal alone does not keep the server running
        accept_.set<Server, &Server::on_accept>(this);
        accept_.start(listen_fd_, ev::READ);
        sigint_.set<Server, &Server::on_signal>(this);
        sigint_.start(SIGINT);
        sigterm_.set<Server, &Server::on_signal>(this);
        sigterm_.start(SIGTERM);
    }

    void drop(Connection *c)
    {
        connections_.remove_if([c](const std::unique_ptr<Connection> &p) { return p.get() == c; });
    }

    ev::loop_ref loop() const { return loop_; }

    // --metrics-port: the Prometheus endpoint on this loop; the port, or -1.
    int serve_metrics(int port)
    {
        metrics_on_ = true;
        return metrics_http_start(loop_, &metrics_, port, &Server::render, this);
    }

  private:
    void on_accept(ev::io &, int)
    {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; // EAGAIN, or a client that went away: try again on the next event
        connections_.emplace_back(new Connection(*this, fd, idle_timeout_));
    }

    void on_signal(ev::sig &w, int)
    {
        std::printf("echo_server: signal %d, shutting down\n", w.signum);
        std::fflush(stdout);
        accept_.stop();
        sigint_.stop();
        sigterm_.stop();
        loop_.ref();
        sigusr1_.stop();
        if (metrics_on_)
            metrics_http_stop(loop_, &metrics_);
        connections_.clear(); // stops every watcher: the loop runs out of work
    }

    void on_metrics_signal(ev::sig &, int)
    {
        ev::loop_ref::metrics_view m = loop_.metrics();
        std::printf("metrics loop: utilization %.1f%% (busy %.3f s of %.3f s), %llu iterations, "
                    "%llu events, lag max %.3f ms\n",
                    100. * m.utilization(), m.busy_time().count(), m.elapsed_time().count(),
                    (unsigned long long)m.iterations, (unsigned long long)m.events_total,
                    std::chrono::duration<double, std::milli>(m.lag_max_time()).count());
        std::fflush(stdout);
    }

    static size_t render(char *buf, size_t size, void *arg)
    {
        ev::loop_ref::metrics_view m = static_cast<Server *>(arg)->loop_.metrics();
        return ev_metrics_prometheus(buf, size, &m, nullptr, 1);
    }

    ev::loop_ref loop_;
    int listen_fd_;
    double idle_timeout_;
    ev::io accept_;
    ev::sig sigint_, sigterm_, sigusr1_;
    std::list<std::unique_ptr<Connection>> connections_;
    struct metrics_http metrics_;
    bool metrics_on_ = false;
};

Connection::Connection(Server &server, int fd, double idle_timeout)
    : server_(server), fd_(fd), io_(server.loop()), idle_(server.loop())
{
    io_.set<Connection, &Connection::on_readable>(this);
    io_.start(fd_, ev::READ);
    idle_.set<Connection, &Connection::on_idle>(this);
    idle_.set(0., idle_timeout);
    idle_.again();
}

void Connection::on_readable(ev::io &, int)
{
    char buf[4096];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0 || write(fd_, buf, (size_t)n) != n) {
        server_.drop(this); // end of file, error, or a client too slow to take its echo
        return;
    }
    idle_.again(); // traffic: the idle timeout starts over
}

void Connection::on_idle(ev::timer &, int)
{
    server_.drop(this);
}

} // namespace

// The service; returns the process exit status.
int echo_server_main(int argc, char **argv)
{
    std::vector<char *> args; // the positional arguments: port, idle timeout
    int metrics_port = -1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--metrics-port") == 0 && i + 1 < argc)
            metrics_port = std::atoi(argv[++i]);
        else
            args.push_back(argv[i]);
    }
    int port = args.size() > 0 ? std::atoi(args[0]) : 0;
    double idle_timeout = args.size() > 1 ? std::atof(args[1]) : 10.;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (sockaddr *)&addr, &len) < 0) {
        std::perror("echo_server");
        return 1;
    }
    std::printf("%d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    try {
        ev::default_loop loop;
        Server server(loop, fd, idle_timeout);
        if (metrics_port >= 0) {
            int got = server.serve_metrics(metrics_port);
            if (got < 0)
                return 1;
            std::printf("metrics on 127.0.0.1 port %d\n", got);
            std::fflush(stdout);
        }
        loop.run();
    } catch (const ev::bad_loop &e) {
        std::fprintf(stderr, "echo_server: %s\n", e.what());
        return 1;
    }
    close(fd);
    return 0;
}

#ifndef ECHO_SERVER_NO_MAIN
int main(int argc, char **argv)
{
    return echo_server_main(argc, argv);
}
#endif
