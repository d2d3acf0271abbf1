#!/usr/bin/env bash
# smoke.sh [ARCH...]   (default: amd64 arm64; this is `make vmtest`)
#
# The bench's own test: for each architecture, build the static probe for it,
# boot the pinned kernel with guest/smoke.sh, and report pass/fail with the
# wall time (including any cold-cache fetch and build). Runs the
# architectures one after another: the machine has two shared cores and TCG
# wants both. Exits non-zero if any architecture failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=("$@")
((${#arches[@]})) || arches=(amd64 arm64)
need go
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
summary=()
for arch in "${arches[@]}"; do
  arch_vars "$arch"
  start=$(date +%s.%N)
  echo "== vmtest $arch: building probe, booting $KVER"
  rc=0
  # Static (CGO_ENABLED=0): the guest has no libc. probe.test is the probe's
  # own unit tests, run on the guest's architecture as a `go test -c` example.
  (cd "$VM_DIR/probe" && export CGO_ENABLED=0 GOOS=linux GOARCH="$arch" &&
    go build -trimpath -ldflags=-s -o "$tmp/$arch/probe" . &&
    go test -c -trimpath -o "$tmp/$arch/probe.test" .) || rc=$?
  built=$(date +%s.%N)
  ((rc)) || "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/smoke.sh" "$tmp/$arch/probe" "$tmp/$arch/probe.test" || rc=$?
  times=$(echo "$start $built $(date +%s.%N)" |
    awk '{printf "%.1fs (go build %.1fs, kernel+initramfs+qemu %.1fs)", $3 - $1, $2 - $1, $3 - $2}')
  if ((rc == 0)); then
    summary+=("vmtest $arch: PASS in $times")
  else
    summary+=("vmtest $arch: FAIL (exit $rc) after $times")
    failed=1
  fi
  echo "${summary[-1]}"
done
printf '%s\n' "== vmtest summary" "${summary[@]}"
exit "$failed"
