#!/usr/bin/env bash
# --run_under wrapper of --config=aarch64: runs an aarch64 Linux program under qemu-user with the
# cross sysroot of Debian's gcc-aarch64-linux-gnu (/usr/aarch64-linux-gnu: ld-linux-aarch64.so.1,
# libc, libstdc++). Anything else (a test that is a shell script, a host program) runs as it is.
#
# - The program's argv[0] is this script (qemu's -0), and EV_QEMU_EXE names the program: when a
#   test re-executes itself (GoogleTest's "threadsafe" death tests exec argv[0]), the kernel, which
#   cannot run an aarch64 ELF here, runs this script again, and it starts qemu on EV_QEMU_EXE.
# - EV_TEST_EMULATOR=qemu-user tells tests what runs them: qemu-user emulates no io_uring (ev
#   falls back to epoll) and no select() on fds >= FD_SETSIZE; tests of those skip with a reason.
# - EV_RUN_TARGET, set for a test that is a script, names this wrapper, so the script can run the
#   aarch64 programs it was given (unset natively: the programs then run as they are).
set -euo pipefail
QEMU=${QEMU_AARCH64:-qemu-aarch64}
SYSROOT=/usr/aarch64-linux-gnu
self=$(readlink -f "${BASH_SOURCE[0]}")

is_aarch64_elf() {
    # "\177ELF", then e_machine (bytes 18-19, little-endian) 183 = EM_AARCH64.
    [[ -f $1 ]] &&
        [[ $(head -c 4 "$1" | od -An -c | tr -d ' ') == '177ELF' ]] &&
        [[ $(od -An -t u2 -j 18 -N 2 "$1" | tr -d ' ') == 183 ]]
}

if (($# > 0)) && is_aarch64_elf "$1"; then
    exe=$(readlink -f "$1")
    shift
elif [[ -n ${EV_QEMU_EXE:-} ]] && { (($# == 0)) || [[ ! -f $1 ]]; }; then
    exe=$EV_QEMU_EXE # re-executed as argv[0] of the program: the arguments are the program's
else
    # A script (or host program) runs as it is; it can start aarch64 programs of its own through
    # "$EV_RUN_TARGET" (this script), as diff_replay_test.sh does with its driver.
    export EV_RUN_TARGET=$self
    exec "$@"
fi
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "qemu_aarch64.sh: $QEMU not found (Debian: qemu-user; tools/bazel installs it)" >&2
    exit 1
fi
export EV_QEMU_EXE=$exe
export EV_TEST_EMULATOR=qemu-user
exec "$QEMU" -L "$SYSROOT" -0 "$self" "$exe" "$@"
