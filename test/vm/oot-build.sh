#!/usr/bin/env bash
# oot-build.sh ARCH DEBDIR OUTDIR
#
# Builds vicodec, gpio-sim, gpio-mockup and irq_sim_mod (plus v4l2-mem2mem
# where the kernel lacks it) and v4l2loopback for the pinned Debian kernel, out
# of tree, and puts the debug-stripped .ko files in OUTDIR. DEBDIR holds the
# .debs that kernel.sh fetched: linux-headers-<ABI>-ARCH,
# linux-headers-<ABI>-common, the host's linux-kbuild, v4l2loopback-dkms and
# (unless already unpacked in the cache) linux-source. The kernel's own
# sources come from the very package version the kernel was built from, and
# the headers carry its .config and Module.symvers, so vermagic and symbol
# versions match Debian's own modules.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

(($# == 3)) || die "usage: oot-build.sh ARCH DEBDIR OUTDIR"
arch=$1 debs=$2 out=$3
arch_vars "$arch"
need dpkg-deb tar xz make "$GNU-gcc-12" "$GNU-strip"

# The few upstream files we need, unpacked once per kernel version and shared
# by both architectures (the 139 MB linux-source takes ~15 s to unpack).
src="$VM_KERNEL_CACHE/src"
files=(
  drivers/media/test-drivers/vicodec
  drivers/media/v4l2-core/v4l2-mem2mem.c
  drivers/gpio/gpio-sim.c drivers/gpio/gpio-mockup.c drivers/gpio/gpiolib.h
  kernel/irq/irq_sim.c
)
if [ ! -f "$src/.complete" ]; then
  log "oot: unpacking ${files[*]} from $KERNEL_SOURCE_PACKAGE"
  rm -rf "$src" && mkdir -p "$src"
  deb=$(echo "$debs/${KERNEL_SOURCE_PACKAGE}_"*.deb)
  [ -f "$deb" ] || die "oot: $KERNEL_SOURCE_PACKAGE .deb missing in $debs"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$KERNEL_SOURCE_PACKAGE.tar.xz" |
    tar -xJ -C "$src" --strip-components=1 "${files[@]/#/$KERNEL_SOURCE_PACKAGE/}"
  touch "$src/.complete"
fi

work=$(mktemp -d "$VM_CACHE/oot.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Headers: unpacked into a private root so their relative scripts/ and tools/
# symlinks into linux-kbuild resolve; the one absolute include of the -common
# tree is pointed at that root too.
for deb in "$debs"/linux-headers-"$KERNEL_ABI"-{"$arch","common"}_*.deb "$debs/${KERNEL_KBUILD_PACKAGE}_"*.deb; do
  [ -f "$deb" ] || die "oot: missing $deb"
  dpkg-deb -x "$deb" "$work/root"
done
headers="$work/root/usr/src/linux-headers-$KVER"
sed -i "s|^include /usr/src/|include $work/root/usr/src/|" "$headers/Makefile"

# Module sources, flat, next to our Kbuild.
m="$work/m"
mkdir -p "$m"
cp "$VM_DIR/oot/Kbuild" "$src"/drivers/media/test-drivers/vicodec/*.[ch] \
  "$src"/drivers/media/v4l2-core/v4l2-mem2mem.c "$src"/drivers/gpio/*.[ch] "$m/"

# v4l2loopback: the two source files of Debian's dkms package (37 kB, fetched
# every time; the cache keeps only the built module).
deb=$(echo "$debs/v4l2loopback-dkms_"*.deb)
[ -f "$deb" ] || die "oot: v4l2loopback-dkms .deb missing in $debs"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$m" --strip-components=4 --wildcards \
  './usr/src/v4l2loopback-*/v4l2loopback.c' './usr/src/v4l2loopback-*/v4l2loopback_formats.h'

# irq_sim as a loadable module needs (1) a licence tag, or the GPL-only irq
# API is refused, and (2) no irq_to_desc(), which is not exported;
# generic_handle_irq() is, and reaches the same handle_simple_irq that
# irq_sim installs for every one of its interrupts.
old='handle_simple_irq(irq_to_desc(irqnum));'
grep -qF "$old" "$src/kernel/irq/irq_sim.c" || die "oot: irq_sim.c changed upstream; revisit the patch in oot-build.sh"
sed "s/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/" "$src/kernel/irq/irq_sim.c" >"$m/irq_sim_mod.c"
printf '\n#include <linux/module.h>\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("irq_sim as a module (camagent test bench)");\n' >>"$m/irq_sim_mod.c"

# Debian amd64 has CONFIG_V4L2_MEM2MEM_DEV unset, arm64 has it as a module.
mem2mem=
grep -q '^CONFIG_V4L2_MEM2MEM_DEV=' "$headers/.config" || mem2mem=m

# (BTF is skipped for want of a vmlinux; the kernel loads such modules fine.)
log "oot: building for $KVER${mem2mem:+ (with v4l2-mem2mem)}"
make -s -C "$headers" M="$m" ARCH="$KARCH" CROSS_COMPILE="$GNU-" OOT_MEM2MEM="$mem2mem" \
  -j"$(nproc)" modules 2>&1 | { grep -v '^Skipping BTF generation' || true; } >&2
mkdir -p "$out"
for ko in irq_sim_mod gpio-sim gpio-mockup vicodec v4l2loopback ${mem2mem:+v4l2-mem2mem}; do
  [ -f "$m/$ko.ko" ] || die "oot: $ko.ko was not built"
  "$GNU-strip" --strip-debug -o "$out/$ko.ko" "$m/$ko.ko"
done
