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

# stop_pid PID: stops a background job of ours (nothing if PID is empty).
# shellcheck disable=SC2317 # called from EXIT traps
stop_pid() { [ -z "$1" ] || { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }; }

# vm_mosquitto DIR: starts a real Mosquitto on a random loopback port for a
# guest to reach through VM_GUESTFWD, logging to DIR/mosquitto.log; sets
# mport and broker (its pid; the caller stops it). Retries when a port is
# taken.
vm_mosquitto() {
  local dir=$1
  for _ in 1 2 3 4 5; do
    mport=$((20000 + RANDOM % 40000))
    {
      echo "listener $mport 127.0.0.1"
      echo "allow_anonymous true"
      echo "log_dest stderr"
      echo "log_type error"
      echo "log_type warning"
      echo "log_type notice"
      echo "connection_messages true"
      # As root, mosquitto would switch to the user "mosquitto".
      [ "$(id -u)" != 0 ] || echo "user root"
    } >"$dir/mosquitto.conf"
    mosquitto -c "$dir/mosquitto.conf" >>"$dir/mosquitto.log" 2>&1 &
    broker=$!
    for _ in $(seq 50); do
      # Someone else's server on that port would answer too: mosquitto
      # then exits at once (address in use), so it must still be alive.
      if (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null; then
        sleep 0.3
        kill -0 "$broker" 2>/dev/null && return 0
        break
      fi
      kill -0 "$broker" 2>/dev/null || break
      sleep 0.1
    done
    kill "$broker" 2>/dev/null || true
    wait "$broker" 2>/dev/null || true
    broker=""
  done
  cat "$dir/mosquitto.log" >&2
  die "mosquitto did not start"
}

# seen FILE DEVICE KIND [FILTER...]: how many messages `camctl -json watch`
# recorded in FILE on DEVICE's KIND topic (status, health, event/tamper)
# whose JSON line also holds every FILTER (e.g. "state":"online").
seen() {
  local lines f
  lines=$(grep -F "\"topic\":\"camagent/v1/$2/$3\"" "$1" 2>/dev/null) || true
  for f in "${@:4}"; do lines=$(grep -F -- "$f" <<<"$lines") || true; done
  if [ -n "$lines" ]; then wc -l <<<"$lines"; else echo 0; fi
}

# kernel_root ARCH: where kernel.sh puts that architecture's kernel tree.
kernel_root() { echo "$VM_KERNEL_CACHE/$1"; }

# guest_suite NAME GUEST TIMEOUT KIND PKG OUT [ARCH...]
# The shared runner of the Go suites in the guests: for each ARCH (default
# amd64 arm64, one after the other, since TCG wants both cores) it builds PKG
# statically in pure Go — KIND "test" with `go test -c -tags vmtest`, "cmd" with
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
  # vmtest: the tests that exist only for the guests (they need its
  # virtual devices, and fail rather than skip without them).
  local build=(go test -c -tags vmtest)
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
