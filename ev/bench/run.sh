#!/usr/bin/env bash
# The benchmark, in one command: ev/bench/run.sh [--rounds N] [--no-callgrind]
# 1. installs the peers from Debian if missing (libev-dev, libevent-dev, libuv1-dev, valgrind,
#    strace); libev-libevent-dev's event.h would clash with libevent-dev's, so it is unpacked
#    into a private directory instead of being installed;
# 2. builds ev optimised with Bazel (//ev:libev_static, //ev:libev.so.4) and the benchmark
#    programs with gcc -O2 against each library;
# 3. runs ev/bench/run.py, which prints the table and writes ev/bench/results/{results.md,
#    results.json,chart.svg}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
out_bin=${EV_BENCH_BIN:-${TMPDIR:-/tmp}/ev-bench}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ev-bench
mkdir -p "$out_bin" "$cache"

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo -n); fi
need=()
for p in libev-dev libevent-dev libuv1-dev valgrind strace gcc; do
    case "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" in
        ii*) ;;
        *) need+=("$p") ;;
    esac
done
if ((${#need[@]})); then
    echo "bench: installing ${need[*]}" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" </dev/null >&2
fi
emu=$cache/libev-libevent
if [[ ! -f $emu/usr/include/event.h ]]; then
    echo "bench: unpacking libev-libevent-dev into $emu" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download libev-libevent-dev >/dev/null 2>&1) || {
        echo "bench: apt-get download libev-libevent-dev failed" >&2
        exit 1
    }
    rm -rf "$emu"
    dpkg -x "$tmp"/libev-libevent-dev_*.deb "$emu"
    rm -rf "$tmp"
fi

tools/bazel build -c opt //ev:libev_static //ev:libev.so.4 >&2
bin=$(tools/bazel info -c opt bazel-bin 2>/dev/null)
dropin=$out_bin/dropin
mkdir -p "$dropin"
cp -f "$bin/ev/libev.so.4" "$dropin/libev.so.4"

S=ev/bench
CC=(gcc -O2 -Wall -Wextra -Wno-unused-parameter)
"${CC[@]}" -Iev/core -o "$out_bin/ev_native" $S/bench_ev.c "$bin/ev/libev.a" -lpthread -lm
"${CC[@]}" -Iev/core -Iev/compat -o "$out_bin/ev_shim" $S/bench_event.c "$bin/ev/libev.a" -lpthread -lm
# The system's libev: /usr/include/ev.h (no -I to ev/core), linked with -lev.
"${CC[@]}" -o "$out_bin/libev_native" $S/bench_ev.c -lev
# Like for like: libev's static library beside ev's (ev_native is linked with ev's libev.a).
"${CC[@]}" -o "$out_bin/libev_static" $S/bench_ev.c /usr/lib/x86_64-linux-gnu/libev.a -lm
"${CC[@]}" -I"$emu/usr/include" -o "$out_bin/libev_emu" $S/bench_event.c -lev
"${CC[@]}" -o "$out_bin/libevent" $S/bench_event.c -levent_core
"${CC[@]}" -o "$out_bin/libuv" $S/bench_uv.c -luv
"${CC[@]}" -o "$out_bin/epoll" $S/bench_epoll.c

exec python3 $S/run.py --bin-dir "$out_bin" --dropin-dir "$dropin" --out "$root/$S/results" "$@"
