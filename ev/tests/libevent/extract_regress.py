#!/usr/bin/env python3
"""extract_regress.py REGRESS_C OUT_C - the 1.x-core-API legacy cases of libevent's test/regress.c.

Copies, unchanged and in their order in regress.c, the top-level items named in ITEMS (functions,
structs, static variables, macros) into OUT_C, then applies EDITS (the listed changes, see
README.md). Fails if an item or an edit's text is not found, so a different regress.c is noticed.
"""
import re
import sys

# Helpers the cases use, then the cases (test_NAME). Order does not matter here: items are written
# in the order regress.c has them.
HELPERS = [
    "#define TEST1", "static char wbuf", "static char rbuf", "static int woff", "static int roff",
    "static int usepersist", "static struct timeval tset", "static struct timeval tcalled",
    "simple_read_cb", "simple_write_cb", "multiple_write_cb", "multiple_read_cb", "timeout_cb",
    "struct both", "combined_read_cb", "combined_write_cb", "#define setup_test",
    "#define cleanup_test", "simpleread_multiple_cb", "signal_cb_sa", "signal_cb",
    "test_simplesignal_impl", "signal_cb_swp", "timeout_cb_swp", "break_cb", "fail_cb",
    "struct test_pri_event", "test_priorities_cb", "test_priorities_impl", "test_multiple_cb",
    "read_once_cb",
]
CASES = [
    "simpleread", "simpleread_multiple", "simplewrite", "multiple", "persistent", "combined",
    "simpletimeout", "loopexit", "loopexit_multiple", "loopbreak", "priorities",
    "multiple_events_for_same_fd", "want_only_once", "simplestsignal", "simplesignal",
    "multiplesignal", "immediatesignal", "signal_dealloc", "signal_assert", "signal_restore",
    "signal_while_processing",
]

# The changes (each listed in README.md): (what, exact old text, new text).
EDITS = [
    ("event_base_got_exit/got_break are libevent 2.0 calls the shim does not have: dropped",
     "\ttt_assert(event_base_got_exit(global_base));\n\ttt_assert(!event_base_got_break(global_base));\n", ""),
    ("(the same, with base)",
     "\ttt_assert(event_base_got_exit(base));\n\ttt_assert(!event_base_got_break(base));\n", ""),
    ("(the same, in loopbreak)",
     "\ttt_assert(!event_base_got_exit(global_base));\n\ttt_assert(event_base_got_break(global_base));\n", ""),
]


def find_item(lines, name):
    """(start, end) line indexes (end exclusive) of the top-level item `name`."""
    if name.startswith("#define "):
        for i, l in enumerate(lines):
            if l.startswith(name + " ") or l.startswith(name + "\t") or l.startswith(name + "("):
                j = i
                while lines[j].rstrip("\n").endswith("\\"):
                    j += 1
                return i, j + 1
    elif name.startswith("static ") and not name.endswith(")"):
        for i, l in enumerate(lines):
            if l.startswith(name):
                return i, i + 1
    elif name.startswith("struct "):
        for i, l in enumerate(lines):
            if l.rstrip() == name + " {":
                j = i
                while lines[j].rstrip() != "};":
                    j += 1
                return i, j + 1
    else:
        pat = re.compile(r"^%s\(" % re.escape(name))
        for i, l in enumerate(lines):
            if pat.match(l) and not l.rstrip().endswith(";"):
                start = i - 1  # the return type line ("static void")
                j = i
                while lines[j].rstrip("\n") != "}":
                    j += 1
                return start, j + 1
    raise SystemExit("extract_regress: %r not found" % name)


def main():
    src, out = sys.argv[1:3]
    lines = open(src).read().splitlines(True)
    spans = sorted({find_item(lines, n) for n in HELPERS + ["test_" + c for c in CASES]})
    text = "".join("".join(lines[a:b]) + "\n" for a, b in spans)
    for what, old, new in EDITS:
        if old not in text:
            raise SystemExit("extract_regress: edit not applicable: %s" % what)
        text = text.replace(old, new)
    with open(out, "w") as f:
        f.write("/* Extracted from libevent's test/regress.c by ev's extract_regress.py: */\n")
        f.write("/* %s */\n" % ", ".join(CASES))
        f.write(text)
    if len(sys.argv) > 3:  # the case list, for the driver's runner
        open(sys.argv[3], "w").write("\n".join(CASES) + "\n")


main()
