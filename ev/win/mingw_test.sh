#!/usr/bin/env bash
# mingw_test.sh EV_C WIN_PROG_C
# 1. Compiles the amalgamation (ev.c + ev.h) for Windows with MinGW-w64: as C11 and as C++17,
#    -Wall -Wextra -Werror, and in a few configurations (one loop, minimal features, wall clock).
# 2. Builds win_prog.c (which includes ev.c) into win_prog.exe and runs it under wine64 in a
#    fresh prefix; it must print "ALL OK". Debian packages: gcc-mingw-w64-x86-64,
#    g++-mingw-w64-x86-64, wine64 (tools/bazel installs them).
set -euo pipefail

ev_c=$1
prog=$2
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
CXX=${MINGW_CXX:-x86_64-w64-mingw32-g++}
WINE=${WINE64:-/usr/lib/wine/wine64}

for tool in "$CC" "$CXX"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: $tool not found (Debian: gcc-mingw-w64-x86-64, g++-mingw-w64-x86-64)"
        exit 1
    fi
done

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/mingw.XXXXXX")
src=$work/src
mkdir -p "$src"
cp "$ev_c" "$src/ev.c"
cp "$(dirname "$ev_c")/ev.h" "$src/ev.h"
cp "$prog" "$src/win_prog.c"
cd "$work"

WARN=(-Wall -Wextra -Wno-unused-parameter -Werror)

step() {
    echo "--- $*"
    "$@"
}

# The library alone, in several configurations.
step "$CC" -std=c11 "${WARN[@]}" -O2 -DEV_STANDALONE=1 -c src/ev.c -o ev.o
step "$CXX" -std=c++17 -x c++ "${WARN[@]}" -O2 -DEV_STANDALONE=1 -c src/ev.c -o ev_cxx.o
step "$CC" -std=c11 "${WARN[@]}" -DEV_STANDALONE=1 -DEV_MULTIPLICITY=0 -c src/ev.c -o ev_single.o
step "$CC" -std=c11 "${WARN[@]}" -DEV_STANDALONE=1 -DEV_FEATURES=0 -c src/ev.c -o ev_min.o
step "$CC" -std=c11 "${WARN[@]}" -DEV_STANDALONE=1 -DEV_USE_MONOTONIC=0 -c src/ev.c -o ev_wall.o

# Only the select backend, and none of the POSIX-only machinery, is compiled in.
if x86_64-w64-mingw32-nm ev.o 2>/dev/null | grep -E ' U (pipe|fcntl|sigaction|sigprocmask|lstat|nanosleep|clock_gettime|pthread_)'; then
    echo "FAIL: POSIX-only calls in the Windows build"
    exit 1
fi

# The test program (it includes ev.c itself): with the default fd hooks (C runtime fds wrapping
# SOCKETs), and with an embedder's hooks that use the SOCKET itself as the fd.
step "$CC" -std=c11 "${WARN[@]}" -O2 -Isrc src/win_prog.c -o win_prog.exe -lws2_32
step "$CC" -std=c11 "${WARN[@]}" -O2 -Isrc '-DEV_FD_TO_WIN32_HANDLE(fd)=(fd)' \
    '-DEV_WIN32_HANDLE_TO_FD(handle)=((int)(handle))' '-DEV_WIN32_CLOSE_FD(fd)=closesocket(fd)' \
    src/win_prog.c -o win_prog_sockfd.exe -lws2_32

if [[ ! -x "$WINE" ]]; then
    echo "FAIL: $WINE not found (Debian: wine64); the program was built but not run"
    exit 1
fi

# A private wine prefix; its first start creates it (about 10-20 s). No display is needed.
export WINEPREFIX=$work/wineprefix
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export HOME=$work
wineserver=$(dirname "$WINE")/wineserver
stop_wine() { "$wineserver" -k >/dev/null 2>&1 || true; }
trap stop_wine EXIT

run() {
    local exe=$1 rc
    echo "--- wine64 $exe"
    set +e
    timeout 120 "$WINE" "./$exe" >out.txt 2>err.txt
    rc=$?
    set -e
    cat out.txt
    if [[ $rc -ne 0 ]] || ! grep -q '^ALL OK' out.txt || grep -q '^not ok' out.txt; then
        echo "FAIL: $exe exited with $rc under wine; its stderr:"
        grep -v -e 'rundll32.exe' -e 'configuration in' -e 'created the configuration' err.txt || true
        exit 1
    fi
}
run win_prog.exe
run win_prog_sockfd.exe

# ev.c compiled on its own (ev.o above) and linked to a program that includes only ev.h.
cat >linked.c <<'C'
#include "ev.h"
#include <stdio.h>
static void cb(struct ev_loop *loop, ev_timer *w, int revents) { ev_break(loop, EVBREAK_ALL); }
int main(void)
{
    struct ev_loop *loop = ev_default_loop(0);
    ev_timer t;
    ev_timer_init(&t, cb, 0.01, 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, 0);
    printf(ev_backend(loop) == EVBACKEND_SELECT ? "ALL OK\n" : "not ok - backend\n");
    return 0;
}
C
step "$CC" -std=c11 "${WARN[@]}" -Isrc linked.c ev.o -o linked.exe -lws2_32
run linked.exe
echo "PASS"
