#!/usr/bin/env bash
# Line and branch coverage of the library (ev/core + ev/backends + the libevent shim ev/compat),
# measured outside Bazel:
#   tools/coverage.sh [OUTDIR]      (default: ${TMPDIR:-/tmp}/ev-coverage)
# 1. compiles the library once with `gcc --coverage -O0` (Linux backends: epoll, io_uring, poll,
#    select), and once more with the kqueue and event-port emulations of ev/tests/emu, the only
#    way to run kqueue.c and port.c on Linux;
# 2. compiles and links every GoogleTest suite of ev/tests against it, with the deps that
#    ev/tests/BUILD.bazel gives it (event_* tests: the libevent shim and the example programs;
#    evpp*: ev++.h; evpp_echo_test: the echo server), plus ev/tests/stress/*, ev/tests/more/*,
#    ev/tests/cov/*/* (tests written for paths the others miss), ev/tests/fault/* (a test that
#    includes ev/tests/fault/inject.h is linked with inject.cc, the -Wl,--wrap flags of WRAPPED in
#    ev/tests/fault/BUILD.bazel, and a third build of the library that calls epoll_ctl through
#    the C library, EV_EPOLL_RAW_SYSCALL=0, as that BUILD does),
#    ev/tests/c/compat3_prog.c, and the emu suites of ev/tests/emu/BUILD.bazel against the
#    emulated build;
#    a test source, or a header of ev/tests it includes ("ev/tests/..."), may say what else it
#    needs on lines of the form
#        // coverage.sh: WORD...
#    where WORD is lib=emu (link with the emulated kqueue/port build instead), lib=fault (the
#    EV_EPOLL_RAW_SYSCALL=0 build), a source file to compile into the test (.c/.cc, not
#    measured), or a linker flag (-Wl,--wrap=FN; any --wrap selects lib=fault unless lib=emu);
# 3. runs them (each with a time limit), collects with lcov, writes an HTML report with genhtml
#    to OUTDIR/html, a per-file table (lines and branches) to OUTDIR/per-file.txt and stderr, and
#    prints one line:  coverage: lines NN.N%, branches NN.N% (ev/core + ev/backends + ev/compat)
# Exits non-zero if a build step or a test fails (the figure is still printed when there is one).
# Needs gcc/g++, lcov (genhtml, gcov) and GoogleTest (libgtest-dev): tools/bazel installs them.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
out=${1:-${TMPDIR:-/tmp}/ev-coverage}
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
rm -rf "$out/obj" "$out/bin" "$out/html" "$out/logs" "$out"/*.info
mkdir -p "$out/obj/lib" "$out/obj/emu" "$out/obj/fault" "$out/obj/extra" "$out/bin" "$out/logs"
jobs=${COVERAGE_JOBS:-$(nproc 2>/dev/null || echo 2)}
test_timeout=${COVERAGE_TEST_TIMEOUT:-600}

for tool in gcc g++ lcov genhtml gcov timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "coverage.sh: $tool not found (tools/bazel installs lcov)" >&2
        exit 2
    fi
done

LINUX_DEFS="-DEV_USE_EPOLL=1 -DEV_USE_IOURING=1 -DEV_USE_LINUXAIO=1 -DEV_USE_POLL=1 -DEV_USE_SELECT=1 \
-DEV_USE_EVENTFD=1 -DEV_USE_SIGNALFD=1 -DEV_USE_TIMERFD=1 -DEV_USE_INOTIFY=1"
EMU_DEFS="$LINUX_DEFS -DEV_USE_KQUEUE=1 -DEV_USE_PORT=1 -DEV_KQUEUE_EMU=1 -DEV_PORT_EMU=1 -Iev/tests/emu"
LIB_CFLAGS="-std=gnu11 -DEV_STANDALONE=1 -D_GNU_SOURCE -fno-strict-aliasing -Iev/core -Iev/backends \
--coverage -fprofile-update=atomic -O0 -g"
EXTRA_CFLAGS="-std=gnu11 -D_GNU_SOURCE -O0 -Iev/core -Iev/compat"
TEST_CXXFLAGS="-std=c++17 -O0 -I. -Iev/core -Iev/compat -Iev/cpp -Iev/tests"
LIBS="$out/obj/extra/gcov_exit.o -Wl,--wrap=_exit --coverage -lgtest -lgtest_main -lpthread -lm"

failed=0
fail() {
    echo "coverage.sh: $*" >&2
    failed=1
}

# Runs the command lines of file $1, $jobs at a time; a failing one is named in $out/logs.
run_parallel() {
    local list=$1 what=$2
    if ! xargs -d '\n' -P"$jobs" -I{} bash -c '{}' <"$list"; then
        fail "$what: some steps failed (see $out/logs)"
    fi
}

obj() { # obj KIND SRC -> object path (unique per source: gcda files are per object)
    local s=${2#ev/}
    s=${s//\//_}
    echo "$out/obj/$1/${s%.*}.o"
}

step() { # step LOG CMD... -> one command line that logs and reports failure
    local log=$1
    shift
    printf '%q ' "$@"
    printf '>%q 2>&1 || { echo "coverage.sh: FAILED: %s" >&2; tail -n 40 %q >&2; exit 1; }\n' \
        "$out/logs/$log" "$log" "$out/logs/$log"
}

# 1. The library, twice, and the non-library sources some tests need (not measured).
cmds=$out/logs/compile.cmds
: >"$cmds"
# Windows-only sources (core/win32.c, backends/select_win32.c) are not built on Linux.
core_srcs=()
for f in ev/core/*.c; do
    [[ $f == ev/core/win32.c ]] || core_srcs+=("$f")
done
lib_srcs=("${core_srcs[@]}" ev/backends/registry.c ev/backends/epoll.c ev/backends/iouring.c
    ev/backends/linuxaio.c ev/backends/poll.c ev/backends/select.c)
emu_srcs=("${core_srcs[@]}" ev/backends/registry.c ev/backends/epoll.c ev/backends/iouring.c
    ev/backends/linuxaio.c ev/backends/poll.c ev/backends/select.c ev/backends/kqueue.c ev/backends/port.c
    ev/tests/emu/kqueue_emu.c ev/tests/emu/port_emu.c)
for s in "${lib_srcs[@]}"; do
    # shellcheck disable=SC2086
    step "cc-lib-$(basename "$s").log" gcc -c "$s" -o "$(obj lib "$s")" $LIB_CFLAGS $LINUX_DEFS >>"$cmds"
done
for s in "${emu_srcs[@]}"; do
    # shellcheck disable=SC2086
    step "cc-emu-$(basename "$s").log" gcc -c "$s" -o "$(obj emu "$s")" $LIB_CFLAGS $EMU_DEFS >>"$cmds"
done
# The fault-injection build (ev/tests/fault/BUILD.bazel): epoll_ctl through the C library.
for s in "${lib_srcs[@]}"; do
    # shellcheck disable=SC2086
    step "cc-fault-$(basename "$s").log" gcc -c "$s" -o "$(obj fault "$s")" $LIB_CFLAGS $LINUX_DEFS \
        -DEV_EPOLL_RAW_SYSCALL=0 >>"$cmds"
done
# shellcheck disable=SC2086
{
    step cc-event.log gcc -c ev/compat/event.c -o "$out/obj/extra/event.o" $EXTRA_CFLAGS \
        --coverage -fprofile-update=atomic -g
    step cc-event_log.log gcc -c ev/compat/event_log.c -o "$out/obj/extra/event_log.o" $EXTRA_CFLAGS \
        --coverage -fprofile-update=atomic -g
    step cc-event_echo.log gcc -c ev/examples/event_echo.c -o "$out/obj/extra/event_echo.o" \
        $EXTRA_CFLAGS -DEVENT_EXAMPLE_NO_MAIN
    step cc-event_bench.log gcc -c ev/examples/event_bench.c -o "$out/obj/extra/event_bench.o" \
        $EXTRA_CFLAGS -DEVENT_EXAMPLE_NO_MAIN
    step cc-echo_server.log g++ -c ev/examples/echo_server.cc -o "$out/obj/extra/echo_server.o" \
        $TEST_CXXFLAGS -DECHO_SERVER_NO_MAIN
} >>"$cmds"
# Forked children leave with _exit(), which skips gcov's exit hook: with -Wl,--wrap=_exit the
# test programs write the child's counters first, so code run only in children counts too.
cat >"$out/obj/extra/gcov_exit.c" <<'C'
extern void __gcov_dump(void);
extern void __real__exit(int) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status)
{
    __gcov_dump();
    __real__exit(status);
}
C
step cc-gcov_exit.log gcc -c "$out/obj/extra/gcov_exit.c" -o "$out/obj/extra/gcov_exit.o" >>"$cmds"
echo "coverage.sh: compiling the library with --coverage -O0 (and the emulated kqueue/port build)" >&2
run_parallel "$cmds" compile

lib_objs=("$out"/obj/lib/*.o)
emu_objs=("$out"/obj/emu/*.o)
fault_objs=("$out"/obj/fault/*.o)

# The --wrap flags of ev/tests/fault/inject.cc: the WRAPPED list of its BUILD.bazel.
inject_wraps=()
for fn in $(sed -n '/^WRAPPED = \[/,/^\]/s/^ *"\([a-z_0-9]*\)",*$/\1/p' ev/tests/fault/BUILD.bazel); do
    inject_wraps+=("-Wl,--wrap=$fn")
done
[[ ${#inject_wraps[@]} -gt 0 ]] || fail "no WRAPPED list in ev/tests/fault/BUILD.bazel"

# What a test needs beyond the library (see the header): sets need_lib, need_srcs, need_flags.
test_needs() {
    local src=$1 files=("$1") h line w
    need_lib=lib
    need_srcs=()
    need_flags=()
    for h in $(sed -nE 's|^#include "(ev/tests/[^"]*)".*|\1|p' "$src"); do
        [[ -f $h ]] && files+=("$h")
    done
    if grep -q '^#include "ev/tests/fault/inject.h"' "$src"; then
        need_srcs+=(ev/tests/fault/inject.cc)
        need_flags+=("${inject_wraps[@]}")
    fi
    while IFS= read -r line; do
        for w in $line; do
            case $w in
                lib=*) need_lib=${w#lib=} ;;
                -*) need_flags+=("$w") ;;
                *) need_srcs+=("$w") ;;
            esac
        done
    done < <(sed -nE 's|^// coverage\.sh: (.*)$|\1|p' "${files[@]}")
    if [[ $need_lib == lib && ${#need_flags[@]} -gt 0 ]]; then
        need_lib=fault
    fi
}

# 2. The tests.
cmds=$out/logs/link.cmds
: >"$cmds"
tests=()
for src in ev/tests/*_test.cc ev/tests/stress/*_test.cc ev/tests/more/*_test.cc ev/tests/fault/*_test.cc \
    ev/tests/cov/*/*_test.cc; do
    [[ -e $src ]] || continue
    name=$(basename "$src" .cc)
    dir=$(basename "$(dirname "$src")")
    [[ $dir == tests ]] || name="${dir}_$name"
    extra=()
    case $(basename "$src") in
        event_*) extra=("$out/obj/extra/event.o" "$out/obj/extra/event_log.o" "$out/obj/extra/event_echo.o"
            "$out/obj/extra/event_bench.o") ;;
    esac
    [[ $(basename "$src") == evpp_echo_test.cc ]] && extra+=("$out/obj/extra/echo_server.o")
    test_needs "$src"
    case $need_lib in
        emu) objs=("${emu_objs[@]}") ;;
        fault) objs=("${fault_objs[@]}") ;;
        *) objs=("${lib_objs[@]}") ;;
    esac
    # shellcheck disable=SC2086
    step "ld-$name.log" g++ $TEST_CXXFLAGS -o "$out/bin/$name" "$src" "${need_srcs[@]}" "${extra[@]}" \
        "${objs[@]}" "${need_flags[@]}" $LIBS >>"$cmds"
    tests+=("$name")
