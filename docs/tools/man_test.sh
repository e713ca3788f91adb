#!/bin/bash
# The generated man pages render without a single groff warning (groff -ww, through tbl since
# the pages contain tables) and have the sections a man page must have.
#   man_test.sh PAGE.3...
set -u
fail=0
for page in "$@"; do
    name=$(basename "$page")
    failed_before=$fail
    fail=0
    warnings=$(groff -t -man -Tutf8 -ww -z "$page" 2>&1)
    if [[ -n "$warnings" ]]; then
        echo "FAIL $name: groff warnings:"
        echo "$warnings" | head -20
        fail=1
    fi
    head -2 "$page" | grep -q '^\.TH ' || { echo "FAIL $name: no .TH line"; fail=1; }
    for section in NAME SYNOPSIS DESCRIPTION; do
        grep -Eq "^\.SH \"?$section\"?\$" "$page" || { echo "FAIL $name: no $section section"; fail=1; }
    done
    # whatis(1) wants "name \- summary" as the NAME section's text.
    awk '/^\.SH "?NAME"?$/{getline; print; exit}' "$page" | grep -q ' \\- ' ||
        { echo "FAIL $name: the NAME line has no \\- separator"; fail=1; }
    # Rendered as a reader sees it, through man(1) when it is there, else groff alone (grotty
    # -cbou: plain text, no overstruck bold or underlining, as `col -b` gives after man).
    if command -v man >/dev/null 2>&1; then
        text=$(MANWIDTH=80 MAN_KEEP_FORMATTING=0 man -l "$page" 2>&1 </dev/null | col -b 2>/dev/null)
    else
        text=$(groff -t -man -Tutf8 -P-cbou "$page" 2>&1)
    fi
    for section in NAME SYNOPSIS DESCRIPTION; do
        grep -q "^$section" <<<"$text" || { echo "FAIL $name: $section not in the rendered page"; fail=1; }
    done
    lines=$(wc -l <<<"$text")
    if ((lines < 40)); then
        echo "FAIL $name: only $lines rendered lines"
        fail=1
    fi
    ((fail == 0)) && echo "ok   $name: $lines lines, no warnings"
    ((fail |= failed_before))
done
exit $fail
