#!/usr/bin/env bash
# initramfs.sh ARCH OUT GUEST_SCRIPT [FILE...]
#
# Writes a cpio (newc) initramfs to OUT: busybox, our /init, the guest script
# as /guest/test.sh, each FILE under /guest/ by its base name (static
# binaries, e.g. `go test -c` output built for ARCH), and the kernel modules
# a device test may load with `modprobe`. Which modules go in, and in what
# dependency order they load, is decided here on the host from the cached
# kernel tree; the guest's busybox modprobe only reads the modules.dep made
# for this subset.
#
# Modules: vivid (capture), vicodec (M2M codec), v4l2loopback (a capture
# node fed by a writer: MJPEG), gpio-sim (+configfs) and
# gpio-mockup (GPIO), virtio_pci/virtio_net (user-mode networking), plus any
# listed in VM_MODULES (space-separated names, e.g. "i6300esb").
#
# VM_OVERLAY (optional): space-separated directories whose contents are
# copied over the root of the initramfs, in order, modes kept (a root-
# filesystem overlay: /usr/bin/..., /etc/init.d/...). Applied after busybox,
# /init and /guest, so an overlay must not bring its own /init or /guest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

(($# >= 3)) || die "usage: initramfs.sh ARCH OUT GUEST_SCRIPT [FILE...]"
arch=$1 out=$2 guest=$3
shift 3
arch_vars "$arch"
need modprobe depmod cpio
root=$(kernel_root "$arch")
[ -f "$root/.complete" ] || die "no kernel tree for $arch; run kernel.sh $arch first"
[ -f "$guest" ] || die "guest script $guest not found"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,guest,proc,sys,tmp}
install -m 755 "$root/busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 755 "$VM_DIR/init.sh" "$stage/init"
install -m 755 "$guest" "$stage/guest/test.sh"
for f; do
  [ -f "$f" ] || die "file $f not found"
  name=$(basename "$f")
  [ "$name" != test.sh ] || die "a FILE may not be named test.sh (that is the guest script)"
  cp -p "$f" "$stage/guest/$name"
done

for d in ${VM_OVERLAY:-}; do
  [ -d "$d" ] || die "VM_OVERLAY: $d is not a directory"
  for own in init guest bin/busybox; do
    [ ! -e "$d/$own" ] || die "VM_OVERLAY: $d/$own would replace the bench's own /$own"
  done
  cp -a "$d/." "$stage/"
done

# Copy each module with its dependencies (in modprobe's order), keeping the
# paths relative to lib/modules/KVER so a host-side depmod can index them.
mods="$root/lib/modules/$KVER"
dst="$stage/lib/modules/$KVER"
mkdir -p "$dst"
for m in configfs vivid vicodec v4l2loopback gpio-sim gpio-mockup virtio_pci virtio_net ${VM_MODULES:-}; do
  deps=$(modprobe -d "$root" -S "$KVER" --show-depends "$m") || die "module $m not found for $KVER"
  while read -r kind path _; do
    [ "$kind" = insmod ] || continue # "builtin NAME": nothing to copy
    rel=${path#"$mods/"}
    mkdir -p "$dst/$(dirname "$rel")"
    cp "$path" "$dst/$rel"
  done <<<"$deps"
done
cp "$mods"/modules.{builtin,builtin.modinfo,order} "$dst/"
depmod -b "$stage" "$KVER"

# Owned by root whoever builds it; sorted so the archive is reproducible.
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null --quiet -o -H newc -R 0:0) >"$out"
