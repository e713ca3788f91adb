#!/bin/bash
# Issue 18, item 7: a program carrying libevent 1.x's log.c (which defines
# event_set_log_callback) links with the shim statically (libev.a) and dynamically (libev.so.4),
# and in both the callback it installs through log.c receives the shim's warnings.
# args: libev.a libev.so.4 ev.h event.h log.c log.h log_prog.c sys/tree.h
set -u
archive=$(readlink -f "$1") so=$(readlink -f "$2") ev_h=$3 event_h=$4 log_c=$5 log_h=$6 prog=$7 tree_h=$8
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/inc/sys" "$work/lib"
cp "$ev_h" "$event_h" "$log_h" "$work/inc/"
cp "$tree_h" "$work/inc/sys/"
cp "$so" "$work/lib/libev.so.4"
cflags=(-O2 -w -DHAVE_SYS_TIME_H -I"$work/inc")
fail=0

echo "--- static: prog + log.c + libev.a"
if gcc "${cflags[@]}" -o "$work/static" "$prog" "$log_c" "$archive" -lpthread -lm 2>"$work/static.err"; then
    "$work/static" || { echo "FAIL: static program"; fail=1; }
else
    cat "$work/static.err"
    echo "FAIL: static link"
    fail=1
fi

echo "--- shared: prog + log.c + libev.so.4"
if gcc "${cflags[@]}" -o "$work/shared" "$prog" "$log_c" -L"$work/lib" -l:libev.so.4 -lpthread 2>"$work/shared.err"; then
    LD_LIBRARY_PATH="$work/lib" "$work/shared" || { echo "FAIL: shared program"; fail=1; }
    LD_LIBRARY_PATH="$work/lib" ldd "$work/shared" | grep -q "$work/lib/libev.so.4" ||
        { echo "FAIL: not linked to our libev.so.4"; fail=1; }
else
    cat "$work/shared.err"
    echo "FAIL: shared link"
    fail=1
fi
[ $fail = 0 ] && echo ok
exit $fail