done
# shellcheck disable=SC2086
step ld-compat3_prog.log gcc -std=c99 -Iev/core -o "$out/bin/compat3_prog" ev/tests/c/compat3_prog.c \
    "${lib_objs[@]}" "$out/obj/extra/gcov_exit.o" -Wl,--wrap=_exit --coverage -lpthread -lm >>"$cmds"
tests+=(compat3_prog)
# The emu suites, as ev/tests/emu/BUILD.bazel lists them (with its loop_test filter).
emu_tests=(backend_test io_test timer_test loop_test pending_test fork_test embed_test metrics_test)
for t in "${emu_tests[@]}"; do
    # shellcheck disable=SC2086
    step "ld-emu_$t.log" g++ $TEST_CXXFLAGS -o "$out/bin/emu_$t" "ev/tests/$t.cc" "${emu_objs[@]}" $LIBS >>"$cmds"
    tests+=("emu_$t")
done
echo "coverage.sh: building ${#tests[@]} test programs" >&2
run_parallel "$cmds" "test build"

# 3. Run them. Each gets its own TMPDIR; the tests need no other environment.
cmds=$out/logs/run.cmds
: >"$cmds"
for t in "${tests[@]}"; do
    [[ -x $out/bin/$t ]] || continue
    args=()
    [[ $t == emu_loop_test ]] &&
        args=(--gtest_filter=-LoopTest.LibevFlagsEnvironment:LoopTest.BackendSelection:LoopTest.BackendMasksAndVersions)
    mkdir -p "$out/tmp/$t"
    step "run-$t.log" env TMPDIR="$out/tmp/$t" TEST_TMPDIR="$out/tmp/$t" timeout "$test_timeout" \
        "$out/bin/$t" "${args[@]}" >>"$cmds"
