/*
 * inject.h - a syscall fault injector for the tests of this directory. The test binaries are
 * linked with -Wl,--wrap=<fn> for every function below, and statically with //ev:core, so the
 * library's calls go through __wrap_<fn> (inject.cc): a call passes through to the real function
 * unless a fault is armed for it, in which case it fails with the armed errno.
 */
#ifndef EV_TESTS_FAULT_INJECT_H_
#define EV_TESTS_FAULT_INJECT_H_

namespace inject {

enum Fn { EPOLL_WAIT, EPOLL_CTL, POLL, SELECT, READ, WRITE, EVENTFD, PIPE, NFN };

const char *Name(Fn fn);

/* The next `times` calls of fn (on fd, or on any fd when fd < 0; the wait calls and eventfd/pipe
 * have no fd filter), after `skip` matching calls that pass, fail with err. */
void Arm(Fn fn, int err, int times, int fd = -1, int skip = 0);
/* Disarms everything and zeroes the counters. */
void Reset();
/* Calls of fn seen (passed or failed) and failures injected, since Reset(). */
int Calls(Fn fn);
int Injected(Fn fn);
/* errno of the last real call of write() on fd that failed (0: none failed since Reset). */
int LastWriteErrno(int fd);
/* The fds of the last pipe() and eventfd() calls that succeeded (-1: none). */
int LastPipeRead();
int LastPipeWrite();
int LastEventfd();

} // namespace inject

#endif
