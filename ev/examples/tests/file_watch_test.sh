#!/bin/bash
# file_watch: a missing file is created, appended to, chmod'ed and removed, and each change is
# reported; with -n 1 the watcher exits 0 after the first change; SIGTERM exits 0.
. "$1" # lib.sh
watch=$(readlink -f "$2")
# Relative names (the directory is the current one), so that the patterns below hold no
# characters of the temporary directory's path.
mkdir -p "$WORK/files/dir"
cd "$WORK/files" || exit 1
dir=dir f=dir/watched.txt

start watch "$watch" "$f" "$dir"
wpid=$LAST_PID
wait_line "$WORK/watch.out" "^watching $f \\(missing\\)$"
wait_line "$WORK/watch.out" "^watching $dir \\(exists\\)$"
echo hello >"$f"
wait_line "$WORK/watch.out" "^$f: created"
printf 'more\n' >>"$f"
wait_line "$WORK/watch.out" "^$f: modified \\(.*size [0-9]+ -> 11"
chmod 600 "$f"
wait_line "$WORK/watch.out" "^$f: modified \\(.*mode [0-7]+ -> 600"
rm "$f"
wait_line "$WORK/watch.out" "^$f: deleted$"
# The directory saw its entries change (its mtime moved) at least once.
wait_line "$WORK/watch.out" "^$dir: modified"
kill -TERM "$wpid"
expect_exit "$wpid" 0
wait_line "$WORK/watch.out" '^stopped after [0-9]+ changes$' 5

# -n 1: the first change ends the program by itself (the watcher runs out of watchers).
g=once.txt
start once "$watch" -n 1 "$g"
opid=$LAST_PID
wait_line "$WORK/once.out" "^watching $g"
touch "$g"
expect_exit "$opid" 0
grep -q "^$g: created" "$WORK/once.out" || fail "-n 1: no creation reported"
grep -q '^stopped after 1 changes$' "$WORK/once.out" || fail "-n 1: no final line"
finish
