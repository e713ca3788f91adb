#!/bin/bash
# mt_server: six concurrent clients (each a short echo and a 1 MB stream) are served by both
# worker threads; SIGTERM closes a connection still open, stops the workers, and exits 0. Then the
# same with -r (a SO_REUSEPORT listener per worker; which worker gets a connection is the
# kernel's choice, so only the echo and the shutdown are checked).
. "$1" # lib.sh
server=$(readlink -f "$2") client=$(readlink -f "$3")

run_server() {
    local m=$1 spid port cpids=() i hpid w
    start "server_$m" "$server" "${flags[@]}"
    spid=$LAST_PID
    port=$(listening_port "$WORK/server_$m.out") || return
    echo "$m: server on port $port"
    for i in 1 2 3 4 5 6; do
        start "client${i}_$m" "$client" "$port" "send:hello $i" big:1000000 "send:bye $i"
        cpids+=("$LAST_PID")
    done
    for i in 1 2 3 4 5 6; do expect_exit "${cpids[i - 1]}" 0; done
    if [[ $m == acceptor ]]; then # round robin: both workers
        for w in 0 1; do
            [[ $(count_lines "$WORK/server_$m.out" "^worker $w: connection") -ge 1 ]] ||
                fail "$m: worker $w served no connection"
        done
    fi
    [[ $(count_lines "$WORK/server_$m.out" '^worker [01]: connection') -eq 6 ]] ||
        fail "$m: 6 connections expected"
    # Metrics of every loop (the workers' read under their locks): Prometheus text and SIGUSR1.
    local mport io w
    mport=$(metrics_port "$WORK/server_$m.out") || return
    scrape "$mport" >"$WORK/scrape_$m.txt" || fail "$m: no answer on the metrics port"
    head -1 "$WORK/scrape_$m.txt" | grep -q '^HTTP/1.0 200 OK' || fail "$m: metrics not 200"
    for w in 0 1; do
        grep -q "^ev_loop_utilization{loop=\"worker-$w\"} " "$WORK/scrape_$m.txt" ||
            fail "$m: no utilization of worker $w"
    done
    io=$(($(metric_value "$WORK/scrape_$m.txt" 'ev_loop_events_total{loop="worker-0",type="io"}') + \
        $(metric_value "$WORK/scrape_$m.txt" 'ev_loop_events_total{loop="worker-1",type="io"}')))
    [[ $io -ge 12 ]] || fail "$m: $io io events in the workers, at least 2 per connection expected"
    kill -USR1 "$spid"
    for w in 0 1; do
        wait_line "$WORK/server_$m.out" "^metrics worker $w: utilization [0-9.]+%"
    done
    wait_line "$WORK/server_$m.out" '^metrics acceptor: utilization'
    start "held_$m" "$client" "$port" send:held eof
    hpid=$LAST_PID
    wait_line "$WORK/held_$m.out" '^done send:held'
    kill -TERM "$spid"
    expect_exit "$spid" 0
    expect_exit "$hpid" 0
    [[ $(count_lines "$WORK/server_$m.out" '^worker [01]: stopped after') -eq 2 ]] ||
        fail "$m: both workers should have stopped"
    wait_line "$WORK/server_$m.out" '^bye$' 5
}

for mode in acceptor reuseport; do
    flags=(-p 0 -w 2 --metrics-port 0)
    [[ $mode == reuseport ]] && flags+=(-r)
    run_server "$mode"
done
finish
echo "server on port $port"
cpids=()
for i in 1 2 3 4 5 6; do
    start "client$i" "$client" "$port" "send:hello $i" big:1000000 "send:bye $i"
    cpids+=("$LAST_PID")
done
for i in 1 2 3 4 5 6; do expect_exit "${cpids[i - 1]}" 0; done
for w in 0 1; do
    [[ $(count_lines "$WORK/server.out" "^worker $w: connection") -ge 1 ]] ||
        fail "worker $w served no connection"
done
start held "$client" "$port" send:held eof
hpid=$LAST_PID
wait_line "$WORK/held.out" '^done send:held'
kill -TERM "$spid"
expect_exit "$spid" 0
expect_exit "$hpid" 0
[[ $(count_lines "$WORK/server.out" '^worker [01]: stopped after') -eq 2 ]] ||
    fail "both workers should have stopped"
wait_line "$WORK/server.out" '^bye$' 5
finish
