#!/usr/bin/env bash
# Builds the API fuzzer with libFuzzer + ASan + UBSan (clang-14, outside Bazel: the library
# sources are compiled directly, with the Linux EV_USE_* defines of ev/backends.bzl) and runs it
# over the seed corpus for a bounded time.
#
#   ev/tests/fuzz/run_fuzzer.sh [SECONDS]      (default 60; env FUZZ_JOBS, FUZZ_OUT, CLANG)
#
# New inputs go to a scratch corpus ($FUZZ_OUT/corpus), not into the committed seeds; a crash,
# a failed check (abort) or a hang (-timeout) leaves its input in $FUZZ_OUT/artifacts and the
# script exits non-zero. Keep such an input under ev/tests/fuzz/regressions/ once it is fixed:
# //ev/tests/fuzz:corpus_test replays it in every Bazel configuration.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
seconds=${1:-60}
CLANG=${CLANG:-clang-14}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/ev-fuzz.XXXXXX")}
mkdir -p "$out/corpus" "$out/artifacts"

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "run_fuzzer: $CLANG not found (Debian: clang-14 libclang-rt-14-dev, see tools/bazel)" >&2
    exit 2
fi

# The Linux row of ev/backends.bzl.
defines=(
    -DEV_USE_EPOLL=1 -DEV_USE_IOURING=1 -DEV_USE_LINUXAIO=1 -DEV_USE_POLL=1 -DEV_USE_SELECT=1
    -DEV_USE_EVENTFD=1 -DEV_USE_SIGNALFD=1 -DEV_USE_TIMERFD=1 -DEV_USE_INOTIFY=1
)
srcs=("$root"/ev/core/*.c "$root"/ev/backends/registry.c "$root"/ev/backends/epoll.c
    "$root"/ev/backends/iouring.c "$root"/ev/backends/linuxaio.c "$root"/ev/backends/poll.c
    "$root"/ev/backends/select.c)

bin="$out/api_fuzzer"
echo "run_fuzzer: building $bin" >&2
"$CLANG" -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -std=gnu11 -DEV_STANDALONE=1 -D_GNU_SOURCE \
    -fno-strict-aliasing -I"$root/ev/core" -I"$root/ev/backends" "${defines[@]}" \
    "${srcs[@]}" "$here/api_fuzzer.c" -o "$bin" -lpthread

# Seeds and regressions are read; new inputs are written to the scratch corpus only.
echo "run_fuzzer: fuzzing for ${seconds}s (artifacts: $out/artifacts)" >&2
set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -timeout=10 -max_len=1024 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/" ${FUZZ_JOBS:+-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"} \
    "$out/corpus" "$here/corpus" "$here/regressions" </dev/null
rc=$?
set -e
if ((rc != 0)) || compgen -G "$out/artifacts/*" >/dev/null; then
    echo "run_fuzzer: FAILED (exit $rc); inputs in $out/artifacts:" >&2
    for f in "$out"/artifacts/*; do
        [[ -f $f ]] || continue
        # The input itself, so that a CI log is enough to reproduce: base64 -d > regressions/NAME
        echo "run_fuzzer: $(basename "$f") ($(wc -c <"$f") bytes), base64:" >&2
        base64 -w 0 "$f" >&2
        echo >&2
    done
    exit 1
fi
echo "run_fuzzer: no crash in ${seconds}s" >&2
