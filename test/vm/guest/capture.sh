#!/bin/sh
# Guest side of test/vm/capture.sh (busybox sh, in /guest next to the static
# capture.test). Loads vivid and runs the V4L2 source's tests against it:
# capture in each raw format at 640x480 and 1280x720, then hot-unplug and
# reload; then MJPEG at both sizes from v4l2loopback, fed by the test's own
# writer. The test binary's exit code is the guest's.
set -eu

say() { echo "== $*"; }

say "kernel $(uname -r) on $(uname -m)"
say "ioctl layout and unit tests of the V4L2 source on this architecture"
capture.test -test.run 'Ioctl|V4L2|Backoff|Choose|YUYV|Raw|MJPEG|OpenV4L2' -test.skip 'TestLoopback'

# load_vivid [PARAM...]: modprobe vivid and wait for its node (no udev).
load_vivid() {
  modprobe vivid "$@"
  i=0
  while [ ! -e /dev/video0 ]; do
    i=$((i + 1))
    [ $i -le 50 ] || { echo "capture: /dev/video0 did not appear (vivid $*)"; exit 1; }
    sleep 0.1
  done
}

load_vivid
say "vivid loaded: $(ls /sys/bus/platform/drivers/vivid | grep vivid || true)"

export CAMAGENT_VIVID=1
say "capture from vivid, then unplug and reload; live picture controls"
capture.test -test.v -test.run 'TestVividCapture|TestVividUnplug|TestVividControls' -test.timeout 400s

say "multi-planar capture: vivid reloaded with multiplanar=2"
rmmod vivid
load_vivid multiplanar=2
CAMAGENT_VIVID=mplane capture.test -test.v -test.run 'TestVividMultiplanar' -test.timeout 120s

# v4l2loopback: a capture node whose frames a writer puts in through the
# output side; TestLoopbackMJPEG writes image/jpeg frames and captures them
# with Formats [MJPEG]. exclusive_caps=1: the node shows VIDEO_CAPTURE only
# (as a camera does) once the writer has set the format; max_buffers=16: the
# ring the writer goes round before it overwrites a buffer the reader may
# still be decoding.
say "MJPEG: v4l2loopback fed by the test's writer"
modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=16 card_label=camagent-mjpeg
i=0
until grep -qx camagent-mjpeg /sys/class/video4linux/video*/name 2>/dev/null; do
  i=$((i + 1))
  [ $i -le 50 ] || { echo "capture: no v4l2loopback node appeared"; exit 1; }
  sleep 0.1
done
CAMAGENT_LOOPBACK=1 capture.test -test.v -test.run 'TestLoopback' -test.timeout 300s