done
echo "coverage.sh: running ${#tests[@]} test programs" >&2
run_parallel "$cmds" "tests"

# 4. Collect.
lcov_q=(--quiet --rc lcov_branch_coverage=1)
if ! lcov "${lcov_q[@]}" --capture --directory "$out/obj" --base-directory "$PWD" \
    --output-file "$out/all.info" >"$out/logs/lcov.log" 2>&1; then
    cat "$out/logs/lcov.log" >&2
    fail "lcov --capture failed"
fi
if ! lcov "${lcov_q[@]}" --extract "$out/all.info" "$PWD/ev/core/*" "$PWD/ev/backends/*" "$PWD/ev/compat/*" \
    --output-file "$out/ev.info" >>"$out/logs/lcov.log" 2>&1; then
    cat "$out/logs/lcov.log" >&2
    fail "lcov --extract failed"
fi
genhtml --quiet --branch-coverage --title "ev: ev/core + ev/backends + ev/compat" --output-directory "$out/html" \
    "$out/ev.info" >"$out/logs/genhtml.log" 2>&1 || fail "genhtml failed"
summary=$(lcov --rc lcov_branch_coverage=1 --summary "$out/ev.info" 2>&1 || true)
pct=$(sed -nE 's/^ *lines[^:]*: *([0-9.]+)%.*/\1/p' <<<"$summary")
bpct=$(sed -nE 's/^ *branches[^:]*: *([0-9.]+)%.*/\1/p' <<<"$summary")
lcov --rc lcov_branch_coverage=1 --list "$out/ev.info" 2>/dev/null | sed -E "s|$PWD/||" >"$out/per-file.txt" || true
cat "$out/per-file.txt" >&2
if [[ -z $pct ]]; then
    fail "no coverage figure"
    exit 1
fi
echo "coverage.sh: report $out/html/index.html, per file: $out/per-file.txt" >&2
printf 'coverage: lines %.1f%%, branches %.1f%% (ev/core + ev/backends + ev/compat)\n' "$pct" "${bpct:-0}"
exit "$failed"
