#!/usr/bin/env bash
# Smoke test of the benchmark server (server_ev): three pipelined GETs, split across two writes
# in the middle of a request terminator, get three 200 responses; the connection is then closed
# by the 1 s idle timeout (the read ends with EOF instead of waiting for the test's timeout).
set -euo pipefail
srv=ev/bench/server_ev
out=$(mktemp)
"$srv" idle=1 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q '^port ' "$out" && break
    sleep 0.05
done
port=$(sed -n 's/^port //p' "$out")
[[ -n $port ]] || { echo "server did not start"; exit 1; }
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r' >&3
sleep 0.1
printf '\nGET / HTTP/1.1\r\nHost: x\r\n\r\n' >&3
start=$SECONDS
reply=$(timeout 20 cat <&3) || { echo "the idle connection was not closed"; exit 1; }
n=$(grep -o 'HTTP/1.1 200 OK' <<<"$reply" | wc -l)
if [[ $n -ne 3 ]]; then
    echo "expected 3 responses, got $n:"
    echo "$reply"
    exit 1
fi
echo "ok: 3 pipelined responses, closed after $((SECONDS - start)) s idle"
