#!/usr/bin/env python3
"""A small Markdown to man(7) converter for ev's manual (python3 standard library only).

    md2man.py --name ev --section 3 [--title TEXT] [--source TEXT] -o ev.3 IN.md...

The inputs are concatenated. The Markdown subset it understands is the one docs/*.md use:

    # Heading             .SH HEADING (upper case)
    ## Heading            .SS Heading
    ### Heading (and deeper)  a bold paragraph
    paragraphs            .PP, lines joined
    - item / 1. item      .IP with a bullet or the number; continuation lines indented
    ```lang ...```        .EX/.EE-like no-fill block (.nf/.fi, indented)
    | a | b |             a tbl(1) table (the output then starts with the '\\" t line)
    > quote               an indented paragraph
    `code` **bold** *em*  \\fB \\fB \\fI; [text](link) becomes text (and the URL if absolute)
    <!-- comment -->      dropped

In the NAME section the first " - " or " -- " becomes the " \\- " that whatis(1) expects.
Every character outside ASCII is written as a groff \\[uXXXX] escape, so the output is plain
ASCII and renders without preconv(1). The output has no date, so builds are reproducible.
"""
import argparse
import re
import sys


def escape_text(s):
    """Escapes groff's special characters in running text (no inline markup handling)."""
    s = s.replace("\\", "\\e")
    out = []
    for ch in s:
        if ord(ch) > 126:
            out.append("\\[u%04X]" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def code_text(s):
    s = escape_text(s)
    return s.replace("-", "\\-").replace("'", "\\(aq").replace("`", "\\(ga")


INLINE = re.compile(
    r"(?P<code>`+)(?P<codebody>.+?)(?P=code)"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|(?<![\w*])\*(?P<em>[^*\s][^*]*?)\*(?![\w*])"
    r"|(?<![\w\\])_(?P<em2>[^_\s][^_]*?)_(?![\w])"
    r"|\[(?P<ltext>[^\]]+)\]\((?P<lurl>[^)\s]+)\)"
    r"|<(?P<auto>https?://[^>\s]+)>"
)


def inline(s, breakable=False):
    """Converts inline Markdown to groff font escapes. breakable: let code break after `_`."""
    out = []
    pos = 0
    for m in INLINE.finditer(s):
        out.append(escape_text(s[pos:m.start()]))
        if m.group("code"):
            # \: marks where a long identifier may break (narrow table columns).
            code = code_text(m.group("codebody").strip())
            if breakable:
                code = code.replace("_", "_\\:")
            out.append("\\fB\\%" + code + "\\fR")  # \\%: never hyphenate code
        elif m.group("bold") is not None:
            out.append("\\fB" + inline(m.group("bold"), breakable) + "\\fR")
        elif m.group("em") is not None:
            out.append("\\fI" + inline(m.group("em"), breakable) + "\\fR")
        elif m.group("em2") is not None:
            out.append("\\fI" + inline(m.group("em2"), breakable) + "\\fR")
        elif m.group("ltext") is not None:
            out.append(inline(m.group("ltext"), breakable))
            url = m.group("lurl")
            if re.match(r"https?://", url):
                out.append(" <" + escape_text(url) + ">")
        elif m.group("auto") is not None:
            out.append("<" + escape_text(m.group("auto")) + ">")
        pos = m.end()
    out.append(escape_text(s[pos:]))
    return "".join(out)


def protect(line):
    """A text line must not start with a control character or be taken as one."""
    if line.startswith((".", "'")):
        return "\\&" + line
    return line


def split_row(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, cur, in_code = [], [], False
    for i, ch in enumerate(line):
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code and (i == 0 or line[i - 1] != "\\"):
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    cells.append("".join(cur).strip())
    return [c.replace("\\|", "|") for c in cells]


class Converter:
    def __init__(self):
        self.out = []
        self.section = ""
        self.uses_tbl = False

    def emit(self, line):
        self.out.append(line)

    def paragraph(self, lines):
        text = " ".join(l.strip() for l in lines)
        if self.section == "NAME":
            text = re.sub(r" (--?|\u2014) ", " \\\\- ", text, count=1)
            parts = text.split(" \\- ", 1)
            if len(parts) == 2:
                self.emit(protect(inline(parts[0]) + " \\- " + inline(parts[1])))
                return
        self.emit(protect(inline(text)))

    def table(self, rows):
        self.uses_tbl = True
        header = split_row(rows[0])
        body = [split_row(r) for r in rows[2:]]
        ncol = len(header)
        self.emit(".TS")
        self.emit("allbox tab(@);")
        self.emit(" ".join(["lb"] * ncol))
        self.emit(" ".join(["lx"] * ncol) + ".")
        self.emit("@".join("T{\n.ad l\n.nh\n" + protect(inline(c, True)) + "\nT}" for c in header))
        for r in body:
            r = (r + [""] * ncol)[:ncol]
            self.emit("@".join("T{\n.ad l\n.nh\n" + protect(inline(c, True)) + "\nT}" for c in r))
        self.emit(".TE")

    def convert(self, text):
        text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
        lines = text.split("\n")
        i = 0
        para = []

        def flush():
            if para:
                self.emit(".PP")
                self.paragraph(para)
                del para[:]

        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            fence = re.match(r"^(\s*)(```+|~~~+)(.*)$", line)
            if fence:
                flush()
                marker = fence.group(2)
                i += 1
                self.emit(".PP")
                self.emit(".RS 4")
                self.emit(".nf")
                self.emit(".ft CR")
                while i < len(lines) and not lines[i].strip().startswith(marker):
                    self.emit(protect(code_text(lines[i].rstrip())) if lines[i].strip() else "")
                    i += 1
                self.emit(".ft R")
                self.emit(".fi")
                self.emit(".RE")
                i += 1
                continue
            m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m:
                flush()
                level, title = len(m.group(1)), m.group(2)
                if level == 1:
                    self.section = re.sub(r"[`*]", "", title).upper()
                    self.emit('.SH "%s"' % inline(self.section).replace('"', '\\(dq'))
                elif level == 2:
                    self.emit('.SS "%s"' % inline(title).replace('"', '\\(dq'))
                else:
                    self.emit(".PP")
                    self.emit(protect("\\fB" + inline(title) + "\\fR"))
                i += 1
                continue
            if not stripped:
                flush()
                i += 1
                continue
            if stripped.startswith("|") and i + 1 < len(lines) and \
                    re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1]):
                flush()
                rows = []
                while i < len(lines) and lines[i].strip().startswith("|"):
                    rows.append(lines[i])
                    i += 1
                self.table(rows)
                continue
            item = re.match(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$", line)
            if item:
                flush()
                indent = len(item.group(1))
                mark = item.group(2)
                tag = "\\(bu" if mark in "-*+" else mark
                body = [item.group(3)]
                i += 1
                while i < len(lines) and lines[i].strip() and \
                        not re.match(r"^\s*([-*+]|\d+[.)])\s+", lines[i]) and \
                        not lines[i].lstrip().startswith(("```", "|", "#")):
                    body.append(lines[i])
                    i += 1
                if indent:
                    self.emit(".RS 4")
                self.emit('.IP "%s" 4' % tag)
                self.paragraph(body)
                if indent:
                    self.emit(".RE")
                continue
            if stripped.startswith(">"):
                flush()
                quote = []
                while i < len(lines) and lines[i].strip().startswith(">"):
                    quote.append(lines[i].strip()[1:].strip())
                    i += 1
                self.emit(".RS 4")
                self.emit(".PP")
                self.paragraph(quote)
                self.emit(".RE")
                continue
            para.append(line)
            i += 1
        flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--section", default="3")
    ap.add_argument("--source", default="ev 4.33")
    ap.add_argument("--title", default="ev manual")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()

    conv = Converter()
    for path in args.inputs:
        with open(path, encoding="utf-8") as f:
            conv.convert(f.read())
    head = []
    if conv.uses_tbl:
        head.append("'\\\" t")
    head.append('.TH "%s" "%s" "" "%s" "%s"' % (args.name.upper(), args.section,
                                                escape_text(args.source), escape_text(args.title)))
    # Left-aligned, ragged right: long code words cannot be hyphenated, and justified lines
    # around them would be stretched (and draw groff's "cannot adjust line" warning).
    head.append(".ad l")
    # Tidy: a .PP right after a heading is redundant (and groff -ww does not mind either way).
    body = []
    for line in conv.out:
        if line == ".PP" and body and (body[-1].startswith((".SH", ".SS")) or body[-1] == ".PP"):
            continue
        body.append(line)
    with open(args.output, "w", encoding="ascii") as f:
        f.write("\n".join(head + body) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
