#!/bin/bash
#
# camagent post-image script. $1: the images directory; $2: "rpi" or
# "qemu" (BR2_ROOTFS_POST_SCRIPT_ARGS).
#
# rpi:  sdcard.img = boot (FAT, label CAMBOOT) + rootfs.ext4 + data.ext4
#       (label camdata), with the boot files listed as Buildroot's own
#       Raspberry Pi post-image.sh lists them.
# qemu: data.ext4 and camboot.vfat beside rootfs.ext4, and start-qemu.sh.

set -e
set -u

BOARD_DIR="$(dirname "$0")"
FLAVOUR="${2:-rpi}"
GENIMAGE_TMP="${BUILD_DIR}/genimage.tmp"
DATA_SIZE="${CAMAGENT_DATA_SIZE:-64M}"

# An empty ext4 filesystem labelled camdata. Fixed UUID, hash seed and
# time (SOURCE_DATE_EPOCH) so that BR2_REPRODUCIBLE builds give the same
# image.
make_data_image() {
	rm -f "${BINARIES_DIR}/data.ext4"
	E2FSPROGS_FAKE_TIME="${SOURCE_DATE_EPOCH:-0}" \
		"${HOST_DIR}/sbin/mkfs.ext4" -q -F -L camdata -m 0 \
		-U 6c2f4a3e-8d1b-4c5e-9a7f-0b3d2e1c4a5b \
		-E hash_seed=6c2f4a3e-8d1b-4c5e-9a7f-0b3d2e1c4a5b,root_owner=0:0 \
		"${BINARIES_DIR}/data.ext4" "${DATA_SIZE}"
}

run_genimage() {
	# genimage copies --rootpath; the images it assembles are prebuilt, so
	# give it an empty one.
	local rootpath
	rootpath="$(mktemp -d)"
	rm -rf "${GENIMAGE_TMP}"
	genimage \
		--rootpath "${rootpath}" \
		--tmppath "${GENIMAGE_TMP}" \
		--inputpath "${BINARIES_DIR}" \
		--outputpath "${BINARIES_DIR}" \
		--config "$1"
	rm -rf "${rootpath}"
}

rpi_image() {
	local cfg="${BINARIES_DIR}/genimage.cfg"
	local files=() kernel boot_files i

	for i in "${BINARIES_DIR}"/*.dtb "${BINARIES_DIR}"/rpi-firmware/*; do
		files+=( "${i#"${BINARIES_DIR}"/}" )
	done
	kernel=$(sed -n 's/^kernel=//p' "${BINARIES_DIR}/rpi-firmware/config.txt")
	files+=( "${kernel}" "camagent-README.txt" )

	boot_files=$(printf '\\t\\t\\t"%s",\\n' "${files[@]}")
	sed "s|#BOOT_FILES#|${boot_files}|" "${BOARD_DIR}/genimage-rpi.cfg.in" \
		>"${cfg}"
	run_genimage "${cfg}"
}

qemu_image() {
	run_genimage "${BOARD_DIR}/genimage-qemu.cfg"
	install -m 0755 "${BOARD_DIR}/qemu/start-qemu.sh" \
		"${BINARIES_DIR}/start-qemu.sh"
}

install -m 0644 "${BOARD_DIR}/boot-README.txt" \
	"${BINARIES_DIR}/camagent-README.txt"
make_data_image
case "${FLAVOUR}" in
rpi)
	rpi_image;;
qemu)
	qemu_image;;
*)
	echo "camagent post-image: unknown board flavour '${FLAVOUR}'" >&2
	exit 1;;
esac
