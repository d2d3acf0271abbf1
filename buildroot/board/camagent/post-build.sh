#!/bin/sh
#
# camagent post-build script: $1 is the target directory.
#
# Mount points for the data and boot partitions (the root filesystem is
# read-only at run time), and a check that nothing offers a network login.

set -u
set -e

TARGET="$1"

mkdir -p "${TARGET}/data" "${TARGET}/boot"

# No telnet, SSH or other network login in these images. Set
# CAMAGENT_ALLOW_REMOTE_LOGIN=1 in the environment of "make" to build a
# development image that has one.
if [ "${CAMAGENT_ALLOW_REMOTE_LOGIN:-0}" != "1" ]; then
	found=""
	for f in usr/sbin/telnetd sbin/telnetd usr/sbin/dropbear \
		usr/sbin/sshd usr/sbin/inetd etc/init.d/S50telnet \
		etc/init.d/S50dropbear etc/init.d/S50sshd; do
		if [ -e "${TARGET}/${f}" ] || [ -L "${TARGET}/${f}" ]; then
			found="${found} /${f}"
		fi
	done
	if [ -n "${found}" ]; then
		echo "camagent post-build: network login found:${found}" >&2
		echo "camagent post-build: remove it, or set CAMAGENT_ALLOW_REMOTE_LOGIN=1" >&2
		exit 1
	fi
fi
