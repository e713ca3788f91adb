#!/bin/bash
# scheduler: interval mode runs the job (and its command) the requested number of times at
# multiples of the interval; reschedule_cb mode runs on the local-time grid (offset included),
# and a daily 03:00 job is scheduled at 03:00 local time in a DST time zone; SIGTERM exits 0.
. "$1" # lib.sh
sched=$(readlink -f "$2")

# Interval mode: every 0.2 s, 3 runs, each running a command.
start interval "$sched" -i 0.2 -n 3 -c 'echo job ran'
expect_exit "$LAST_PID" 0
[[ $(count_lines "$WORK/interval.out" '^run [0-9]+ at ') -eq 3 ]] || fail "interval: 3 runs expected"
[[ $(count_lines "$WORK/interval.out" '^job ran$') -eq 3 ]] || fail "interval: 3 commands expected"
grep -q '^done after 3 runs$' "$WORK/interval.out" || fail "interval: no final line"
# Every scheduled time is offset + k * 0.2 s: its milliseconds are a multiple of 200.
bad=$(grep '^next run at' "$WORK/interval.out" | grep -Ev '\.(000|200|400|600|800)$')
[[ -z $bad ]] || fail "interval: off-grid times: $bad"

# reschedule_cb mode: every second from local midnight + 0.5 s, 2 runs.
start resched "$sched" -r -i 1 -o 0.5 -n 2
expect_exit "$LAST_PID" 0
[[ $(count_lines "$WORK/resched.out" '^run [0-9]+ at ') -eq 2 ]] || fail "reschedule: 2 runs expected"
bad=$(grep '^next run at' "$WORK/resched.out" | grep -Ev '\.500$')
[[ -z $bad ]] || fail "reschedule: off-grid times: $bad"

# Daily at 03:00 local time in a DST zone (a POSIX TZ rule, so no tzdata is needed): the
# reschedule_cb computes 03:00 local; interval mode means 03:00 UTC, 22:00 or 23:00 there.
tz='EST5EDT,M3.2.0,M11.1.0'
start daily env TZ="$tz" "$sched" -r -i 86400 -o 10800
wait_line "$WORK/daily.out" '^next run at '
grep -Eq '^next run at [0-9-]+ 03:00:00\.000$' "$WORK/daily.out" || fail "daily: not at 03:00 local"
kill -TERM "$LAST_PID"
expect_exit "$LAST_PID" 0
grep -q '^done after 0 runs$' "$WORK/daily.out" || fail "daily: no clean stop"
start daily_utc env TZ="$tz" "$sched" -i 86400 -o 10800
wait_line "$WORK/daily_utc.out" '^next run at '
grep -Eq '^next run at [0-9-]+ (22|23):00:00\.000$' "$WORK/daily_utc.out" ||
    fail "daily (interval mode): not at 03:00 UTC"
kill -INT "$LAST_PID"
expect_exit "$LAST_PID" 0
finish
