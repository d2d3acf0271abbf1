#!/usr/bin/env bash
# Runs the agent from source. With no arguments: the built-in test pattern,
# a generated one-run password, RTSP on port 8554; the stream URL is printed.
# Installs the C compiler cgo needs (OpenH264 is linked in) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
if ! command -v gcc >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q gcc g++
fi
command -v go >/dev/null 2>&1 || { echo "run: Go 1.26 or newer is required (https://go.dev/dl/)" >&2; exit 1; }
exec env CGO_ENABLED=1 go run ./cmd/camagent "$@"
