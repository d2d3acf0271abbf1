#!/usr/bin/env bash
# devices.sh [ARCH...]   (default: amd64 arm64)
#
# `camagent devices` against a real kernel: builds the camagent binary
# statically for each architecture (CGO_ENABLED=0: the device listing is
# our own ioctls, see capture/V4L2.md; the OpenH264 software encoder drops
# out, which `devices` does not need), boots the pinned kernel with
# guest/devices.sh (vivid + vicodec: the table, the JSON, and checks that
# vivid is a camera with YUYV and vicodec an encoder with FWHT) and reports
# pass/fail with the wall time. Architectures run one after the other: TCG
# wants both cores. DEVICES_LOG_DIR=dir keeps each console log as
# dir/devices-ARCH.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=("$@")
((${#arches[@]})) || arches=(amd64 arm64)
need go
root=$(cd "$VM_DIR/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
summary=()
for arch in "${arches[@]}"; do
  arch_vars "$arch"
  start=$(date +%s.%N)
  echo "== devices $arch: building camagent, booting $KVER"
  rc=0
  mkdir -p "$tmp/$arch"
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
    go build -trimpath -o "$tmp/$arch/camagent" ./cmd/camagent) || rc=$?
  built=$(date +%s.%N)
  log=()
  [[ -z "${DEVICES_LOG_DIR:-}" ]] || { mkdir -p "$DEVICES_LOG_DIR"; log=(VM_LOG="$DEVICES_LOG_DIR/devices-$arch.log"); }
  ((rc)) || env "${log[@]}" VM_TIMEOUT="${VM_TIMEOUT:-300}" "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/devices.sh" "$tmp/$arch/camagent" || rc=$?
  times=$(echo "$start $built $(date +%s.%N)" |
    awk '{printf "%.1fs (go build %.1fs, kernel+initramfs+qemu %.1fs)", $3 - $1, $2 - $1, $3 - $2}')
  if ((rc == 0)); then
    summary+=("devices $arch: PASS in $times")
  else
    summary+=("devices $arch: FAIL (exit $rc) after $times")
    failed=1
  fi
  echo "${summary[-1]}"
done
printf '%s\n' "== devices summary" "${summary[@]}"
exit "$failed"
