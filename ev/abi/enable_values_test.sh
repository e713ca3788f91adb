#!/bin/bash
# After configuration, ev.h exposes libev's values: for each embedding configuration below,
# enable_values_prog.c is built against Debian's ev.h (libev 4.33, the reference), against ours,
# and with our amalgamated ev.c included (EV_STANDALONE), and the three outputs must be the same:
# the EV_*_ENABLE values (e.g. EV_PREPARE_ENABLE 1, not EV_FEATURE_WATCHERS, when an embed
# watcher forces it on; EV_EMBED_ENABLE undefined without EV_MULTIPLICITY), and the watcher sizes.
# Skipped (with a message) only when Debian's libev-dev is not installed.
set -u
amalg_dir=$(dirname "$(readlink -f "$1")") prog=$(readlink -f "$2")
if [ ! -f /usr/include/ev.h ]; then
    echo "SKIPPED: Debian's libev-dev is not installed (apt-get install libev-dev)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/debian" "$work/ours"
cp /usr/include/ev.h "$work/debian/"
cp "$amalg_dir/ev.c" "$amalg_dir/ev.h" "$work/ours/"
cp "$prog" "$work/"
cd "$work" || exit 1
fail=0 n=0
config() {
    local name=$1
    shift
    printf '%s\n' "$@" >"$name.h"
    n=$((n + 1))
    local ok=1 kind
    for kind in debian ours ours_ev_c; do
        local flags=(-DEV_HEADER_PATH='"ev.h"' -I"debian")
        case $kind in
            ours) flags=(-DEV_HEADER_PATH='"ev.h"' -I"ours") ;;
            ours_ev_c) flags=(-DINCLUDE_EV_C -I"ours") ;;
        esac
        if ! gcc -std=gnu11 -w "${flags[@]}" -include "$name.h" -o "$name.$kind" \
            enable_values_prog.c -lpthread -lm 2>"$name.$kind.err"; then
            echo "FAIL $name: does not compile ($kind)"
            head -5 "$name.$kind.err"
            ok=0
            continue
        fi
        ./"$name.$kind" >"$name.$kind.out" || { echo "FAIL $name: $kind did not run"; ok=0; }
    done
    if ((ok)); then
        for kind in ours ours_ev_c; do
            if ! diff "$name.debian.out" "$name.$kind.out" >"$name.$kind.diff"; then
                echo "FAIL $name: $kind differs from libev's header (< libev, > $kind)"
                cat "$name.$kind.diff"
                ok=0
            fi
        done
    fi
    if ((ok)); then
        echo "ok   $name: $(grep -E '^EV_(PREPARE|EMBED|IO)_ENABLE' "$name.ours.out" | tr -s ' ' | paste -sd ' ')"
    else
        fail=1
    fi
}
config default ''
config features0 '#define EV_FEATURES 0'
config features3 '#define EV_FEATURES 3' '#define EV_MULTIPLICITY 1'
config multiplicity0 '#define EV_MULTIPLICITY 0'
config embed_forces_prepare '#define EV_PREPARE_ENABLE 0'
config embed_without_fork '#define EV_FORK_ENABLE 0'
config no_embed '#define EV_EMBED_ENABLE 0' '#define EV_PREPARE_ENABLE 0'
config small_with_embed '#define EV_FEATURES 0' '#define EV_MULTIPLICITY 1' '#define EV_EMBED_ENABLE 1'
config small_with_child '#define EV_FEATURES 0' '#define EV_CHILD_ENABLE 1'
config no_cleanup '#define EV_CLEANUP_ENABLE 0'
config watchers_only '#define EV_FEATURES 16'
config one_priority '#define EV_MINPRI 0' '#define EV_MAXPRI 0'
# Not compared: EV_MINIMAL, which libev 4.33 ignores and ev maps to EV_FEATURES 0 (a deliberate
# difference, see README; //ev/abi:minimal_size_test).
echo "$n configurations"
exit $fail
