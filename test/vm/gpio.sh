#!/usr/bin/env bash
# gpio.sh [ARCH...]   (default: amd64 arm64)
#
# The device/ package's GPIO against a real kernel: builds device.test
# statically for each architecture (pure Go, CGO_ENABLED=0; go-gpiocdev),
# boots the pinned kernel with guest/gpio.sh (a gpio-sim chip "camagent-io"
# with named lines; inputs driven through gpio-sim's sysfs pull attributes)
# and reports pass/fail with the wall time. Not part of scripts/test.sh.
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
  echo "== gpio $arch: building device.test, booting $KVER"
  rc=0
  mkdir -p "$tmp/$arch"
  (cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" \
    go test -c -trimpath -o "$tmp/$arch/device.test" ./device) || rc=$?
  built=$(date +%s.%N)
  ((rc)) || VM_TIMEOUT="${VM_TIMEOUT:-300}" "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/gpio.sh" "$tmp/$arch/device.test" || rc=$?
  times=$(echo "$start $built $(date +%s.%N)" |
    awk '{printf "%.1fs (go build %.1fs, kernel+initramfs+qemu %.1fs)", $3 - $1, $2 - $1, $3 - $2}')
  if ((rc == 0)); then
    summary+=("gpio $arch: PASS in $times")
  else
    summary+=("gpio $arch: FAIL (exit $rc) after $times")
    failed=1
  fi
  echo "${summary[-1]}"
done
printf '%s\n' "== gpio summary" "${summary[@]}"
exit "$failed"
