#!/usr/bin/env bash
# image.sh [ARCH...]   (default: arm64)
#
# The image test (issue 8): the root-filesystem overlay the Buildroot tree
# installs (init script, supervisor, first-boot provisioning, default
# configuration, data-partition layout) around the static release binary,
# booted in the qemu bench the way the board boots it: BusyBox init's rcS
# runs /etc/init.d/S95camagent start.
#
# Per architecture:
#   1. `make build-ARCH` -> dist/camagent-linux-ARCH (cgo + -extldflags
#      -static, the release build); IMAGE_NOBUILD=1 uses the existing one.
#   2. The overlay, assembled from the Buildroot tree ($IMAGE_BUILDROOT,
#      default buildroot/): board/camagent/rootfs-overlay/ as is, plus
#      /usr/bin/camagent, /etc/init.d/S95camagent (package/camagent/) and
#      /etc/camagent/default.yaml (from the overlay or package/camagent/),
#      board/camagent/post-build.sh run on it (/data, /boot), and what
#      Buildroot's skeleton gives (/var/run -> ../run). It goes into the
#      initramfs with VM_OVERLAY; the initramfs is the root file system.
#      Both cases boot with the qemu image's watchdog (-device i6300esb):
#      the default configuration arms /dev/watchdog.
#   3. Host side, once: a real Mosquitto on a random loopback port, reached
#      by the guest as tcp://10.0.2.100:1883 (VM_GUESTFWD), and `camctl
#      watch --json` (the project's controller CLI) recording every status,
#      health and event message.
#   4. Case "provisioned": two disks (VM_QEMU_ARGS, virtio): a FAT disk
#      labelled CAMBOOT holding camagent.yaml (a random device id, one user
#      with a random password, testpattern 320x240@10, RTSP TCP on 8554, the
#      broker above, health every 5 s, mqtt.store_dir on /data, ONVIF off)
#      and an empty ext4 disk labelled camdata (16 MiB). The guest
#      (guest/image.sh) starts S95camagent and checks: the agent runs,
#      camagent.yaml left the boot disk for /data/camagent/camagent.yaml
#      (mode 600), kill -9 -> new agent within 2 s (prints the ms). Only then
#      the host: ffprobe/ffmpeg decode IMAGE_FRAMES frames over RTSP through
#      hostfwd with the user's password; the broker saw a retained "online"
#      status and a health message from the device; `camctl poll DEVICE`
#      gets a health answer through the broker (commands reach the device).
#      Then "done" -> S95camagent stop must end the agent and the supervisor.
#      After power-off, the disk images: the FAT disk has no camagent.yaml
#      and no camagent.yaml.rejected (mdir); the ext4 disk has
#      /camagent/camagent.yaml, mode 0600, byte-identical to the one written
#      (debugfs). The console must not say UNPROVISIONED.
#   5. Case "invalid" (guest/image-invalid.yaml on the FAT disk): afterwards
#      the FAT disk has camagent.yaml.rejected and a non-empty
#      camagent-errors.txt and no camagent.yaml; no config on the data disk;
#      the agent ran unprovisioned on the default configuration (the guest
#      checks it keeps running) and the console says "camagent: UNPROVISIONED".
# Prints PASS/FAIL per architecture and case with the figures: respawn ms,
# boot->RTSP s (from the start of run.sh), wall time. Architectures and cases
# run one after the other: TCG wants both cores.
#
# Environment (optional):
#   IMAGE_CASES      cases to run (default "provisioned invalid")
#   IMAGE_BUILDROOT  the Buildroot external tree (default <repo>/buildroot)
#   IMAGE_NOBUILD=1  use the existing dist/camagent-linux-ARCH
#   IMAGE_DIST       with IMAGE_NOBUILD=1: take camagent-linux-ARCH from this
#                    directory instead of dist/
#   IMAGE_FRAMES     frames ffmpeg must decode (default 30)
#   IMAGE_RESPAWN_MS limit for kill -9 -> new agent (default 2000)
#   IMAGE_READY      seconds from boot until the stream answers (default 420)
#   IMAGE_DECODE     seconds for ffmpeg to decode the frames (default 120)
#   IMAGE_MQTT       seconds for the status/health messages to arrive (default 90)
#   IMAGE_LOG_DIR    keep each console log, the broker's log and camctl's
#                    record there
#   VM_TIMEOUT       hard limit for one boot (default 900)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=("$@")
((${#arches[@]})) || arches=(arm64)
read -r -a cases <<<"${IMAGE_CASES:-provisioned invalid}"
need make go ffmpeg ffprobe timeout awk setsid mosquitto mkfs.vfat mcopy mdir mtype mkfs.ext4 debugfs cmp
root=$(cd "$VM_DIR/../.." && pwd)
br=${IMAGE_BUILDROOT:-$root/buildroot}
frames=${IMAGE_FRAMES:-30}
ready_s=${IMAGE_READY:-420} decode_s=${IMAGE_DECODE:-120} mqtt_s=${IMAGE_MQTT:-90}
respawn_max=${IMAGE_RESPAWN_MS:-2000}
width=320 height=240 fps=10
export MTOOLS_SKIP_CHECK=1 # the FAT disk is a bare file system, no partition table
tmp=$(mktemp -d)
pid="" broker="" watcher=""
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
# shellcheck disable=SC2317
cleanup() {
  # run.sh runs in its own process group (setsid): qemu goes with it.
  [ -z "$pid" ] || kill -- -"$pid" 2>/dev/null || true
  stop_pid "$pid"
  stop_pid "$watcher"
  stop_pid "$broker"
  if [ -n "${IMAGE_LOG_DIR:-}" ]; then
    mkdir -p "$IMAGE_LOG_DIR"
    cp "$tmp"/*.console "$tmp/mosquitto.log" "$tmp/watch.jsonl" "$IMAGE_LOG_DIR/" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
elapsed() { echo "$1 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}'; }

# The Buildroot tree's runtime files (issue 8). A missing one is an error.
overlay_src="$br/board/camagent/rootfs-overlay"
init_script="$br/package/camagent/S95camagent"
default_cfg="$overlay_src/etc/camagent/default.yaml"
[ -f "$default_cfg" ] || default_cfg="$br/package/camagent/default.yaml"
for f in "$init_script" "$overlay_src/usr/libexec/camagent/supervise" \
  "$overlay_src/usr/libexec/camagent/provision" "$default_cfg"; do
  [ -f "$f" ] || die "image: $f is missing (the Buildroot tree's runtime files, IMAGE_BUILDROOT=$br)"
done

# 3. The broker: random port, retried if taken (vm_mosquitto in lib.sh).
echo "== image: building camctl, starting mosquitto"
(cd "$root" && go build -trimpath -o "$tmp/camctl" ./cmd/camctl)
vm_mosquitto "$tmp"
"$tmp/camctl" -broker "mqtt://127.0.0.1:$mport" -json watch >"$tmp/watch.jsonl" 2>"$tmp/watch.err" &
watcher=$!
echo "image: mosquitto on 127.0.0.1:$mport (guest: tcp://10.0.2.100:1883), camctl watch recording"

# overlay ARCH BIN: the image's root-filesystem overlay, in $tmp/ARCH/rootfs.
overlay() {
  local o="$tmp/$1/rootfs"
  rm -rf "$o"
  mkdir -p "$o"
  cp -a "$overlay_src/." "$o/"
  install -D -m 755 "$2" "$o/usr/bin/camagent"
  install -D -m 755 "$init_script" "$o/etc/init.d/S95camagent"
  [ -f "$o/etc/camagent/default.yaml" ] || install -D -m 644 "$default_cfg" "$o/etc/camagent/default.yaml"
  chmod 755 "$o/usr/libexec/camagent/supervise" "$o/usr/libexec/camagent/provision"
  # The board's post-build script (mount points, no network login), then
  # what Buildroot's skeleton gives: /var/run is /run.
  [ ! -f "$br/board/camagent/post-build.sh" ] || sh "$br/board/camagent/post-build.sh" "$o" >&2
  mkdir -p "$o/var" "$o/data" "$o/boot"
  [ -e "$o/var/run" ] || ln -s ../run "$o/var/run"
  [ -e "$o/var/log" ] || ln -s ../tmp "$o/var/log"
  # /etc/hostname: Buildroot writes BR2_TARGET_GENERIC_HOSTNAME of the qemu
  # defconfig there (its own default: "buildroot").
  if [ ! -e "$o/etc/hostname" ]; then
    local h
    h=$(sed -n 's/^BR2_TARGET_GENERIC_HOSTNAME="\(.*\)"$/\1/p' "$br"/configs/camagent_qemu_aarch64_virt_defconfig 2>/dev/null) || true
    mkdir -p "$o/etc"
    echo "${h:-buildroot}" >"$o/etc/hostname"
  fi
  echo "$o"
}

# disks DIR CONFIG: boot.img (FAT, CAMBOOT, CONFIG as camagent.yaml) and
# data.img (empty ext4, camdata) in DIR.
disks() {
  rm -f "$1/boot.img" "$1/data.img"
  truncate -s 16M "$1/boot.img"
  mkfs.vfat -n CAMBOOT "$1/boot.img" >/dev/null
  mcopy -i "$1/boot.img" "$2" ::camagent.yaml
  truncate -s 16M "$1/data.img"
  mkfs.ext4 -q -L camdata "$1/data.img"
}

# probe PORT USER PASS: codec,width,height of the first video stream, or nothing.
probe() {
  timeout 15 ffprobe -v error -rtsp_transport tcp -select_streams v:0 \
    -show_entries stream=codec_name,width,height -of csv=p=0 \
    "rtsp://$2:$3@127.0.0.1:$1/stream" 2>/dev/null | head -1 || true
}

# boot ARCH CASE ROOTFS DIR: boots in the background (pid in $pid) with the
# forwards and the two disks; console in $tmp/ARCH-CASE.console. Retries
# with other ports if a forward port was taken.
boot() {
  console="$tmp/$1-$2.console"
  for _ in 1 2 3; do
    rtsp=$((20000 + RANDOM % 20000)) ctl=$((40000 + RANDOM % 20000))
    booted=$(date +%s.%N)
    VM_HOSTFWD="tcp::$rtsp-:8554,tcp::$ctl-:9000" \
      VM_GUESTFWD="tcp:10.0.2.100:1883-tcp:127.0.0.1:$mport" \
      VM_QEMU_ARGS="-drive file=$4/boot.img,format=raw,if=virtio -drive file=$4/data.img,format=raw,if=virtio -device i6300esb" \
      VM_MODULES="virtio_blk vfat nls_cp437 nls_ascii ext4 i6300esb" \
      VM_OVERLAY="$3" VM_TIMEOUT="${VM_TIMEOUT:-900}" \
      VM_APPEND="IMAGE_CASE=$2 IMAGE_WAIT=$((ready_s + decode_s + mqtt_s + 120)) IMAGE_RESPAWN_MS=$respawn_max" \
      setsid "$VM_DIR/run.sh" "$1" "$VM_DIR/guest/image.sh" >"$console" 2>&1 &
    pid=$!
    # Until the guest runs: qemu stops at once if a forward port is taken.
    while kill -0 "$pid" 2>/dev/null && ! grep -q '== guest: kernel' "$console" &&
      (($(elapsed "$booted" | cut -d. -f1) < ready_s)); do
      sleep 0.5
    done
    if ! kill -0 "$pid" 2>/dev/null && grep -q 'host forwarding rule' "$console"; then
      wait "$pid" || true
      pid=""
      echo "image $1: forward port taken, retrying with other ports"
      continue
    fi
    return 0
  done
}

# vm_wait: the guest's exit code (run.sh's), after telling it we are done.
vm_wait() {
  local rc=0
  while kill -0 "$pid" 2>/dev/null; do
    (exec 3<>"/dev/tcp/127.0.0.1/$ctl") 2>/dev/null || true
    sleep 0.5
  done
  wait "$pid" || rc=$?
  pid=""
  return "$rc"
}

# case_provisioned ARCH BIN: sets why (empty = pass) and figures.
case_provisioned() {
  local arch=$1 dir="$tmp/$1/provisioned" rootfs got="" nframes=0 drc grc t_resp
  mkdir -p "$dir"
  device="img-$arch-$RANDOM$RANDOM" user=viewer pass="img-pass-$RANDOM$RANDOM$RANDOM"
  cat >"$dir/camagent.yaml" <<YAML
# Provisioned by test/vm/image.sh: first boot copies this to the data partition.
device: {id: $device, name: image-test}
log: {level: info}
source:
  type: testpattern
  testpattern: {width: $width, height: $height, fps: $fps}
encoder: {type: software, bitrate_kbps: 300}
rtsp: {listen: "0.0.0.0:8554", udp: false}
mqtt:
  enabled: true
  brokers: ["tcp://10.0.2.100:1883"]
  health_interval: 5s
  reconnect_min: 1s
  reconnect_max: 5s
  store_dir: /data/camagent/mqtt-queue
onvif: {enabled: false, discovery: false}
users: [{name: $user, password: $pass, role: user}]
YAML
  disks "$dir" "$dir/camagent.yaml"
  rootfs=$(overlay "$arch" "$bin")
  boot "$arch" provisioned "$rootfs" "$dir"
  [ -n "$pid" ] || { why="could not boot (forward ports taken 3 times)"; return; }
  # The guest kills the agent once and says "respawned" first, so the host
  # reads the stream of the respawned agent, not of the one about to die.
  while ! grep -q '== guest: respawned' "$console"; do
    kill -0 "$pid" 2>/dev/null || break
    (($(elapsed "$booted" | cut -d. -f1) < ready_s)) || break
    sleep 1
  done
  t_resp=$(elapsed "$booted")
  respawn_ms=$(sed -n 's/.*== guest: respawned.* in \([0-9]*\) ms.*/\1/p' "$console" | tail -1) || true
  polled_ms=$(sed -n 's/.*== guest: respawned.*polling after \([0-9]*\) ms.*/\1/p' "$console" | tail -1) || true
  if [ -z "$respawn_ms" ]; then
    if kill -0 "$pid" 2>/dev/null; then why="the guest did not report a respawn within ${ready_s}s"; else why="the guest stopped before the respawn check"; fi
  else
    echo "image $arch: respawned in ${respawn_ms} ms (boot->respawned ${t_resp}s)"
    while :; do
      got=$(probe "$rtsp" "$user" "$pass")
      [ -n "$got" ] && break
      kill -0 "$pid" 2>/dev/null || break
      (($(elapsed "$booted" | cut -d. -f1) < ready_s)) || break
      sleep 1
    done
    t_ready=$(elapsed "$booted")
    if [ -z "$got" ]; then
      if kill -0 "$pid" 2>/dev/null; then why="no RTSP answer within ${ready_s}s of boot"; else why="the guest stopped before the stream answered"; fi
    elif [ "$got" != "h264,$width,$height" ]; then
      why="ffprobe got '$got', want 'h264,$width,$height'"
    fi
  fi
  if [ -z "$why" ]; then
    echo "image $arch: stream answers ${t_ready}s after boot: $got"
    drc=0
    timeout "$decode_s" ffmpeg -nostdin -v error -rtsp_transport tcp \
      -i "rtsp://$user:$pass@127.0.0.1:$rtsp/stream" \
      -frames:v "$frames" -progress "$dir/progress" -f null - \
      >"$dir/ffmpeg.out" 2>"$dir/ffmpeg.err" || drc=$?
    nframes=$(grep '^frame=' "$dir/progress" 2>/dev/null | tail -1 | cut -d= -f2) || true
    nframes=${nframes:-0}
    if ((drc)); then
      why="ffmpeg exit $drc"
    elif [ -s "$dir/ffmpeg.err" ]; then
      why="ffmpeg wrote to stderr (decoder errors)"
    elif ((nframes < frames)); then
      why="ffmpeg decoded $nframes frames, want $frames"
    fi
    [ ! -s "$dir/ffmpeg.err" ] || { echo "-- ffmpeg stderr:"; head -20 "$dir/ffmpeg.err"; }
  fi
  if [ -z "$why" ]; then
    local m0
    m0=$(date +%s)
    local online='"state":"online"' m0 n_online n_health
    m0=$(date +%s)
    while :; do
      n_online=$(seen "$tmp/watch.jsonl" "$device" status "$online")
      n_health=$(seen "$tmp/watch.jsonl" "$device" health)
      ((n_online > 0 && n_health > 0)) && break
      if (($(date +%s) - m0 >= mqtt_s)) || ! kill -0 "$pid" 2>/dev/null; then break; fi
      sleep 1
    done
    # A new subscriber gets the retained status at once, flagged retained.
    timeout 8 "$tmp/camctl" -broker "mqtt://127.0.0.1:$mport" -json watch >"$dir/retained.jsonl" 2>&1 || true
    if ((n_online == 0)); then
      why="no 'online' status from $device at the broker within ${mqtt_s}s"
    elif ((n_health == 0)); then
      why="no health message from $device at the broker within ${mqtt_s}s"
    elif (($(seen "$dir/retained.jsonl" "$device" status '"retained":true' "$online") == 0)); then
      why="the broker holds no retained 'online' status for $device: $(head -c 300 "$dir/retained.jsonl")"
    elif ! "$tmp/camctl" -broker "mqtt://127.0.0.1:$mport" -timeout 30s -json poll "$device" >"$dir/poll.json" 2>"$dir/poll.err"; then
      why="camctl poll $device failed: $(cat "$dir/poll.err")"
    else
      mqtt_fig="status online x$n_online (retained), offline x$(seen "$tmp/watch.jsonl" "$device" status '"state":"offline"'), health x$n_health, camctl poll answered"
      echo "image $arch: MQTT: $mqtt_fig"
    fi
  fi
  grc=0
  vm_wait || grc=$?
  [ -n "$why" ] || ((grc == 0)) || why="guest exit $grc (see the console)"
  [ -n "$why" ] || ! grep -q 'UNPROVISIONED' "$console" || why="the console says UNPROVISIONED although the device was provisioned"
  # The disks after power-off.
  if [ -z "$why" ]; then
    mdir -b -i "$dir/boot.img" :: >"$dir/boot.ls" 2>&1 || true
    if grep -q '^::/camagent.yaml$' "$dir/boot.ls"; then
      why="camagent.yaml is still on the FAT disk"
    elif grep -q '^::/camagent.yaml.rejected$' "$dir/boot.ls"; then
      why="the FAT disk has camagent.yaml.rejected: $(mtype -i "$dir/boot.img" ::camagent-errors.txt 2>&1 | head -5)"
    elif ! debugfs -R "stat /camagent/camagent.yaml" "$dir/data.img" 2>/dev/null | grep -q 'Type: regular *Mode: *0600'; then
      why="the data disk has no /camagent/camagent.yaml with mode 0600"
    elif ! debugfs -R "dump /camagent/camagent.yaml $dir/copied.yaml" "$dir/data.img" >/dev/null 2>&1 ||
      ! cmp -s "$dir/copied.yaml" "$dir/camagent.yaml"; then
      why="/camagent/camagent.yaml on the data disk differs from the file provisioned"
    fi
  fi
}

# case_invalid ARCH BIN
case_invalid() {
  local arch=$1 dir="$tmp/$1/invalid" rootfs grc
  mkdir -p "$dir"
  disks "$dir" "$VM_DIR/guest/image-invalid.yaml"
  rootfs=$(overlay "$arch" "$bin")
  boot "$arch" invalid "$rootfs" "$dir"
  [ -n "$pid" ] || { why="could not boot (forward ports taken 3 times)"; return; }
  grc=0
  vm_wait || grc=$?
  ((grc == 0)) || why="guest exit $grc (see the console)"
  if [ -z "$why" ]; then
    mdir -b -i "$dir/boot.img" :: >"$dir/boot.ls" 2>&1 || true
    if grep -q '^::/camagent.yaml$' "$dir/boot.ls"; then
      why="camagent.yaml is still on the FAT disk"
    elif ! grep -q '^::/camagent.yaml.rejected$' "$dir/boot.ls"; then
      why="no camagent.yaml.rejected on the FAT disk: $(tr '\n' ' ' <"$dir/boot.ls")"
    elif ! mtype -i "$dir/boot.img" ::camagent-errors.txt >"$dir/errors.txt" 2>&1 || [ ! -s "$dir/errors.txt" ]; then
      why="no camagent-errors.txt (or an empty one) on the FAT disk"
    elif ! mtype -i "$dir/boot.img" ::camagent.yaml.rejected | cmp -s - "$VM_DIR/guest/image-invalid.yaml"; then
      why="camagent.yaml.rejected differs from the file written"
    elif debugfs -R "stat /camagent/camagent.yaml" "$dir/data.img" 2>/dev/null | grep -q 'Type: regular'; then
      why="the data disk has a /camagent/camagent.yaml from an invalid file"
    elif ! grep -q 'camagent: UNPROVISIONED' "$console"; then
      why="the console never said 'camagent: UNPROVISIONED'"
    else
      echo "image $arch: camagent-errors.txt on the FAT disk:"
      sed 's/^/    /' "$dir/errors.txt" | head -10
    fi
  fi
}

failed=0
summary=()
for arch in "${arches[@]}"; do
  arch_vars "$arch"
  bin="$root/dist/camagent-linux-$arch"
  [ "${IMAGE_NOBUILD:-}" != 1 ] || bin="${IMAGE_DIST:-$root/dist}/camagent-linux-$arch"
  start=$(date +%s.%N)
  how="make build-$arch"
  [ "${IMAGE_NOBUILD:-}" != 1 ] || how="existing $bin"
  echo "== image $arch: $how, booting $KVER with the overlay of ${br#"$root/"}"
  brc=0
  if [ "${IMAGE_NOBUILD:-}" != 1 ]; then
    make -C "$root" --no-print-directory "build-$arch" || brc=$?
  fi
  [ -x "$bin" ] || brc=1
  t_build=$(elapsed "$start")
  for kase in "${cases[@]}"; do
    c0=$(date +%s.%N)
    why="" respawn_ms="-" polled_ms="" t_ready="-" mqtt_fig="" console="$tmp/$arch-$kase.console"
    echo "-- image $arch $kase"
    if ((brc)); then
      why="build failed (exit $brc)"
    else
      case $kase in
        provisioned) case_provisioned "$arch" ;;
        invalid) case_invalid "$arch" ;;
        *) die "unknown case '$kase' (provisioned, invalid)" ;;
      esac
    fi
    respawn_ms=${respawn_ms:--}
    # The guest's own verdict names the cause better than the host's view.
    gfail=$(grep -m1 -o '== guest: FAIL: .*' "$console" 2>/dev/null) || true
    [ -z "$gfail" ] || why="guest: ${gfail#== guest: FAIL: }${why:+; host: $why}"
    stop=$(sed -n 's/.*== guest: stopped: \(.*\)/\1/p' "$console" 2>/dev/null | tail -1) || true
    if [ "$kase" = provisioned ]; then
      figs="respawn ${respawn_ms} ms (seen by polling after ${polled_ms:--} ms), boot->RTSP ${t_ready}s, wall $(elapsed "$c0")s (+ build ${t_build}s)"
    else
      figs="wall $(elapsed "$c0")s (+ build ${t_build}s)"
    fi
    if [ -z "$why" ]; then
      summary+=("image $arch $kase: PASS: $figs${stop:+; $stop}")
    else
      echo "-- guest console ($arch $kase):"
      cat "$console" 2>/dev/null || true
      summary+=("image $arch $kase: FAIL ($why): $figs")
      failed=1
    fi
    echo "${summary[-1]}"
  done
done
printf '%s\n' "== image summary (testpattern ${width}x${height}@${fps}, $frames frames)" "${summary[@]}"
exit "$failed"
