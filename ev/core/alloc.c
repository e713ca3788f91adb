/*
 * alloc.c - memory and fatal errors. Every allocation of the library goes
 * through the allocator set with ev_set_allocator; a failed allocation and an
 * unrecoverable syscall error end the process with a message naming the cause.
 */
#include "ev_internal.h"

#include <errno.h>
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

void *ev__realloc(void *ptr, size_t size)
{
    void *p = alloc_cb(ptr, (long)size);
    if (EV__UNLIKELY(!p && size)) {
        char buf[80];
        snprintf(buf, sizeof buf, "(libev) cannot allocate %ld bytes, aborting.", (long)size);
        ev__fatal(buf);
    }
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
    long n = *cap ? *cap : 4;
    while (n < need)
        n += (size_t)n * elem < 65536 ? n : n / 8;
    if (n > 0x7fffffffL)
        n = 0x7fffffffL;
    base = ev__realloc(base, (size_t)n * elem);
    *cap = (int)n;
    return base;
}
