#!/bin/sh
# Guest side of test/vm/gpio.sh (busybox sh, in /guest next to the static
# device.test). Makes a gpio-sim chip "camagent-io" with the lines the
# tests use, then runs the device package's tests, the gpio-sim ones
# (TestSim*) included. The test binary's exit code is the guest's.
set -eu

say() { echo "== $*"; }

say "kernel $(uname -r) on $(uname -m)"
modprobe gpio-sim
sim=/sys/kernel/config/gpio-sim/camagent
mkdir "$sim" "$sim/bank0"
echo camagent-io >"$sim/bank0/label"
echo 8 >"$sim/bank0/num_lines"
n=0
for name in LED IR_CUT_DAY IR_CUT_NIGHT IR_LED LIGHT TAMPER RESET; do
  mkdir "$sim/bank0/line$n"
  echo "$name" >"$sim/bank0/line$n/name"
  n=$((n + 1))
done
echo 1 >"$sim/live"
chip=$(cat "$sim/bank0/chip_name")
i=0
while [ ! -e "/dev/$chip" ]; do
  i=$((i + 1))
  [ $i -le 50 ] || { echo "gpio: /dev/$chip did not appear"; exit 1; }
  sleep 0.1
done
say "gpio-sim $(cat "$sim/dev_name") is /dev/$chip"

export CAMAGENT_GPIOSIM_CHIP="$chip"
device.test -test.v -test.timeout 200s
