#!/usr/bin/env bash
# --run_under wrapper of --config=windows (and the runner of //ev/win's tests): runs a Windows
# program under wine64 in a private, throw-away wine prefix (its first start takes 10-20 s; no
# display is needed). The program's exit status is the wrapper's.
# Anything that is not a Windows program (no "MZ" header) runs as it is.
set -uo pipefail
if [[ $(head -c 2 "$1" 2>/dev/null) != MZ ]]; then
    exec "$@"
fi
WINE=${WINE64:-/usr/lib/wine/wine64}
if [[ ! -x $WINE ]]; then
    echo "wine.sh: $WINE not found (Debian: wine64; tools/bazel installs it)" >&2
    exit 1
fi
prefix=$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/wine.XXXXXX")
export WINEPREFIX=$prefix/prefix
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export HOME=$prefix
wineserver=$(dirname "$WINE")/wineserver
cleanup() {
    "$wineserver" -k >/dev/null 2>&1 || true
    rm -rf "$prefix"
}
trap cleanup EXIT
# wine prints its prefix set-up messages on stderr: keep them out of the program's output.
"$WINE" "$@" 2> >(grep -v -e 'rundll32.exe' -e 'configuration in' -e 'created the configuration' >&2)
rc=$?
exit $rc
