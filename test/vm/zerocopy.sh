#!/usr/bin/env bash
# zerocopy.sh [ARCH...]   (default: amd64 arm64)
#
# Camera to hardware encoder without a copy, on a real kernel: builds
# app.test statically for each architecture and boots the pinned kernel
# with guest/zerocopy.sh. vivid's NV12 buffers are lent by the V4L2 source
# and imported by vicodec's encoder through VIDIOC_EXPBUF and
# V4L2_MEMORY_DMABUF; a second encoder copies the same pictures, and the
# two bitstreams must be identical. Architectures run one after the
# other: TCG wants both cores.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

guest_suite zerocopy zerocopy.sh 400 test ./app app.test "$@"
