#!/bin/bash
# The generated libev.pc is well-formed and gives the expected flags.
set -u
pc=$(readlink -f "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$pc" "$dir/libev.pc"
if ! command -v pkg-config >/dev/null; then
    grep -q '^Libs: -L${libdir} -lev$' "$pc" && grep -q '^Version: 4.33$' "$pc" && echo ok && exit 0
    echo "FAIL: libev.pc content"; cat "$pc"; exit 1
fi
flags=$(PKG_CONFIG_PATH="$dir" pkg-config --define-variable=prefix=/opt/ev --cflags --libs libev | xargs)
version=$(PKG_CONFIG_PATH="$dir" pkg-config --modversion libev)
[ "$flags" = "-I/opt/ev/include -L/opt/ev/lib -lev" ] || { echo "FAIL: flags '$flags'"; exit 1; }
[ "$version" = 4.33 ] || { echo "FAIL: version '$version'"; exit 1; }
echo ok
