#!/usr/bin/env bash
# m2m.sh [ARCH...]   (default: amd64 arm64)
#
# The V4L2 M2M encoder (encode/m2m*.go) against a real kernel: builds
# encode.test statically for each architecture (pure Go, CGO_ENABLED=0:
# the OpenH264 tests drop out, the M2M ioctls are our own), boots the
# pinned kernel with guest/m2m.sh (vicodec single-planar, then
# multiplanar=1: encode 640x480 I420 to FWHT, drain, decode back and
# compare) and reports pass/fail with the wall time. Architectures run one
# after the other: TCG wants both cores.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

guest_suite m2m m2m.sh 400 test ./encode encode.test "$@"
