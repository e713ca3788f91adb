#!/bin/bash
# libev.a links statically: the drop-in program built against our ev.h and the archive runs.
set -u
archive=$(readlink -f "$1") prog_src=$2 hdr_dir=$(dirname "$(readlink -f "$3")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=$(nm "$archive" 2>/dev/null | grep -cE ' T (ev_run|ev_io_start|event_add)$')
[ "$n" = 3 ] || { echo "FAIL: archive lacks the API ($n of 3 symbols)"; exit 1; }
gcc -O2 -w -I"$hdr_dir" -o "$work/prog" "$prog_src" "$archive" -lpthread || exit 1
if readelf -d "$work/prog" | grep -q 'libev'; then echo "FAIL: linked dynamically"; exit 1; fi
"$work/prog" 2>/dev/null | tee "$work/out"
grep -q '^io 1 timer 3 periodic 512 signal 10 child 7 async 1 stat 5 left 0$' "$work/out" ||
    { echo "FAIL: unexpected results"; exit 1; }
echo ok
