#!/usr/bin/env bash
# CI step: every BUILD, .bzl, WORKSPACE and MODULE.bazel file is formatted as buildifier formats
# it (tools/buildifier --mode=check): one case. Fix with `tools/buildifier -r .`.
# buildifier's lint warnings are printed too, but do not fail the case; the native-* ones (load
# cc_*/sh_* from rules_cc/rules_shell) are left out: Bazel 4 has those rules built in, and the
# rules_shell and newer rules_cc they name do not exist for it.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2

mapfile -t files < <(find . \( -name .git -o -name 'bazel-*' \) -prune -o -type f \
    \( -name BUILD -o -name BUILD.bazel -o -name '*.BUILD' -o -name '*.bzl' -o -name WORKSPACE \
    -o -name WORKSPACE.bazel -o -name MODULE.bazel \) -print | sed 's|^\./||' | sort)
echo "buildifier: ${#files[@]} files" >&2

if tools/buildifier --mode=check "${files[@]}" >&2; then
    echo "buildifier: all formatted" >&2
    ok=1
else
    echo "buildifier: the files above need \`tools/buildifier -r .\`" >&2
    ok=0
fi

# Lint: information only.
warnings=-native-cc-binary,-native-cc-import,-native-cc-library,-native-cc-objc-import
warnings+=,-native-cc-objc-library,-native-cc-proto,-native-cc-shared-library,-native-cc-test
warnings+=,-native-cc-toolchain,-native-cc-toolchain-suite,-native-sh-binary,-native-sh-library
warnings+=,-native-sh-test,-native-cc-common,-native-cc-info
tools/buildifier --mode=check --lint=warn --warnings="$warnings" "${files[@]}" 2>&1 |
    grep -v '# reformat$' | sed 's/^/buildifier: lint: /' >&2 || true

if ((ok)); then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
    exit 1
fi
