#!/bin/bash
# ev.h compiles cleanly as C89, C99, C11 and C++98 through C++20 with -Wall -Wextra -pedantic
# -Werror, at -O2 with -Werror=strict-aliasing (libev's own macros break that; ours must not).
set -u
hdr_dir=$(dirname "$(readlink -f "$1")") src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-O2 -Wall -Wextra -pedantic -Werror -Werror=strict-aliasing -Wstrict-aliasing=2 -I"$hdr_dir")
fail=0
for std in c89 c99 c11 gnu89 gnu11; do
    if gcc -std=$std "${flags[@]}" -x c -c "$src" -o "$work/o.o"; then echo "ok $std"; else
        echo "FAIL $std"; fail=1; fi
done
for std in c++98 c++11 c++14 c++17 c++20; do
    if g++ -std=$std "${flags[@]}" -x c++ -c "$src" -o "$work/o.o"; then echo "ok $std"; else
        echo "FAIL $std"; fail=1; fi
done
# EV_PROTOTYPES=0: types and macros only, no function declared (here a clash would be an error).
cat >"$work/noproto.c" <<'C'
#define EV_PROTOTYPES 0
#include <ev.h>
static int ev_run(int x) { return x; }
int main(void)
{
    ev_io w;
    ev_io_init(&w, 0, 0, EV_READ);
    return ev_run(ev_is_active(&w));
}
C
if gcc -std=c99 "${flags[@]}" -c "$work/noproto.c" -o "$work/o.o"; then echo "ok EV_PROTOTYPES=0"; else
    echo "FAIL EV_PROTOTYPES=0"; fail=1; fi
exit $fail
