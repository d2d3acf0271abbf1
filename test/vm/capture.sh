#!/usr/bin/env bash
# capture.sh [ARCH...]   (default: amd64 arm64)
#
# The V4L2 source against a real kernel: builds capture.test statically for
# each architecture (pure Go, CGO_ENABLED=0: the V4L2 layer is our own
# ioctls, see capture/V4L2.md), boots the pinned kernel with
# guest/capture.sh (vivid: capture in YUYV/NV12/YU12 at 640x480 and
# 1280x720, then hot-unplug and reload) and reports pass/fail with the wall
# time. Architectures run one after the other: TCG wants both cores.
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
  echo "== capture $arch: building capture.test, booting $KVER"
  rc=0
  mkdir -p "$tmp/$arch"
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
    go test -c -trimpath -o "$tmp/$arch/capture.test" ./capture) || rc=$?
  built=$(date +%s.%N)
  ((rc)) || VM_TIMEOUT="${VM_TIMEOUT:-400}" "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/capture.sh" "$tmp/$arch/capture.test" || rc=$?
  times=$(echo "$start $built $(date +%s.%N)" |
    awk '{printf "%.1fs (go build %.1fs, kernel+initramfs+qemu %.1fs)", $3 - $1, $2 - $1, $3 - $2}')
  if ((rc == 0)); then
    summary+=("capture $arch: PASS in $times")
  else
    summary+=("capture $arch: FAIL (exit $rc) after $times")
    failed=1
  fi
  echo "${summary[-1]}"
done
printf '%s\n' "== capture summary" "${summary[@]}"
exit "$failed"
