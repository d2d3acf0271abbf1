#!/bin/sh
# Guest side of test/vm/devices.sh (busybox sh, in /guest next to the
# static camagent). Loads vivid and vicodec, prints `camagent devices` as a
# table and as JSON, and checks the JSON: vivid is listed as a camera with
# YUYV (with frame sizes, frame rates and controls), vicodec as an M2M
# encoder with FWHT on CAPTURE and YU12 on OUTPUT, and no vicodec node is
# taken for a camera; then the same with both drivers multi-planar. The
# first failing check's exit code is the guest's.
set -eu

say() { echo "== $*"; }
fail() { echo "devices: FAIL: $*"; exit 1; }

# wait_nodes N: the drivers register their nodes asynchronously.
wait_nodes() {
  i=0
  while [ "$(ls /dev/video* 2>/dev/null | wc -l)" -lt "$1" ]; do
    i=$((i + 1))
    [ $i -le 50 ] || { ls -l /dev/video* || true; fail "fewer than $1 video nodes"; }
    sleep 0.1
  done
}

say "kernel $(uname -r) on $(uname -m)"
say "no drivers loaded yet"
camagent devices --json >/tmp/none.json || fail "camagent devices --json exited $?"
[ "$(cat /tmp/none.json)" = '{"cameras":[],"encoders":[]}' ] || fail "without devices: $(cat /tmp/none.json)"
cat /tmp/none.json

# load VIVID_ARGS VICODEC_ARGS: both drivers, fresh, then wait for their nodes.
load() {
  rmmod vicodec 2>/dev/null || true
  rmmod vivid 2>/dev/null || true
  i=0
  while ls /dev/video* >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -le 50 ] || fail "video nodes left after rmmod"
    sleep 0.1
  done
  modprobe vivid $1
  wait_nodes 1
  n=$(ls /dev/video* | wc -l)
  modprobe vicodec $2
  wait_nodes $((n + 3))
  say "vivid ${1:-(defaults)}, vicodec ${2:-(defaults)}: nodes $(ls /dev/video* | tr '\n' ' ')"
}

load "" ""

say "camagent devices"
camagent devices || fail "camagent devices exited $?"

say "camagent devices --json"
camagent devices --json >/tmp/devices.json || fail "camagent devices --json exited $?"
echo "@@json-begin@@"
cat /tmp/devices.json
echo "@@json-end@@"

# The document is {"cameras":[...],"encoders":[...]} on one line: split it
# at "encoders" and check each half.
sed 's/,"encoders":.*//' /tmp/devices.json >/tmp/cams.json
sed 's/.*,"encoders"://' /tmp/devices.json >/tmp/encs.json
has() { grep -q -- "$2" "$1" || fail "$1 lacks $2"; }
has /tmp/cams.json '"driver":"vivid"'
has /tmp/cams.json '"fourcc":"YUYV","description":"YUYV 4:2:2"'
has /tmp/cams.json '"sizes":\[{"width":[0-9]*,"height":[0-9]*,'
has /tmp/cams.json '"rates":\[{"interval":"1/[0-9]*"'
has /tmp/cams.json '"controls":\[{"id":'
has /tmp/cams.json '"name":"Brightness","type":"int","min":0,"max":255'
if grep -q '"driver":"vicodec"' /tmp/cams.json; then fail "a vicodec node is listed as a camera"; fi
has /tmp/encs.json '"driver":"vicodec"'
has /tmp/encs.json '"capture":\[{"fourcc":"FWHT"'
has /tmp/encs.json '"output":\[{"fourcc":"YU12"'
[ "$(grep -o '"path":' /tmp/encs.json | wc -l)" -eq 1 ] || fail "want exactly one encoder (vicodec's decoders are not encoders)"
say "single-planar: vivid camera with YUYV, vicodec encoder with FWHT: PASS"

# The MPLANE API (CSI receivers, the Pi's bcm2835-codec): vivid
# multiplanar=2 gives a VIDEO_CAPTURE_MPLANE node, vicodec multiplanar=1 a
# VIDEO_M2M_MPLANE one.
load multiplanar=2 multiplanar=1
camagent devices --json >/tmp/devices.json || fail "camagent devices --json exited $?"
sed 's/,"encoders":.*//' /tmp/devices.json >/tmp/cams.json
sed 's/.*,"encoders"://' /tmp/devices.json >/tmp/encs.json
has /tmp/cams.json '"driver":"vivid","bus_info":"[^"]*","capabilities":\["VIDEO_CAPTURE_MPLANE"'
has /tmp/cams.json '"multi_planar":true,"formats":\[{"fourcc":"YUYV"'
has /tmp/cams.json '"rates":\[{"interval":"1/[0-9]*"'
has /tmp/encs.json '"driver":"vicodec"'
has /tmp/encs.json '"multi_planar":true,"output":\[{"fourcc":"YU12"'
has /tmp/encs.json '"capture":\[{"fourcc":"FWHT"'
camagent devices | grep -E '^(CAMERAS|M2M|PATH|/dev/video)' || fail "camagent devices exited $?"
say "multi-planar: vivid camera with YUYV, vicodec encoder with FWHT: PASS"
