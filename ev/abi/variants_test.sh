#!/bin/bash
# Every embedding option of the manual, compiled into the amalgamation and run: each variant is
# a few #defines given before ev.c (gcc -include), then variant_prog.c runs a timer, an idle
# and an io watcher. EV_VERIFY=3 and the hash sizes are exercised the same way.
set -u
amalg_dir=$(dirname "$(readlink -f "$1")") prog=$(readlink -f "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$amalg_dir/ev.c" "$amalg_dir/ev.h" "$prog" "$work/"
cd "$work" || exit 1
fail=0 n=0
variant() {
    local name=$1
    shift
    printf '%s\n' "$@" >"$name.h"
    n=$((n + 1))
    if ! gcc -std=gnu11 -O1 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unused-function \
        -I. -DEV_STANDALONE=1 -include "$name.h" -o "$name" variant_prog.c -lpthread -lm \
        2>"$name.err"; then
        echo "FAIL $name: does not compile"
        head -5 "$name.err"
        fail=1
        return
    fi
    if out=$(./"$name"); then echo "ok   $name: $out"; else
        echo "FAIL $name: $out"
        fail=1
    fi
}
variant default ''
variant multiplicity0 '#define EV_MULTIPLICITY 0'
variant onepriority '#define EV_MINPRI 0' '#define EV_MAXPRI 0' \
    '#define VARIANT_CHECK _Static_assert(sizeof(ev_io) == 40, "no priority field")'
variant features0 '#define EV_FEATURES 0'
variant minimal '#define EV_MINIMAL 1'
for w in PERIODIC STAT PREPARE CHECK IDLE FORK CLEANUP ASYNC EMBED CHILD; do
    variant "no_$w" "#define EV_${w}_ENABLE 0"
done
variant no_signal_child '#define EV_SIGNAL_ENABLE 0' '#define EV_CHILD_ENABLE 0'
variant common3 '#define EV_COMMON int a; int b; int c;' \
    '#define VARIANT_CHECK io.a = io.b = io.c = 0; _Static_assert(sizeof(ev_io) == 48, "3 ints")'
variant cb_override '#define EV_CB_DECLARE(type) void (*cb)(EV_P_ struct type *w, int revents); int calls;' \
    '#define EV_CB_INVOKE(w, revents) ((w)->calls++, (w)->cb(EV_A_(w), (revents)))' \
    '#define ev_set_cb(w, cb_) ((w)->cb = (cb_), (void)((w)->calls = 0))' \
    '#define VARIANT_CHECK ev_set_cb(&t, tick)'
variant api_static '#define EV_API_STATIC 1'
variant verify3 '#define EV_VERIFY 3'
variant hashsizes '#define EV_PID_HASHSIZE 1' '#define EV_INOTIFY_HASHSIZE 1'
variant select_only '#define EV_USE_EPOLL 0' '#define EV_USE_IOURING 0' '#define EV_USE_POLL 0'
variant poll_only '#define EV_USE_EPOLL 0' '#define EV_USE_IOURING 0' '#define EV_USE_SELECT 0'
variant no_linux_fds '#define EV_USE_EVENTFD 0' '#define EV_USE_SIGNALFD 0' \
    '#define EV_USE_TIMERFD 0' '#define EV_USE_INOTIFY 0'
variant no_monotonic '#define EV_USE_MONOTONIC 0'
# Without clock_gettime and nanosleep (gettimeofday, select), and with libm's floor.
variant no_clock_gettime '#define EV_USE_MONOTONIC 0' '#define EV_USE_REALTIME 0' \
    '#define EV_USE_NANOSLEEP 0' '#define VARIANT_CHECK ev_sleep(0.001)'
variant libm_floor '#define EV_USE_FLOOR 1'
# EV_H: the public header under another name; EV_CONFIG_H: an autoconf-style config header
# (no EV_STANDALONE), which here turns off signalfd and inotify.
cp ev.h my_ev.h
printf '#define EV_USE_SIGNALFD 0\n#define EV_USE_INOTIFY 0\n#define HAVE_MY_CONFIG 1\n' >my_config.h
variant ev_h_config_h '#undef EV_STANDALONE' '#define EV_H "my_ev.h"' '#define EV_CONFIG_H "my_config.h"' \
    '#define VARIANT_CHECK _Static_assert(HAVE_MY_CONFIG, "config header read")'
printf '#define HAVE_PLAIN_CONFIG 1\n' >config.h
variant config_h '#undef EV_STANDALONE' \
    '#define VARIANT_CHECK _Static_assert(HAVE_PLAIN_CONFIG, "config.h read without EV_STANDALONE")'
# An autoconf config.h (libev.m4's HAVE_* symbols, no EV_STANDALONE) decides the EV_USE_*
# defaults: here a system with poll but without epoll, eventfd or inotify.
printf '%s\n' '#define HAVE_POLL 1' '#define HAVE_POLL_H 1' '#define HAVE_SELECT 1' \
    '#define HAVE_SYS_SELECT_H 1' '#define HAVE_CLOCK_GETTIME 1' '#define HAVE_NANOSLEEP 1' \
    '#define HAVE_SIGNALFD 1' '#define HAVE_SYS_SIGNALFD_H 1' >autoconf_config.h
variant have_config '#undef EV_STANDALONE' '#define EV_CONFIG_H "autoconf_config.h"' \
    '#define VARIANT_CHECK _Static_assert(EV_USE_POLL && EV_USE_SELECT && EV_USE_SIGNALFD && !EV_USE_EPOLL && !EV_USE_EVENTFD && !EV_USE_INOTIFY && !EV_USE_TIMERFD && !EV_USE_FLOOR && EV_USE_MONOTONIC, "EV_USE_* from HAVE_*")'
# ... where an explicit EV_USE_* still wins, and a config.h without the I/O probes (variant
# config_h above) keeps the built-in defaults.
variant have_config_override '#undef EV_STANDALONE' '#define EV_CONFIG_H "autoconf_config.h"' \
    '#define EV_USE_POLL 0' \
    '#define VARIANT_CHECK _Static_assert(!EV_USE_POLL && EV_USE_SELECT, "explicit EV_USE_POLL")'
variant config_h_defaults '#undef EV_STANDALONE' \
    '#define VARIANT_CHECK _Static_assert(EV_USE_EPOLL && EV_USE_EVENTFD, "built-in defaults")'
echo "$n variants"
exit $fail
