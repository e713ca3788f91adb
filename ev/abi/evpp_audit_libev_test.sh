#!/bin/bash
# The ev++ audit program (ev/tests/cpp/evpp_audit.cc: every spelling of libev 4.33's ev++.h)
# against libev itself and with EV_MULTIPLICITY=0, C++98 through C++20:
#  1. built on Debian's /usr/include/ev++.h and run on Debian's libev.so: the program uses libev's
#     spellings only, and what it checks is libev's behaviour (libev's header needs
#     EV_USE_STDEXCEPT=0 as C++98: its bad_loop::what() lacks throw());
#  2. with EV_MULTIPLICITY=0: built and run on ours (the amalgamation built the same way), and
#     compiled on libev's header (Debian's library has multiplicity, so no run);
#  3. ours only: ev++.h includes the ev.h next to it first (as libev's does); a callable that
#     cannot be called as (W &, int), (int) or () is refused by set(callable) with the
#     static_assert's message, C++11 through C++20.
set -u
amalg_c=$(readlink -f "$1") evpp_h=$(readlink -f "$2") prog=$(readlink -f "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/ours" "$work/libev"
cp "$amalg_c" "$(dirname "$amalg_c")/ev.h" "$(dirname "$amalg_c")/ev_metrics.h" "$evpp_h" "$work/ours/"
cp "$prog" "$work/libev/evpp_audit.cc" # a directory without ev.h/ev++.h: <ev++.h> is libev's
fail=0
ok() { echo "ok $*"; }
bad() {
    echo "FAIL $*"
    fail=1
}
stds="c++98 c++11 c++14 c++17 c++20"
flags="-Wall -Wextra -pedantic -Werror"

if [[ ! -f /usr/include/ev++.h ]]; then
    echo "FAIL: /usr/include/ev++.h missing (Debian's libev-dev, installed by tools/bazel)"
    exit 1
fi
cd "$work/libev" || exit 1
for std in $stds; do
    stdexcept=1
    [[ $std == c++98 ]] && stdexcept=0
    if g++ -std=$std $flags -DEV_USE_STDEXCEPT=$stdexcept -o "audit_$std" evpp_audit.cc -lev; then
        if ./"audit_$std"; then ok "libev $std: built on libev's ev++.h, ran on libev.so"; else bad "libev $std: run"; fi
    else
        bad "libev $std: build on libev's ev++.h"
    fi
    if g++ -std=$std $flags -DEV_USE_STDEXCEPT=$stdexcept -DEV_MULTIPLICITY=0 -c evpp_audit.cc -o single.o; then
        ok "libev $std EV_MULTIPLICITY=0: compiles on libev's ev++.h"
    else
        bad "libev $std EV_MULTIPLICITY=0: compile on libev's ev++.h"
    fi
done

cd "$work/ours" || exit 1
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -DEV_STANDALONE=1 -DEV_MULTIPLICITY=0 \
    -c ev.c -o ev.o || { echo "FAIL: ev.c with EV_MULTIPLICITY=0"; exit 1; }
for std in $stds; do
    if g++ -std=$std $flags -DEV_MULTIPLICITY=0 -I. -o "single_$std" "$prog" ev.o -lpthread; then
        if ./"single_$std"; then ok "ours $std EV_MULTIPLICITY=0"; else bad "ours $std EV_MULTIPLICITY=0: run"; fi
    else
        bad "ours $std EV_MULTIPLICITY=0: build"
    fi
done
if g++ -std=c++98 $flags -DEV_USE_STDEXCEPT=0 -I. -c "$prog" -o nostdexcept.o; then
    ok "ours c++98 EV_USE_STDEXCEPT=0"
else
    bad "ours c++98 EV_USE_STDEXCEPT=0"
fi

# ev++.h finds the ev.h next to it first (as libev's does), not the system's (libev's) ev.h.
mkdir inc && cp ev.h ev_metrics.h ev++.h inc/
cat >beside.cc <<'CC'
#include "inc/ev++.h"
#ifndef EV_IS_CLEANROOM_EV
#error "ev++.h included an ev.h other than the one next to it"
#endif
int main() {}
CC
if g++ -std=c++11 -c beside.cc -o beside.o; then
    ok "ev++.h includes the ev.h next to it"
else
    bad "ev++.h includes the ev.h next to it"
fi

cat >wrong.cc <<'CC'
#include "ev++.h"
int main()
{
    ev::timer t;
    t.set([](ev::io &, int) {}); // an io callback on a timer
}
CC
for std in c++11 c++14 c++17 c++20; do
    if g++ -std=$std -I. -c wrong.cc -o wrong.o 2>err.txt; then
        bad "$std: a callable of the wrong signature compiled"
    elif grep -q 'static assert.*ev++: w.set(callable): the callable must be callable as' err.txt; then
        ok "$std: a callable of the wrong signature is refused by the static_assert"
    else
        cat err.txt
        bad "$std: no static_assert message for a callable of the wrong signature"
    fi
done
exit $fail
