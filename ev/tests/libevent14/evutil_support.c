/*
 * evutil_support.c - the four helpers of libevent 1.4's evutil.c that its evdns.c calls
 * (declared by libevent's evutil.h, third_party/libevent-1.4), written for ev's tests: libevent
 * 1.4's evutil.c itself could not be obtained (see third_party/libevent-1.4/README.md). Their
 * behaviour is C99's snprintf/vsnprintf (always terminated), socketpair, and O_NONBLOCK.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evutil.h"

int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
{
    int r = vsnprintf(buf, buflen, format, ap);
    if (buflen)
        buf[buflen - 1] = '\0';
    return r;
}

int evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int r = evutil_vsnprintf(buf, buflen, format, ap);
    va_end(ap);
    return r;
}

int evutil_socketpair(int d, int type, int protocol, int sv[2])
{
    return socketpair(d, type, protocol, sv);
}

int evutil_make_socket_nonblocking(int sock)
{
    int flags = fcntl(sock, F_GETFL, 0);
    return flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0 ? -1 : 0;
}

ev_int64_t evutil_strtoll(const char *s, char **endptr, int base)
{
    return (ev_int64_t)strtoll(s, endptr, base);
}
