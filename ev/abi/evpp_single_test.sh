#!/bin/bash
# ev++.h with EV_MULTIPLICITY=0 (one implicit loop, as libev's ev++.h allows): the header compiles
# as C++98 through C++20 with -Wall -Wextra -pedantic -Werror, and a C++17 program on it (timer
# with a method callback, idle with a function, io and async with lambdas, a moved watcher,
# loop_ref::once) runs against the amalgamation built the same way.
set -u
amalg_c=$(readlink -f "$1") evpp_h=$(readlink -f "$2") prog=$(readlink -f "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$amalg_c" "$(dirname "$amalg_c")/ev.h" "$(dirname "$amalg_c")/ev_metrics.h" "$evpp_h" "$work/"
cd "$work" || exit 1
fail=0
cat >hdr.cc <<'CC'
#include "ev++.h"
struct K {
    void m(ev::io &, int) {}
};
void f(ev::timer &, int) {}
int main()
{
    ev::default_loop l;
    ev::io w;
    K k;
    w.set<K, &K::m>(&k);
    ev::timer t;
    t.set<f>();
    t.start(0.);
    l.run(ev::NOWAIT);
    return ev::now() > 0 ? 0 : 1;
}
CC
for std in c++98 c++11 c++14 c++17 c++20; do
    if g++ -std=$std -Wall -Wextra -pedantic -Werror -DEV_MULTIPLICITY=0 -I. -c hdr.cc -o hdr.o; then
        echo "ok header $std"
    else
        echo "FAIL header $std"
        fail=1
    fi
done
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -DEV_STANDALONE=1 -DEV_MULTIPLICITY=0 \
    -c ev.c -o ev.o || { echo "FAIL: ev.c with EV_MULTIPLICITY=0"; exit 1; }
g++ -std=c++17 -O2 -Wall -Wextra -Werror -DEV_MULTIPLICITY=0 -I. -o prog "$prog" ev.o -lpthread ||
    { echo "FAIL: build the ev++ program"; exit 1; }
./prog || { echo "FAIL: run"; exit 1; }
exit $fail
