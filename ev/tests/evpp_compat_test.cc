// A program in the style of libev 4.33's ev++.h documentation (ev(3), "C++ SUPPORT"): classes
// owning watchers with member-function callbacks on the default loop, the 3.x names, the
// function and functor callback styles. It must compile and behave unchanged against ev++.h.
#include <ev++.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

namespace {

class myclass {
  public:
    ev::io io;
    ev::idle idle;
    int io_calls, idle_calls;

    myclass(int fd) : io_calls(0), idle_calls(0)
    {
        io.set<myclass, &myclass::io_cb>(this);
        idle.set<myclass, &myclass::idle_cb>(this);
        io.start(fd, ev::READ);
    }

    void io_cb(ev::io &w, int revents)
    {
        char c;
        if (read(w.fd, &c, 1) == 1)
            ++io_calls;
        idle.start(); // start the idle watcher to handle the actual event
        w.stop();
    }

    void idle_cb(ev::idle &w, int revents)
    {
        ++idle_calls;
        w.stop();
    }
};

struct ticker {
    int ticks;
    ticker() : ticks(0) {}
    void operator()(ev::timer &w, int revents)
    {
        if (++ticks == 3)
            w.stop();
    }
};

int checks;
void check_cb(ev::check &w, int revents)
{
    ++checks;
    w.stop();
}

TEST(EvppCompat, ManualStyleProgram)
{
    ev::default_loop loop(ev::AUTO);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    {
        myclass obj(sv[0]);
        ticker t;
        ev::timer tick;
        tick.set(&t);
        tick.set(0.001, 0.001);
        tick.start();
        ev::check chk;
        chk.set<check_cb>();
        chk.start();
        ASSERT_EQ(write(sv[1], "!", 1), 1);
        loop.loop(); // the 3.x name of run(); returns when no watcher is left
        EXPECT_EQ(obj.io_calls, 1);
        EXPECT_EQ(obj.idle_calls, 1);
        EXPECT_EQ(t.ticks, 3);
        EXPECT_EQ(checks, 1);
        EXPECT_GE(loop.iteration(), 3u);
        EXPECT_EQ(loop.depth(), 0u);
        loop.unloop(ev::ALL);
    }
    close(sv[0]);
    close(sv[1]);
    ev_default_destroy();
}

} // namespace
