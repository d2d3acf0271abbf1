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

# guest_suite NAME GUEST TIMEOUT KIND PKG OUT [ARCH...]
# The shared runner of the Go suites in the guests: for each ARCH (default
# amd64 arm64, one after the other, since TCG wants both cores) it builds PKG
# statically in pure Go — KIND "test" with `go test -c`, "cmd" with
# `go build` — as OUT, boots the pinned kernel with guest/GUEST and OUT, and
# prints PASS/FAIL with the wall time; a summary follows and the status is
# non-zero if any architecture failed. VM_LOG_DIR keeps each console log.
guest_suite() {
  local name=$1 guest=$2 timeout=$3 kind=$4 pkg=$5 out=$6
  shift 6
  local arches=("$@")
  ((${#arches[@]})) || arches=(amd64 arm64)
  need go
  local root tmp
  root=$(cd "$VM_DIR/../.." && pwd)
  tmp=$(mktemp -d)
  trap "rm -rf '$tmp'" EXIT # expanded now: tmp is local to this function
  local build=(go test -c)
  [[ $kind == cmd ]] && build=(go build)
  local failed=0 summary=() arch start built rc times log
  for arch in "${arches[@]}"; do
    arch_vars "$arch"
    start=$(date +%s.%N)
    echo "== $name $arch: building $out, booting $KVER"
    rc=0
    mkdir -p "$tmp/$arch"
    (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
      "${build[@]}" -trimpath -o "$tmp/$arch/$out" "$pkg") || rc=$?
    built=$(date +%s.%N)
    log=()
    [[ -z "${VM_LOG_DIR:-}" ]] || { mkdir -p "$VM_LOG_DIR"; log=(VM_LOG="$VM_LOG_DIR/$name-$arch.log"); }
    ((rc)) || env "${log[@]}" VM_TIMEOUT="${VM_TIMEOUT:-$timeout}" "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/$guest" "$tmp/$arch/$out" || rc=$?
    times=$(echo "$start $built $(date +%s.%N)" |
      awk '{printf "%.1fs (go build %.1fs, kernel+initramfs+qemu %.1fs)", $3 - $1, $2 - $1, $3 - $2}')
    if ((rc == 0)); then
      summary+=("$name $arch: PASS in $times")
    else
      summary+=("$name $arch: FAIL (exit $rc) after $times")
      failed=1
    fi
    echo "${summary[-1]}"
  done
  printf '%s\n' "== $name summary" "${summary[@]}"
  return "$failed"
}
