/*
 * alloc.c - memory and fatal errors. Every allocation of the library goes
 * through the allocator set with ev_set_allocator; a failed allocation and an
 * unrecoverable syscall error end the process with a message naming the cause.
 */
#include "ev_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *default_alloc(void *ptr, long size)
{
    if (size)
        return realloc(ptr, (size_t)size);
    free(ptr);
    return NULL;
}

static void *(*alloc_cb)(void *ptr, long size) = default_alloc;
static void (*syserr_cb)(const char *msg);

void ev_set_allocator(void *(*cb)(void *ptr, long size)) EV_NOEXCEPT
{
    alloc_cb = cb ? cb : default_alloc;
}

void ev_set_syserr_cb(void (*cb)(const char *msg)) EV_NOEXCEPT
{
    syserr_cb = cb;
}

static EV__COLD void alloc_failed(unsigned long long size)
{
    char buf[80];
    snprintf(buf, sizeof buf, "(libev) cannot allocate %llu bytes, aborting.", size);
    ev__fatal(buf);
}

void *ev__realloc(void *ptr, size_t size)
{
    void *p = alloc_cb(ptr, (long)size);
    if (EV__UNLIKELY(!p && size))
        alloc_failed(size);
    return p;
}

void ev__free(void *ptr)
{
    if (ptr)
        alloc_cb(ptr, 0);
}

void ev__syserr(const char *msg)
{
    if (syserr_cb) {
        syserr_cb(msg);
        return; /* the caller carries on, as libev's callers do */
    }
    perror(msg);
    abort();
}

void ev__fatal(const char *msg)
{
    /* write(2) rather than stdio: this may run in a signal-unsafe state. */
    size_t len = 0;
    while (msg[len])
        ++len;
    ssize_t r = write(STDERR_FILENO, msg, len);
    r = write(STDERR_FILENO, "\n", 1);
    (void)r;
    abort();
}

/* Arrays double while small; from 64 KiB on they grow by an eighth, which
 * keeps the slack (memory per watcher) small. Such blocks are mmapped by
 * the C library, and realloc moves their pages without copying. */
void *ev__grow(void *base, int *cap, int need, size_t elem)
{
    /* 64-bit counts: near INT_MAX elements, n + n / 8 and n * elem overflow a 32-bit long (the
     * loop never ended on i386); a size the allocator's long cannot carry is a failure. */
    long long n = *cap ? *cap : 4;
    while (n < need)
        n += n * (long long)elem < 65536 ? n : n / 8;
    if (n > 0x7fffffffLL)
        n = 0x7fffffffLL;
    unsigned long long bytes = (unsigned long long)n * elem;
    if (EV__UNLIKELY(bytes > (unsigned long long)LONG_MAX))
        alloc_failed(bytes);
    base = ev__realloc(base, (size_t)bytes);
    *cap = (int)n;
    return base;
}
