/* inject.cc - the --wrap wrappers of inject.h. Single-threaded use only. */
#include "inject.h"

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

extern "C" {
int __real_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int __real_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __real_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_eventfd(unsigned int initval, int flags);
int __real_pipe(int fds[2]);
}

namespace inject {
namespace {

struct Slot {
    int err = 0, times = 0, fd = -1, skip = 0;
    int calls = 0, injected = 0;
};

Slot slots[NFN];
int last_pipe[2] = {-1, -1};
int last_eventfd = -1;
int write_err_fd = -1, write_err = 0;

/* Counts the call; true if it must fail (errno is then set). */
bool Hit(Fn fn, int fd)
{
    Slot &s = slots[fn];
    ++s.calls;
    if (s.times <= 0 || (s.fd >= 0 && fd != s.fd))
        return false;
    if (s.skip > 0) {
        --s.skip;
        return false;
    }
    --s.times;
    ++s.injected;
    errno = s.err;
    return true;
}

} // namespace

const char *Name(Fn fn)
{
    static const char *const names[] = {"epoll_wait", "epoll_ctl", "poll",    "select",
                                        "read",       "write",     "eventfd", "pipe"};
    return names[fn];
}

void Arm(Fn fn, int err, int times, int fd, int skip)
{
    Slot &s = slots[fn];
    s.err = err;
    s.times = times;
    s.fd = fd;
    s.skip = skip;
}

void Reset()
{
    for (Slot &s : slots)
        s = Slot();
    last_pipe[0] = last_pipe[1] = last_eventfd = -1;
    write_err_fd = -1;
    write_err = 0;
}

int Calls(Fn fn)
{
    return slots[fn].calls;
}

int Injected(Fn fn)
{
    return slots[fn].injected;
}

int LastWriteErrno(int fd)
{
    return fd == write_err_fd ? write_err : 0;
}

int LastPipeRead()
{
    return last_pipe[0];
}

int LastPipeWrite()
{
    return last_pipe[1];
}

int LastEventfd()
{
    return last_eventfd;
}

} // namespace inject

using inject::Hit;

extern "C" {

int __wrap_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
    if (Hit(inject::EPOLL_WAIT, -1))
        return -1;
    return __real_epoll_wait(epfd, events, maxevents, timeout);
}

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
    if (Hit(inject::EPOLL_CTL, fd))
        return -1;
    return __real_epoll_ctl(epfd, op, fd, event);
}

int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    if (Hit(inject::POLL, -1))
        return -1;
    return __real_poll(fds, nfds, timeout);
}

int __wrap_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    if (Hit(inject::SELECT, -1))
        return -1;
    return __real_select(nfds, r, w, e, tv);
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    if (Hit(inject::READ, fd))
        return -1;
    return __real_read(fd, buf, n);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    int saved = errno;
    if (Hit(inject::WRITE, fd)) {
        inject::write_err_fd = fd;
        inject::write_err = errno;
        return -1;
    }
    ssize_t r = __real_write(fd, buf, n);
    if (r < 0) {
        inject::write_err_fd = fd;
        inject::write_err = errno;
    } else {
        errno = saved;
    }
    return r;
}

int __wrap_eventfd(unsigned int initval, int flags)
{
    if (Hit(inject::EVENTFD, -1))
        return -1;
    int fd = __real_eventfd(initval, flags);
    if (fd >= 0)
        inject::last_eventfd = fd;
    return fd;
}

int __wrap_pipe(int fds[2])
{
    if (Hit(inject::PIPE, -1))
        return -1;
    int r = __real_pipe(fds);
    if (r == 0) {
        inject::last_pipe[0] = fds[0];
        inject::last_pipe[1] = fds[1];
    }
    return r;
}

} // extern "C"
