#!/bin/bash
# Replays the differential fuzzer's seeds and regression inputs: each runs through diff_driver.c
# built against ev (the Bazel-built $1, in the configuration under test) and against Debian's
# libev 4.33 (compiled here from $2 with /usr/include/ev.h and -lev), and the traces must be
# equal. Skipped (with a message) only when Debian's libev-dev is not installed. Under a cross
# configuration the ev driver is a target program: it runs through $EV_RUN_TARGET (the
# --run_under wrapper, e.g. tools/xplat/qemu_aarch64.sh), and its trace must still equal libev's.
set -u
ev_driver=$(readlink -f "$1") src=$2
shift 2
if [ ! -f /usr/include/ev.h ] || ! ls /usr/lib/*/libev.a >/dev/null 2>&1; then
    echo "SKIPPED: Debian's libev-dev is not installed (apt-get install libev-dev)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O1 -std=gnu11 -w -isystem /usr/include -DDIFF_MAIN -o "$work/libev_driver" "$src" \
    -l:libev.a -lm -lpthread || exit 1
fail=0 n=0
for dir in "$@"; do
    for f in "$dir"/*; do
        [ -f "$f" ] || continue
        case "$f" in *.md) continue ;; esac
        n=$((n + 1))
        "$work/libev_driver" "$f" >"$work/libev.out" 2>&1
        ${EV_RUN_TARGET:+"$EV_RUN_TARGET"} "$ev_driver" "$f" >"$work/ev.out" 2>&1
        if ! cmp -s "$work/libev.out" "$work/ev.out"; then
            echo "FAIL: $f: traces differ (< libev 4.33, > ev)"
            diff "$work/libev.out" "$work/ev.out" | head -40
            fail=1
        fi
    done
done
echo "replayed $n inputs"
[ $n -gt 0 ] || { echo "FAIL: no inputs"; exit 1; }
[ $fail = 0 ] && echo "ok"
exit $fail
