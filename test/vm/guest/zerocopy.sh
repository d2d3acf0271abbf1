#!/bin/sh
# Guest side of test/vm/zerocopy.sh (busybox sh, in /guest next to the
# static app.test): vivid lends its NV12 buffers and vicodec's encoder
# imports them as dma-bufs, single-planar on both, then vivid
# multiplanar=2 with vicodec multiplanar=1 (the MPLANE API of the Pi's
# bcm2835-codec). The test binary's exit code is the guest's.
set -eu

say() { echo "== $*"; }

# wait_nodes: vivid's capture node and vicodec's encoder, found by name
# (no udev; both register their nodes asynchronously).
wait_nodes() {
  i=0
  until grep -qs vid-cap /sys/class/video4linux/video*/name && grep -qs encoder /sys/class/video4linux/video*/name; do
    i=$((i + 1))
    [ $i -le 100 ] || { echo "zerocopy: vivid or vicodec nodes did not appear"; cat /sys/class/video4linux/video*/name || true; exit 1; }
    sleep 0.1
  done
}

say "kernel $(uname -r) on $(uname -m)"
for mode in single mplane; do
  if [ "$mode" = mplane ]; then
    rmmod vicodec vivid
    modprobe vivid multiplanar=2
    modprobe vicodec multiplanar=1
  else
    modprobe vivid
    modprobe vicodec
  fi
  wait_nodes
  say "$mode: vivid NV12 640x480 lent to vicodec's encoder, imported vs copied"
  CAMAGENT_ZEROCOPY=$mode app.test -test.v -test.run 'TestVividZeroCopy' -test.timeout 300s
done
say "zerocopy guest done"
