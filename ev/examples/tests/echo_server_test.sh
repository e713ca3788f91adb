#!/bin/bash
# echo_server: echoes (short messages and a 4 MB stream that needs back-pressure), closes an idle
# connection after its timeout (while an active one stays open), and exits 0 on SIGTERM and on
# SIGINT, closing the connections that are still open.
. "$1" # lib.sh
server=$(readlink -f "$2") client=$(readlink -f "$3")

for sig in TERM INT; do
    start "server_$sig" "$server" -p 0 -t 1
    spid=$LAST_PID
    port=$(listening_port "$WORK/server_$sig.out") || finish
    echo "SIG$sig run: server on port $port"
    "$client" "$port" send:hello "send:second line" big:4000000 send:bye >"$WORK/c1_$sig.out" ||
        fail "echo: $(cat "$WORK/c1_$sig.out")"
    # Idle timeout: a silent connection is closed by the server (1 s, waited for up to 120 s).
    "$client" "$port" send:ping eof >"$WORK/c2_$sig.out" || fail "idle: $(cat "$WORK/c2_$sig.out")"
    wait_line "$WORK/server_$sig.out" 'closed \(idle timeout\)'
    # Shutdown: a connection still open when the signal arrives is closed by the server.
    start "held_$sig" "$client" "$port" send:held eof
    hpid=$LAST_PID
    wait_line "$WORK/held_$sig.out" "^done send:held"
    kill "-$sig" "$spid"
    expect_exit "$spid" 0
    expect_exit "$hpid" 0
    wait_line "$WORK/server_$sig.out" '^bye$' 5
done
finish
