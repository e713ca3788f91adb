#!/usr/bin/env python3
"""Compiles and runs every complete program of the manual.

    examples.py --amalgamation ev.c --evpp ev++.h --event-c event.c --event-h event.h DOC.md...

A complete program is a fenced block whose info string is

    ```c {.example name=NAME}              C11, linked with ev (the amalgamated ev.c)
    ```c {.example name=NAME lib=event}    also linked with the libevent shim (event.c)
    ```cpp {.example name=NAME}            C++17 with ev++.h

Other code blocks are fragments and are not compiled. Each program is built with -Wall
-Wextra -Werror against the amalgamation (compiled once) and run with a 20 second limit; it must
exit with status 0 on its own. Names must be unique. The test fails listing every program
that does not compile, fails or hangs, and also when no example is found at all.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(c|cpp)\s+\{\.example\s+([^}]*)\}\s*$")
CC = os.environ.get("CC", "cc")
CXX = os.environ.get("CXX", "c++")
WARN = ["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"]


def extract(paths):
    examples = []
    for path in paths:
        lines = open(path, encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            m = FENCE.match(lines[i])
            if not m:
                i += 1
                continue
            attrs = dict(a.split("=", 1) for a in m.group(2).split() if "=" in a)
            start = i + 1
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            examples.append({
                "lang": m.group(1),
                "name": attrs.get("name", ""),
                "lib": attrs.get("lib", ""),
                "where": "%s:%d" % (os.path.basename(path), start),
                "code": "\n".join(body) + "\n",
            })
            i += 1
    return examples


def run(cmd, cwd, timeout):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return "timeout", (e.stdout or b"").decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--amalgamation", required=True, help="the amalgamated ev.c (ev.h, ev_metrics.h beside it)")
    ap.add_argument("--evpp", required=True)
    ap.add_argument("--event-c", required=True)
    ap.add_argument("--event-h", required=True)
    ap.add_argument("docs", nargs="+")
    args = ap.parse_args()

    examples = extract(args.docs)
    if not examples:
        print("FAIL: no {.example} blocks found")
        return 1
    names = [e["name"] for e in examples]
    dups = sorted({n for n in names if names.count(n) > 1 or not n})
    if dups:
        print("FAIL: example names missing or repeated: %s" % ", ".join(dups))
        return 1

    work = tempfile.mkdtemp(prefix="ev-doc-examples.")
    try:
        amalg = os.path.dirname(os.path.realpath(args.amalgamation))
        for f in ("ev.c", "ev.h", "ev_metrics.h"):
            shutil.copy(os.path.join(amalg, f), work)
        shutil.copy(args.evpp, os.path.join(work, "ev++.h"))
        shutil.copy(args.event_c, os.path.join(work, "event.c"))
        shutil.copy(args.event_h, os.path.join(work, "event.h"))
        rc, out = run([CC, "-std=gnu11", "-O1", "-DEV_STANDALONE=1", "-I.", "-c", "ev.c",
                       "-o", "ev.o"], work, 300)
        if rc != 0:
            print("FAIL: the amalgamation does not compile:\n" + out)
            return 1
        rc, out = run([CC, "-std=gnu11", "-O1", "-I.", "-c", "event.c", "-o", "event.o"], work, 120)
        if rc != 0:
            print("FAIL: event.c does not compile:\n" + out)
            return 1

        failed = []
        for e in examples:
            name = e["name"]
            if e["lang"] == "c":
                src = name + ".c"
                cmd = [CC, "-std=gnu11"] + WARN + ["-I.", "-o", name, src, "ev.o"]
            else:
                src = name + ".cc"
                cmd = [CXX, "-std=c++17"] + WARN + ["-I.", "-o", name, src, "ev.o"]
            if e["lib"] == "event":
                cmd.insert(-1, "event.o")
            cmd += ["-lpthread", "-lm"]
            with open(os.path.join(work, src), "w") as f:
                f.write(e["code"])
            rc, out = run(cmd, work, 120)
            if rc != 0:
                failed.append(name)
                print("FAIL %s (%s): does not compile\n%s" % (name, e["where"], out))
                continue
            rc, out = run(["./" + name], work, 20)
            if rc != 0:
                failed.append(name)
                print("FAIL %s (%s): exit %s\n%s" % (name, e["where"], rc, out))
                continue
            print("ok   %-20s %s" % (name, e["where"]))
        if failed:
            print("%d of %d examples failed: %s" % (len(failed), len(examples), " ".join(failed)))
            return 1
        print("all %d examples compiled and ran" % len(examples))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
