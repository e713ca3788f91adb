"""Which backends ev compiles for which platform.

One table, BACKENDS, keyed by the //platforms config_settings: the backend sources (relative to
ev/) and the EV_USE_* defines for that OS. ev_backend_srcs() and ev_backend_defines() turn it into
select() dicts for //ev:core. "//conditions:default" is Linux's row. A row may also name a
platform-only core source (core/win32.c), which //ev:core's glob leaves out.
"""

_KQUEUE_ROW = struct(
    srcs = [
        "backends/kqueue.c",
        "backends/poll.c",
        "backends/select.c",
    ],
    defines = [
        "EV_USE_KQUEUE=1",
        "EV_USE_POLL=1",
        "EV_USE_SELECT=1",
    ],
)

_LINUX_ROW = struct(
    srcs = [
        "backends/epoll.c",
        "backends/iouring.c",
        "backends/linuxaio.c",
        "backends/poll.c",
        "backends/select.c",
    ],
    defines = [
        "EV_USE_EPOLL=1",
        "EV_USE_IOURING=1",
        "EV_USE_LINUXAIO=1",
        "EV_USE_POLL=1",
        "EV_USE_SELECT=1",
        "EV_USE_EVENTFD=1",
        "EV_USE_SIGNALFD=1",
        "EV_USE_TIMERFD=1",
        "EV_USE_INOTIFY=1",
    ],
)

BACKENDS = {
    "//platforms:is_linux": _LINUX_ROW,
    "//platforms:is_macos": _KQUEUE_ROW,
    "//platforms:is_freebsd": _KQUEUE_ROW,
    "//platforms:is_openbsd": _KQUEUE_ROW,
    "//platforms:is_netbsd": _KQUEUE_ROW,
    "//platforms:is_solaris": struct(
        srcs = [
            "backends/port.c",
            "backends/poll.c",
            "backends/select.c",
        ],
        defines = [
            "EV_USE_PORT=1",
            "EV_USE_POLL=1",
            "EV_USE_SELECT=1",
        ],
    ),
    # Windows: select on winsock SOCKETs (select_win32.c), and core/win32.c for the wake-up socket
    # pair and the clocks; no poll, no fork, no child watchers.
    "//platforms:is_windows": struct(
        srcs = [
            "backends/select_win32.c",
            "core/win32.c",
        ],
        defines = [
            "EV_USE_SELECT=1",
            "EV_SELECT_IS_WINSOCKET=1",
        ],
    ),
    "//conditions:default": _LINUX_ROW,
}

def ev_backend_srcs():
    """select() of the backend source files (relative to ev/) for the target platform."""
    return select({key: row.srcs for key, row in BACKENDS.items()})

def ev_backend_defines():
    """select() of the EV_USE_* defines for the target platform."""
    return select({key: row.defines for key, row in BACKENDS.items()})

def ev_all_backend_srcs():
    """Every backend source named in the table (e.g. for the amalgamation or a lint target).

    Returns:
      The list of source paths (relative to ev/), each once, in table order.
    """
    out = []
    for row in BACKENDS.values():
        for src in row.srcs:
            if src not in out:
                out.append(src)
    return out
