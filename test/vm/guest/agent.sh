#!/bin/sh
# Guest side of test/vm/agent.sh (busybox sh, in /guest next to the static
# agent camagent-linux-<arch> and its config camagent.yaml).
#
# Loads vivid, puts its capture node into the config, runs the agent (RTSP on
# 0.0.0.0:8554, which the host reaches through hostfwd), then waits until the
# host connects to :9000 to say it is done (or AGENT_WAIT seconds pass). Then
# it sends SIGTERM and exits 0 only if the agent stops with status 0 within
# AGENT_STOP seconds. If the agent dies before the host is done, the guest
# exits at once with a failure, so the host does not wait for nothing.
set -eu

wait_s=${AGENT_WAIT:-240}
stop_s=${AGENT_STOP:-20}
say() { echo "== guest: $*"; }

agent=""
for f in /guest/camagent-linux-*; do agent=$f; done
[ -x "$agent" ] || { say "no /guest/camagent-linux-* binary"; exit 2; }
say "kernel $(uname -r) on $(uname -m), agent $agent"
"$agent" version | sed -n 1p

. /guest/vivid.sh
dev=$(vivid_capture_node) || { say "no vivid capture node appeared"; exit 2; }
say "vivid capture node: $dev"
sed "s|@DEVICE@|$dev|" /guest/camagent.yaml >/tmp/camagent.yaml

"$agent" run -config /tmp/camagent.yaml &
apid=$!
say "agent started (pid $apid); waiting for the host on :9000 (at most ${wait_s}s)"

timeout "$wait_s" nc -l -p 9000 </dev/null >/dev/null &
ncpid=$!
while kill -0 "$ncpid" 2>/dev/null; do
  if ! kill -0 "$apid" 2>/dev/null; then
    rc=0
    wait "$apid" || rc=$?
    say "FAIL: the agent exited by itself (status $rc) before the host was done"
    kill "$ncpid" 2>/dev/null || true
    exit 3
  fi
  sleep 0.5
done
ncrc=0
wait "$ncpid" || ncrc=$?
if [ "$ncrc" -ne 0 ]; then
  say "the host did not signal within ${wait_s}s (nc status $ncrc); stopping the agent anyway"
else
  say "host is done"
fi

say "SIGTERM to the agent"
t0=$(date +%s)
kill -TERM "$apid"
i=0
while kill -0 "$apid" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt $((stop_s * 10)) ]; then
    say "FAIL: the agent is still running ${stop_s}s after SIGTERM; SIGKILL"
    kill -KILL "$apid" 2>/dev/null || true
    wait "$apid" || true
    exit 4
  fi
  sleep 0.1
done
rc=0
wait "$apid" || rc=$?
say "agent exit status $rc, $(($(date +%s) - t0))s after SIGTERM"
[ "$rc" -eq 0 ] || exit 5
[ "$ncrc" -eq 0 ] || exit 6
exit 0
