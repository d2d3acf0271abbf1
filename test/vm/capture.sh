#!/usr/bin/env bash
# capture.sh [ARCH...]   (default: amd64 arm64)
#
# The V4L2 source against a real kernel: builds capture.test statically for
# each architecture (pure Go, CGO_ENABLED=0: the V4L2 layer is our own
# ioctls, see capture/V4L2.md), boots the pinned kernel with
# guest/capture.sh (vivid: capture in YUYV/NV12/YU12 at 640x480 and
# 1280x720, hot-unplug and reload, multi-planar; v4l2loopback: MJPEG at both
# sizes from the test's own writer) and reports pass/fail with the wall
# time. Architectures run one after the other: TCG wants both cores.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

guest_suite capture capture.sh 400 test ./capture capture.test "$@"
