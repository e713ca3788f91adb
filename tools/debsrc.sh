#!/usr/bin/env bash
# tools/debsrc.sh PKG -> prints the directory of Debian source package PKG, unpacked.
# The sources are fetched once per machine with `apt-get source` from the Debian mirror this
# machine's apt configuration already uses (read from /etc/apt/sources.list{,.d}: no host name
# is written here) and cached in $EV_DEBSRC_CACHE (default /var/cache/ev-debsrc), so CI and
# the tests do not download them twice.
set -euo pipefail
pkg=${1:?usage: tools/debsrc.sh PKG}
cache=${EV_DEBSRC_CACHE:-/var/cache/ev-debsrc}
dest="$cache/$pkg"
if [[ -f "$dest/.done" ]]; then
    cat "$dest/.done"
    exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ -f "$dest/.done" ]]; then
    cat "$dest/.done"
    exit 0
fi
command -v dpkg-source >/dev/null 2>&1 || {
    [[ $(id -u) -eq 0 ]] || { echo "debsrc: need dpkg-dev (apt-get install dpkg-dev)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpkg-dev </dev/null >&2
}

state="$cache/.apt"
mkdir -p "$state/lists/partial"
list="$state/sources.list"
: >"$list"
# One-line style (.list files) and deb822 style (.sources files): every "deb" source with
# its suites and components becomes a "deb-src" line.
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?/deb-src \1/p' "$f" >>"$list"
done
for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    python3 - "$f" >>"$list" <<'PY'
import sys
text = open(sys.argv[1]).read()
for stanza in text.split("\n\n"):
    fields = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        k, v = line.split(":", 1)
        fields[k.strip().lower()] = v.strip()
    if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
        continue
    opts = ""
    if "signed-by" in fields:
        opts = "[signed-by=%s] " % fields["signed-by"]
    for uri in fields.get("uris", "").split():
        for suite in fields.get("suites", "").split():
            print("deb-src %s%s %s %s" % (opts, uri, suite, fields.get("components", "main")))
PY
done
if [[ ! -s $list ]]; then
    echo "debsrc: no Debian source found in /etc/apt/sources.list{,.d}" >&2
    exit 1
fi
apt_opts=(-o "Dir::Etc::SourceList=$list" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$state/lists"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" update -qq </dev/null >&2
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
(cd "$dest.tmp" && apt-get "${apt_opts[@]}" source -qq "$pkg" </dev/null >&2)
dir=$(find "$dest.tmp" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[[ -n $dir ]] || { echo "debsrc: apt-get source $pkg unpacked nothing" >&2; exit 1; }
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$dest/$(basename "$dir")" >"$dest/.done"
cat "$dest/.done"
