/*
 * sysfault.h - failures injected into the system calls the Linux backends make without a libc
 * wrapper of their own (io_uring and Linux AIO go through syscall(2)), and into epoll_create1 and
 * mmap, and a fake kernel release for uname. Like ev/tests/fault/inject.h, it works by -Wl,--wrap
 * (BUILD.bazel's SYSFAULT_WRAPS; the lines below tell tools/coverage.sh), with the library linked
 * statically. Single-threaded use.
 */
// coverage.sh: ev/tests/cov/backends/sysfault.cc
// coverage.sh: -Wl,--wrap=syscall -Wl,--wrap=epoll_create1 -Wl,--wrap=mmap -Wl,--wrap=uname
#ifndef EV_TESTS_COV_BACKENDS_SYSFAULT_H_
#define EV_TESTS_COV_BACKENDS_SYSFAULT_H_

namespace sysfault {

enum Call {
    IO_URING_SETUP,
    IO_URING_ENTER,
    IO_SETUP,
    IO_SUBMIT,
    IO_GETEVENTS,
    EPOLL_CREATE1,
    MMAP,
    NCALL
};

/* The next `times` calls of c, after `skip` that pass, fail with err (-1 and errno); err 0 makes
 * them return 0 without calling the kernel (io_submit: "took none"). */
void Arm(Call c, int err, int times, int skip = 0);
/* Feature bits (IORING_FEAT_*) cleared from what io_uring_setup reports, from now on. */
void HideUringFeatures(unsigned bits);
/* The ring header of every AIO context made from now on gets a magic number ev does not know
 * (as a kernel with another ring layout would show): completions must come by io_getevents. */
void SpoilAioRingMagic(bool on);
/* The res of the first completion the next `times` successful io_getevents calls return is
 * replaced by res (a kernel result ev cannot provoke: -EINTR, -ECANCELED, ...). */
void RewriteAioResult(long res, int times);
/* uname() reports this kernel release from now on (nullptr: the real one). */
void FakeKernelRelease(const char *release);
/* Disarms everything and zeroes the counters. */
void Reset();
int Calls(Call c);
int Injected(Call c);

} // namespace sysfault

#endif
