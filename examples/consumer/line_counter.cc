#include "line_counter.h"

#include <errno.h>
#include <unistd.h>

LineCounter::LineCounter(ev::loop_ref loop, int fd, ev::tstamp idle_timeout)
    : io_(loop), idle_(loop), fd_(fd), idle_timeout_(idle_timeout), lines_(0), eof_(false),
      timed_out_(false)
{
    io_.set<LineCounter, &LineCounter::on_readable>(this);
    // A lambda (C++11: Bazel's default -std=c++0x here, no .bazelrc of ev's).
    idle_.set([this](ev::timer &w, int revents) { on_idle(w, revents); });
}

void LineCounter::start()
{
    io_.start(fd_, ev::READ);
    idle_.set(0., idle_timeout_);
    idle_.again(); // fires after idle_timeout_ without data
}

void LineCounter::stop()
{
    io_.stop();
    idle_.stop();
}

void LineCounter::on_readable(ev::io &w, int revents)
{
    (void)w;
    (void)revents;
    char buf[4096];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return;
        stop();
        return;
    }
    if (n == 0) {
        eof_ = true;
        stop();
        return;
    }
    for (ssize_t i = 0; i < n; ++i)
        if (buf[i] == '\n')
            ++lines_;
    idle_.again(); // data arrived: the idle timeout starts over
}

void LineCounter::on_idle(ev::timer &w, int revents)
{
    (void)w;
    (void)revents;
    timed_out_ = true;
    stop();
}
