#!/bin/sh
# Guest side of test/vm/watchdog.sh (busybox sh; /guest holds the static
# agent camagent-linux-<arch>).
#
# qemu's i6300esb watchdog + vivid: the agent arms /dev/watchdog and feeds
# it while encoded pictures flow. Phase 1: WD_HEALTHY seconds of streaming
# must pass without a reset. Phase 2: the camera is unplugged (vivid's
# platform device unbound, as a USB disconnect would), frames stop, the
# agent stops feeding after its grace period and the board must reset:
# qemu runs with -no-reboot, so the reset ends the VM without the exit
# marker. Reaching the end of this script means no reset came: exit 1.
set -eu

healthy_s=${WD_HEALTHY:-60}
wait_s=${WD_WAIT:-120}
say() { echo "== guest: $*"; }
mark() { echo "@@wd $1 uptime=$(cut -d' ' -f1 /proc/uptime)@@"; }

agent=""
for f in /guest/camagent-linux-*; do agent=$f; done
[ -x "$agent" ] || { say "no /guest/camagent-linux-* binary"; exit 2; }

modprobe i6300esb
[ -c /dev/watchdog ] || { say "no /dev/watchdog after modprobe i6300esb"; exit 2; }
. /guest/vivid.sh
dev=$(vivid_capture_node) || { say "no vivid capture node appeared"; exit 2; }

cat >/tmp/camagent.yaml <<YAML
device: {id: vm-watchdog}
source:
  type: v4l2
  v4l2: {device: "$dev", width: 320, height: 240, fps: 10}
rtsp: {listen: "127.0.0.1:8554", udp: false}
mqtt: {enabled: false}
onvif: {enabled: false, discovery: false}
users: [{name: wd, password: wd-password-1, role: user}]
board:
  watchdog: {enabled: true, timeout: ${WD_TIMEOUT:-10}s, grace: ${WD_GRACE:-5}s}
YAML

"$agent" run -config /tmp/camagent.yaml >/tmp/agent.log 2>&1 &
apid=$!
i=0
until grep -q "hardware watchdog armed" /tmp/agent.log 2>/dev/null; do
  kill -0 "$apid" 2>/dev/null || { cat /tmp/agent.log; say "FAIL: the agent exited"; exit 3; }
  i=$((i + 1))
  [ $i -le 600 ] || { cat /tmp/agent.log; say "FAIL: watchdog not armed within 60 s"; exit 3; }
  sleep 0.1
done
grep "hardware watchdog armed" /tmp/agent.log
mark armed

# Phase 1: healthy streaming, no reset.
t=0
while [ $t -lt "$healthy_s" ]; do
  sleep 5
  t=$((t + 5))
  kill -0 "$apid" 2>/dev/null || { cat /tmp/agent.log; say "FAIL: the agent exited while healthy"; exit 3; }
done
mark "healthy-${healthy_s}s"

# Phase 2: the camera goes away; frames stop for good.
echo vivid.0 >/sys/bus/platform/drivers/vivid/unbind
mark frames-stopped
t=0
while [ $t -lt "$wait_s" ]; do
  sleep 5
  t=$((t + 5))
  echo "== guest: still running ${t}s after the camera went away"
done
tail -20 /tmp/agent.log
say "FAIL: no watchdog reset ${wait_s}s after the frames stopped"
exit 1
