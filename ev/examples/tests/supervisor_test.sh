#!/bin/bash
# supervisor: restarts `false` with doubling delays (capped by -m) and gives up after -n restarts
# (exit 1); a healthy run (-s) resets the delay; SIGTERM is passed on to a running child and the
# supervisor exits 0; SIGTERM while a restart is pending exits 0 at once.
. "$1" # lib.sh
sup=$(readlink -f "$2")

start false_cmd "$sup" -b 0.05 -m 0.15 -s 1000 -n 4 -- false
expect_exit "$LAST_PID" 1
out="$WORK/false_cmd.out"
[[ $(count_lines "$out" '^started pid [0-9]+ \(run [0-9]+\)$') -eq 5 ]] || fail "false: 5 runs expected"
[[ $(count_lines "$out" '^pid [0-9]+ exited with status 1$') -eq 5 ]] || fail "false: 5 exits expected"
delays=$(sed -n 's/^restart [0-9]* in \(.*\) s$/\1/p' "$out" | tr '\n' ' ')
[[ $delays == '0.050 0.100 0.150 0.150 ' ]] || fail "false: delays '$delays'"
grep -q '^giving up after 4 restarts$' "$out" || fail "false: did not give up"

# Runs of at least -s seconds are healthy: the delay stays at -b.
start healthy "$sup" -b 0.05 -s 0.2 -n 2 -- sh -c 'sleep 0.3; exit 2'
expect_exit "$LAST_PID" 1
delays=$(sed -n 's/^restart [0-9]* in \(.*\) s$/\1/p' "$WORK/healthy.out" | tr '\n' ' ')
[[ $delays == '0.050 0.050 ' ]] || fail "healthy: delays '$delays'"

# SIGTERM with the child running: it gets the signal, the supervisor exits 0.
start running "$sup" -- sleep 300
spid=$LAST_PID
wait_line "$WORK/running.out" '^started pid'
kill -TERM "$spid"
expect_exit "$spid" 0
grep -q '^pid [0-9]* killed by signal 15$' "$WORK/running.out" || fail "running: child not stopped"

# SIGINT while a restart is pending (100 s away): exits 0 without starting the command again.
start pending "$sup" -b 100 -m 100 -- false
spid=$LAST_PID
wait_line "$WORK/pending.out" '^restart 1 in 100.000 s$'
kill -INT "$spid"
expect_exit "$spid" 0
[[ $(count_lines "$WORK/pending.out" '^started pid') -eq 1 ]] || fail "pending: restarted"
finish
