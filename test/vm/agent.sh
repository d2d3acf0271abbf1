#!/usr/bin/env bash
# agent.sh [ARCH...]   (default: amd64 arm64)
#
# End-to-end test of the agent itself (issue 3): the static agent binary runs
# in the guest on vivid, hostfwd exposes its RTSP server on the host's
# loopback, and the host's ffmpeg decodes the stream.
#
# Per architecture:
#   1. `make build-ARCH` -> dist/camagent-linux-ARCH (cgo + -extldflags
#      -static, exactly the release build, so it runs in the busybox guest);
#   2. a config: v4l2 source on the vivid capture node (the guest fills in
#      the node), RTSP on 0.0.0.0:8554 TCP only, one user with a password,
#      MQTT and ONVIF off;
#   3. boots the guest (guest/agent.sh) with two random host ports forwarded:
#      RTSP -> guest 8554, "done" -> guest 9000;
#   4. polls with ffprobe until the stream really answers (slirp accepts the
#      connection before the guest listens, so a connect proves nothing),
#      within AGENT_READY seconds; ffprobe must report h264 WIDTHxHEIGHT;
#   5. `ffmpeg -v error -rtsp_transport tcp -i rtsp://... -frames:v N -f null -`
#      must exit 0 with an empty stderr and have decoded N frames (counted
#      from -progress), within AGENT_DECODE seconds;
#   6. connects to the "done" port; the guest sends SIGTERM to the agent and
#      its exit code (run.sh's) is 0 only if the agent exits with status 0.
# Prints PASS/FAIL and the wall time per architecture. Architectures run one
# after the other: TCG wants both cores.
#
# Environment (optional):
#   AGENT_WIDTH/AGENT_HEIGHT/AGENT_FPS  source mode (default 640x480 @ 15)
#   AGENT_FRAMES   frames ffmpeg must decode (default 60)
#   AGENT_READY    seconds for the stream to answer after boot starts (180)
#   AGENT_DECODE   seconds for ffmpeg to decode the frames (120)
#   AGENT_NOBUILD=1  use the existing dist/camagent-linux-ARCH
#   VM_TIMEOUT     hard limit for the boot (default 420)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=("$@")
((${#arches[@]})) || arches=(amd64 arm64)
need make go ffmpeg ffprobe timeout awk
root=$(cd "$VM_DIR/../.." && pwd)
width=${AGENT_WIDTH:-640} height=${AGENT_HEIGHT:-480} fps=${AGENT_FPS:-15}
frames=${AGENT_FRAMES:-60}
ready_s=${AGENT_READY:-180} decode_s=${AGENT_DECODE:-120}
user=e2e pass=e2e-password-$RANDOM$RANDOM
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

elapsed() { echo "$1 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}'; }

# The agent's config. @DEVICE@ is replaced in the guest by the vivid capture
# node it finds. ONVIF and MQTT are disabled: nothing but RTSP listens.
cat >"$tmp/camagent.yaml" <<YAML
device: {id: vm-e2e, name: vm-e2e}
log: {level: info}
source:
  type: v4l2
  v4l2: {device: "@DEVICE@", width: $width, height: $height, fps: $fps}
rtsp: {listen: "0.0.0.0:8554", udp: false}
mqtt: {enabled: false}
onvif: {enabled: false, discovery: false}
users: [{name: $user, password: $pass, role: user}]
YAML

# probe PORT: codec,width,height of the first video stream, or nothing.
probe() {
  timeout 15 ffprobe -v error -rtsp_transport tcp -select_streams v:0 \
    -show_entries stream=codec_name,width,height -of csv=p=0 \
    "rtsp://$user:$pass@127.0.0.1:$1/stream" 2>/dev/null | head -1 || true
}

failed=0
summary=()
for arch in "${arches[@]}"; do
  arch_vars "$arch"
  start=$(date +%s.%N)
  bin="$root/dist/camagent-linux-$arch"
  how="make build-$arch"
  [ "${AGENT_NOBUILD:-}" != 1 ] || how="existing ${bin#"$root/"}"
  echo "== agent $arch: $how, booting $KVER, ${width}x${height}@${fps} from vivid"
  rc=0
  if [ "${AGENT_NOBUILD:-}" != 1 ]; then
    make -C "$root" --no-print-directory "build-$arch" || rc=$?
  fi
  [ -x "$bin" ] || rc=1
  t_build=$(elapsed "$start")
  why="" got="" t_ready="-" t_decode="-" nframes=0
  if ((rc)); then
    why="build failed (exit $rc)"
  else
    # Random ports; on "Could not set up host forwarding rule" (a port was
    # taken) qemu stops at once with 125: retry with others.
    for attempt in 1 2 3; do
      rtsp=$((20000 + RANDOM % 20000)) ctl=$((40000 + RANDOM % 20000))
      boot=$(date +%s.%N)
      VM_HOSTFWD="tcp::$rtsp-:8554,tcp::$ctl-:9000" VM_TIMEOUT="${VM_TIMEOUT:-420}" \
        VM_APPEND="AGENT_WAIT=$((ready_s + decode_s + 60))" \
        "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/agent.sh" "$bin" "$tmp/camagent.yaml" "$VM_DIR/guest/vivid.sh" \
        >"$tmp/console" 2>&1 &
      pid=$!
      # 4. poll until the stream really answers
      got=""
      while :; do
        got=$(probe "$rtsp")
        [ -n "$got" ] && break
        kill -0 "$pid" 2>/dev/null || break
        (($(elapsed "$boot" | cut -d. -f1) < ready_s)) || break
        sleep 1
      done
      if [ -z "$got" ] && ! kill -0 "$pid" 2>/dev/null && ((attempt < 3)) &&
        grep -q 'host forwarding rule' "$tmp/console"; then
        wait "$pid" || true
        pid=""
        echo "agent $arch: forward port taken, retrying with other ports"
        continue
      fi
      break
    done
    t_ready=$(elapsed "$boot")
    if [ -z "$got" ] && ! kill -0 "$pid" 2>/dev/null; then
      why="the guest stopped before the stream answered (after ${t_ready}s)"
    elif [ -z "$got" ]; then
      why="no RTSP answer within ${ready_s}s"
    else
      echo "agent $arch: stream answers after ${t_ready}s: $got"
      # 5. decode
      d0=$(date +%s.%N)
      drc=0
      timeout "$decode_s" ffmpeg -nostdin -v error -rtsp_transport tcp \
        -i "rtsp://$user:$pass@127.0.0.1:$rtsp/stream" \
        -frames:v "$frames" -progress "$tmp/progress" -f null - \
        >"$tmp/ffmpeg.out" 2>"$tmp/ffmpeg.err" || drc=$?
      t_decode=$(elapsed "$d0")
      nframes=$(grep '^frame=' "$tmp/progress" 2>/dev/null | tail -1 | cut -d= -f2)
      nframes=${nframes:-0}
      if ((drc)); then
        why="ffmpeg exit $drc after ${t_decode}s"
      elif [ -s "$tmp/ffmpeg.err" ]; then
        why="ffmpeg wrote to stderr (decoder errors)"
      elif ((nframes < frames)); then
        why="ffmpeg decoded $nframes frames, want $frames"
      elif [ "$got" != "h264,$width,$height" ]; then
        why="ffprobe got '$got', want 'h264,$width,$height'"
      fi
      if [ -s "$tmp/ffmpeg.err" ]; then
        echo "-- ffmpeg stderr:"
        head -20 "$tmp/ffmpeg.err"
      fi
    fi
  fi
  # 6. tell the guest we are done (repeat: its listener may lag), then wait
  # for its verdict on the agent's SIGTERM exit.
  grc=0
  if [ -n "$pid" ]; then
    while kill -0 "$pid" 2>/dev/null; do
      (exec 3<>"/dev/tcp/127.0.0.1/$ctl") 2>/dev/null || true
      sleep 0.5
    done
    wait "$pid" || grc=$?
    pid=""
    [ -n "$why" ] || ((grc == 0)) || why="guest exit $grc (agent did not stop cleanly on SIGTERM, see console)"
  fi
  secs=$(elapsed "$start")
  stop=$(grep -o 'agent exit status [0-9]*, [0-9]*s after SIGTERM' "$tmp/console" 2>/dev/null | tail -1 || true)
  times="${secs}s (build ${t_build}s, boot->stream ${t_ready}s, decode ${t_decode}s)"
  if [ -z "$why" ]; then
    summary+=("agent $arch: PASS in $times: $got, $nframes frames, ffmpeg stderr empty, $stop")
  else
    echo "-- guest console ($arch):"
    cat "$tmp/console" 2>/dev/null || true
    summary+=("agent $arch: FAIL ($why; guest exit $grc${stop:+; $stop}) after $times")
    failed=1
  fi
  echo "${summary[-1]}"
done
printf '%s\n' "== agent summary (${width}x${height}@${fps}, $frames frames)" "${summary[@]}"
exit "$failed"
