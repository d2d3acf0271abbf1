#!/usr/bin/env bash
# netcheck.sh [ARCH...]   (default: amd64 arm64; part of `make vmtest`)
#
# Proves host->guest forwarding (VM_HOSTFWD), which host-driven tests need
# (e.g. the agent serving RTSP in the guest, a client on the host): the guest
# serves a page, the host fetches it through a forwarded loopback port, then
# connects to a second forwarded port to let the guest finish. It is also the
# reference for writing such a test.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arches=("$@")
((${#arches[@]})) || arches=(amd64 arm64)
tmp=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# get PORT: one HTTP/1.0 GET on 127.0.0.1 with bash's /dev/tcp (no curl).
# Short read timeout: while the guest has no network yet, slirp holds the
# accepted connection open and the read would only wait.
get() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET / HTTP/1.0\r\n\r\n' >&3
  timeout 1 cat <&3 || true
  exec 3<&-
}

failed=0
for arch in "${arches[@]}"; do
  arch_vars "$arch"
  start=$(date +%s.%N)
  # Random ports: a fixed one may be taken on a shared machine (qemu then
  # fails at once with "Could not set up host forwarding rule").
  web=$((20000 + RANDOM % 20000)) ctl=$((40000 + RANDOM % 20000))
  VM_HOSTFWD="tcp::$web-:8080,tcp::$ctl-:9000" VM_TIMEOUT=180 \
    "$VM_DIR/run.sh" "$arch" "$VM_DIR/guest/netcheck.sh" >"$tmp/console" 2>&1 &
  pid=$!

  # Until the guest's server is up, slirp accepts and then drops the
  # connection, so poll for the content, not for a connect.
  page=""
  for _ in $(seq 240); do
    page=$(get "$web" 2>/dev/null | tr -d '\r' | tail -1) || true
    [[ $page == "hello from"* ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  # Tell the guest we are done; repeat, since its listener may lag its server.
  while kill -0 "$pid" 2>/dev/null; do
    (exec 3<>"/dev/tcp/127.0.0.1/$ctl") 2>/dev/null || true
    sleep 0.5
  done
  rc=0
  wait "$pid" || rc=$?
  pid=""
  secs=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
  if ((rc == 0)) && [[ $page == "hello from"* ]]; then
    echo "netcheck $arch: PASS in ${secs}s (host got \"$page\" via 127.0.0.1:$web)"
  else
    cat "$tmp/console"
    echo "netcheck $arch: FAIL (guest exit $rc, host got \"$page\") after ${secs}s"
    failed=1
  fi
done
exit "$failed"
