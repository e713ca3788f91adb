#!/usr/bin/env python3
"""Drives the keep-alive benchmark servers (ev/bench/server_*.c) with wrk; see server_bench.sh.

Every round runs every connection count on every implementation, in a shuffled order, each
server a fresh process on a free loopback port; the table shows the median requests/s and the
median p99 latency over the rounds, and the median of the per-round ratios to libev 4.33.
"""
import argparse
import datetime
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time

IMPLS = [
    ("ev epoll", "server_ev", ["flags=4"]),
    ("ev io_uring", "server_ev", ["flags=128"]),
    ("ev linuxaio", "server_ev", ["flags=64"]),
    ("ev poll", "server_ev", ["flags=2"]),
    ("ev select", "server_ev", ["flags=1"]),
    ("libev 4.33", "server_libev", []),
    ("libuv", "server_uv", []),
    ("libevent 2.1", "server_event2", []),
]
BASE = "libev 4.33"


def latency_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        return None
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v


def run_one(bindir, impl, conns, seconds):
    name, prog, args = impl
    srv = subprocess.Popen([os.path.join(bindir, prog)] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        line = srv.stdout.readline()
        m = re.match(r"port (\d+)", line)
        if not m:
            raise RuntimeError("%s did not start: %s %s" % (name, line, srv.stderr.read()))
        url = "http://127.0.0.1:%s/" % m.group(1)
        p = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--latency", url],
                           capture_output=True, text=True, timeout=seconds + 60)
        rps = p99 = None
        errors = 0
        for l in p.stdout.splitlines():
            l = l.strip()
            if l.startswith("Requests/sec:"):
                rps = float(l.split()[1])
            elif l.startswith("99%"):
                p99 = latency_ms(l.split()[1])
            elif l.startswith("Socket errors:") or l.startswith("Non-2xx"):
                errors += 1
        if rps is None or p99 is None:
            raise RuntimeError("%s: wrk output not understood:\n%s%s" % (name, p.stdout, p.stderr))
        return rps, p99, errors
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--conns", default="10,100,1000")
    a = ap.parse_args()
    conns = [int(c) for c in a.conns.split(",")]
    res = {}  # res[conns][impl] = [(rps, p99, errors)]
    for r in range(a.rounds):
        print("server_bench: round %d/%d" % (r + 1, a.rounds), file=sys.stderr)
        for c in conns:
            order = list(IMPLS)
            random.shuffle(order)
            for impl in order:
                res.setdefault(c, {}).setdefault(impl[0], []).append(
                    run_one(a.bin_dir, impl, c, a.seconds))
    lines = ["| connections | implementation | requests/s | vs libev | p99 latency (ms) | vs libev |",
             "|---:|---|---:|---:|---:|---:|"]
    out = {"date": datetime.date.today().isoformat(), "rounds": a.rounds, "seconds": a.seconds,
           "results": {}}
    for c in conns:
        base = res[c][BASE]
        for name, _, _ in IMPLS:
            runs = res[c][name]
            rps = statistics.median(x[0] for x in runs)
            p99 = statistics.median(x[1] for x in runs)
            rr = statistics.median(x[0] / b[0] for x, b in zip(runs, base))
            rl = statistics.median(x[1] / b[1] for x, b in zip(runs, base))
            errs = sum(x[2] for x in runs)
            lines.append("| %d | %s | %.0f | %.2f | %.2f | %.2f |%s" % (
                c, name, rps, rr, p99, rl, " (errors reported)" if errs else ""))
            out["results"].setdefault(str(c), {})[name] = {
                "rps": rps, "p99_ms": p99, "rps_ratio": rr, "p99_ratio": rl,
                "runs": [list(x) for x in runs]}
    table = "\n".join(lines)
    print(table)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "server.md"), "w") as f:
        f.write("# HTTP keep-alive server benchmark (%s, %d rounds of %d s, wrk -t1 on loopback)\n\n"
                % (out["date"], a.rounds, a.seconds))
        f.write(table + "\n")
    with open(os.path.join(a.out, "server.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
