# Helpers for the example smoke tests (sourced). Every wait is generous (the test machine may be
# loaded); nothing asserts an upper bound on how long something took.
set -u
WORK=${TEST_TMPDIR:-$(mktemp -d)}
PIDS=()
FAILED=0

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    FAILED=1
}

# start NAME CMD...: runs CMD in the background, stdout in $WORK/NAME.out, stderr in NAME.err;
# its pid is left in $LAST_PID.
start() {
    local name=$1
    shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

# wait_line FILE REGEX [SECONDS]: waits until a line of FILE matches the extended REGEX.
wait_line() {
    local file=$1 re=$2 limit=${3:-120} i
    for ((i = 0; i < limit * 10; i++)); do
        grep -Eq -- "$re" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "no line matching '$re' in $file after ${limit}s; it holds:"
    sed 's/^/    | /' "$file"
    return 1
}

# count_lines FILE REGEX: the number of lines matching REGEX.
count_lines() {
    grep -Ec -- "$2" "$1" 2>/dev/null
}

# expect_exit PID STATUS [SECONDS]: waits for the background process PID to exit, and checks its
# exit status.
expect_exit() {
    local pid=$1 want=$2 limit=${3:-120} i status
    for ((i = 0; i < limit * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        fail "process $pid still running after ${limit}s"
        return 1
    fi
    wait "$pid"
    status=$?
    if [[ $status -ne $want ]]; then
        fail "process $pid exited with status $status, expected $want"
        return 1
    fi
    return 0
}

# scrape PORT: an HTTP GET on 127.0.0.1:PORT (bash's /dev/tcp, no client needed); the response
# goes to stdout.
scrape() {
    local fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd"
    timeout 60 cat <&"$fd"
    exec {fd}>&-
}

# metric_value FILE LINE-PREFIX: the value of the first sample line starting with LINE-PREFIX
# (a metric name with its labels), or nothing.
metric_value() {
    awk -v p="$2" 'index($0, p " ") == 1 { print $2; exit }' "$1"
}

# metrics_port FILE: the port of the "metrics on 127.0.0.1 port N" line.
metrics_port() {
    wait_line "$1" 'metrics on 127\.0\.0\.1 port [0-9]+' || return 1
    sed -n 's/^metrics on 127\.0\.0\.1 port \([0-9][0-9]*\).*/\1/p' "$1" | head -1
}

# listening_port FILE: the port of the "listening on ... port N" line.
listening_port() {
    wait_line "$1" 'listening on .* port [0-9]+' || return 1
    sed -n 's/^listening on .* port \([0-9][0-9]*\).*/\1/p' "$1" | head -1
}

finish() {
    local f
    for f in "$WORK"/*.out "$WORK"/*.err; do
        [[ -s $f ]] || continue
        echo "--- ${f##*/}"
        sed 's/^/    /' "$f"
    done
    if [[ $FAILED -ne 0 ]]; then
        echo FAILED
        exit 1
    fi
    echo PASSED
    exit 0
}
