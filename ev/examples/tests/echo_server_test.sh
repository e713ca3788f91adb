#!/bin/bash
# echo_server: echoes (short messages and a 4 MB stream that needs back-pressure); closes a silent
# connection after its idle timeout; exits 0 on SIGTERM and on SIGINT, closing the connections
# that are still open. The echo runs use a long idle timeout (120 s), so that a loaded machine
# cannot turn a stall into a timeout; the idle run uses 1 s and waits for it as long as it takes.
. "$1" # lib.sh
server=$(readlink -f "$2") client=$(readlink -f "$3")

for sig in TERM INT; do
    start "server_$sig" "$server" -p 0 -t 120
    spid=$LAST_PID
    port=$(listening_port "$WORK/server_$sig.out") || finish
    echo "SIG$sig run: server on port $port"
    "$client" "$port" send:hello "send:second line" big:4000000 send:bye >"$WORK/c1_$sig.out" ||
        fail "echo: $(cat "$WORK/c1_$sig.out")"
    wait_line "$WORK/server_$sig.out" 'connection 1 closed \(end of file\)'
    # Shutdown: a connection still open when the signal arrives is closed by the server.
    start "held_$sig" "$client" "$port" send:held eof
    hpid=$LAST_PID
    wait_line "$WORK/held_$sig.out" "^done send:held"
    kill "-$sig" "$spid"
    expect_exit "$spid" 0
    expect_exit "$hpid" 0
    grep -q 'connection 2 closed (shutdown)' "$WORK/server_$sig.out" || fail "held: not closed"
    wait_line "$WORK/server_$sig.out" '^bye$' 5
done

# Metrics: SIGUSR1 prints the loop's, and --metrics-port serves them as Prometheus text.
start server_metrics "$server" -p 0 -t 120 --metrics-port 0
spid=$LAST_PID
port=$(listening_port "$WORK/server_metrics.out") || finish
mport=$(metrics_port "$WORK/server_metrics.out") || finish
"$client" "$port" send:one send:two >"$WORK/c_metrics.out" || fail "metrics echo"
wait_line "$WORK/server_metrics.out" 'connection 1 closed \(end of file\)'
scrape "$mport" >"$WORK/scrape.txt" || fail "no answer on the metrics port"
head -1 "$WORK/scrape.txt" | grep -q '^HTTP/1.0 200 OK' || fail "metrics: not 200"
grep -q '^# TYPE ev_loop_idle_seconds_total counter' "$WORK/scrape.txt" || fail "metrics: no TYPE"
io=$(metric_value "$WORK/scrape.txt" 'ev_loop_events_total{type="io"}')
[[ -n $io && $io -ge 4 ]] || fail "metrics: io events '$io' (accept, 2 reads, end of file)"
it=$(metric_value "$WORK/scrape.txt" 'ev_loop_iterations_total')
[[ -n $it && $it -ge 1 ]] || fail "metrics: iterations '$it'"
kill -USR1 "$spid"
wait_line "$WORK/server_metrics.out" '^metrics loop: utilization [0-9.]+%'
kill -TERM "$spid"
expect_exit "$spid" 0

# Idle timeout: the server closes a connection that stays silent for a second.
start server_idle "$server" -p 0 -t 1
spid=$LAST_PID
port=$(listening_port "$WORK/server_idle.out") || finish
"$client" "$port" send:ping eof >"$WORK/c_idle.out" || fail "idle: $(cat "$WORK/c_idle.out")"
wait_line "$WORK/server_idle.out" 'connection 1 closed \(idle timeout\)'
kill -TERM "$spid"
expect_exit "$spid" 0
finish
