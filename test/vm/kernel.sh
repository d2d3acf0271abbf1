#!/usr/bin/env bash
# kernel.sh ARCH
#
# Makes sure the cache holds a bootable kernel tree for ARCH and prints its
# directory: Debian's pinned kernel image and all its modules, the
# out-of-tree test drivers (vicodec, gpio-sim, gpio-mockup, v4l2loopback, ...)
# in lib/modules/KVER/extra, a modules.dep covering
# both, the guest's static busybox, and on amd64 an uncompressed vmlinux.
# A warm cache costs nothing; a cold one downloads ~150 MB and builds for ~1 min.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

(($# == 1)) || die "usage: kernel.sh ARCH"
arch=$1
arch_vars "$arch"
root=$(kernel_root "$arch")

# The stamp records everything the tree was made from; any change (a pin, the
# Kbuild, the build script) makes it stale and the tree is rebuilt.
want=$(cat "$VM_DIR/versions.env" "$VM_DIR/oot/Kbuild" "$VM_DIR/oot-build.sh" "$0" | sha256sum | cut -c1-16)
ready() { [ "$(cat "$root/.complete" 2>/dev/null)" = "$want" ]; }
ready && { echo "$root"; exit 0; }

# Two runs (e.g. parallel test jobs) must not build the same tree at once.
mkdir -p "$VM_CACHE"
exec 9>"$VM_CACHE/.lock"
flock 9
ready && { echo "$root"; exit 0; }

need dpkg dpkg-deb depmod xz flock
log "kernel: preparing $KVER ($KERNEL_VERSION) in $root"
tmp=$(mktemp -d "$VM_CACHE/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

host=$(dpkg --print-architecture)
pkgs=(
  "linux-image-$KVER:$arch=$KERNEL_VERSION"
  "busybox-static:$arch=$BUSYBOX_VERSION"
  "linux-headers-$KVER:$arch=$KERNEL_VERSION"
  "linux-headers-$KERNEL_ABI-common=$KERNEL_VERSION"
  "$KERNEL_KBUILD_PACKAGE:$host=$KERNEL_VERSION" # runs on the build host
  "v4l2loopback-dkms=$V4L2LOOPBACK_VERSION" # source only, architecture all
)
[ -f "$VM_KERNEL_CACHE/src/.complete" ] || pkgs+=("$KERNEL_SOURCE_PACKAGE=$KERNEL_VERSION")
"$VM_DIR/apt-fetch.sh" "$tmp/debs" "${pkgs[@]}"

stage="$tmp/root"
log "kernel: unpacking linux-image-$KVER"
dpkg-deb -x "$(echo "$tmp/debs/linux-image-${KVER}_"*.deb)" "$stage"
rm -rf "${stage:?}/usr" # device trees: qemu's virt machine generates its own
dpkg-deb --fsys-tarfile "$(echo "$tmp/debs/busybox-static_"*.deb)" | tar -xO ./bin/busybox >"$stage/busybox"
chmod 755 "$stage/busybox"

# amd64: the bzImage's payload is one XZ stream holding an ELF vmlinux with a
# PVH entry note. Booting that ELF directly skips ~2 s of in-guest XZ
# decompression under TCG.
if [ "$arch" = amd64 ]; then
  img="$stage/boot/vmlinuz-$KVER"
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img" | head -1 | cut -d: -f1)
  [ -n "$off" ] || die "kernel: no XZ payload found in $img"
  tail -c +"$((off + 1))" "$img" >"$tmp/payload.xz"
  xz -dc --single-stream "$tmp/payload.xz" >"$stage/boot/vmlinux-$KVER"
  [ "$(head -c4 "$stage/boot/vmlinux-$KVER" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    die "kernel: extracted vmlinux is not an ELF file"
fi

"$VM_DIR/oot-build.sh" "$arch" "$tmp/debs" "$stage/lib/modules/$KVER/extra"

# The .debs ship no modules.dep (Debian's postinst makes it).
depmod -b "$stage" "$KVER"
echo "$want" >"$stage/.complete"
rm -rf "$root"
mkdir -p "$(dirname "$root")"
mv "$stage" "$root"
log "kernel: $KVER ready ($(du -sh "$root" | cut -f1))"
echo "$root"
