#!/usr/bin/env python3
"""Symbol coverage of the manual: every public name of the headers must appear in docs/*.md.

    symbols.py --c ev.h --c event.h --cpp ev++.h --config ev.c --docs a.md b.md ...
    symbols.py --list ...      (print the extracted symbols and exit 0)

Extraction rule (what counts as a public symbol):

  From the C headers (--c) and the C++ header (--cpp):
    * every macro name of a `#define NAME` line;
    * every enumerator of an `enum { ... }`, and the tag of a named enum;
    * every struct/union/class tag that is defined (`struct NAME {`, `struct NAME : base {`)
      or declared on its own (`struct NAME;`);
    * every typedef name (for a function pointer typedef, the name inside `(*NAME)`);
    * every function declared or defined at file or namespace scope: the first identifier
      that is followed by `(` outside any parentheses of the declaration, skipping
      ALL-CAPS macro invocations such as `EV_CPP(= 0)`, pointer declarators `(*name)`,
      operators, destructors and template parameter lists;
    * every variable declared with `extern` or `EV_API_DECL`.
  From the C++ header only: the same rules apply inside the public part of each class
  (members after `private:` or `protected:` are skipped), giving `ev::CLASS::METHOD`
  for methods; class names, typedefs, free functions and enumerators are reported as
  `ev::NAME`. Data members are not symbols.
  From --config (the amalgamated library source): every `EV_*` macro the library tests
  with `#ifdef`, `#ifndef` or `defined(...)`: the configuration switches an embedder may set.

Exclusions (never symbols):
    * header guards: the macro of the first `#ifndef X` / `#define X` pair of a header;
    * internal names: a leading underscore, or the prefixes `ev__`, `EV__` and `EVPP_`
      (ev++.h's own helper macros); everything inside ev++'s `namespace detail`;
    * macro parameters and struct members (only the macro and type names count);
    * in --config: kqueue's own EV_* constants (EV_ADD, EV_DELETE, EV_RECEIPT, EV_SET, ...
      come from <sys/event.h>), the test-only emulation switches `*_EMU` and the
      sanitizer markers `EV_SANITIZER_*`.

Coverage rule (what counts as documented): a plain symbol must appear in some docs/*.md as a
whole word (not as part of a longer identifier). A C++ symbol `ev::NAME` must appear as
`ev::NAME`; a method `ev::CLASS::METHOD` must appear as `CLASS::METHOD` (optionally with
the `ev::` prefix). The test fails listing every symbol that is not mentioned.
"""
import argparse
import re
import sys

INTERNAL_PREFIXES = ("_", "ev__", "EV__", "EVPP_")
KQUEUE_SYSTEM = {"EV_ADD", "EV_DELETE", "EV_ENABLE", "EV_DISABLE", "EV_ONESHOT", "EV_CLEAR",
                 "EV_RECEIPT", "EV_SET", "EV_EOF", "EV_DISPATCH"}
KEYWORDS = {
    "if", "while", "for", "switch", "return", "sizeof", "alignof", "void", "int", "char", "long",
    "short", "unsigned", "signed", "double", "float", "bool", "const", "volatile", "static",
    "inline", "extern", "struct", "union", "enum", "class", "typedef", "template", "typename",
    "decltype", "noexcept", "throw", "explicit", "virtual", "override", "operator", "new",
    "delete", "static_cast", "const_cast", "reinterpret_cast", "dynamic_cast", "namespace",
    "public", "private", "protected", "using", "constexpr", "auto",
}


def internal(name):
    return name.startswith(INTERNAL_PREFIXES)


