#!/usr/bin/env bash
# tools/fresh_check.sh [REV]  -- what a newcomer does on a fresh Debian 12 machine, for real.
#
#   1. debootstrap a clean minbase Debian bookworm root (nothing else installed), from the Debian
#      mirror this machine's own apt configuration uses (/etc/apt/sources.list{,.d}; no host
#      name is written in the repository);
#   2. a fresh clone of this repository inside it, checked out at REV (default HEAD; committed
#      work only);
#   3. README's two commands inside the chroot, as root: `tools/bazel run //ev:demo` and
#      `tools/bazel test //...` (tools/bazel installs every Debian package they need).
# Exit status 0 if and only if both commands succeed. Needs root (debootstrap, chroot, mounts)
# and network access to the Debian mirror; takes a long while (a JDK, Bazel, compilers and the
# whole build and test suite from nothing).
#
# Environment:
#   EV_FRESH_DIR    where the root is made (default: a new directory under /var/tmp)
#   EV_FRESH_KEEP=1 keep the root afterwards (default: it is removed)
#   EV_FRESH_SUITE  Debian suite (default: bookworm)
set -euo pipefail

rev=${1:-HEAD}
suite=${EV_FRESH_SUITE:-bookworm}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "fresh_check: $*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "needs root (debootstrap, chroot, mount)"; exit 2; }
commit=$(git -C "$repo" rev-parse --verify "$rev^{commit}") || { log "no commit $rev"; exit 2; }

if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
        </dev/null >&2
fi

# Every Debian "deb" source of this machine whose suite belongs to $suite (the suite itself,
# -updates, -security), one "URI SUITE COMPONENTS" per line, from one-line .list files and
# deb822 .sources files alike (as tools/debsrc.sh reads them).
debian_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?//p' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        python3 - "$f" <<'PY'
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
    for uri in fields.get("uris", "").split():
        for s in fields.get("suites", "").split():
            print("%s %s %s" % (uri, s, fields.get("components", "main")))
PY
    done
}
mapfile -t sources < <(debian_sources | awk -v s="$suite" '$2 == s || index($2, s "-") == 1')
mirror=
for line in "${sources[@]}"; do
    read -r uri s _ <<<"$line"
    if [[ $s == "$suite" ]]; then
        mirror=$uri
        break
    fi
done
[[ -n $mirror ]] || { log "no '$suite' source in /etc/apt/sources.list{,.d}"; exit 2; }

root=${EV_FRESH_DIR:-}
if [[ -z $root ]]; then
    root=$(mktemp -d /var/tmp/ev-fresh.XXXXXX)
else
    mkdir -p "$root"
    root=$(cd "$root" && pwd)
fi
[[ $root != / ]] || { log "refusing / as the root"; exit 2; }

mounted=()
mounts_under_root() { awk -v r="$root/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo; }
cleanup() {
    local rc=$?
    set +e
    if [[ -x $root/usr/bin/bazel-4 && -d $root/src/ev ]]; then
        chroot "$root" /bin/sh -c 'cd /src/ev && /usr/bin/bazel-4 shutdown' >/dev/null 2>&1
    fi
    # Processes of ours still running in the root (a Bazel server, a test's child).
    local p
    for p in /proc/[0-9]*; do
        if [[ $(readlink "$p/root" 2>/dev/null) == "$root" ]]; then
            kill -9 "${p#/proc/}" 2>/dev/null
        fi
    done
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"
    done
    if [[ -n $(mounts_under_root) ]]; then
        log "still mounted under $root, not removing it:"
        mounts_under_root >&2
    elif [[ ${EV_FRESH_KEEP:-} == 1 ]]; then
        log "kept $root"
    else
        rm -rf --one-file-system "$root"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "commit $commit; root $root; mirror $mirror ($suite)"
log "debootstrap --variant=minbase $suite"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1; then
    tail -n 30 "$root.debootstrap.log" >&2
    log "debootstrap failed"
    exit 1
fi
rm -f "$root.debootstrap.log"

# The machine's Debian sources (no options: the root's debian-archive-keyring signs them).
: >"$root/etc/apt/sources.list"
for line in "${sources[@]}"; do
    echo "deb $line" >>"$root/etc/apt/sources.list"
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# A fresh clone of the committed repository (the git of the host: minbase has none).
git clone -q --no-checkout --no-hardlinks "$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)" \
    "$root/src/ev"
git -C "$root/src/ev" -c advice.detachedHead=false checkout -q --detach "$commit"

# What the tests use: /proc, /sys, /dev (+ pts, a private /dev/shm), a tmpfs /tmp is not
# needed (the root's /tmp is a directory).
mount_at() { # mount_at TARGET mount-args...
    local target=$1
    shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounted+=("$target")
}
mount_at "$root/proc" -t proc proc
mount_at "$root/sys" -t sysfs sysfs
mount_at "$root/dev" --bind /dev
mount_at "$root/dev/pts" --bind /dev/pts
mount_at "$root/dev/shm" -t tmpfs -o mode=1777,nosuid,nodev tmpfs

in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /src/ev && $1" </dev/null
}

status=0
log "\$ tools/bazel run //ev:demo"
if in_root 'tools/bazel run //ev:demo' >&2; then
    demo=ok
else
    demo="FAILED (exit $?)"
    status=1
fi
log "\$ tools/bazel test //..."
if in_root 'tools/bazel test //...' 2>&1 | tee "$root/test.log" >&2; then
    tests=ok
else
    tests="FAILED (exit ${PIPESTATUS[0]})"
    status=1
fi
summary=$(grep -E '^Executed [0-9]+ out of [0-9]+ test' "$root/test.log" | tail -n 1 || true)
echo "fresh_check: $suite minbase, commit ${commit:0:12}: tools/bazel run //ev:demo: $demo;" \
    "tools/bazel test //...: $tests${summary:+ ($summary)}"
exit "$status"
