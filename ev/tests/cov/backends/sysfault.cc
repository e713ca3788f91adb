/* sysfault.cc - the --wrap wrappers of sysfault.h. */
#include "ev/tests/cov/backends/sysfault.h"
#include "ev/tests/cov/backends/fault_slot.h"

#include <errno.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

extern "C" {
long __real_syscall(long nr, ...);
int __real_epoll_create1(int flags);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_uname(struct utsname *u);
}

namespace sysfault {
namespace {

using covfault::Slot;

Slot slots[NCALL];
unsigned hidden_features;
bool spoil_magic;
long rewrite_res;
int rewrite_times;
const char *fake_release;

bool Hit(Call c)
{
    return slots[c].Hit();
}

} // namespace

void Arm(Call c, int err, int times, int skip)
{
    slots[c].Arm(err, times, skip);
}

void HideUringFeatures(unsigned bits)
{
    hidden_features = bits;
}

void SpoilAioRingMagic(bool on)
{
    spoil_magic = on;
}

void RewriteAioResult(long res, int times)
{
    rewrite_res = res;
    rewrite_times = times;
}

void FakeKernelRelease(const char *release)
{
    fake_release = release;
}

void Reset()
{
    fake_release = nullptr;
    rewrite_times = 0;
    for (Slot &s : slots)
        s = Slot();
    hidden_features = 0;
    spoil_magic = false;
}

int Calls(Call c)
{
    return slots[c].calls;
}

int Injected(Call c)
{
    return slots[c].injected;
}

} // namespace sysfault

using sysfault::Hit;

extern "C" {

/* syscall(2) is variadic: the six argument registers are passed on as they are. */
long __wrap_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (long &x : a)
        x = va_arg(ap, long);
    va_end(ap);
    sysfault::Call c = sysfault::NCALL;
    switch (nr) {
    case __NR_io_uring_setup:
        c = sysfault::IO_URING_SETUP;
        break;
    case __NR_io_uring_enter:
        c = sysfault::IO_URING_ENTER;
        break;
    case __NR_io_setup:
        c = sysfault::IO_SETUP;
        break;
    case __NR_io_submit:
        c = sysfault::IO_SUBMIT;
        break;
    case __NR_io_getevents:
        c = sysfault::IO_GETEVENTS;
        break;
    default:
        break;
    }
    if (c != sysfault::NCALL && Hit(c))
        return errno ? -1 : 0;
    long r = __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r >= 0 && c == sysfault::IO_URING_SETUP && a[1])
        reinterpret_cast<struct io_uring_params *>(a[1])->features &= ~sysfault::hidden_features;
    if (r == 0 && c == sysfault::IO_SETUP && sysfault::spoil_magic && a[1]) {
        aio_context_t ctx = *reinterpret_cast<aio_context_t *>(a[1]);
        if (ctx) /* the ring header: id, nr, head, tail, magic, ... */
            reinterpret_cast<unsigned *>(static_cast<uintptr_t>(ctx))[4] = 0;
    }
    if (r > 0 && c == sysfault::IO_GETEVENTS && sysfault::rewrite_times > 0) {
        --sysfault::rewrite_times;
        reinterpret_cast<struct io_event *>(a[3])[0].res = sysfault::rewrite_res;
    }
    return r;
}

int __wrap_epoll_create1(int flags)
{
    if (Hit(sysfault::EPOLL_CREATE1))
        return -1;
    return __real_epoll_create1(flags);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (Hit(sysfault::MMAP))
        return MAP_FAILED;
    return __real_mmap(addr, len, prot, flags, fd, off);
}

int __wrap_uname(struct utsname *u)
{
    int r = __real_uname(u);
    if (r == 0 && sysfault::fake_release) {
        strncpy(u->release, sysfault::fake_release, sizeof u->release - 1);
        u->release[sizeof u->release - 1] = 0;
    }
    return r;
}

} // extern "C"