def strip_comments(text):
    """Removes comments and the contents of string/char literals, keeping line structure."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_preprocessor(text):
    """Returns (directives, code): logical preprocessor lines, and the rest of the text."""
    directives, code = [], []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("#"):
            full = line
            while full.endswith("\\") and i + 1 < len(lines):
                i += 1
                full = full[:-1] + " " + lines[i]
            directives.append(full.strip())
            code.append("")
        else:
            code.append(line)
        i += 1
    return directives, "\n".join(code)


def macro_names(directives):
    names = []
    guard = None
    first_ifndef = None
    for d in directives:
        m = re.match(r"#\s*ifndef\s+(\w+)", d)
        if m and first_ifndef is None:
            first_ifndef = m.group(1)
        m = re.match(r"#\s*define\s+(\w+)", d)
        if m:
            if guard is None and m.group(1) == first_ifndef:
                guard = m.group(1)
                continue
            names.append(m.group(1))
    return names


TOKEN = re.compile(r"::|->|\"\"|''|[A-Za-z_]\w*|\d[\w.]*|\S")


def is_ident(tok):
    return bool(re.match(r"[A-Za-z_]\w*$", tok))


def skip_balanced(toks, i, open_, close):
    """toks[i] is `open_`; returns the index after the matching `close`."""
    depth = 0
    while i < len(toks):
        if toks[i] == open_:
            depth += 1
        elif toks[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def declared_function(stmt):
    """The name of the function a declaration statement declares, or None."""
    i = 0
    while i < len(stmt):
        t = stmt[i]
        if t == "template" and i + 1 < len(stmt) and stmt[i + 1] == "<":
            i = skip_balanced(stmt, i + 1, "<", ">")
            continue
        if t == "operator":
            return None
        if t == "(":
            return None  # a parenthesis before any name: not a plain function declaration
        if is_ident(t) and i + 1 < len(stmt) and stmt[i + 1] == "(":
            if t.isupper() or (t.upper() == t and "_" in t):
                i = skip_balanced(stmt, i + 1, "(", ")")  # a macro such as EV_CPP(...)
                continue
            if i + 2 < len(stmt) and stmt[i + 2] == "*":
                return None  # a pointer declarator: ev_tstamp (*cb)(...)
            if t in KEYWORDS:
                return None
            if i > 0 and stmt[i - 1] == "~":
                return None  # destructor
            return t
        i += 1
    return None


def class_head(stmt):
    """Index of the struct/union/class keyword if stmt opens a class body, else None."""
    i = 0
    if stmt[:2] == ["template", "<"]:
        i = skip_balanced(stmt, 1, "<", ">")
    if i < len(stmt) and stmt[i] == "typedef":
        i += 1
    if i < len(stmt) and stmt[i] in ("struct", "union", "class"):
        return i
    return None


def typedef_name(stmt):
    for i in range(len(stmt) - 3):
        if stmt[i] == "(" and stmt[i + 1] == "*" and is_ident(stmt[i + 2]) and stmt[i + 3] == ")":
            return stmt[i + 2]
    idents = [t for t in stmt if is_ident(t)]
    return idents[-1] if idents else None


def analyse(code, cpp):
    """Walks the token stream with a scope stack; returns a set of symbols."""
    toks = TOKEN.findall(code)
    syms = set()
    # scope: (kind, name, public) with kind in file, ns, skipns, class, enum, body, linkage
    stack = [("file", "", True)]
    stmt = []
    saved = []  # the enclosing statement of each class/enum scope
    i = 0

    def qualified(name):
        if not cpp:
            return name
        classes = [s[1] for s in stack if s[0] == "class"]
        if classes:
            return "ev::" + classes[-1] + "::" + name
        return "ev::" + name

    def visible():
        kinds = [s[0] for s in stack]
        if "skipns" in kinds or "body" in kinds:
            return False
        return all(s[2] for s in stack)

    def finish(stmt, at_brace):
        """Records what a declaration statement declares."""
        if not stmt or not visible():
            return
        kind = stack[-1][0]
        if stmt[0] == "typedef":
            name = typedef_name(stmt)
            if name and (kind != "class" or cpp):
                syms.add(qualified(name))
            return
        if stmt[0] == "using":
            return
        fn = declared_function(stmt)
        if fn:
            if kind == "class" and not cpp:
                return  # a C struct has no methods
            classes = [s[1] for s in stack if s[0] == "class"]
            if classes and fn == classes[-1]:
                return  # a constructor: the class is its own symbol
            syms.add(qualified(fn))
            return
        if kind in ("file", "linkage", "ns") and not at_brace:
            if stmt[0] in ("extern", "EV_API_DECL") and "(" not in stmt:
                idents = [t for t in stmt if is_ident(t)]
                syms.add(qualified(idents[-1]))  # a variable
        if len(stmt) == 2 and stmt[0] in ("struct", "union", "class") and is_ident(stmt[1]):
            syms.add(qualified(stmt[1]))  # a forward declaration

    while i < len(toks):
        t = toks[i]
        kind = stack[-1][0]
        if kind == "enum":
            if t == "}":
                stack.pop()
                stmt = saved.pop() + ["{}"]
                i += 1
                continue
            # enumerators: the first identifier after `{` or a top-level comma
            if is_ident(t) and (toks[i - 1] in ("{", ",")):
                if stack[-1][2] and visible_enum(stack):
                    syms.add(qualified(t))
            if t == "(":
                i = skip_balanced(toks, i, "(", ")")
                continue
            i += 1
            continue
        if kind == "body":
            if t == "{":
                stack.append(("body", "", True))
            elif t == "}":
                stack.pop()
            i += 1
            continue
        if t in ("public", "private", "protected") and i + 1 < len(toks) and toks[i + 1] == ":":
            k, name, _ = stack[-1]
            stack[-1] = (k, name, t == "public")
            stmt = []
            i += 2
            continue
        if t == "template" and i + 1 < len(toks) and toks[i + 1] == "<":
            j = skip_balanced(toks, i + 1, "<", ">")
            stmt.extend(toks[i:j])
            i = j
            continue
        if t == "(":
            j = skip_balanced(toks, i, "(", ")")
            stmt.extend(toks[i:j])
            i = j
            continue
        if t == ";":
            finish(stmt, False)
            stmt = []
            i += 1
            continue
        if t == "{":
            if stmt[:1] == ["namespace"]:
                name = stmt[1] if len(stmt) > 1 else ""
                stack.append(("skipns" if name == "detail" else "ns", name, True))
                stmt = []
            elif stmt == ["extern", '""']:
                stack.append(("linkage", "", True))
                stmt = []
            elif "enum" in stmt and "(" not in stmt:
                k = stmt.index("enum")
                if k + 1 < len(stmt) and is_ident(stmt[k + 1]) and visible():
                    syms.add(qualified(stmt[k + 1]))
                saved.append(stmt)
                stack.append(("enum", "", True))
                stmt = []
            elif class_head(stmt) is not None:
                k = class_head(stmt)
                name = stmt[k + 1] if k + 1 < len(stmt) and is_ident(stmt[k + 1]) else ""
                if name and visible():
                    syms.add(qualified(name))
                saved.append(stmt)
                stack.append(("class", name, stmt[k] != "class"))
                stmt = []
            else:
                finish(stmt, True)
                stack.append(("body", "", True))
                stmt = []
            i += 1
            continue
        if t == "}":
            k = stack[-1][0]
            stack.pop()
            if k == "class":
                stmt = saved.pop() + ["{}"]
            else:
                stmt = []
            i += 1
            continue
        stmt.append(t)
        i += 1
    return syms


def visible_enum(stack):
    kinds = [s[0] for s in stack]
    return "skipns" not in kinds and "body" not in kinds and all(s[2] for s in stack[:-1])


def header_symbols(path, cpp):
    text = strip_comments(open(path).read())
    directives, code = split_preprocessor(text)
    syms = set(macro_names(directives))
    syms |= analyse(code, cpp)
    return {s for s in syms if not internal(s.split("::")[-1])}


def config_symbols(path):
    text = strip_comments(open(path).read())
    directives, _ = split_preprocessor(text)
    names = set()
    for d in directives:
        m = re.match(r"#\s*(ifdef|ifndef)\s+(\w+)", d)
        if m:
            names.add(m.group(2))
        if re.match(r"#\s*(if|elif)\b", d):
            names.update(re.findall(r"defined\s*\(?\s*(\w+)", d))
    return {n for n in names
            if n.startswith("EV_") and not internal(n) and n not in KQUEUE_SYSTEM
            and not n.endswith("_EMU") and not n.startswith("EV_SANITIZER_")
            and not re.search(r"_H_+$", n)}


def mentioned(sym, text):
    if sym.startswith("ev::"):
        parts = sym.split("::")
        needle = "::".join(parts[1:]) if len(parts) == 3 else sym
        pat = r"(?<![\w:])(?:ev::)?" + re.escape(needle) + r"(?!\w)" if len(parts) == 3 \
            else r"(?<![\w:])" + re.escape(sym) + r"(?!\w)"
    else:
        pat = r"(?<![\w])" + re.escape(sym) + r"(?!\w)"
    return re.search(pat, text) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--c", action="append", default=[])
    ap.add_argument("--cpp", action="append", default=[])
    ap.add_argument("--config", action="append", default=[])
    ap.add_argument("--docs", nargs="*", default=[])
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()

    syms = {}
    for p in args.c:
        for s in header_symbols(p, False):
            syms.setdefault(s, p)
    for p in args.cpp:
        for s in header_symbols(p, True):
            syms.setdefault(s, p)
    for p in args.config:
        for s in config_symbols(p):
            syms.setdefault(s, p)
    if args.list:
        for s in sorted(syms):
            print("%-40s %s" % (s, syms[s]))
        return 0
    if not args.docs:
        print("no docs given", file=sys.stderr)
        return 2
    text = "\n".join(open(p).read() for p in args.docs)
    missing = sorted(s for s in syms if not mentioned(s, text))
    if missing:
        print("%d of %d public symbols are not mentioned in the manual:" % (len(missing), len(syms)))
        for s in missing:
            print("  %-40s (from %s)" % (s, syms[s].split("/")[-1]))
        return 1
    print("all %d public symbols are documented" % len(syms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
