#!/bin/sh
# Guest side of test/vm/m2m.sh (busybox sh, in /guest next to the static
# encode.test). Runs the M2M encoder's ioctl pins on this architecture,
# then its vicodec tests twice: vicodec single-planar (its default) and
# multiplanar=1 (the MPLANE API the Pi's bcm2835-codec uses). The first
# failing step's exit code is the guest's.
set -eu

say() { echo "== $*"; }

# wait_m2m: vicodec registers its encoder and decoders asynchronously.
wait_m2m() {
  i=0
  while [ "$(ls /dev/video* 2>/dev/null | wc -l)" -lt 3 ]; do
    i=$((i + 1))
    [ $i -le 50 ] || { echo "m2m: vicodec nodes did not appear"; ls -l /dev/video* || true; exit 1; }
    sleep 0.1
  done
}

say "kernel $(uname -r) on $(uname -m)"
say "ioctl layout of the M2M encoder on this architecture"
encode.test -test.v -test.run 'TestM2M'

for mode in single mplane; do
  if [ "$mode" = mplane ]; then
    rmmod vicodec
    modprobe vicodec multiplanar=1
  else
    modprobe vicodec
  fi
  wait_m2m
  say "vicodec $mode: encode 640x480 I420 -> FWHT, drain, decode back"
  CAMAGENT_VICODEC=$mode encode.test -test.v -test.run 'TestVicodec' -test.timeout 240s
done
say "m2m guest done"
