#!/usr/bin/env bash
# devices.sh [ARCH...]   (default: amd64 arm64)
#
# `camagent devices` against a real kernel: builds the camagent binary
# statically for each architecture (CGO_ENABLED=0: the device listing is
# our own ioctls, see capture/V4L2.md; the OpenH264 software encoder drops
# out, which `devices` does not need), boots the pinned kernel with
# guest/devices.sh (vivid + vicodec: the table, the JSON, and checks that
# vivid is a camera with YUYV and vicodec an encoder with FWHT) and reports
# pass/fail with the wall time. Architectures run one after the other: TCG
# wants both cores. VM_LOG_DIR=dir keeps each console log as
# dir/devices-ARCH.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

guest_suite devices devices.sh 300 cmd ./cmd/camagent camagent "$@"
