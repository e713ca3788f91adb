#!/usr/bin/env bash
# Builds the differential fuzzer (diff_fuzzer.c + diff_driver.c against ev, with libFuzzer + ASan +
# UBSan, clang-14, outside Bazel like run_fuzzer.sh) and its libev side (diff_driver.c with
# -DDIFF_MAIN against Debian's libev 4.33, /usr/include/ev.h and libev.a), then fuzzes for a
# bounded time over the seeds in diffcorpus/ and the inputs in diffregressions/.
#
#   ev/tests/fuzz/run_difffuzz.sh [SECONDS]   (default 60; env FUZZ_JOBS, FUZZ_OUT, CLANG,
#                                              FUZZ_CORPUS: where new inputs go)
#
# A divergence (the two traces differ), a crash or a hang (-timeout) leaves its input in
# $FUZZ_OUT/artifacts and the script exits non-zero, printing the input in base64. Once the bug
# is fixed, keep the input as ev/tests/fuzz/diffregressions/<what-it-found>:
# //ev/tests/fuzz:diff_replay_test replays every one of them against libev in each configuration.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
seconds=${1:-60}
CLANG=${CLANG:-clang-14}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/ev-difffuzz.XXXXXX")}
corpus=${FUZZ_CORPUS:-$out/corpus}
mkdir -p "$corpus" "$out/artifacts"

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "run_difffuzz: $CLANG not found (Debian: clang-14 libclang-rt-14-dev, see tools/bazel)" >&2
    exit 2
fi
if [[ ! -f /usr/include/ev.h ]] || ! ls /usr/lib/*/libev.a >/dev/null 2>&1; then
    echo "run_difffuzz: Debian's libev-dev is not installed (see tools/bazel)" >&2
    exit 2
fi

# The Linux row of ev/backends.bzl.
defines=(
    -DEV_USE_EPOLL=1 -DEV_USE_IOURING=1 -DEV_USE_POLL=1 -DEV_USE_SELECT=1
    -DEV_USE_EVENTFD=1 -DEV_USE_SIGNALFD=1 -DEV_USE_TIMERFD=1 -DEV_USE_INOTIFY=1
)
srcs=("$root"/ev/core/*.c "$root"/ev/backends/registry.c "$root"/ev/backends/epoll.c
    "$root"/ev/backends/iouring.c "$root"/ev/backends/poll.c "$root"/ev/backends/select.c)
srcs=("${srcs[@]/*win32.c/}")

echo "run_difffuzz: building in $out" >&2
"$CLANG" -g -O1 -std=gnu11 -DDIFF_MAIN "$here/diff_driver.c" -o "$out/diff_driver_libev" \
    -l:libev.a -lm -lpthread
"$CLANG" -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -std=gnu11 -DEV_STANDALONE=1 -D_GNU_SOURCE \
    -fno-strict-aliasing -I"$root/ev/core" -I"$root/ev/backends" "${defines[@]}" \
    ${srcs[@]} "$here/diff_driver.c" "$here/diff_fuzzer.c" -o "$out/diff_fuzzer" -lpthread -lm

echo "run_difffuzz: fuzzing for ${seconds}s (artifacts: $out/artifacts)" >&2
set +e
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
DIFF_LIBEV_SERVER="$out/diff_driver_libev" \
    "$out/diff_fuzzer" -max_total_time="$seconds" -timeout=20 -max_len=512 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/" ${FUZZ_JOBS:+-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"} \
    ${FUZZ_EXTRA:-} "$corpus" "$here/diffcorpus" "$here/diffregressions" </dev/null
rc=$?
set -e
if ((rc != 0)) || compgen -G "$out/artifacts/*" >/dev/null; then
    echo "run_difffuzz: FAILED (exit $rc); inputs in $out/artifacts:" >&2
    for f in "$out"/artifacts/*; do
        [[ -f $f ]] || continue
        echo "run_difffuzz: $(basename "$f") ($(wc -c <"$f") bytes), base64:" >&2
        base64 -w 0 "$f" >&2
        echo >&2
    done
    exit 1
fi
echo "run_difffuzz: no divergence in ${seconds}s" >&2
