#!/usr/bin/env bash
# CI step: the differential fuzzer (ev against Debian's libev 4.33, issue #15) for
# EV_DIFFFUZZ_SECONDS (default 60) over its seeds and regression inputs. One case.
# $1: the step's private work directory.
set -u
work=${1:-$(mktemp -d)}
seconds=${EV_DIFFFUZZ_SECONDS:-60}
echo "50-difffuzz: differential fuzzer for ${seconds}s" >&2
if FUZZ_OUT="$work/difffuzz" ev/tests/fuzz/run_difffuzz.sh "$seconds" >&2; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
    exit 1
fi
