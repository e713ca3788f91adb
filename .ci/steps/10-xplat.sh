#!/usr/bin/env bash
# CI step: the cross builds of //toolchains (README "Platforms").
#   aarch64  //ev:core, :event, :evpp, :libev.so.4 build as aarch64 ELF; //ev/tests/... passes
#            under qemu-aarch64 (--config=aarch64)
#   i386     the same suite, run natively (--config=i386), the struct layout check included
#   windows  //ev:core and //ev:evpp build as Windows objects; //ev/win/... (programs built for
#            Windows, run under wine64) passes (--config=windows)
#   others   --platforms for macOS/FreeBSD/OpenBSD/NetBSD/Solaris fails with ev's message that
#            names the missing toolchain (one case each)
# GoogleTest cases are counted from each test's test.xml, as .ci/run counts them; a test without
# a usable test.xml counts as one case. Prints "N passed, M failed" last on stdout.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
work=${1:-$(mktemp -d)}
mkdir -p "$work"

BAZEL=(tools/bazel)
COMMON=(--keep_going)
if [[ -n ${CI:-} ]]; then
    COMMON+=(--curses=no --color=no --show_progress_rate_limit=30)
fi

passed=0
failed=0

# count NAME TESTLOGS_DIR LABELS_FILE BAZEL_RC: adds the cases of each label's test.xml.
count() {
    local name=$1 logs=$2 labels=$3 rc=$4 counts p f
    counts=$(python3 - "$logs" "$labels" <<'PY'
import os, sys, xml.etree.ElementTree as ET
logs, labels = sys.argv[1:3]
p = f = 0
for label in (l.strip() for l in open(labels)):
    if not label:
        continue
    pkg, _, name = label.lstrip("/").partition(":")
    xml = os.path.join(logs, pkg, name, "test.xml")
    log = os.path.join(logs, pkg, name, "test.log")
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError):
        print("%s: no test.xml" % label, file=sys.stderr)
        f += 1
        continue
    tp = tf = 0
    for tc in root.iter("testcase"):
        if tc.get("status") == "notrun" or tc.get("result") in ("suppressed", "skipped"):
            continue
        if tc.find("skipped") is not None:
            continue
        if tc.find("failure") is not None or tc.find("error") is not None:
            tf += 1
        else:
            tp += 1
    suite_failed = any(s.get("failures", "0") not in ("0", "") or s.get("errors", "0") not in ("0", "")
                       for s in root.iter("testsuite"))
    if tp + tf == 0:
        # Not a GoogleTest program (an sh_test): one case, failed if Bazel's XML says so.
        if suite_failed:
            tf = 1
        else:
            tp = 1
    p += tp
    f += tf
print(p, f)
PY
)
    read -r p f <<<"$counts"
    p=${p:-0} f=${f:-1}
    if ((rc != 0 && rc != 3 && f == 0)); then
        f=1 # Bazel failed for another reason than a failing test (e.g. a build error)
    fi
    echo "ci[xplat/$name]: $p passed, $f failed (bazel exit $rc)" >&2
    passed=$((passed + p))
    failed=$((failed + f))
}

# suite NAME CONFIG PATTERN: bazel test --config=CONFIG PATTERN, counted.
suite() {
    local name=$1 config=$2 pattern=$3 rc
    shift 3
    local labels="$work/$name.labels"
    # Left out, as their BUILD says (target_compatible_with): the libevent 1.4 tests on aarch64
    # (libevent 1.4's log.c does not compile there) and log_link_test (links with the host's cc).
    local skip="$*"
    local q="tests($pattern) except attr(tags, 'manual', tests($pattern))"
    for s in $skip; do q="$q except tests($s)"; done
    echo "=== xplat: $name ($pattern, not $skip) ===" >&2
    if ! "${BAZEL[@]}" query "$q" \
        >"$labels" 2>"$work/$name.query.err" </dev/null; then
        cat "$work/$name.query.err" >&2
        failed=$((failed + 1))
        return
    fi
    local neg=()
    for s in $skip; do neg+=("-$s"); done
    "${BAZEL[@]}" test "${COMMON[@]}" --config="$config" -- "$pattern" "${neg[@]}" </dev/null >&2
    rc=$?
    local logs
    logs=$("${BAZEL[@]}" info --config="$config" bazel-testlogs 2>/dev/null </dev/null)
    count "$name" "$logs" "$labels" "$rc"
}

