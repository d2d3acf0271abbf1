#!/bin/sh
#
# Boots the camagent qemu_aarch64_virt image: rootfs.ext4 (read-only root),
# data.ext4 (label camdata) and camboot.vfat (label CAMBOOT) on virtio-blk
# PCI disks, in this order (vda, vdb, vdc), an i6300esb watchdog, and user
# networking that forwards RTSP (8554) and ONVIF (8080) from the host's
# loopback. Extra qemu arguments are appended, e.g. a USB camera:
#   ./start-qemu.sh -device qemu-xhci -device usb-host,vendorid=0x046d,productid=0x0825

cd "$(dirname "$0")" || exit 1

exec qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 1024 -nographic \
	-kernel Image \
	-append "rootwait root=/dev/vda rootfstype=ext4 ro console=ttyAMA0" \
	-drive file=rootfs.ext4,if=none,format=raw,id=root \
	-device virtio-blk-pci,drive=root \
	-drive file=data.ext4,if=none,format=raw,id=data \
	-device virtio-blk-pci,drive=data \
	-drive file=camboot.vfat,if=none,format=raw,id=boot \
	-device virtio-blk-pci,drive=boot \
	-netdev user,id=eth0,hostfwd=tcp:127.0.0.1:8554-:8554,hostfwd=tcp:127.0.0.1:8080-:8080 \
	-device virtio-net-pci,netdev=eth0 \
	-device i6300esb \
	"$@"
