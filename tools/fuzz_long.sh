#!/usr/bin/env bash
# A long run of the differential fuzzer (not in CI): tools/fuzz_long.sh HOURS [JOBS]
# Runs ev/tests/fuzz/run_difffuzz.sh for HOURS (default 2) at nice 19 in libFuzzer's fork mode
# with JOBS workers (default 1), going on after a divergence (-ignore_crashes: every one found
# is kept in artifacts/), with its corpus, artifacts and log under $FUZZ_LONG_DIR (default
# /tmp/ev-fuzz-long-<date>); the log has libFuzzer's progress lines (executions, coverage).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hours=${1:-2}
jobs=${2:-1}
dir=${FUZZ_LONG_DIR:-/tmp/ev-fuzz-long-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$dir"
seconds=$(python3 -c "print(int(float('$hours') * 3600))")
echo "fuzz_long: ${hours} h, log $dir/log, corpus $dir/corpus, artifacts $dir/artifacts" >&2
export FUZZ_EXTRA="-fork=$jobs -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 ${FUZZ_EXTRA:-}"
cd "$dir"
FUZZ_OUT="$dir" FUZZ_CORPUS="$dir/corpus" exec nice -n 19 "$root/ev/tests/fuzz/run_difffuzz.sh" "$seconds" \
    >"$dir/log" 2>&1
