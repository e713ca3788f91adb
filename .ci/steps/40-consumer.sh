#!/usr/bin/env bash
# CI step: examples/consumer, a workspace that depends on ev as another project does (its
# WORKSPACE is README's three lines; no .bazelrc, so Bazel's defaults: C++ as -std=c++0x), built
# and tested with its own Bazel invocation. Cases: the build of //..., the C program
# (//:ticker) runs, the C++ program (//:count_lines) counts its input's lines, and one case
# per test target of `bazel test //...`. Ends with "N passed, M failed".
set -u
work=${1:-$(mktemp -d)}
mkdir -p "$work" || exit 2
cd "$(dirname "${BASH_SOURCE[0]}")/../../examples/consumer" || exit 2
bazel=(../../tools/bazel)
# --nosandbox_debug only quiets Debian's /etc/bazel/bazelrc (it is not a build setting).
opts=(--nosandbox_debug --keep_going)
if [[ -n ${CI:-} ]]; then
    opts+=(--curses=no --color=no --show_progress_rate_limit=30)
fi

passed=0 failed=0
case_result() { # case_result NAME STATUS
    if (($2 == 0)); then
        passed=$((passed + 1))
        echo "consumer: $1: passed" >&2
    else
        failed=$((failed + 1))
        echo "consumer: $1: FAILED" >&2
    fi
}

"${bazel[@]}" build "${opts[@]}" //... </dev/null >&2
case_result "bazel build //..." $?

out=$("${bazel[@]}" run "${opts[@]}" //:ticker </dev/null 2>"$work/ticker.err")
rc=$?
[[ $rc -eq 0 && $out == *"ev 4.33, 3 ticks"* ]]
case_result "//:ticker (C, @ev//ev:core)" $?
[[ $rc -eq 0 ]] || cat "$work/ticker.err" >&2

out=$(printf 'a\nb\nc\n' | "${bazel[@]}" run "${opts[@]}" //:count_lines 2>"$work/count_lines.err")
rc=$?
[[ $rc -eq 0 && $out == "3 lines" ]]
case_result "//:count_lines (C++, @ev//ev:evpp)" $?
[[ $rc -eq 0 ]] || cat "$work/count_lines.err" >&2

"${bazel[@]}" test "${opts[@]}" --test_output=errors //... </dev/null 2>&1 | tee "$work/test.log" >&2
tests_passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$work/test.log")
tests_failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|FLAKY|NO STATUS|FAILED TO BUILD)' "$work/test.log")
if ((tests_passed + tests_failed == 0)); then
    tests_failed=1 # no test ran at all
fi
passed=$((passed + tests_passed))
failed=$((failed + tests_failed))
echo "consumer: bazel test //...: $tests_passed passed, $tests_failed failed" >&2

"${bazel[@]}" shutdown </dev/null >/dev/null 2>&1
echo "$passed passed, $failed failed"
((failed == 0))
