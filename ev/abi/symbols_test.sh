#!/bin/bash
# The shared library exports exactly libev 4.33's dynamic symbols plus ev's own extensions (the
# second list, ev_metrics_*), unversioned, SONAME libev.so.4, needing only libc;
# ev_default_loop_ptr is a plain global data object.
set -u
so=$1 expected=$2 extensions=${3:-/dev/null}
fail=0
[ "$(wc -l <"$expected")" = 97 ] || { echo "FAIL: $expected does not list 97 symbols"; fail=1; }
if grep -v '^ev_metrics_' "$extensions" | grep -q .; then
    echo "FAIL: $extensions lists a name outside ev_metrics_*"
    fail=1
fi
got=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
if ! diff <(sort "$expected" "$extensions") <(echo "$got"); then
    echo "FAIL: exported symbols differ from libev 4.33's + ev's extensions (< expected, > ours)"
    fail=1
fi
echo "$(echo "$got" | wc -l) symbols exported"
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libev.so.4 ] || { echo "FAIL: SONAME is '$soname'"; fail=1; }
needed=$(readelf -d "$so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
[ "$needed" = "libc.so.6 " ] || { echo "FAIL: NEEDED is '$needed', want only libc.so.6"; fail=1; }
if readelf --dyn-syms -W "$so" | awk '$7 != "UND"' | grep -q '@'; then
    echo "FAIL: defined symbols carry versions"
    fail=1
fi
readelf --dyn-syms -W "$so" | grep -E ' OBJECT +GLOBAL +DEFAULT .* ev_default_loop_ptr$' >/dev/null ||
    { echo "FAIL: ev_default_loop_ptr is not a global default-visibility object"; fail=1; }
[ $fail = 0 ] && echo "ok"
exit $fail
