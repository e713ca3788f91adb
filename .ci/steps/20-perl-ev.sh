#!/usr/bin/env bash
# Peer suite: Perl's EV module (Debian source package libev-perl) on our amalgamation.
#
#   .ci/steps/20-perl-ev.sh WORKDIR
#
# Builds //ev:amalgamation with tools/bazel, fetches libev-perl with tools/debsrc.sh (cached per
# machine), copies it to WORKDIR and puts our ev.c and ev.h in place of its bundled libev/ev.c
# and libev/ev.h. Its other libev/ files (the backends ev.c would include) stay on disk because
# Makefile.PL and the Makefile's dependencies name them, but each is replaced by an #error line,
# so the build proves that nothing of libev's is compiled. No edit to EV's own sources and no
# extra define: `perl Makefile.PL` with its defaults, `make`, then `make test` once per backend
# this machine supports (LIBEV_FLAGS=1, 2, 4 and 128: select, poll, epoll, io_uring) and once
# with the default choice. A test file passes when it passes in every run.
# Progress goes to stderr; stdout ends with "N passed, M failed", one case per test file (11).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/perl-ev.XXXXXX")}
mkdir -p "$work"
log() { echo "perl-ev: $*" >&2; }

# What the build and the suite need, from Debian (EV.xs includes perl's headers, which come
# with perl; Makefile.PL uses Canary::Stability, the tests common::sense).
need=(perl make gcc libcommon-sense-perl libcanary-stability-perl)
missing=()
for p in "${need[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == ii* ]] || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        </dev/null >&2 || { log "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi

tools/bazel build //ev:amalgamation </dev/null >&2 || {
    log "bazel build //ev:amalgamation failed"
    echo "0 passed, 1 failed"
    exit 1
}
amalg="$(tools/bazel info bazel-bin </dev/null 2>/dev/null)/ev/amalgamation"
src=$(tools/debsrc.sh libev-perl) || { log "tools/debsrc.sh libev-perl failed"; echo "0 passed, 1 failed"; exit 1; }
log "sources: $src; amalgamation: $amalg"

tree="$work/EV"
rm -rf "$tree"
cp -r "$src" "$tree" && chmod -R u+w "$tree" || exit 1
for f in "$tree"/libev/*.c "$tree"/libev/*.h; do
    case $(basename "$f") in
        ev.c | ev.h) ;;
        *) echo "#error \"libev's bundled $(basename "$f") must not be used\"" >"$f" ;;
    esac
done
cp "$amalg/ev.c" "$amalg/ev.h" "$tree/libev/"

cd "$tree" || exit 1
mapfile -t files < <(cd t && ls ./*.t | sed 's|^\./||')
fail_build() {
    log "$1 failed:"
    tail -40 "$2" >&2
    echo "0 passed, ${#files[@]} failed"
    exit 1
}
PERL_MM_USE_DEFAULT=1 perl Makefile.PL </dev/null >"$work/configure.log" 2>&1 ||
    fail_build "perl Makefile.PL" "$work/configure.log"
make </dev/null >"$work/make.log" 2>&1 || fail_build "make" "$work/make.log"
# A clean build is part of the promise: the module built with warnings when ev.c lacked the
# ecb_* macros, and then failed to load. Warnings count as one failed case.
warned=0
if grep -E 'warning:' "$work/make.log" >&2; then
    log "compiler warnings above"
    warned=1
fi

supported=$(perl -Mblib -MEV -e 'print EV::supported_backends()' 2>>"$work/make.log") ||
    fail_build "loading the built EV module" "$work/make.log"
runs=(default)
for b in 1 2 4 128; do
    ((supported & b)) && runs+=("$b")
done
log "supported backends: $supported; runs: ${runs[*]}"

declare -A bad
total_ok=$((!warned))
for run in "${runs[@]}"; do
    out="$work/test-$run.log"
    if [[ $run == default ]]; then
        make test </dev/null >"$out" 2>&1
    else
        LIBEV_FLAGS=$run make test </dev/null >"$out" 2>&1
    fi
    rc=$?
    summary=$(grep -E '^(Files=|Result:)' "$out" | paste -sd ' ')
    log "make test (LIBEV_FLAGS=$run): exit $rc; $summary"
    for f in "${files[@]}"; do
        # Test::Harness prints "t/NAME.t ..... ok" for a file whose every test passed.
        if ! grep -qE "^t/${f//./\\.} \.+ ok\$" "$out"; then
            bad[$f]+=" $run"
        fi
    done
    if ((rc != 0)); then
        total_ok=0
        grep -E '^(t/|Failed|not ok|#)' "$out" | head -40 >&2
    fi
done
if ! grep -q 'Tests=6875,' "$work/test-default.log"; then
    log "expected 6875 tests in the default run: $(grep -E '^Files=' "$work/test-default.log")"
    total_ok=0
fi

passed=0 failed=0
for f in "${files[@]}"; do
    if [[ -n ${bad[$f]:-} ]]; then
        log "FAIL $f (LIBEV_FLAGS:${bad[$f]})"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
if ((failed == 0 && total_ok == 0)); then
    failed=1 # warnings, the harness failed without naming a file, or the count of tests changed
fi
echo "$passed passed, $failed failed"
((failed == 0))
