#!/bin/busybox sh
# shellcheck shell=dash
# /init of the test VM (busybox ash, not bash: the guest has only busybox).
# It prepares the few filesystems a device test needs, runs /guest/test.sh
# and prints its exit code on the console in a marker line that boot.sh reads
# back, then powers the machine off. The marker carries a per-boot token from
# the kernel command line, so output of the test itself cannot fake it.
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run
/bin/busybox --install -s
export PATH=/guest:/sbin:/bin:/usr/sbin:/usr/bin HOME=/tmp TMPDIR=/tmp

arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -1; }

setup() {
  mount -t sysfs sysfs /sys &&
    mount -t devtmpfs devtmpfs /dev &&
    mkdir -p /dev/pts /dev/shm &&
    mount -t devpts devpts /dev/pts &&
    mount -t tmpfs tmpfs /dev/shm &&
    mount -t tmpfs tmpfs /tmp &&
    mount -t tmpfs tmpfs /run &&
    mount -t debugfs debugfs /sys/kernel/debug &&
    # configfs is a module in Debian's kernels; gpio-sim is driven through it.
    modprobe configfs &&
    mount -t configfs configfs /sys/kernel/config &&
    ip link set lo up || return 1
  [ "$(arg vm.net)" = 1 ] || return 0
  # qemu user-mode networking: fixed addresses, no DHCP client needed.
  modprobe virtio_pci && modprobe virtio_net || return 1
  i=0
  while [ ! -e /sys/class/net/eth0 ]; do
    i=$((i + 1))
    [ $i -le 50 ] || { echo "vm init: no eth0"; return 1; }
    sleep 0.1
  done
  ip link set eth0 up &&
    ip addr add 10.0.2.15/24 dev eth0 &&
    ip route add default via 10.0.2.2
}

echo # SeaBIOS leaves amd64's console mid-line
mount -t proc proc /proc
token=$(arg vm.token)
if setup; then
  cd /guest && sh ./test.sh
  rc=$?
else
  echo "vm init: setting up the guest failed"
  rc=125
fi
echo "@@vm-exit $token rc=$rc@@"
sync
poweroff -f
