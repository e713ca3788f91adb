#!/bin/bash
# The generated amalgamation embeds as the manual says: EV_STANDALONE + #include "ev.c" in one
# file, ev.h elsewhere; it compiles warning-free with gcc -Wall -Wextra (as C11, -O2), and as C++17.
set -u
amalg_c=$(readlink -f "$1") main_c=$2 other_c=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$amalg_c" "$(dirname "$amalg_c")/ev.h" "$work/"
cp "$main_c" "$other_c" "$work/"
cd "$work" || exit 1
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I. -o prog \
    "$(basename "$main_c")" "$(basename "$other_c")" -lpthread || { echo "FAIL: build"; exit 1; }
./prog || { echo "FAIL: run"; exit 1; }
# The manual's other promise: the core compiles with a C++ compiler.
g++ -std=c++17 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I. -o prog_cxx -x c++ \
    "$(basename "$main_c")" "$(basename "$other_c")" -lpthread || { echo "FAIL: build as C++"; exit 1; }
./prog_cxx || { echo "FAIL: run (C++ build)"; exit 1; }
echo ok
