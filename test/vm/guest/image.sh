#!/bin/sh
# Guest side of test/vm/image.sh (busybox sh). The initramfs root carries the
# image's root-filesystem overlay (VM_OVERLAY): /usr/bin/camagent,
# /etc/init.d/S95camagent, /usr/libexec/camagent/{supervise,provision},
# /etc/camagent/default.yaml. Two virtio disks: the FAT boot partition
# (label CAMBOOT) and the ext4 data partition (label camdata).
#
# It does what the board's BusyBox init does (rcS: /etc/init.d/S??* start),
# then checks the result:
#   IMAGE_CASE=provisioned (default): the agent runs; camagent.yaml is gone
#     from the boot disk and is /data/camagent/camagent.yaml, mode 600;
#     `kill -9` of the agent -> a new agent pid within IMAGE_RESPAWN_MS
#     (2000 ms; the measured time is printed as "respawned ... in N ms");
#     then it waits for the host's "done" connection on :9000 (at most
#     IMAGE_WAIT s) while the agent must keep its pid; then
#     `S95camagent stop` must end the agent and the supervisor.
#   IMAGE_CASE=invalid: camagent.yaml on the boot disk is invalid: it must
#     become camagent.yaml.rejected with camagent-errors.txt beside it, no
#     /data/camagent/camagent.yaml, and the agent runs anyway (unprovisioned,
#     on the default configuration) and keeps running for IMAGE_STABLE s.
# The data and boot file systems are unmounted at the end, as at shutdown,
# so the host can read the disk images afterwards.
set -u

kase=${IMAGE_CASE:-provisioned}
wait_s=${IMAGE_WAIT:-400}
respawn_max=${IMAGE_RESPAWN_MS:-2000}
start_s=${IMAGE_START:-180}
stable_s=${IMAGE_STABLE:-8}
initd=/etc/init.d/S95camagent
cfg=/data/camagent/camagent.yaml

say() { echo "== guest: $*"; }
# ms: milliseconds since boot (/proc/uptime has centiseconds).
ms() {
  read -r up _ </proc/uptime
  echo $((${up%.*} * 1000 + 10 * $(echo "${up#*.}" | sed 's/^0*//;s/^$/0/')))
}
dump() {
  say "-- processes"
  ps -o pid,ppid,args 2>/dev/null || ps
  say "-- mounts"
  grep -E ' (/data|/boot|/mnt/[a-z]*) ' /proc/mounts || true
  [ ! -s /tmp/messages ] || { say "-- syslog (last 40 lines)"; tail -40 /tmp/messages; }
  return 0
}
fail() {
  say "FAIL: $*"
  dump
  exit 1
}
# agent_pid: the pid of the running agent ("camagent run ...": not the
# "camagent config check" of provisioning), or nothing.
agent_pid() {
  for p in $(pidof camagent); do
    case " $(tr '\0' ' ' 2>/dev/null </proc/"$p"/cmdline)" in
      *" run "*) echo "$p"; return 0 ;;
    esac
  done
}
# supervisor_running: a process runs .../camagent/supervise (busybox here
# has no pgrep; "[s]" keeps grep from finding itself).
supervisor_running() { grep -ql 'camagent/[s]upervise' /proc/[0-9]*/cmdline 2>/dev/null; }

say "kernel $(uname -r) on $(uname -m), case $kase"
/usr/bin/camagent version | sed -n 1p

# A Buildroot image has these drivers built in or loaded by mdev; here they
# are modules in the initramfs (VM_MODULES). i6300esb: the qemu image's
# /dev/watchdog, which the default configuration (board.watchdog) opens.
for m in virtio_blk vfat nls_cp437 nls_ascii ext4 i6300esb; do
  modprobe "$m" || fail "modprobe $m"
done
i=0
while [ ! -b /dev/vda ] || [ ! -b /dev/vdb ] || [ ! -c /dev/watchdog ]; do
  i=$((i + 1))
  [ $i -le 100 ] || fail "the two virtio disks or /dev/watchdog did not appear"
  sleep 0.1
done
# A camera for the image's default configuration (unprovisioned case).
[ "$kase" = provisioned ] || modprobe vivid || fail "modprobe vivid"
# BusyBox init's sysinit in Buildroot's inittab: the host name from
# /etc/hostname (image.sh writes the defconfig's one there).
if [ -s /etc/hostname ]; then hostname -F /etc/hostname; else hostname buildroot; fi
# The board's syslogd (Buildroot's S01syslogd): whatever the scripts send
# through logger lands in /tmp/messages, shown on failure.
syslogd -O /tmp/messages 2>/dev/null || true

say "rcS: $initd start"
t_start=$(ms)
sh "$initd" start || fail "$initd start: exit $?"

# The supervisor provisions first, then starts the agent.
while [ -z "$(agent_pid)" ]; do
  [ $(($(ms) - t_start)) -le $((start_s * 1000)) ] || fail "no camagent process ${start_s}s after $initd start"
  sleep 0.1
done
pid=$(agent_pid)
say "agent running (pid $pid) $(($(ms) - t_start)) ms after $initd start: $(tr '\0' ' ' </proc/"$pid"/cmdline)"

