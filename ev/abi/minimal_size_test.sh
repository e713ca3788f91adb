#!/bin/bash
# EV_MINIMAL: the amalgamation compiled with -Os as it is, with -DEV_MINIMAL=1 (libev 3's name for
# a small build) and with -DEV_FEATURES=0 (what EV_MINIMAL means in libev 4). Reports the text,
# data and bss sizes (size(1)) and the saving, checks that the minimal build is smaller and the
# same as EV_FEATURES=0, and runs a small program linked with each build.
set -u
amalg_dir=$(dirname "$(readlink -f "$1")") prog=$(readlink -f "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$amalg_dir/ev.c" "$amalg_dir/ev.h" "$prog" "$work/"
cd "$work" || exit 1
fail=0
declare -A text
build() {
    local name=$1
    shift
    if ! gcc -std=gnu11 -Os -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unused-function \
        -I. -DEV_STANDALONE=1 "$@" -c ev.c -o "ev_$name.o" 2>"$name.err"; then
        echo "FAIL $name: ev.c does not compile"
        head -20 "$name.err"
        fail=1
        return
    fi
    text[$name]=$(size "ev_$name.o" | awk 'NR == 2 { print $1 }')
    if ! gcc -std=gnu11 -Os -Wall -Wextra -Werror -I. "$@" -o "prog_$name" minimal_prog.c \
        "ev_$name.o" -lpthread 2>>"$name.err"; then
        echo "FAIL $name: minimal_prog.c does not build"
        head -20 "$name.err"
        fail=1
        return
    fi
    if out=$(./"prog_$name"); then echo "ok   $name: $out"; else
        echo "FAIL $name: $out"
        fail=1
    fi
}
# As in libev, EV_FEATURES=0 compiles in no backend and no OS helper (eventfd, signalfd, timerfd,
# inotify, monotonic clock, nanosleep): a small build names the backends it wants, as the
# manual's example does with epoll (which brings io_uring along, as libev's does).
build default
build minimal -DEV_MINIMAL=1 -DEV_USE_EPOLL=1
build features0 -DEV_FEATURES=0 -DEV_USE_EPOLL=1
# For comparison only: select alone, nothing else.
build minimal_select -DEV_MINIMAL=1 -DEV_USE_SELECT=1
echo
echo "size(1) of ev.o at -Os:"
size ev_default.o ev_minimal.o ev_features0.o ev_minimal_select.o
echo
if [[ -n ${text[default]:-} && -n ${text[minimal]:-} && -n ${text[features0]:-} ]]; then
    d=${text[default]} m=${text[minimal]}
    echo "text: default $d bytes, EV_MINIMAL=1 $m bytes, EV_FEATURES=0 ${text[features0]} bytes"
    echo "saving: $((d - m)) bytes ($(((d - m) * 100 / d))% of the default text)"
    [[ -n ${text[minimal_select]:-} ]] &&
        echo "EV_MINIMAL=1 with select only and no Linux extras: ${text[minimal_select]} bytes"
    ((m < d)) || { echo "FAIL: the EV_MINIMAL build is not smaller"; fail=1; }
    ((m == text[features0])) || { echo "FAIL: EV_MINIMAL=1 and EV_FEATURES=0 differ"; fail=1; }
    size prog_default prog_minimal | awk '{ print "linked program: " $0 }'
fi
[[ $fail -eq 0 ]] && echo PASSED || echo FAILED
exit $fail
