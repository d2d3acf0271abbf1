#!/bin/sh
# Guest side of test/vm/board.sh (busybox sh; /guest holds the static agent
# camagent-linux-<arch>). The agent itself drives a gpio-sim chip as its
# board: status LED, tamper switch, IR-cut filter and illuminator, and
# reports to a Mosquitto on the host (tcp://10.0.2.100:1883, VM_GUESTFWD).
#   1. the LED line, sampled for 2 s once the agent is connected, must be
#      steady on (the "ok" pattern);
#   2. the tamper line is pulled open, then closed, from "outside" (the
#      host checks the two MQTT events);
#   3. the host sends `camctl cmd vm-board daynight night`: the IR-cut line
#      and then the illuminator line must go active within BOARD_WAIT s.
set -eu

say() { echo "== guest: $*"; }
mark() { echo "@@board $1@@"; }
wait_s=${BOARD_WAIT:-180}

agent=""
for f in /guest/camagent-linux-*; do agent=$f; done
[ -x "$agent" ] || { say "no /guest/camagent-linux-* binary"; exit 2; }

modprobe gpio-sim
sim=/sys/kernel/config/gpio-sim/board
mkdir "$sim" "$sim/bank0"
echo camagent-board >"$sim/bank0/label"
echo 4 >"$sim/bank0/num_lines"
n=0
for name in LED TAMPER IR_CUT IR_LED; do
  mkdir "$sim/bank0/line$n"
  echo "$name" >"$sim/bank0/line$n/name"
  n=$((n + 1))
done
echo 1 >"$sim/live"
chip=$(cat "$sim/bank0/chip_name")
attr() { echo /sys/devices/platform/gpio-sim.*/"$chip"/sim_gpio"$1"/"$2"; }
line_led=0 line_tamper=1 line_ircut=2 line_irled=3
# shellcheck disable=SC2046 # the glob must expand
echo pull-down >$(attr $line_tamper pull) # closed

cat >/tmp/camagent.yaml <<YAML
device: {id: vm-board}
source: {type: testpattern, testpattern: {width: 320, height: 240, fps: 10}}
rtsp: {listen: "127.0.0.1:8554", udp: false}
mqtt: {brokers: ["tcp://10.0.2.100:1883"], health_interval: 5s}
onvif: {enabled: false, discovery: false}
users: [{name: board, password: board-password-1, role: user}]
board:
  status_led: {chip: camagent-board, line: LED}
  tamper: {chip: camagent-board, line: TAMPER, debounce: 20ms}
  day_night:
    ir_cut: {chip: camagent-board, line: IR_CUT}
    illuminator: {chip: camagent-board, line: IR_LED}
    min_dwell: 1s
YAML
"$agent" run -config /tmp/camagent.yaml >/tmp/agent.log 2>&1 &
apid=$!
i=0
until grep -q "MQTT connected" /tmp/agent.log 2>/dev/null; do
  kill -0 "$apid" 2>/dev/null || { cat /tmp/agent.log; say "FAIL: the agent exited"; exit 3; }
  i=$((i + 1))
  [ $i -le 1200 ] || { cat /tmp/agent.log; say "FAIL: no MQTT connection in 120 s"; exit 3; }
  sleep 0.1
done
mark connected
sleep 2 # the LED leaves "starting" at the next one-second health tick

# 1. The LED: steady on while healthy.
on=0 total=0
while [ $total -lt 20 ]; do
  # shellcheck disable=SC2046
  [ "$(cat $(attr $line_led value))" = 1 ] && on=$((on + 1))
  total=$((total + 1))
  sleep 0.1
done
say "LED on in $on of $total samples over 2 s"
[ $on -eq $total ] || { tail -20 /tmp/agent.log; say "FAIL: the LED is not steady on (ok pattern)"; exit 1; }
mark led-ok

# 2. The tamper switch, opened and closed from outside.
# shellcheck disable=SC2046
echo pull-up >$(attr $line_tamper pull)
sleep 1
# shellcheck disable=SC2046
echo pull-down >$(attr $line_tamper pull)
mark tamper-done

# 3. Night from the controller: the IR-cut filter out, then the illuminator on.
i=0
# shellcheck disable=SC2046
until [ "$(cat $(attr $line_ircut value))" = 1 ] && [ "$(cat $(attr $line_irled value))" = 1 ]; do
  kill -0 "$apid" 2>/dev/null || { cat /tmp/agent.log; say "FAIL: the agent exited"; exit 3; }
  i=$((i + 1))
  [ $i -le $((wait_s * 10)) ] || { tail -20 /tmp/agent.log; say "FAIL: IR-cut/illuminator not switched to night"; exit 1; }
  sleep 0.1
done
mark night
grep -E "tamper|day/night|daynight" /tmp/agent.log | tail -5 || true
kill "$apid"
rc=0
wait "$apid" || rc=$?
say "agent exit status $rc"
[ $rc -eq 0 ]
