# Shared settings and helpers for the test/vm scripts. Sourced, never run.
# shellcheck shell=bash

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$VM_DIR/versions.env"

# Downloads and builds live outside the clone, so `git clean` and fresh
# checkouts keep them, and nothing large is ever committed by accident.
VM_CACHE=${VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camagent/vm}
# Keyed by ABI and package version: a bump in versions.env lands in a new
# directory, so a stale kernel or module is never mixed with a new one.
VM_KERNEL_CACHE="$VM_CACHE/linux-${KERNEL_ABI}_${KERNEL_VERSION}"

# set -e stops silently; say which command in which script failed.
set -E
trap 'echo "vm: $(basename "$0"):$LINENO: failed: $BASH_COMMAND" >&2' ERR

log() { echo "vm: $*" >&2; }
die() { echo "vm: $*" >&2; exit 1; }

# need TOOL...: a missing tool is always an error, never a silent skip (CI
# must not go green without having booted anything). install-deps installs
# every one of them.
need() {
  local t missing=()
  for t; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) && return 0
  die "missing tool(s): ${missing[*]}${CI:+ (CI=$CI)}; run ./scripts/install-deps.sh"
}

# arch_vars ARCH: sets what differs between the two guest architectures.
#   KARCH   kernel ARCH= for the module build
#   GNU     GNU triplet of the cross toolchain
#   QEMU    system emulator
#   CONSOLE the serial console device the kernel writes to
#   KVER    `uname -r` of the guest kernel
# shellcheck disable=SC2034 # the callers use them
arch_vars() {
  case $1 in
    amd64) KARCH=x86 GNU=x86_64-linux-gnu QEMU=qemu-system-x86_64 CONSOLE=ttyS0 ;;
    arm64) KARCH=arm64 GNU=aarch64-linux-gnu QEMU=qemu-system-aarch64 CONSOLE=ttyAMA0 ;;
    *) die "unsupported architecture '$1' (use amd64 or arm64)" ;;
  esac
  KVER="$KERNEL_ABI-$1"
}

# kernel_root ARCH: where kernel.sh puts that architecture's kernel tree.
kernel_root() { echo "$VM_KERNEL_CACHE/$1"; }
