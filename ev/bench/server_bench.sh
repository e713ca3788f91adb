#!/usr/bin/env bash
# The HTTP/1.1 keep-alive server benchmark, in one command:
#   ev/bench/server_bench.sh [--rounds N] [--seconds S] [--conns 10,100,1000]
# Builds the same small server (ev/bench/server.h) on ev's native API (once per Linux backend),
# on libev 4.33, on libuv and on libevent 2.1 (all static, -O2), then drives each with
# `wrk --latency` on loopback (one wrk thread: the server gets the other core), libraries
# interleaved in a shuffled order every round, and prints/writes the table of requests/s and p99
# latency (medians over rounds) to ev/bench/results/server.{md,json}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
out_bin=${EV_BENCH_BIN:-${TMPDIR:-/tmp}/ev-server-bench}
mkdir -p "$out_bin"

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo -n); fi
need=()
for p in libev-dev libevent-dev libuv1-dev wrk gcc; do
    case "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" in
        ii*) ;;
        *) need+=("$p") ;;
    esac
done
if ((${#need[@]})); then
    echo "server_bench: installing ${need[*]}" >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" </dev/null >&2
fi

tools/bazel build -c opt //ev:libev_static >&2
bin=$(tools/bazel info -c opt bazel-bin 2>/dev/null)
lib=/usr/lib/$(gcc -print-multiarch)
S=ev/bench
CC=(gcc -O2 -Wall -Wextra -Wno-unused-parameter)
"${CC[@]}" -Iev/core -o "$out_bin/server_ev" $S/server_ev.c "$bin/ev/libev.a" -lpthread -lm
"${CC[@]}" -o "$out_bin/server_libev" $S/server_ev.c "$lib/libev.a" -lm
if [[ -f $lib/libuv_a.a ]]; then
    "${CC[@]}" -o "$out_bin/server_uv" $S/server_uv.c "$lib/libuv_a.a" -lpthread -ldl
else
    "${CC[@]}" -o "$out_bin/server_uv" $S/server_uv.c -luv
fi
"${CC[@]}" -o "$out_bin/server_event2" $S/server_event2.c "$lib/libevent_core.a" -lpthread

exec python3 $S/server_bench.py --bin-dir "$out_bin" --out "$root/$S/results" "$@"
