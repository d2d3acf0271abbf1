#!/usr/bin/env bash
# Runs each static binary (arm ones under qemu-user) on loopback and checks
# that ffprobe decodes its stream: the cross builds really work, not just link.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

port=18654
for arch in amd64 arm64 armv7; do
  bin=dist/camagent-linux-$arch
  case $arch in
    arm64) run=(qemu-aarch64-static "$bin") ;;
    armv7) run=(qemu-arm-static "$bin") ;;
    *) run=("$bin") ;;
  esac
  "${run[@]}" version | sed -n 1p
  port=$((port + 1))
  cat > "$tmp/c.yaml" <<YAML
source: {type: testpattern, testpattern: {width: 320, height: 240, fps: 15}}
rtsp: {listen: "127.0.0.1:$port", udp: false}
onvif: {listen: "127.0.0.1:$((port + 1000))"}
mqtt: {embedded_listen: "127.0.0.1:0"}
users: [{name: smoke, password: smoke-password, role: user}]
log: {level: warn}
YAML
  "${run[@]}" run -config "$tmp/c.yaml" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 100); do grep -q rtsp:// "$tmp/out" 2>/dev/null && break; sleep 0.2; done
  got=$(timeout 60 ffprobe -v error -rtsp_transport tcp -select_streams v:0 \
        -show_entries stream=codec_name,width,height -of csv=p=0 \
        "rtsp://smoke:smoke-password@127.0.0.1:$port/stream" || true)
  kill -TERM "$pid"; wait "$pid" || { echo "$arch: agent exited with an error"; cat "$tmp/err"; exit 1; }
  pid=""
  if [ "$got" != "h264,320,240" ]; then
    echo "$arch: ffprobe got '$got'"; cat "$tmp/err"; exit 1
  fi
  echo "$arch: stream decodes ($got)"
done
