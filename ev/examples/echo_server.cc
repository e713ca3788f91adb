// echo_server.cc - a TCP echo service on ev:: classes.
//
// Listens on 127.0.0.1 (port from argv[1], 0 = any free port, printed on stdout), echoes what
// each client sends, closes a connection after idle_timeout seconds without traffic, and shuts
// down cleanly on SIGINT or SIGTERM: stops accepting, closes every connection, returns 0.
#include <ev++.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <memory>

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
          sigint_(loop), sigterm_(loop)
    {
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
        connections_.clear(); // stops every watcher: the loop runs out of work
    }

    ev::loop_ref loop_;
    int listen_fd_;
    double idle_timeout_;
    ev::io accept_;
    ev::sig sigint_, sigterm_;
    std::list<std::unique_ptr<Connection>> connections_;
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
    int port = argc > 1 ? std::atoi(argv[1]) : 0;
    double idle_timeout = argc > 2 ? std::atof(argv[2]) : 10.;
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