# build_check NAME CONFIG WANT TARGETS...: the targets build, and `file` says WANT of each output.
build_check() {
    local name=$1 config=$2 want=$3
    shift 3
    echo "=== xplat: $name: build ${*} ===" >&2
    if ! "${BAZEL[@]}" build "${COMMON[@]}" --config="$config" "$@" </dev/null >&2; then
        echo "ci[xplat/$name]: build failed" >&2
        failed=$((failed + 1))
        return
    fi
    local files f bad=0
    files=$("${BAZEL[@]}" cquery --config="$config" --output=starlark \
        --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' \
        "set($*)" 2>/dev/null </dev/null)
    local execroot
    execroot=$("${BAZEL[@]}" info --config="$config" execution_root 2>/dev/null </dev/null)
    for f in $files; do
        local desc
        desc=$(file -L "$execroot/$f")
        if [[ $desc == *"current ar archive"* ]]; then
            desc=$(cd "$work" && rm -rf ar && mkdir ar && cd ar && ar x "$execroot/$f" && file ./*.o | head -n 1)
        fi
        case $desc in *ELF* | *PE32* | *COFF*) ;; *) continue ;; esac
        echo "$f: ${desc#*: }" >&2
        if ! grep -qE "$want" <<<"$desc"; then
            echo "ci[xplat/$name]: $f is not $want" >&2
            bad=1
        fi
    done
    if [[ -z $files ]]; then
        echo "ci[xplat/$name]: no outputs found to check" >&2
        bad=1
    fi
    if ((bad)); then
        failed=$((failed + 1))
    else
        echo "ci[xplat/$name]: every output is $want" >&2
        passed=$((passed + 1))
    fi
}

build_check aarch64-build aarch64 "ARM aarch64" //ev:core //ev:event //ev:evpp //ev:libev.so.4 \
    //ev/tests:loop_test //ev/tests/layout:layout_test
suite aarch64 aarch64 //ev/tests/... //ev/tests/libevent14/...
build_check i386-build i386 "Intel 80386" //ev:core //ev:event //ev:evpp //ev:libev.so.4 \
    //ev/tests:loop_test //ev/tests/layout:layout_test
suite i386 i386 //ev/tests/... //ev/tests/libevent14:log_link_test
build_check windows-build windows "PE32\+ executable .*x86-64|x86-64 COFF|amd64 COFF" //ev:core //ev:evpp \
    //ev/win:linked_prog //ev/win:win_prog
suite windows windows //ev/win/...

# Platforms without a toolchain: ev's own message, not Bazel's "No matching toolchains".
for spec in macos:macOS freebsd:FreeBSD openbsd:OpenBSD netbsd:NetBSD solaris:Solaris; do
    platform=${spec%%:*} pretty=${spec#*:}
    out=$("${BAZEL[@]}" build "${COMMON[@]}" --platforms=//platforms:"$platform" //ev:core 2>&1 </dev/null)
    if grep -q "ev: no C/C++ toolchain is registered for $pretty" <<<"$out" &&
        grep -q "register_toolchains" <<<"$out"; then
        echo "ci[xplat/$platform]: fails with ev's message, as it should" >&2
        passed=$((passed + 1))
    else
        printf '%s\n' "$out" | tail -n 20 >&2
        echo "ci[xplat/$platform]: no ev message naming the missing toolchain" >&2
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
((failed == 0))
