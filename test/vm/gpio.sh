#!/usr/bin/env bash
# gpio.sh [ARCH...]   (default: amd64 arm64)
#
# The device/ package's GPIO against a real kernel: builds device.test
# statically for each architecture (pure Go, CGO_ENABLED=0; go-gpiocdev),
# boots the pinned kernel with guest/gpio.sh (a gpio-sim chip "camagent-io"
# with named lines; inputs driven through gpio-sim's sysfs pull attributes)
# and reports pass/fail with the wall time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

guest_suite gpio gpio.sh 300 test ./device device.test "$@"
