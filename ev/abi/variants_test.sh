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
# EV_FEATURES gates what is compiled in as in libev: without EV_FEATURE_BACKENDS (32) no backend
# unless the embedder names one, without EV_FEATURE_OS (64) no eventfd, signalfd, timerfd,
# inotify, monotonic clock or nanosleep.
variant features0 '#define EV_FEATURES 0' '#define EV_USE_SELECT 1' \
    '#define VARIANT_CHECK _Static_assert(!EV_USE_POLL && !EV_USE_EPOLL && !EV_USE_IOURING && !EV_USE_EVENTFD && !EV_USE_SIGNALFD && !EV_USE_TIMERFD && !EV_USE_INOTIFY && !EV_USE_MONOTONIC && !EV_USE_NANOSLEEP, "EV_FEATURES 0"); if (ev_supported_backends() != EVBACKEND_SELECT) return 4'
variant minimal '#define EV_MINIMAL 1' '#define EV_USE_POLL 1' \
    '#define VARIANT_CHECK if (ev_supported_backends() != EVBACKEND_POLL) return 4'
# No backend at all: no loop (ev_default_loop returns 0), as with libev.
variant features0_nobackend '#define EV_FEATURES 0' '#define VARIANT_NO_LOOP 1'
# EV_FEATURES 3 (faster code and data, nothing else): the embedder asked for a small loop, so
# detection adds no poll, epoll, io_uring, eventfd, signalfd, inotify or nanosleep, and
# LIBEV_FLAGS cannot pick a backend that is not compiled in (no loop rather than poll).
variant features3 '#define EV_FEATURES 3' '#define EV_MULTIPLICITY 1' '#define EV_USE_SELECT 1' \
    '#define VARIANT_CHECK _Static_assert(!EV_USE_POLL && !EV_USE_EPOLL && !EV_USE_IOURING && !EV_USE_EVENTFD && !EV_USE_SIGNALFD && !EV_USE_INOTIFY && !EV_USE_NANOSLEEP, "EV_FEATURES 3"); if (ev_supported_backends() != EVBACKEND_SELECT || ev_backend(loop) != EVBACKEND_SELECT) return 4; setenv("LIBEV_FLAGS", "2", 1); if (ev_loop_new(0)) return 5; setenv("LIBEV_FLAGS", "1", 1); struct ev_loop *l2 = ev_loop_new(0); if (!l2 || ev_backend(l2) != EVBACKEND_SELECT) return 6; ev_loop_destroy(l2)'
# EV_FEATURES without EV_FEATURE_OS, backends kept: epoll and poll, but none of the OS helpers.
variant features_no_os '#define EV_FEATURES 0x3f' \
    '#define VARIANT_CHECK _Static_assert(EV_USE_EPOLL && EV_USE_POLL && EV_USE_SELECT && !EV_USE_EVENTFD && !EV_USE_SIGNALFD && !EV_USE_TIMERFD && !EV_USE_INOTIFY && !EV_USE_NANOSLEEP && !EV_USE_MONOTONIC, "no OS helpers")'
# Embedding needs an io and a prepare watcher: EV_PREPARE_ENABLE 0 is overridden (libev's rule),
# and without fork watchers the embed watcher goes without its own.
variant embed_no_prepare '#define EV_PREPARE_ENABLE 0' \
    '#define VARIANT_CHECK _Static_assert(EV_PREPARE_ENABLE == 1 && EV_IO_ENABLE == 1, "embed forces prepare"); struct ev_loop *inner = ev_loop_new(EVBACKEND_EPOLL); ev_embed e; ev_embed_init(&e, 0, inner); ev_embed_start(loop, &e); ev_embed_stop(loop, &e); ev_loop_destroy(inner)'
variant embed_no_fork '#define EV_FORK_ENABLE 0' \
    '#define VARIANT_CHECK struct ev_loop *inner = ev_loop_new(EVBACKEND_EPOLL); ev_embed e; ev_embed_init(&e, 0, inner); ev_embed_start(loop, &e); ev_run(loop, EVRUN_NOWAIT); ev_embed_stop(loop, &e); ev_loop_destroy(inner)'
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
# rxvt-unicode sets EV_USE_KQUEUE 1 and EV_USE_PORT 1 on every system: with a config.h that found
# neither, they are turned off as libev does, and the file builds on Linux. So is every other
# switch set to 1 whose facility configure did not find.
variant have_config_rxvt '#undef EV_STANDALONE' '#define EV_CONFIG_H "autoconf_config.h"' \
    '#define EV_USE_KQUEUE 1' '#define EV_USE_PORT 1' '#define EV_USE_EPOLL 1' '#define EV_USE_INOTIFY 1' \
    '#define VARIANT_CHECK _Static_assert(!EV_USE_KQUEUE && !EV_USE_PORT && !EV_USE_EPOLL && !EV_USE_INOTIFY && EV_USE_POLL, "switches without their facility are off"); if (ev_supported_backends() != (EVBACKEND_POLL | EVBACKEND_SELECT)) return 4'
# The HAVE_* names of libev's own libev.m4 (an embedder that copied libev's m4 file): clock
# through the system call (HAVE_CLOCK_SYSCALL), timerfd from its header alone, eventfd from
# its function alone; linux/fs.h but no io_uring header, so io_uring stays out.
printf '%s\n' '#define HAVE_POLL 1' '#define HAVE_POLL_H 1' '#define HAVE_SELECT 1' \
    '#define HAVE_SYS_SELECT_H 1' '#define HAVE_EPOLL_CTL 1' '#define HAVE_SYS_EPOLL_H 1' \
    '#define HAVE_EVENTFD 1' '#define HAVE_SYS_TIMERFD_H 1' '#define HAVE_CLOCK_SYSCALL 1' \
    '#define HAVE_NANOSLEEP 1' '#define HAVE_LINUX_FS_H 1' '#define HAVE_KERNEL_RWF_T 1' \
    '#define HAVE_FLOOR 1' >libev_m4_results.h
variant libev_m4_config '#undef EV_STANDALONE' '#define EV_CONFIG_H "libev_m4_results.h"' \
    '#define EV_USE_KQUEUE 1' '#define EV_USE_PORT 1' \
    '#define VARIANT_CHECK _Static_assert(EV_USE_EPOLL && EV_USE_POLL && EV_USE_SELECT && EV_USE_EVENTFD && EV_USE_TIMERFD && EV_USE_MONOTONIC && EV_USE_NANOSLEEP && EV_USE_FLOOR && !EV_USE_SIGNALFD && !EV_USE_INOTIFY && !EV_USE_IOURING && !EV_USE_KQUEUE && !EV_USE_PORT, "libev.m4 names"); if (ev_backend(loop) != EVBACKEND_EPOLL) return 4'
# EV_FEATURES also gates the defaults that config.h mode gives: with EV_FEATURES 3 a found
# facility is not compiled in unless the embedder asks for it.
variant have_config_features3 '#undef EV_STANDALONE' '#define EV_CONFIG_H "autoconf_config.h"' \
    '#define EV_FEATURES 3' '#define EV_MULTIPLICITY 1' '#define EV_USE_SELECT 1' \
    '#define VARIANT_CHECK _Static_assert(EV_USE_SELECT && !EV_USE_POLL && !EV_USE_SIGNALFD && !EV_USE_NANOSLEEP, "EV_FEATURES 3 in config.h mode")'
variant config_h_defaults '#undef EV_STANDALONE' \
    '#define VARIANT_CHECK _Static_assert(EV_USE_EPOLL && EV_USE_EVENTFD, "built-in defaults")'
echo "$n variants"
exit $fail
