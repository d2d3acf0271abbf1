#!/usr/bin/env bash
# watchdog.sh [ARCH...]   (default: amd64 arm64)
#
# The hardware watchdog end to end (issue 7), with qemu's i6300esb watchdog
# on a real kernel: the static agent (make build-ARCH) streams from vivid
# with board.watchdog enabled (timeout WD_TIMEOUT, grace WD_GRACE).
#   1. WD_HEALTHY (60) seconds of healthy streaming: no reset;
#   2. the camera is unplugged: the VM must reset (qemu exits: -no-reboot)
#      within 2 x timeout + grace + WD_SLACK seconds of the frames stopping.
#      i6300esb's Linux driver loads the same value into both of the chip's
#      stages, so the reset comes up to two timeouts after the last feed.
# The host timestamps the guest's marker lines as they arrive on the
# console and prints the measured time to reset per architecture.
#
# Environment: WD_TIMEOUT (10), WD_GRACE (5), WD_HEALTHY (60), WD_SLACK (15),
# WD_NOBUILD=1 (use the existing dist/camagent-linux-ARCH), VM_TIMEOUT (420).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=("$@")
((${#arches[@]})) || arches=(amd64 arm64)
need make go awk timeout
root=$(cd "$VM_DIR/../.." && pwd)
timeout_s=${WD_TIMEOUT:-10} grace_s=${WD_GRACE:-5} healthy_s=${WD_HEALTHY:-60} slack_s=${WD_SLACK:-15}
limit=$((2 * timeout_s + grace_s + slack_s))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failed=0
summary=()
for arch in "${arches[@]}"; do
  arch_vars "$arch"
  start=$(date +%s)
  bin="$root/dist/camagent-linux-$arch"
  if [ "${WD_NOBUILD:-}" != 1 ]; then
    make -C "$root" --no-print-directory "build-$arch" >/dev/null
  fi
  [ -x "$bin" ] || die "no $bin"
  echo "== watchdog $arch: i6300esb, timeout ${timeout_s}s, grace ${grace_s}s, ${healthy_s}s healthy first"
  # Each console line with the host's clock (seconds, 0.1 s) in front;
  # run.sh's exit code goes through a file, the pipeline's is cut's.
  (
    rc=0
    VM_MODULES="i6300esb" VM_QEMU_ARGS="-device i6300esb" VM_TIMEOUT="${VM_TIMEOUT:-420}" \
      VM_APPEND="WD_TIMEOUT=$timeout_s WD_GRACE=$grace_s WD_HEALTHY=$healthy_s WD_WAIT=$((limit + 30))" \
      "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/watchdog.sh" "$bin" "$VM_DIR/guest/vivid.sh" || rc=$?
    echo "$rc" >"$tmp/rc-$arch"
  ) 2>&1 |
    while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N | cut -c1-14)" "$l"; done |
    tee "$tmp/console-$arch" | cut -d' ' -f2-
  end=$(date +%s.%N | cut -c1-14) # qemu has exited: the reset (or the end)
  rc=$(cat "$tmp/rc-$arch")
  at() { grep -a "@@wd $1 " "$tmp/console-$arch" | head -1 | cut -d' ' -f1; }
  armed=$(at armed) healthy=$(at "healthy-${healthy_s}s") stopped=$(at frames-stopped)
  why=""
  if [ -z "$armed" ]; then
    why="the agent never armed the watchdog (exit $rc)"
  elif [ -z "$healthy" ]; then
    why="reset or failure during the healthy phase (exit $rc)"
  elif [ -z "$stopped" ]; then
    why="the camera was not unplugged (exit $rc)"
  elif [ "$rc" != 125 ]; then
    why="no reset: the guest finished with exit $rc"
  fi
  reset_s=$(awk -v a="${stopped:-0}" -v b="${end:-0}" 'BEGIN{printf "%.1f", b - a}')
  if [ -z "$why" ] && awk -v r="$reset_s" -v l="$limit" 'BEGIN{exit !(r > l)}'; then
    why="reset ${reset_s}s after the frames stopped, limit ${limit}s"
  fi
  wall=$(($(date +%s) - start))
  if [ -z "$why" ]; then
    summary+=("watchdog $arch: PASS — no reset in ${healthy_s}s of streaming; reset ${reset_s}s after the camera went away (limit ${limit}s); ${wall}s wall")
  else
    failed=1
    summary+=("watchdog $arch: FAIL — $why; ${wall}s wall")
  fi
done
printf '%s\n' "${summary[@]}"
exit "$failed"
