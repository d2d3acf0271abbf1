#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need, only those
# missing, so a rerun costs nothing. Needs root (or sudo) when anything is missing.
set -euo pipefail

packages=(
  make gcc g++ file git ca-certificates
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu      # static arm64 build (cgo: OpenH264)
  gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf  # static armv7 build
  qemu-user-static                                 # smoke-runs the arm binaries
  libturbojpeg0-dev                                # capture: the libjpeg-turbo MJPEG decoder (go test -tags turbojpeg);
                                                   # make build links its own pinned static copy per arch (scripts/turbojpeg.sh)
  ffmpeg                                           # ffprobe/ffmpeg: the real RTSP client in tests
  mosquitto                                        # the real MQTT broker in telemetry tests
  libxml2-utils xsltproc                           # onvif: validate.sh checks responses against the ONVIF XSDs
  qemu-system-x86 qemu-system-arm                  # test/vm: real Linux kernels under qemu (TCG)
  cpio kmod xz-utils                               # test/vm: initramfs, depmod, .deb unpack
  debian-archive-keyring                           # private apt (test/vm/apt-fetch.sh): the bench's kernels and
                                                   # make build's libturbojpeg .debs for amd64, arm64, armhf
  dosfstools mtools e2fsprogs                      # test/vm image test: FAT boot disk, ext4 data disk
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Go is not packaged at 1.26 in Debian 12: it must be installed from go.dev.
need="1.26"
if ! command -v go >/dev/null 2>&1; then
  for d in /usr/local/go/bin "$HOME/go/bin"; do [ -x "$d/go" ] && export PATH="$d:$PATH"; done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-deps: Go $need or newer is required (https://go.dev/dl/), put it in /usr/local/go" >&2
  exit 1
fi
have=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "install-deps: Go $have found, $need or newer required" >&2
  exit 1
fi
