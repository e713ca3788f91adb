#!/usr/bin/env bash
# mingw_test.sh WINDOWS_PROGRAMS...
# The Windows programs and libraries that Bazel built for //platforms:windows (BUILD.bazel): checks
# that //ev:core's archive calls none of the POSIX-only functions, then runs win_prog.exe,
# win_prog_sockfd.exe and linked_prog.exe under wine64 in one fresh prefix; each must print
# "ALL OK". Debian packages: gcc-mingw-w64-x86-64, wine64 (tools/bazel installs them).
set -euo pipefail

NM=${MINGW_NM:-x86_64-w64-mingw32-nm}
WINE=${WINE64:-/usr/lib/wine/wine64}

declare -A file
for f in "$@"; do
    name=$(basename "$f")
    [[ $name == libcore.lo ]] && name=libcore.a # the alwayslink archive of //ev:core
    file[$name]=$(readlink -f "$f")
done
for want in win_prog.exe win_prog_sockfd.exe linked_prog.exe libcore.a; do
    if [[ -z ${file[$want]:-} ]]; then
        echo "FAIL: $want is not among the built files: $*"
        exit 1
    fi
done

# Each program is a PE executable (MZ header), not a host ELF.
for exe in win_prog.exe win_prog_sockfd.exe linked_prog.exe; do
    if [[ $(head -c 2 "${file[$exe]}") != MZ ]]; then
        echo "FAIL: $exe is not a Windows executable"
        exit 1
    fi
done

# Only the select backend, and none of the POSIX-only machinery, is compiled in.
if "$NM" "${file[libcore.a]}" | grep -E ' U (pipe|fcntl|sigaction|sigprocmask|lstat|nanosleep|clock_gettime|pthread_)'; then
    echo "FAIL: POSIX-only calls in //ev:core for Windows"
    exit 1
fi
echo "--- libcore.a: no POSIX-only calls"

if [[ ! -x "$WINE" ]]; then
    echo "FAIL: $WINE not found (Debian: wine64); the programs were built but not run"
    exit 1
fi

# A private wine prefix; its first start creates it (about 10-20 s). No display is needed.
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/mingw.XXXXXX")
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
    cp "${file[$exe]}" "$work/$exe"
    set +e
    (cd "$work" && timeout 120 "$WINE" "./$exe" >out.txt 2>err.txt)
    rc=$?
    set -e
    cat "$work/out.txt"
    if [[ $rc -ne 0 ]] || ! grep -q '^ALL OK' "$work/out.txt" || grep -q '^not ok' "$work/out.txt"; then
        echo "FAIL: $exe exited with $rc under wine; its stderr:"
        grep -v -e 'rundll32.exe' -e 'configuration in' -e 'created the configuration' "$work/err.txt" || true
        exit 1
    fi
}
run win_prog.exe
run win_prog_sockfd.exe
run linked_prog.exe
echo "PASS"
