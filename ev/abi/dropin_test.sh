#!/bin/bash
# The drop-in test: a program compiled against Debian's ev.h and linked with Debian's libev.so.4
# runs with LD_LIBRARY_PATH pointing at ours and prints exactly what it prints with Debian's.
# Skipped (with a message) only when Debian's libev-dev is not installed.
set -u
so=$(readlink -f "$1") prog_src=$2 ours_hdr_dir=$(dirname "$(readlink -f "$3")")
if [ ! -f /usr/include/ev.h ] || ! ls /usr/lib/*/libev.so >/dev/null 2>&1; then
    echo "SKIPPED: Debian's libev-dev is not installed (apt-get install libev-dev)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/ours"
cp "$so" "$work/ours/libev.so.4"
fail=0

# 1. Debian's header and library, then the same binary on ours.
gcc -O2 -w -isystem /usr/include -o "$work/prog" "$prog_src" -lev -lpthread || exit 1
"$work/prog" >"$work/debian.out" 2>"$work/debian.err" || { echo "FAIL: runs badly on Debian's libev"; fail=1; }
LD_LIBRARY_PATH="$work/ours" "$work/prog" >"$work/ours.out" 2>"$work/ours.err" ||
    { echo "FAIL: exit status on ours"; fail=1; }
grep -q "$work/ours/libev.so.4" "$work/ours.err" || { echo "FAIL: did not load ours:"; cat "$work/ours.err"; fail=1; }
if ! diff "$work/debian.out" "$work/ours.out"; then
    echo "FAIL: output differs (< Debian's libev, > ours)"
    fail=1
fi
echo "--- with ours:"; cat "$work/ours.out"

# 2. Our header, linked to our .so by its SONAME.
gcc -O2 -w -I"$ours_hdr_dir" -o "$work/prog2" "$prog_src" -L"$work/ours" -l:libev.so.4 -lpthread || exit 1
readelf -d "$work/prog2" | grep -q 'NEEDED.*\[libev.so.4\]' || { echo "FAIL: not linked by SONAME"; fail=1; }
LD_LIBRARY_PATH="$work/ours" "$work/prog2" >"$work/ours2.out" 2>/dev/null || { echo "FAIL: prog2"; fail=1; }
diff "$work/debian.out" "$work/ours2.out" || { echo "FAIL: our header gives other results"; fail=1; }
[ $fail = 0 ] && echo "ok"
exit $fail
