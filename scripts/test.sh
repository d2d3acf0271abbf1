#!/usr/bin/env bash
# The one command that runs every test. It installs what the tests need on a
# fresh Debian 12 machine, then: vet, unit + integration tests with the race
# detector (ffmpeg/ffprobe as the real RTSP client), the static cross builds
# and a smoke run of the arm binaries under qemu-user.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

./scripts/install-deps.sh

echo "== go vet"
go vet ./...
# The tests built only for the VM guests (tag vmtest, test/vm/lib.sh).
go vet -tags vmtest ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi

echo "== go test -race"
go test -race -count=1 -timeout 15m ./...

# The MJPEG decoder of cgo builds with the tag "turbojpeg" (libjpeg-turbo,
# capture/V4L2.md): the capture package again with it, both decoders
# compared on the same frames.
echo "== go vet + go test -race -tags turbojpeg ./capture"
go vet -tags turbojpeg ./capture
go test -race -count=1 -tags turbojpeg ./capture

# make build links Debian 12's static libturbojpeg.a for each architecture
# (scripts/turbojpeg.sh fetches it into ~/.cache/camagent/turbojpeg the
# first time): each binary must say it decodes MJPEG with libjpeg-turbo
# (`camagent version`; the arm ones under qemu-user, as smoke-arm.sh runs them).
echo "== static builds"
make build
for arch in amd64 arm64 armv7; do
  b=dist/camagent-linux-$arch
  desc=$(file -b "$b")
  echo "$b: $desc ($(stat -c %s "$b") bytes)"
  case "$desc" in *"statically linked"*) ;; *) echo "$b is not statically linked" >&2; exit 1 ;; esac
  case $arch in
    arm64) run=(qemu-aarch64-static "$b") ;;
    armv7) run=(qemu-arm-static "$b") ;;
    *) run=("$b") ;;
  esac
  dec=$("${run[@]}" version | sed -n 's/^MJPEG decoder: //p')
  echo "$b: MJPEG decoder ${dec:-(none printed)}"
  [ "$dec" = libjpeg-turbo ] || { echo "$b: MJPEG decoder '$dec', want libjpeg-turbo" >&2; exit 1; }
done
./scripts/smoke-arm.sh

# --- virtual hardware (test/vm) ---------------------------------------------
# Real Debian kernels for amd64 and arm64 under qemu (TCG) with the virtual
# camera (vivid), M2M codec (vicodec) and GPIO chips (gpio-sim, gpio-mockup):
# the smoke test in each guest, then host->guest port forwarding. The first
# run fetches and builds into ~/.cache/camagent/vm (see test/vm/README.md).
echo "== virtual hardware bench (qemu: amd64, arm64)"
./test/vm/smoke.sh amd64 arm64
./test/vm/netcheck.sh amd64 arm64
# The V4L2 source on vivid in each guest: formats, sizes, hot-unplug; MJPEG
# from v4l2loopback fed by the test's own writer.
./test/vm/capture.sh amd64 arm64
# The M2M encoder on vicodec (single- and multi-planar), with FWHT round trip.
./test/vm/m2m.sh amd64 arm64
# Zero copy: vivid's NV12 buffers lent to vicodec's encoder and imported as
# dma-bufs; bitstream identical to a copying encoder's, across an unplug.
./test/vm/zerocopy.sh amd64 arm64
# GPIO on gpio-sim: tamper, reset button hold, day/night IR-cut pulses, LED patterns.
./test/vm/gpio.sh amd64 arm64
# `camagent devices` lists vivid and vicodec (single- and multi-planar).
./test/vm/devices.sh amd64 arm64
# The static agent itself in each guest on vivid; RTSP through hostfwd,
# decoded by ffmpeg on the host (60 frames, zero decoder errors).
AGENT_NOBUILD=1 ./test/vm/agent.sh amd64 arm64
# The Buildroot image's runtime (issue 8): the overlay + release binary started the
# BusyBox-init way; first-boot provisioning from a FAT disk, kill -9 -> respawn <= 2 s,
# RTSP via hostfwd, MQTT to a Mosquitto on the host via guestfwd.
IMAGE_NOBUILD=1 ./test/vm/image.sh arm64 amd64
# The agent's own board on gpio-sim: LED pattern, tamper -> MQTT events on a host
# Mosquitto, MQTT daynight -> IR-cut and illuminator lines.
BOARD_NOBUILD=1 ./test/vm/board.sh amd64 arm64
# The hardware watchdog (qemu's i6300esb): 60 s of streaming without a
# reset, then the camera unplugged -> the VM resets within 2 x timeout + grace.
WD_NOBUILD=1 ./test/vm/watchdog.sh amd64 arm64

echo "== all tests passed"
