/*
 * win32.c - what Windows lacks for the rest of the library (compiled only for _WIN32):
 *  - the wake-up channel of async.c: Windows has no pipe that select() accepts, so the loop's
 *    "pipe" is a connected loopback TCP pair, each socket wrapped in a C runtime fd
 *    (EV_WIN32_HANDLE_TO_FD), non-blocking and not inherited by child processes;
 *  - time for clock.c: ev_time from the system time (FILETIME, 100 ns since 1601), the monotonic
 *    clock from QueryPerformanceCounter, ev_sleep with Sleep (rounded up to whole milliseconds).
 * The select backend for winsock is ev/backends/select_win32.c.
 */
#include "ev_internal.h"

#ifdef _WIN32

#include <errno.h>
#include <windows.h>

static void winsock_start(void)
{
    /* Once per wake-up pair (per loop): WSAStartup counts its callers, so this is cheap and
     * safe from any thread, and winsock stays up as long as the process (no WSACleanup). */
    WSADATA wsa;
    WSAStartup(MAKEWORD(2, 2), &wsa);
}

static int wsa_to_errno(int wsa)
{
    switch (wsa) {
    case WSAEMFILE:
        return EMFILE;
    case WSAENOBUFS:
        return ENOMEM;
    case WSAEACCES:
        return EACCES;
    default:
        return EIO;
    }
}

static int same_address(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
           a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* Makes s non-blocking and non-inheritable, and wraps it in a C runtime fd (-1 on failure). */
static int wrap_socket(SOCKET s)
{
    u_long on = 1;
    if (ioctlsocket(s, FIONBIO, &on) != 0)
        return -1;
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
    return EV_WIN32_HANDLE_TO_FD((intptr_t)s);
}

int ev__win32_socketpair(int fds[2])
{
    winsock_start();
    SOCKET lst = INVALID_SOCKET, a = INVALID_SOCKET, b = INVALID_SOCKET;
    struct sockaddr_in addr, mine, peer;
    int len, ra, wb;
    BOOL nodelay = TRUE;

    lst = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (lst == INVALID_SOCKET)
        goto fail;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; /* any free port */
    len = (int)sizeof addr;
    if (bind(lst, (struct sockaddr *)&addr, len) != 0 || listen(lst, 1) != 0 ||
        getsockname(lst, (struct sockaddr *)&addr, &len) != 0)
        goto fail;
    b = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (b == INVALID_SOCKET || connect(b, (struct sockaddr *)&addr, (int)sizeof addr) != 0)
        goto fail;
    /* Accept until the peer is our own socket: another local process could connect first. */
    len = (int)sizeof mine;
    if (getsockname(b, (struct sockaddr *)&mine, &len) != 0)
        goto fail;
    for (;;) {
        len = (int)sizeof peer;
        a = accept(lst, (struct sockaddr *)&peer, &len);
        if (a == INVALID_SOCKET)
            goto fail;
        if (same_address(&peer, &mine))
            break;
        closesocket(a);
        a = INVALID_SOCKET;
    }
    closesocket(lst);
    lst = INVALID_SOCKET;
    /* One-byte wake-ups go out at once. */
    setsockopt(b, IPPROTO_TCP, TCP_NODELAY, (const char *)&nodelay, (int)sizeof nodelay);

    ra = wrap_socket(a);
    if (ra < 0)
        goto fail;
    a = INVALID_SOCKET; /* now owned by ra */
    wb = wrap_socket(b);
    if (wb < 0) {
        EV_WIN32_CLOSE_FD(ra);
        goto fail;
    }
    fds[0] = ra; /* read end: accepted */
    fds[1] = wb; /* write end: connected */
    return 0;

fail:;
    int err = wsa_to_errno(WSAGetLastError());
    if (lst != INVALID_SOCKET)
        closesocket(lst);
    if (a != INVALID_SOCKET)
        closesocket(a);
    if (b != INVALID_SOCKET)
        closesocket(b);
    return -err;
}

int ev__win32_recv(int fd, void *buf, int len)
{
    return recv((SOCKET)EV_FD_TO_WIN32_HANDLE(fd), (char *)buf, len, 0);
}

int ev__win32_send(int fd, const void *buf, int len)
{
    /* Called from signal handlers and other threads: leave their error state alone. */
    int saved_errno = errno, saved_wsa = WSAGetLastError();
    int r = send((SOCKET)EV_FD_TO_WIN32_HANDLE(fd), (const char *)buf, len, 0);
    WSASetLastError(saved_wsa);
    errno = saved_errno;
    return r;
}

/* ---- time (clock.c leaves ev_time, ev__mono and ev_sleep to this file on Windows) ---- */

extern double ev__test_wall_offset; /* clock.c: test-only wall-clock offset */

/* Seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01. */
#define FILETIME_UNIX_EPOCH 11644473600.

static ev_tstamp wall_now(void)
{
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    ULARGE_INTEGER t;
    t.LowPart = ft.dwLowDateTime;
    t.HighPart = ft.dwHighDateTime;
    return (ev_tstamp)t.QuadPart * 1e-7 - FILETIME_UNIX_EPOCH;
}

ev_tstamp ev_time(void) EV_NOEXCEPT
{
    return wall_now() + ev__test_wall_offset;
}

ev_tstamp ev__mono(void)
{
#if EV_USE_MONOTONIC
    static volatile LONGLONG freq; /* constant while the system runs: a race stores it twice */
    LARGE_INTEGER now, f;
    if (!freq) {
        QueryPerformanceFrequency(&f);
        freq = f.QuadPart;
    }
    QueryPerformanceCounter(&now);
    /* Whole seconds and the rest apart, so the double keeps sub-microsecond precision. */
    return (ev_tstamp)(now.QuadPart / freq) + (ev_tstamp)(now.QuadPart % freq) / (ev_tstamp)freq;
#else
    return wall_now(); /* wall-clock steps then move timers too, as in libev */
#endif
}

void ev_sleep(ev_tstamp delay) EV_NOEXCEPT
{
    if (delay <= 0.)
        return;
    ev_tstamp ms = delay * 1e3 + 0.999999;
    Sleep(ms >= 4e9 ? (DWORD)4000000000u : (DWORD)ms);
}

#endif /* _WIN32 */
