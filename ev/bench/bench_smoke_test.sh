#!/usr/bin/env bash
# Runs each benchmark test of bench_ev and bench_event at a small size and checks that each
# prints its figures (no timing is judged: that is ev/bench/run.sh's job).
set -u
dir=$(dirname "$0")
# The benchmark programs leave their watchers and fds to exit(), by design: no leak reports.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fail=0
check() { # check PROGRAM EXPECTED-KEY ARGS...
    local prog=$1 key=$2
    shift 2
    local out
    if ! out=$(timeout 60 "$dir/$prog" "$@" 2>&1); then
        echo "FAIL: $prog $*: exit status $?: $out"
        fail=1
        return
    fi
    if ! grep -q "^$key [0-9]" <<<"$out"; then
        echo "FAIL: $prog $*: no '$key' line in: $out"
        fail=1
        return
    fi
    echo "ok: $prog $* ($(grep "^$key " <<<"$out"))"
}
for p in bench_ev bench_event; do
    check $p ns.setup classic n=100 a=10 w=100 reps=2
    check $p ns.events classic n=100 a=10 w=100 t=1 reps=2
    check $p ns.stop timers n=1000
    check $p ns.again again n=1000 iters=2
    check $p ns.reset reset n=1000 resets=10000
    check $p ns.ready ready n=1000
    check $p heap.io memory n=100
done
check bench_ev ns.idle idle n=1000
check bench_ev ns.reset reset n=1000 resets=10000 floor=1
exit $fail
