#!/bin/bash
# libev.m4 in a real autoconf project: configure.ac m4_includes it, autoconf + autoheader make
# configure and config.h.in, ./configure writes config.h, make builds a program that embeds the
# amalgamated ev.c without EV_STANDALONE (so ev.c reads config.h). Checks the HAVE_* lines that
# this Linux must produce, that they turned into the EV_USE_* switches, and runs the program.
# A second program compiles ev.c on its own (-DHAVE_CONFIG_H, as Makefiles do) and links to it.
set -u
amalg_dir=$(dirname "$(readlink -f "$1")") m4=$(readlink -f "$2") prog=$(readlink -f "$3")
work=${TEST_TMPDIR:-$(mktemp -d)}/autoconf_project
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
cp "$amalg_dir/ev.c" "$amalg_dir/ev.h" "$m4" . && cp "$prog" prog.c
fail=0
fail() {
    echo "FAIL: $*"
    fail=1
}

cat >configure.ac <<'AC'
AC_INIT([ev-autoconf-test], [1.0])
AC_CONFIG_SRCDIR([prog.c])
AC_CONFIG_HEADERS([config.h])
AC_PROG_CC
m4_include([libev.m4])
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
AC
cat >Makefile.in <<'MK'
CC = @CC@
CFLAGS = @CFLAGS@ -Wall -Wextra -Wno-unused-parameter
DEFS = @DEFS@
LIBS = @LIBS@

all: prog prog2

# The whole library in the program's own file (#include "ev.c"; ev.c includes config.h).
prog: prog.c ev.c ev.h config.h
	$(CC) $(DEFS) $(CFLAGS) -I. -o $@ prog.c $(LIBS)

# ev.c compiled on its own, the program seeing only ev.h.
ev.o: ev.c ev.h config.h
	$(CC) $(DEFS) $(CFLAGS) -I. -c ev.c
prog2: main2.c ev.o
	$(CC) $(DEFS) $(CFLAGS) -I. -o $@ main2.c ev.o $(LIBS)
MK
cat >main2.c <<'C'
#include "ev.h"
#include <stdio.h>
static void cb(struct ev_loop *loop, ev_timer *w, int revents) { puts("prog2: timer fired"); }
int main(void)
{
    struct ev_loop *loop = ev_default_loop(EVFLAG_NOENV);
    ev_timer t;
    ev_timer_init(&t, cb, 0.001, 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    return (ev_supported_backends() & EVBACKEND_EPOLL) ? 0 : 1;
}
C

echo "== autoconf $(autoconf --version | head -1)"
{ autoconf && autoheader; } >tools.log 2>&1 || { cat tools.log; echo "FAIL: autoconf/autoheader"; exit 1; }
./configure >configure.log 2>&1 || { tail -40 config.log; echo "FAIL: configure"; exit 1; }
grep -E '^checking .*(epoll|eventfd|inotify|signalfd|timerfd|clock_gettime|nanosleep|floor|kqueue|port)' configure.log
echo "== config.h (HAVE_ lines)"
grep -E '^(#define|/\* #undef) HAVE_' config.h
for sym in HAVE_SYS_EPOLL_H HAVE_EPOLL_CTL HAVE_SYS_EVENTFD_H HAVE_EVENTFD HAVE_SYS_INOTIFY_H \
    HAVE_INOTIFY_INIT HAVE_SYS_SIGNALFD_H HAVE_SIGNALFD HAVE_SYS_TIMERFD_H HAVE_TIMERFD_CREATE \
    HAVE_POLL_H HAVE_POLL HAVE_SYS_SELECT_H HAVE_SELECT HAVE_CLOCK_GETTIME HAVE_NANOSLEEP HAVE_FLOOR; do
    grep -q "^#define $sym 1" config.h || fail "config.h lacks #define $sym 1"
done
for sym in HAVE_KQUEUE HAVE_SYS_EVENT_H HAVE_PORT_CREATE HAVE_PORT_H; do
    grep -q "^#define $sym " config.h && fail "config.h claims $sym on Linux"
done
echo "== LIBS: $(sed -n 's/^LIBS = //p' Makefile)"

make >make.log 2>&1 || { cat make.log; echo "FAIL: make"; exit 1; }
if grep -q 'warning:' make.log; then
    cat make.log
    fail "warnings"
fi
echo "== ./prog"
out=$(./prog) || fail "prog failed"
echo "$out"
for want in EV_USE_EPOLL=1 EV_USE_POLL=1 EV_USE_SELECT=1 EV_USE_EVENTFD=1 EV_USE_SIGNALFD=1 \
    EV_USE_TIMERFD=1 EV_USE_INOTIFY=1 EV_USE_KQUEUE=0 EV_USE_PORT=0 EV_USE_MONOTONIC=1 \
    EV_USE_REALTIME=0 EV_USE_NANOSLEEP=1 EV_USE_FLOOR=1; do
    grep -qw -- "$want" <<<"$out" || fail "prog: $want expected"
done
grep -q '^supported backends: .* epoll' <<<"$out" || fail "epoll not among the supported backends"
echo "== ./prog2"
./prog2 || fail "prog2 failed"

# rxvt-unicode's settings: EV_USE_KQUEUE and EV_USE_PORT set to 1 on every system. With this
# config.h (no kqueue, no event ports on Linux) ev.c turns them off, as libev does, and builds.
echo "== EV_USE_KQUEUE=1 EV_USE_PORT=1 on Linux (config.h mode)"
rm -f prog
make prog CFLAGS="-O2 -Wall -Wextra -Wno-unused-parameter -DEV_USE_KQUEUE=1 -DEV_USE_PORT=1" \
    >make_rxvt.log 2>&1 || { cat make_rxvt.log; fail "EV_USE_KQUEUE=1 EV_USE_PORT=1: make"; }
if [[ -x prog ]]; then
    out=$(./prog) || fail "prog (EV_USE_KQUEUE=1 EV_USE_PORT=1) failed"
    echo "$out"
    grep -qw EV_USE_KQUEUE=0 <<<"$out" || fail "EV_USE_KQUEUE=1 without HAVE_KQUEUE should be 0"
    grep -qw EV_USE_PORT=0 <<<"$out" || fail "EV_USE_PORT=1 without HAVE_PORT_CREATE should be 0"
    grep -qw EV_USE_EPOLL=1 <<<"$out" || fail "epoll lost"
fi

# The same tree configured as if epoll and inotify were missing (cache variables preset, as a
# cross build might): ev then goes without them, and still runs.
echo "== configured without epoll and inotify"
make distclean >/dev/null 2>&1 || rm -f config.h Makefile
./configure ac_cv_header_sys_epoll_h=no ac_cv_func_inotify_init=no >configure2.log 2>&1 ||
    { tail -40 config.log; echo "FAIL: configure (2)"; exit 1; }
make prog >make2.log 2>&1 || { cat make2.log; echo "FAIL: make (2)"; exit 1; }
out=$(./prog) || fail "prog (2) failed"
echo "$out"
grep -qw EV_USE_EPOLL=0 <<<"$out" || fail "(2): EV_USE_EPOLL should be 0"
grep -qw EV_USE_INOTIFY=0 <<<"$out" || fail "(2): EV_USE_INOTIFY should be 0"
grep -q '^supported backends: .* epoll' <<<"$out" && fail "(2): epoll still supported"

[[ $fail -eq 0 ]] && echo PASSED || echo FAILED
exit $fail
