#!/usr/bin/env bash
# Soak test (not run by CI): builds the stress tests (//ev/tests/stress) and runs every binary
# again and again, each round with a new random seed (EV_STRESS_SEED), for a given time.
#   tools/soak.sh            one hour
#   tools/soak.sh 60         60 seconds
#   SOAK_CONFIG=asan tools/soak.sh 600   the same under --config=asan (or ubsan, tsan)
# Prints the rounds run and stops at the first failure (exit 1), naming the binary and the seed
# (re-run it with EV_STRESS_SEED=<seed> bazel-bin/ev/tests/stress/<name>). See docs/soak.md.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
duration=${1:-3600}
if ! [[ $duration =~ ^[0-9]+$ ]]; then
    echo "usage: tools/soak.sh [seconds]" >&2
    exit 2
fi

cfg=()
if [[ -n "${SOAK_CONFIG:-}" ]]; then
    cfg=(--config="$SOAK_CONFIG")
fi
echo "soak: building //ev/tests/stress/... ${cfg[*]}" >&2
tools/bazel build "${cfg[@]}" //ev/tests/stress/... >&2 </dev/null || {
    echo "soak: build failed" >&2
    exit 2
}
bindir=$(tools/bazel info "${cfg[@]}" bazel-bin 2>/dev/null </dev/null)/ev/tests/stress
mapfile -t bins < <(find "$bindir" -maxdepth 1 -type f -name '*_test' -perm -u+x | sort)
if ((${#bins[@]} == 0)); then
    echo "soak: no stress binaries in $bindir" >&2
    exit 2
fi
if [[ ${SOAK_CONFIG:-} == asan ]]; then
    export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
fi

log=$(mktemp "${TMPDIR:-/tmp}/ev-soak.XXXXXX")
trap 'rm -f "$log"' EXIT
end=$((SECONDS + duration))
rounds=0 runs=0
echo "soak: ${#bins[@]} binaries for ${duration}s" >&2
while ((SECONDS < end)); do
    for bin in "${bins[@]}"; do
        seed=$(( (RANDOM << 15 | RANDOM) ))
        if ! EV_STRESS_SEED=$seed "$bin" --gtest_brief=1 >"$log" 2>&1; then
            cat "$log" >&2
            echo "soak: FAILED $(basename "$bin") EV_STRESS_SEED=$seed after $rounds rounds ($runs runs)" >&2
            echo "soak: $rounds rounds, $runs runs, 1 failure"
            exit 1
        fi
        runs=$((runs + 1))
        ((SECONDS < end)) || break
    done
    rounds=$((rounds + 1))
    if ((rounds % 10 == 0)); then
        echo "soak: $rounds rounds, $runs runs, $((end - SECONDS))s left" >&2
    fi
done
echo "soak: $rounds rounds, $runs runs, 0 failures in ${duration}s"
