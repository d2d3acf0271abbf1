#!/bin/sh
# Guest side of the bench's smoke test (busybox sh, run by the VM's /init in
# /guest, next to the static `probe` and `probe.test` binaries). It loads each
# virtual device driver the later hardware tests rely on and lets probe look
# at the result through the same ioctls the agent uses. Any failure ends it
# non-zero.
set -eu

say() { echo "== $*"; }

# wait_for PATH...: a driver may bind, and its node appear, after modprobe
# returns; give it up to 5 s (TCG is slow) before calling it a failure.
wait_for() {
  i=0
  while ! ls "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -le 50 ] || { echo "smoke: $* did not appear"; return 1; }
    sleep 0.1
  done
}

say "kernel $(uname -r) on $(uname -m)"

say "go test binary: the probe's ioctl layout tests on this architecture"
probe.test -test.v

say "vivid: virtual capture device"
modprobe vivid
wait_for /dev/video0
probe capture -driver vivid

say "vicodec: V4L2 memory-to-memory codec"
modprobe vicodec
probe m2m -driver vicodec -encoder

say "gpio-sim: a simulated chip with named lines, made through configfs"
modprobe gpio-sim
sim=/sys/kernel/config/gpio-sim/camera
mkdir "$sim" "$sim/bank0"
echo camera-io >"$sim/bank0/label"
echo 8 >"$sim/bank0/num_lines"
n=0
for name in IR_LED IR_CUT PIR_SENSOR; do
  mkdir "$sim/bank0/line$n"
  echo "$name" >"$sim/bank0/line$n/name"
  n=$((n + 1))
done
echo 1 >"$sim/live"
chip=$(cat "$sim/bank0/chip_name")
echo "gpio-sim device $(cat "$sim/dev_name") is /dev/$chip"
wait_for "/dev/$chip"

say "gpio-mockup: a second, module-parameter driven chip"
modprobe gpio-mockup gpio_mockup_ranges=-1,8
probe gpio -chip camera-io=IR_LED,IR_CUT,PIR_SENSOR -chip gpio-mockup-A

say "smoke test passed"
