#!/usr/bin/env python3
"""Runs the ev benchmarks against libev 4.33, libevent 2.1, libuv and a bare epoll loop.

Called by ev/bench/run.sh, which builds the programs first. Wall time: every round runs every
test on every implementation, in a shuffled order, one process each; the table shows the median
over rounds and the median of the per-round ratios to libev 4.33 (the machine is shared and
noisy: a ratio taken inside one round cancels most of the drift). Instructions: every program
runs once more under callgrind with collection switched on only inside the measured regions.

Writes <out>/results.md (the table), <out>/results.json and <out>/chart.svg.
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile

# name -> (program, extra environment)
IMPLS = [
    ("ev", "ev_native", {}),
    ("ev io_uring", "ev_native", {"ARGS": ["flags=128"]}),  # EVBACKEND_IOURING, on request
    # issue 17: the same program with loop metrics on (ev_metrics.h; the default loop reads it)
    ("ev metrics on", "ev_native", {"ENV": {"LIBEV_METRICS": "1"}}),
    ("ev linuxaio", "ev_native", {"ARGS": ["flags=64"]}),  # EVBACKEND_LINUXAIO, on request
    ("ev (libev.so.4 drop-in)", "libev_native", {"DROPIN": "1"}),
    ("ev libevent shim", "ev_shim", {}),
    ("libev 4.33", "libev_native", {}),
    ("libev 4.33 static", "libev_static", {}),  # /usr/lib/x86_64-linux-gnu/libev.a
    ("libev libevent emulation", "libev_emu", {}),
    ("libevent 2.1", "libevent", {}),
    ("libuv", "libuv", {}),
    ("raw epoll", "epoll", {}),
    # the idle-timeout reset rows only: the benchmark's loop touching each watcher as little as
    # any ev_timer_again must, with no library (the memory floor of those rows)
    ("memory floor (no library)", "ev_native", {"ARGS": ["floor=1"]}),
]
BASE = "libev 4.33"
# Like for like (issue 16): ev and libev linked the same way.
LIKE = [("static", "ev", "libev 4.33 static"), ("shared", "ev (libev.so.4 drop-in)", "libev 4.33")]
# System calls per loop iteration and per re-registration, for every backend of ev's and libev's.
SC_BACKENDS = [("epoll", 4), ("poll", 2), ("select", 1), ("io_uring", 128), ("linuxaio", 64)]

# (row label, test arguments, metrics reported by the program)
CLASSIC = []
for n in (100, 1000, 10000):
    for t in (0, 1):
        CLASSIC.append(("classic N=%d%s" % (n, " +timeouts" if t else ""),
                        ["classic", "n=%d" % n, "t=%d" % t], ["setup", "events"]))
TESTS = CLASSIC + [
    # restart: the same starts again once the heap has grown (ev API programs only)
    ("timers 1M", ["timers", "n=1000000"], ["start", "stop", "restart"]),
    ("again 100k", ["again", "n=100000", "iters=5"], ["again"]),
    ("reset 1k", ["reset", "n=1000", "resets=2000000"], ["reset"]),
    ("reset 100k", ["reset", "n=100000", "resets=2000000"], ["reset"]),
    ("reset 1M", ["reset", "n=1000000", "resets=2000000"], ["reset"]),
    ("idle 1M", ["idle", "n=1000000"], ["idle"]),
    ("ready fd 1M", ["ready", "n=1000000"], ["ready"]),
]
# Smaller sizes under callgrind (instructions per operation do not depend much on the count).
CG_TESTS = [
    ("classic N=1000", ["classic", "n=1000", "t=0", "reps=2"], ["setup", "events"]),
    ("classic N=1000 +timeouts", ["classic", "n=1000", "t=1", "reps=2"], ["setup", "events"]),
    ("timers 100k", ["timers", "n=100000"], ["start", "stop", "restart"]),
    ("again 20k", ["again", "n=20000", "iters=3"], ["again"]),
    ("reset 1k", ["reset", "n=1000", "resets=200000"], ["reset"]),
    ("reset 100k", ["reset", "n=100000", "resets=200000"], ["reset"]),
    ("idle 20k", ["idle", "n=20000"], ["idle"]),
    ("ready fd 20k", ["ready", "n=20000"], ["ready"]),
]
# Targets from issue 8: instructions relative to libev 4.33.
TARGETS = {
    ("classic N=1000", "events"): 0.8,
    ("classic N=1000", "setup"): 0.8,
    ("timers 100k", "start"): 0.9,
    ("timers 100k", "stop"): 0.9,
    ("again 20k", "again"): 0.9,
    # issue 16: O(1) idle-timeout resets (instructions; wall-time targets are in the notes)
    ("reset 1k", "reset"): 0.7,
    ("reset 100k", "reset"): 0.3,
    ("classic N=1000 +timeouts", "events"): 0.6,  # io event with a timeout reset
    ("idle 20k", "idle"): 0.7,
    ("ready fd 20k", "ready"): 0.7,
}


def parse(out):
    vals = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                vals[parts[0]] = float(parts[1])
            except ValueError:
                vals[parts[0]] = parts[1]
    return vals


class Runner:
    def __init__(self, bindir, dropin_dir):
        self.bindir = bindir
        self.dropin_dir = dropin_dir

    def cmd_env(self, impl):
        name, prog, extra = impl
        env = dict(os.environ)
        if extra.get("DROPIN"):
            env["LD_LIBRARY_PATH"] = self.dropin_dir
        env.update(extra.get("ENV", {}))
        return [os.path.join(self.bindir, prog)], env

    def run(self, impl, args, wrapper=(), timeout=300):
        cmd, env = self.cmd_env(impl)
        args = list(args) + impl[2].get("ARGS", [])
        p = subprocess.run(list(wrapper) + cmd + args, env=env, capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode == 3:
            return None  # the test does not apply to this API
        if p.returncode != 0:
            raise RuntimeError("%s %s failed (%d): %s" % (impl[0], " ".join(args), p.returncode,
                                                         p.stderr.strip()))
        return p


def wall_rounds(runner, rounds, log):
    """results[label][metric][impl] = [ns per op, one per round]"""
    res = {}
    for r in range(rounds):
        log("round %d/%d" % (r + 1, rounds))
        for label, args, metrics in TESTS:
            order = list(IMPLS)
            random.shuffle(order)
            for impl in order:
                p = runner.run(impl, args)
                if p is None:
                    continue
                vals = parse(p.stdout)
                for m in metrics:
                    if "ns." + m not in vals:
                        continue  # a metric only some programs report
                    res.setdefault(label, {}).setdefault(m, {}).setdefault(impl[0], []).append(
                        vals["ns." + m])
    return res


def callgrind(runner, log):
    """res[label][metric][impl] = instructions per op"""
    res = {}
    for label, args, metrics in CG_TESTS:
        log("callgrind: " + label)
        for impl in IMPLS:
            with tempfile.TemporaryDirectory() as d:
                p = runner.run(impl, args, wrapper=[
                    "valgrind", "--tool=callgrind", "--collect-atstart=no",
                    "--callgrind-out-file=" + os.path.join(d, "cg.%p")], timeout=900)
                if p is None:
                    continue
                vals = parse(p.stdout)
                last = {}
                for f in sorted(os.listdir(d), key=lambda s: [int(x) for x in re.findall(r"\d+", s)]):
                    text = open(os.path.join(d, f)).read()
                    m = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
                    t = re.search(r"^totals: (\d+)", text, re.M)
                    if m and t:
                        last[m.group(1)] = int(t.group(1))  # the last repetition wins
                for m in metrics:
                    ops = vals.get("ops." + m)
                    if m in last and ops:
                        res.setdefault(label, {}).setdefault(m, {})[impl[0]] = last[m] / ops
    return res


def strace_count(runner, impl, args):
    with tempfile.NamedTemporaryFile() as f:
        try:
            p = runner.run(impl, args, wrapper=["strace", "-f", "-c", "-o", f.name])
        except RuntimeError:
            return None  # e.g. a backend this build of the library lacks
        if p is None:
            return None
        total = 0
        for line in open(f.name):
            m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
            if m and m.group(2) != "total":
                total += int(m.group(1))
        return total


def syscalls(runner, log):
    """syscalls per iteration (idle, ready) and per re-registration (rereg, less the same
    program's registration alone) from strace -c, for every implementation and, on the ev API,
    for every backend of ev and of libev 4.33"""
    res = {}
    impls = list(IMPLS)
    for bname, flag in SC_BACKENDS:
        impls.append(("ev " + bname + " ", "ev_native", {"ARGS": ["flags=%d" % flag]}))
        impls.append(("libev 4.33 " + bname + " ", "libev_native", {"ARGS": ["flags=%d" % flag]}))
    for impl in impls:
        for label, args in (("idle", ["idle", "n=20000"]), ("ready", ["ready", "n=20000"])):
            c = strace_count(runner, impl, args)
            if c is not None:
                res.setdefault(label, {})[impl[0]] = c / 20000.0
        a = strace_count(runner, impl, ["rereg", "n=1000", "reps=20"])
        b = strace_count(runner, impl, ["rereg", "n=1000", "reps=1"])
        if a is not None and b is not None:
            res.setdefault("rereg", {})[impl[0]] = (a - b) / 19000.0
    return res


def memory(runner):
    res = {}
    for impl in IMPLS:
        p = runner.run(impl, ["memory", "n=10000"])
        if p is None:
            continue
        res[impl[0]] = parse(p.stdout)
    return res


def ratio_median(vals, base):
    return statistics.median(v / b for v, b in zip(vals, base) if b > 0)


def fmt(x, digits=1):
    return "-" if x is None else ("%.*f" % (digits, x))


def table(wall, cg, sc, mem, meta):
    names = [i[0] for i in IMPLS]
    lines = []
    lines.append("Machine: %s. Date: %s. Rounds: %d (wall time: median ns per operation, "
                 "and in brackets the median of the per-round ratios to libev 4.33)." %
                 (meta["machine"], meta["date"], meta["rounds"]))
    lines.append("")
    lines.append("| test | metric | " + " | ".join(names) + " |")
    lines.append("|---|---|" + "---|" * len(names))
    for label, _, metrics in TESTS:
        for m in metrics:
            row = wall.get(label, {}).get(m, {})
            base = row.get(BASE)
            cells = []
            for n in names:
                v = row.get(n)
                if not v:
                    cells.append("-")
                elif base and n != BASE:
                    cells.append("%s (%.2f)" % (fmt(statistics.median(v)), ratio_median(v, base)))
                else:
                    cells.append(fmt(statistics.median(v)))
            lines.append("| %s | ns/%s | %s |" % (label, m, " | ".join(cells)))
    lines.append("")
    lines.append("Instructions per operation (callgrind, user space, measured regions only; "
                 "ratio to libev 4.33 and the issue's target):")
    lines.append("")
    lines.append("| test | metric | " + " | ".join(names) + " | ev/libev | target |")
    lines.append("|---|---|" + "---|" * (len(names) + 2))
    verdicts = []
    for label, _, metrics in CG_TESTS:
        for m in metrics:
            row = cg.get(label, {}).get(m, {})
            cells = [fmt(row.get(n), 0) for n in names]
            r = row.get("ev") / row[BASE] if row.get("ev") and row.get(BASE) else None
            tgt = TARGETS.get((label, m))
            ok = "" if tgt is None or r is None else ("met" if r <= tgt else "NOT met")
            if tgt is not None:
                verdicts.append((label, m, r, tgt, r is not None and r <= tgt))
            lines.append("| %s | Ir/%s | %s | %s | %s |" % (
                label, m, " | ".join(cells), fmt(r, 2),
                ("<= %.1f %s" % (tgt, ok)) if tgt else ""))
    lines.append("")
    lines.append("Like for like (median of the per-round wall-time ratios; ev and libev 4.33 linked "
                 "the same way):")
    lines.append("")
    lines.append("| test | metric | " + " | ".join(
        "%s / %s (%s)" % (a, b, how) for how, a, b in LIKE) + " |")
    lines.append("|---|---|" + "---|" * len(LIKE))
    for label, _, metrics in TESTS:
        for m in metrics:
            row = wall.get(label, {}).get(m, {})
            cells = []
            for how, a, b in LIKE:
                cells.append("%.2f" % ratio_median(row[a], row[b]) if row.get(a) and row.get(b)
                             else "-")
            lines.append("| %s | ns/%s | %s |" % (label, m, " | ".join(cells)))
    lines.append("")
    lines.append("System calls per loop iteration (idle, ready) and per re-registration (rereg: "
                 "1,000 fds stopped, set and started 20 times, one iteration each; strace -c):")
    lines.append("")
    lines.append("| test | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for label in ("idle", "ready", "rereg"):
        row = sc.get(label, {})
        lines.append("| %s | %s |" % (label, " | ".join(fmt(row.get(n), 2) for n in names)))
    lines.append("")
    lines.append("The same per backend (ev's native API; libev 4.33 as Debian builds it has no "
                 "linuxaio or io_uring and falls back):")
    lines.append("")
    bn = [b for b, _ in SC_BACKENDS]
    lines.append("| test | " + " | ".join("ev %s | libev %s" % (b, b) for b in bn) + " |")
    lines.append("|---|" + "---|---|" * len(bn))
    for label in ("idle", "ready", "rereg"):
        row = sc.get(label, {})
        lines.append("| %s | %s |" % (label, " | ".join(
            "%s | %s" % (fmt(row.get("ev %s " % b), 2), fmt(row.get("libev 4.33 %s " % b), 2))
            for b in bn)))
    lines.append("")
    lines.append("Memory (10,000 fds; bytes): watcher size, and library heap per started watcher:")
    lines.append("")
    lines.append("| | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    for key, title in (("size.io", "io watcher size"), ("heap.io", "heap per io watcher"),
                       ("size.timer", "timer watcher size"), ("heap.timer", "heap per timer")):
        lines.append("| %s | %s |" % (title, " | ".join(
            fmt(mem.get(n, {}).get(key), 1) for n in names)))
    return "\n".join(lines) + "\n", verdicts


def chart(wall, path, meta):
    """Four panels like libev's published graphs: setup and event time over N, with and
    without timeouts, one line per implementation (log-scale y)."""
    import math
    colors = ["#d62728", "#bcbd22", "#8c564b", "#ff7f0e", "#e377c2", "#1f77b4", "#aec7e8",
              "#17becf", "#2ca02c", "#9467bd", "#7f7f7f"]
    ns = [100, 1000, 10000]
    panels = [("setup", 0, "re-registration, ns per watcher"),
              ("setup", 1, "re-registration with timeouts"),
              ("events", 0, "event processing, ns per event"),
              ("events", 1, "event processing with timeouts")]
    W, H, PW, PH, M = 1100, 800, 440, 280, 70
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (W, H),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="24" font-size="15" font-weight="bold">ev vs libev 4.33, libevent 2.1, '
           'libuv: the classic benchmark (wall time, median of %d rounds)</text>' % (M, meta["rounds"]),
           '<text x="%d" y="42" fill="#555">%s, %s; lower is better</text>' % (
               M, meta["machine"], meta["date"])]
    for pi, (metric, t, title) in enumerate(panels):
        ox = M + (pi % 2) * (PW + M + 10)
        oy = 70 + (pi // 2) * (PH + M + 20)
        series = {}
        for impl in IMPLS:
            pts = []
            for n in ns:
                v = wall.get("classic N=%d%s" % (n, " +timeouts" if t else ""), {}).get(
                    metric, {}).get(impl[0])
                if v:
                    pts.append((n, statistics.median(v)))
            if pts:
                series[impl[0]] = pts
        allv = [v for pts in series.values() for _, v in pts] or [1]
        lo = 10 ** math.floor(math.log10(min(allv)))
        hi = 10 ** math.ceil(math.log10(max(allv)))
        if hi <= lo:
            hi = lo * 10

        def X(n):
            return ox + (math.log10(n) - 2) / 2 * PW

        def Y(v):
            return oy + PH - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * PH
        out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (ox, oy - 10, title))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>' %
                   (ox, oy, PW, PH))
        d = lo
        while d <= hi * 1.0001:
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' %
                       (ox, ox + PW, Y(d), Y(d)))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (ox - 4, Y(d) + 4, d))
            d *= 10
        for n in ns:
            out.append('<text x="%.1f" y="%d" text-anchor="middle">N=%d</text>' %
                       (X(n), oy + PH + 16, n))
        for i, impl in enumerate(IMPLS):
            pts = series.get(impl[0])
            if not pts:
                continue
            c = colors[i % len(colors)]
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
                c, " ".join("%.1f,%.1f" % (X(n), Y(v)) for n, v in pts)))
            for n, v in pts:
                out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(n), Y(v), c))
    ly = H - 44
    for i, impl in enumerate(IMPLS):
        if impl[0].startswith("memory floor"):
            continue  # no io rows
        x = M + (i % 6) * 170
        y = ly + (i // 6) * 18
        out.append('<rect x="%d" y="%d" width="14" height="4" fill="%s"/>' %
                   (x, y - 4, colors[i % len(colors)]))
        out.append('<text x="%d" y="%d">%s</text>' % (x + 20, y, impl[0]))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--dropin-dir", required=True, help="directory holding ev's libev.so.4")
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-callgrind", action="store_true")
    a = ap.parse_args()

    def log(msg):
        print("bench: " + msg, file=sys.stderr, flush=True)

    runner = Runner(a.bin_dir, a.dropin_dir)
    random.seed(1)
    mem = memory(runner)
    wall = wall_rounds(runner, a.rounds, log)
    sc = syscalls(runner, log)
    cg = {} if a.no_callgrind else callgrind(runner, log)
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    meta = {"machine": "%s, %d cores, Linux %s" % (cpu, os.cpu_count(), platform.release()),
            "date": datetime.date.today().isoformat(), "rounds": a.rounds}
    text, verdicts = table(wall, cg, sc, mem, meta)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "wall": wall, "callgrind": cg, "syscalls": sc, "memory": mem},
                  f, indent=1)
    chart(wall, os.path.join(a.out, "chart.svg"), meta)
    print(text)
    for label, m, r, tgt, ok in verdicts:
        print("target %-26s %-7s ev/libev %s (<= %.1f): %s" % (
            label, m, fmt(r, 2), tgt, "met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