# The boot partition: where provisioning left it mounted, or mount it here.
bootdev=$(findfs LABEL=CAMBOOT) || fail "findfs LABEL=CAMBOOT"
datadev=$(findfs LABEL=camdata) || fail "findfs LABEL=camdata"
say "boot partition $bootdev, data partition $datadev"
grep -q "^$datadev /data ext4 " /proc/mounts || fail "$datadev is not mounted on /data as ext4"
bootmnt=$(awk -v d="$bootdev" '$1 == d {print $2; exit}' /proc/mounts)
mounted_here=""
if [ -z "$bootmnt" ]; then
  bootmnt=/mnt/bootcheck
  mkdir -p "$bootmnt"
  mount -t vfat -o ro "$bootdev" "$bootmnt" || fail "mount $bootdev"
  mounted_here=1
fi
say "boot partition on $bootmnt: $(cd "$bootmnt" && echo *)"

finish() { # unmount as a shutdown would, then exit with $1
  [ -z "$mounted_here" ] || umount "$bootmnt" || true
  sync
  for m in /data "$(awk -v d="$bootdev" '$1 == d {print $2; exit}' /proc/mounts)"; do
    [ -n "$m" ] || continue
    grep -q " $m " /proc/mounts || continue
    umount "$m" || say "umount $m failed"
  done
  exit "$1"
}

if [ "$kase" = invalid ]; then
  [ ! -e "$bootmnt/camagent.yaml" ] || fail "camagent.yaml is still on the boot partition"
  [ -e "$bootmnt/camagent.yaml.rejected" ] || fail "no camagent.yaml.rejected on the boot partition"
  [ -s "$bootmnt/camagent-errors.txt" ] || fail "no (or an empty) camagent-errors.txt on the boot partition"
  say "camagent-errors.txt:"
  sed 's/^/    /' "$bootmnt/camagent-errors.txt"
  [ ! -e "$cfg" ] || fail "$cfg exists, but the configuration was invalid"
  t0=$(ms)
  while [ $(($(ms) - t0)) -lt $((stable_s * 1000)) ]; do
    [ "$(agent_pid)" = "$pid" ] || fail "the unprovisioned agent did not keep running (pid $pid -> '$(agent_pid)')"
    sleep 0.2
  done
  say "unprovisioned agent still running after ${stable_s}s (pid $pid)"
  grep -q -- "-default-config" /proc/"$pid"/cmdline || fail "the agent was not given -default-config"
else
  [ ! -e "$bootmnt/camagent.yaml" ] || fail "camagent.yaml is still on the boot partition"
  [ ! -e "$bootmnt/camagent.yaml.rejected" ] || fail "camagent.yaml was rejected: $(cat "$bootmnt/camagent-errors.txt" 2>/dev/null)"
  [ -f "$cfg" ] || fail "$cfg does not exist"
  mode=$(stat -c %a "$cfg")
  [ "$mode" = 600 ] || fail "$cfg has mode $mode, want 600"
  say "provisioned: $cfg mode $mode, $(wc -c <"$cfg") bytes; boot partition cleaned"
  say "data partition layout:"
  # shellcheck disable=SC2012 # for the log only
  ls -ln /data/camagent | sed 's/^/    /'

  # kill -9: the supervisor must start a new agent within respawn_max ms.
  t0=$(ms)
  kill -9 "$pid" || fail "kill -9 $pid"
  new=""
  while :; do
    new=$(agent_pid)
    [ -n "$new" ] && [ "$new" != "$pid" ] && break
    [ $(($(ms) - t0)) -le 10000 ] || fail "no new agent 10 s after kill -9 of pid $pid"
    sleep 0.05
  done
  seen_ms=$(($(ms) - t0))
  # The respawn time is the new process's start (field 22 of its stat, in
  # 1/100 s since boot like /proc/uptime) minus the kill: the polling above
  # adds its own latency (each pidof costs tens of ms under TCG).
  started=$(awk '{print $22}' /proc/"$new"/stat 2>/dev/null)
  case $started in
    '' | *[!0-9]*) dt=$seen_ms ;; # gone already: the polled time
    *) dt=$((started * 10 - t0)) ;;
  esac
  [ "$dt" -ge 0 ] || dt=0
  say "respawned: kill -9 of pid $pid -> new pid $new in $dt ms (limit $respawn_max ms; seen by polling after $seen_ms ms)"
  [ "$dt" -le "$respawn_max" ] || fail "respawn took $dt ms, more than $respawn_max ms"
  pid=$new

  # The host now reads RTSP and MQTT; wait for its "done" on :9000. The
  # agent must keep running meanwhile (no crash loop behind the supervisor).
  say "waiting for the host on :9000 (at most ${wait_s}s)"
  timeout "$wait_s" nc -l -p 9000 </dev/null >/dev/null &
  ncpid=$!
  while kill -0 "$ncpid" 2>/dev/null; do
    [ "$(agent_pid)" = "$pid" ] || {
      kill "$ncpid" 2>/dev/null
      fail "the agent restarted while the host was testing (pid $pid -> '$(agent_pid)')"
    }
    sleep 0.5
  done
  ncrc=0
  wait "$ncpid" || ncrc=$?
  [ "$ncrc" -eq 0 ] || fail "the host did not signal within ${wait_s}s (nc status $ncrc)"
  say "host is done; agent pid $pid ran throughout"
fi

say "rcK: $initd stop"
t0=$(ms)
sh "$initd" stop || fail "$initd stop: exit $?"
while [ -n "$(agent_pid)" ] || supervisor_running; do
  [ $(($(ms) - t0)) -le 20000 ] || fail "agent or supervisor still running 20 s after $initd stop"
  sleep 0.1
done
say "stopped: no agent, no supervisor, $(($(ms) - t0)) ms after $initd stop"
finish 0
