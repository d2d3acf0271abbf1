#!/usr/bin/env bash
# boot.sh ARCH INITRD
#
# Boots the cached kernel for ARCH with INITRD under qemu (TCG: this machine's
# /dev/kvm cannot run stock kernels), streams the serial console to stdout and
# exits with the guest test's exit code, read from /init's marker line.
# Exit codes of its own: 124 = hard timeout, 125 = no marker (qemu failed to
# start, the guest crashed, or /init could not set up).
#
# Environment:
#   VM_TIMEOUT  hard limit in seconds for the whole boot (default 300)
#   VM_MEM      guest memory in MiB (default 768); VM_SMP vCPUs (default 2)
#   VM_HOSTFWD  host->guest TCP/UDP forwards, qemu hostfwd syntax, separated
#               by spaces or commas, e.g. "tcp::18554-:8554". An empty host
#               address means 127.0.0.1: nothing is exposed beyond loopback.
#   VM_NET=1    user-mode networking without forwards (implied by VM_HOSTFWD)
#   VM_APPEND   extra kernel command line; NAME=value words without a dot
#               become environment variables of /init and the guest script
#   VM_LOG      also keep the console output in this file
#   VM_PVH=0    amd64: boot the bzImage instead of the extracted vmlinux
#   VM_QEMU_ARGS extra qemu arguments, split on spaces, e.g. "-device i6300esb"
#               or "-drive file=boot.img,format=raw,if=virtio"
#   VM_GUESTFWD guest->host TCP forwards, separated by spaces or commas:
#               "tcp:10.0.2.100:1883-tcp:127.0.0.1:PORT" lets the guest reach
#               a host server on loopback at 10.0.2.100:1883 (implies VM_NET).
#               Only 127.0.0.1 may be the target. Each guest connection gets
#               its own host connection (see the note where it is built).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

(($# == 2)) || die "usage: boot.sh ARCH INITRD"
arch=$1 initrd=$2
arch_vars "$arch"
need "$QEMU" timeout od
root=$(kernel_root "$arch")
timeout_s=${VM_TIMEOUT:-300}

token=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
append="console=$CONSOLE panic=-1 quiet loglevel=3 vm.token=$token"

case $arch in
  amd64)
    kernel="$root/boot/vmlinux-$KVER"
    [ "${VM_PVH:-1}" = 1 ] || kernel="$root/boot/vmlinuz-$KVER"
    machine=(-M pc -accel tcg -cpu max)
    ;;
  arm64)
    kernel="$root/boot/vmlinuz-$KVER" # a plain Image; no firmware needed
    # cortex-a57, not max: max's pointer authentication is slow under TCG.
    # shellcheck disable=SC2054 # commas belong to qemu's option syntax
    machine=(-M virt -accel tcg,thread=multi -cpu cortex-a57)
    ;;
esac

# User-mode networking (slirp) only: restrict=on cuts the guest off from the
# host and the outside world; hostfwd listens on loopback and still reaches it.
net=(-nic none)
if [ -n "${VM_HOSTFWD:-}" ] || [ -n "${VM_GUESTFWD:-}" ] || [ "${VM_NET:-0}" = 1 ]; then
  netdev="user,id=n0,restrict=on"
  hostfwd=${VM_HOSTFWD:-} guestfwd=${VM_GUESTFWD:-} # set -u: either may be unset
  for rule in ${hostfwd//,/ }; do
    [[ $rule =~ ^(tcp|udp):([^:]*):([0-9]+)-(.*)$ ]] || die "bad VM_HOSTFWD rule '$rule' (want tcp::HOSTPORT-:GUESTPORT)"
    addr=${BASH_REMATCH[2]:-127.0.0.1}
    [ "$addr" = 127.0.0.1 ] || die "VM_HOSTFWD rule '$rule': only 127.0.0.1 may listen"
    netdev+=",hostfwd=${BASH_REMATCH[1]}:$addr:${BASH_REMATCH[3]}-${BASH_REMATCH[4]}"
  done
  # guestfwd works with restrict=on (slirp lets connections to a guestfwd
  # address through). Its plain "-tcp:HOST:PORT" target is a qemu chardev:
  # ONE host connection, opened when qemu starts and shared by every guest
  # connection, so a client that reconnects (an MQTT client after a restart)
  # would write into the old stream. The "cmd:" target runs a command per
  # guest connection with the connection on its stdin/stdout (qemu splits it
  # like a shell, no redirections): bash's /dev/tcp opens a fresh host
  # connection each time (no nc or socat needed).
  for rule in ${guestfwd//,/ }; do
    [[ $rule =~ ^tcp:([0-9.]+):([0-9]+)-tcp:([^:]+):([0-9]+)$ ]] ||
      die "bad VM_GUESTFWD rule '$rule' (want tcp:10.0.2.100:GUESTPORT-tcp:127.0.0.1:HOSTPORT)"
    [ "${BASH_REMATCH[3]}" = 127.0.0.1 ] || die "VM_GUESTFWD rule '$rule': only 127.0.0.1 may be the target"
    # No commas in the command (netdev's separator); the first side to end
    # (guest or host closed) ends both, so the other side sees the close.
    # "<&0": a background job of a script reads /dev/null unless told.
    netdev+=",guestfwd=tcp:${BASH_REMATCH[1]}:${BASH_REMATCH[2]}-cmd:bash -c 'exec 2>/dev/null 3<>/dev/tcp/127.0.0.1/${BASH_REMATCH[4]} || exit 1; cat <&3 & r=\$!; cat <&0 >&3 & w=\$!; wait -n; kill \$r \$w'"
  done
  # romfile= : no PXE option ROM, so ipxe-qemu is not needed.
  # shellcheck disable=SC2054
  net=(-netdev "$netdev" -device virtio-net-pci,netdev=n0,romfile=)
  append+=" vm.net=1"
fi
append+=" ${VM_APPEND:-}"
# shellcheck disable=SC2206 # word splitting is the interface
extra=(${VM_QEMU_ARGS:-})

log=${VM_LOG:-}
[ -n "$log" ] || {
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
}

# stdin from /dev/null: qemu must not grab (and put into raw mode) a terminal.
# --foreground: Ctrl-C reaches qemu; qemu has no children to kill on timeout.
# sed: CRs of the serial line and SeaBIOS's screen-clearing escapes go.
status=0
if ! timeout --foreground -k 10 "$timeout_s" "$QEMU" "${machine[@]}" -smp "${VM_SMP:-2}" -m "${VM_MEM:-768}" \
  -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" -append "$append" "${net[@]}" "${extra[@]}" \
  </dev/null 2>&1 | sed -u 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | tee "$log"; then
  status=${PIPESTATUS[0]}
fi

rc=$(grep -ao "@@vm-exit $token rc=[0-9]*@@" "$log" | tail -1 | sed 's/.*rc=\([0-9]*\)@@/\1/') || true
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "vm: $arch: timed out after ${timeout_s}s (VM_TIMEOUT)" >&2
  exit 124
fi
if [ -z "$rc" ]; then
  echo "vm: $arch: the guest printed no exit marker (qemu status $status)" >&2
  exit 125
fi
exit "$rc"
