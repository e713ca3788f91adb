#!/bin/bash
# The examples compile warning-free: gcc -Wall -Wextra -Werror (plus -Wformat=2 -Wshadow), as
# -std=c11 and -std=gnu11, at -O0 and -O2 (some warnings need the optimiser).
set -u
inc=$(dirname "$(readlink -f "$1")")
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for src in "$@"; do
    for flags in "-std=c11 -O0" "-std=gnu11 -O2"; do
        # shellcheck disable=SC2086
        if gcc $flags -Wall -Wextra -Werror -Wformat=2 -Wshadow -I"$inc" -c "$src" \
            -o "$work/out.o" 2>"$work/err"; then
            echo "ok   ${src##*/} ($flags)"
        else
            echo "FAIL ${src##*/} ($flags)"
            sed 's/^/    /' "$work/err"
            fail=1
        fi
    done
done
exit $fail
