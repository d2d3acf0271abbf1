#!/usr/bin/env bash
# run.sh ARCH GUEST_SCRIPT [FILE...]
#
# Runs GUEST_SCRIPT (busybox sh) as the payload of a freshly booted Linux
# kernel for ARCH (amd64 or arm64) under qemu and exits with its exit code.
# FILEs (static binaries built for ARCH, data) are placed next to it in
# /guest, which is also the script's working directory and first in PATH.
# The kernel and the out-of-tree test drivers come from the cache
# (~/.cache/camagent/vm), fetched and built on first use. See README.md for
# the environment variables (VM_HOSTFWD, VM_TIMEOUT, VM_MODULES, ...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

(($# >= 2)) || die "usage: run.sh ARCH GUEST_SCRIPT [FILE...]"
arch=$1
shift
arch_vars "$arch"

"$VM_DIR/kernel.sh" "$arch" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$VM_DIR/initramfs.sh" "$arch" "$tmp/initrd.cpio" "$@"
rc=0
"$VM_DIR/boot.sh" "$arch" "$tmp/initrd.cpio" || rc=$?
exit "$rc"
