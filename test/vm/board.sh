#!/usr/bin/env bash
# board.sh [ARCH...]   (default: amd64 arm64)
#
# The board end to end (issue 7) with the agent itself on a real kernel:
# the static agent (make build-ARCH) runs in the guest with its status LED,
# tamper switch, IR-cut filter and illuminator on a gpio-sim chip, and
# reports to a real Mosquitto on the host through VM_GUESTFWD, recorded by
# `camctl -json watch`.
#   - the guest samples the LED line: steady on (the "ok" pattern);
#   - the guest opens and closes the tamper line from outside: the host
#     must see the MQTT events tamper {"state":"open"} then {"state":"closed"};
#   - the host sends `camctl cmd vm-board daynight night`: the guest waits
#     for the IR-cut and illuminator lines to go active.
# Prints PASS/FAIL and the wall time per architecture.
#
# Environment: BOARD_NOBUILD=1 (use the existing dist/camagent-linux-ARCH),
# BOARD_WAIT (seconds for each step, default 180), VM_TIMEOUT (420).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=("$@")
((${#arches[@]})) || arches=(amd64 arm64)
need make go timeout mosquitto setsid
root=$(cd "$VM_DIR/../.." && pwd)
wait_s=${BOARD_WAIT:-180}
tmp=$(mktemp -d)
pid="" broker="" watcher=""
# shellcheck disable=SC2317
cleanup() {
  [ -z "$pid" ] || kill -- -"$pid" 2>/dev/null || true
  stop_pid "$pid"
  stop_pid "$watcher"
  stop_pid "$broker"
  rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && go build -trimpath -o "$tmp/camctl" ./cmd/camctl)
vm_mosquitto "$tmp"
"$tmp/camctl" -broker "mqtt://127.0.0.1:$mport" -json watch >>"$tmp/watch.jsonl" 2>"$tmp/watch.err" &
watcher=$!
echo "board: mosquitto on 127.0.0.1:$mport (guest: tcp://10.0.2.100:1883), camctl watch recording"

# within SECONDS COMMAND...: polls COMMAND every 0.5 s; fails after SECONDS
# or as soon as the VM is gone.
within() {
  local s=$1 i=0
  shift
  until "$@"; do
    kill -0 "$pid" 2>/dev/null || return 1
    i=$((i + 1))
    ((i <= s * 2)) || return 1
    sleep 0.5
  done
}
tamper_seen() {
  (($(seen "$tmp/watch.jsonl" vm-board event/tamper '"state":"open"') >= 1)) &&
    (($(seen "$tmp/watch.jsonl" vm-board event/tamper '"state":"closed"') >= 1))
}

failed=0
summary=()
for arch in "${arches[@]}"; do
  start=$(date +%s)
  bin="$root/dist/camagent-linux-$arch"
  [ "${BOARD_NOBUILD:-}" = 1 ] || make -C "$root" --no-print-directory "build-$arch" >/dev/null
  [ -x "$bin" ] || die "no $bin"
  echo "== board $arch: agent on gpio-sim, MQTT to the host"
  setsid env VM_GUESTFWD="tcp:10.0.2.100:1883-tcp:127.0.0.1:$mport" VM_TIMEOUT="${VM_TIMEOUT:-420}" \
    VM_APPEND="BOARD_WAIT=$wait_s" \
    "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/board.sh" "$bin" >"$tmp/console-$arch" 2>&1 &
  pid=$!
  why=""
  if ! within "$wait_s" grep -q "@@board tamper-done@@" "$tmp/console-$arch"; then
    why="the guest did not reach the tamper step"
  elif ! within 30 tamper_seen; then
    why="no tamper open and closed events on MQTT"
  elif ! "$tmp/camctl" -broker "mqtt://127.0.0.1:$mport" -timeout 60s cmd vm-board daynight night >"$tmp/cmd.out" 2>&1; then
    why="camctl daynight night failed: $(cat "$tmp/cmd.out")"
  fi
  rc=0
  wait "$pid" || rc=$?
  pid=""
  [ -n "$why" ] || [ "$rc" = 0 ] || why="guest exit $rc"
  grep -E "^== guest|@@board" "$tmp/console-$arch" || true
  wall=$(($(date +%s) - start))
  if [ -z "$why" ]; then
    led=$(grep -o "LED on in [0-9]* of [0-9]* samples" "$tmp/console-$arch" | head -1)
    summary+=("board $arch: PASS — $led; tamper open/closed on MQTT; daynight night switched IR-cut and illuminator; ${wall}s wall")
  else
    failed=1
    tail -30 "$tmp/console-$arch"
    summary+=("board $arch: FAIL — $why; ${wall}s wall")
  fi
  : >"$tmp/watch.jsonl" # the next architecture's device has the same id
done
printf '%s\n' "${summary[@]}"
exit "$failed"
