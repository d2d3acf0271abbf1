#!/bin/sh
# Fleet health poll under load against a real Mosquitto (loopback only):
# N simulated devices in one process, then `camctl poll --json` over the
# fleet. Prints the time until every device answered and the CPU time of
# the broker, the simulated devices and camctl. Not a test: a measurement.
#
#   scripts/mqtt-load/run.sh            # N = 100 and 1000
#   scripts/mqtt-load/run.sh 5000       # other sizes
set -eu
cd "$(dirname "$0")/../.."
command -v mosquitto >/dev/null || { echo "mosquitto not installed (apt-get install mosquitto)" >&2; exit 1; }
# Mosquitto needs one descriptor per connection; mqtt-load raises the soft
# limit itself (inherited by the broker) up to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/camctl" ./cmd/camctl
go build -o "$bin/mqtt-load" ./scripts/mqtt-load
[ $# -gt 0 ] || set -- 100 1000
for n in "$@"; do
	echo "== N=$n"
	"$bin/mqtt-load" -n "$n" -camctl "$bin/camctl"
done
