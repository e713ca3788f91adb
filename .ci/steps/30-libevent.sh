#!/usr/bin/env bash
# CI step: libevent's own tests of its 1.x core API, run unchanged against ev's libevent shim
# (issue 18, item 8). Sources: Debian's `libevent` source package (tools/debsrc.sh, cached per
# machine): test/test-eof.c, test-weof.c, test-time.c, test-changelist.c, test-init.c, and the
# legacy regress.c cases that use only the 1.x core API (cut out by
# ev/tests/libevent/extract_regress.py, with the changes it lists; ev/tests/libevent/README.md).
# Each program, and each regress case, runs once per backend (LIBEV_FLAGS 1 select, 2 poll,
# 4 epoll, 128 io_uring) that this machine supports; each run is one case of the final line.
# usage: .ci/steps/30-libevent.sh WORKDIR   (from the repository root)
set -u
work=${1:?usage: $0 WORKDIR}
mkdir -p "$work/test"
passed=0 failed=0
finish() {
    echo "$passed passed, $failed failed"
    exit $((failed > 0))
}

src=$(tools/debsrc.sh libevent) || { echo "libevent: tools/debsrc.sh libevent failed" >&2; failed=1; finish; }
tools/bazel build //ev:libev.a </dev/null >&2 || { echo "libevent: building //ev:libev.a failed" >&2; failed=1; finish; }
lib="$(tools/bazel info bazel-bin 2>/dev/null </dev/null)/ev/libev.a"
support=ev/tests/libevent/support
cflags=(-O2 -w -I"$support" -I"$work" -Iev/core -Iev/compat)
libs=("$lib" -lpthread -lm)

programs=(test-eof test-weof test-time test-changelist test-init)
# test-eof.c and test-weof.c include "../util-internal.h" (relative to test/): the support one.
cp "$support/util-internal.h" "$work/"
for p in "${programs[@]}"; do
    cp "$src/test/$p.c" "$work/test/"
    if ! gcc "${cflags[@]}" -o "$work/$p" "$work/test/$p.c" "${libs[@]}" 2>"$work/$p.build"; then
        cat "$work/$p.build" >&2
        echo "libevent: $p does not build" >&2
        failed=$((failed + 1))
    fi
done
cases=()
if python3 ev/tests/libevent/extract_regress.py "$src/test/regress.c" "$work/regress_cases.c" \
    "$work/cases.txt" >&2 &&
    gcc "${cflags[@]}" -o "$work/regress_legacy" ev/tests/libevent/regress_legacy.c "${libs[@]}" \
        2>"$work/regress.build"; then
    mapfile -t cases <"$work/cases.txt"
else
    cat "$work/regress.build" >&2 2>/dev/null
    echo "libevent: regress.c cases do not build" >&2
    failed=$((failed + 1))
fi

# Which backends this machine has (ev_supported_backends()).
cat >"$work/probe.c" <<'C'
#include <ev.h>
#include <stdio.h>
int main(void) { printf("%u\n", ev_supported_backends()); return 0; }
C
gcc "${cflags[@]}" -o "$work/probe" "$work/probe.c" "${libs[@]}" || { failed=$((failed + 1)); finish; }
supported=$("$work/probe")

run() { # NAME FLAGS CMD...
    local name=$1 flags=$2
    shift 2
    if LIBEV_FLAGS=$flags timeout 120 "$@" >"$work/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "libevent: FAILED $name (LIBEV_FLAGS=$flags):" >&2
        tail -n 20 "$work/out" >&2
    fi
}

for flags in 1 2 4 128; do
    if ((!(supported & flags))); then
        echo "libevent: backend $flags not supported here, skipped" >&2
        continue
    fi
    for p in "${programs[@]}"; do
        [[ -x $work/$p ]] && run "$p" "$flags" "$work/$p"
    done
    for c in "${cases[@]}"; do
        run "regress/$c" "$flags" "$work/regress_legacy" "$c"
    done
done
finish
