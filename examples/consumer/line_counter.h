// LineCounter: counts the lines that arrive on a file descriptor until end of file, or gives up
// after an idle timeout with no data. The io watcher calls a member function (libev's
// set<K, &K::m> style), the idle timer a lambda.
#ifndef LINE_COUNTER_H
#define LINE_COUNTER_H

#include <ev++.h>

class LineCounter {
  public:
    LineCounter(ev::loop_ref loop, int fd, ev::tstamp idle_timeout);

    void start();
    long lines() const { return lines_; }
    bool reached_eof() const { return eof_; }
    bool timed_out() const { return timed_out_; }

  private:
    void on_readable(ev::io &w, int revents);
    void on_idle(ev::timer &w, int revents);
    void stop();

    ev::io io_;
    ev::timer idle_;
    int fd_;
    ev::tstamp idle_timeout_;
    long lines_;
    bool eof_;
    bool timed_out_;
};

#endif
