#!/usr/bin/env bash
# m2m.sh [ARCH...]   (default: amd64 arm64)
#
# The V4L2 M2M encoder (encode/m2m*.go) against a real kernel: builds
# encode.test statically for each architecture (pure Go, CGO_ENABLED=0:
# the OpenH264 tests drop out, the M2M ioctls are our own), boots the
# pinned kernel with guest/m2m.sh (vicodec single-planar, then
# multiplanar=1: encode 640x480 I420 to FWHT, drain, decode back and
# compare) and reports pass/fail with the wall time. Architectures run one
# after the other: TCG wants both cores.
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
  echo "== m2m $arch: building encode.test, booting $KVER"
  rc=0
  mkdir -p "$tmp/$arch"
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
    go test -c -trimpath -o "$tmp/$arch/encode.test" ./encode) || rc=$?
  built=$(date +%s.%N)
  ((rc)) || VM_TIMEOUT="${VM_TIMEOUT:-400}" "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/m2m.sh" "$tmp/$arch/encode.test" || rc=$?
  times=$(echo "$start $built $(date +%s.%N)" |
    awk '{printf "%.1fs (go build %.1fs, kernel+initramfs+qemu %.1fs)", $3 - $1, $2 - $1, $3 - $2}')
  if ((rc == 0)); then
    summary+=("m2m $arch: PASS in $times")
  else
    summary+=("m2m $arch: FAIL (exit $rc) after $times")
    failed=1
  fi
  echo "${summary[-1]}"
done
printf '%s\n' "== m2m summary" "${summary[@]}"
exit "$failed"
