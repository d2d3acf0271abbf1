#!/usr/bin/env bash
# turbojpeg.sh ARCH...   (ARCH: amd64, arm64, armv7)
#
# The static libturbojpeg that `make build` links into the release binaries
# (capture's MJPEG decoder, -tags turbojpeg; capture/V4L2.md): Debian 12's
# libturbojpeg0-dev at the version pinned below, for each ARCH (armv7 is
# Debian's armhf). Makes sure the cache holds it, then prints one prefix per
# ARCH, the directory with include/turbojpeg.h and lib/<triplet>/libturbojpeg.a:
#
#   ~/.cache/camagent/turbojpeg/<version>/<debian arch>/usr
#
# The .debs come through test/vm/apt-fetch.sh (the one exact-version fetcher:
# a private apt state, so the system's dpkg/apt configuration is untouched and
# no `dpkg --add-architecture` is needed) and are unpacked with dpkg-deb -x,
# never installed. Only libturbojpeg0-dev is needed: libturbojpeg.a holds
# all of libjpeg-turbo and needs only the toolchain's libc and libgcc (its
# Depends, libturbojpeg0, is the shared library). A warm cache costs nothing
# and needs no network; a cold one reads Debian's package lists once for all
# missing architectures and fetches a ~0.2 MB .deb per architecture.
# TURBOJPEG_CACHE moves the cache (the binaries do not depend on where it is).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

# The pin. It is here, not in test/vm/versions.env: that file is the VM
# bench's (and kernel.sh keys its kernel trees on its whole content, so a
# release-build bump there would refetch and rebuild both kernels), while
# this is an input of the release binaries, bumped with the build. Debian's
# mirror and suite come from versions.env through apt-fetch.sh. A bump lands
# in a new cache directory; override from the environment to try one.
: "${TURBOJPEG_VERSION:=1:2.1.5-2}"

die() { echo "turbojpeg: $*" >&2; exit 1; }
(($# >= 1)) || die "usage: turbojpeg.sh ARCH... (amd64, arm64, armv7)"

cache=${TURBOJPEG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camagent/turbojpeg}/$TURBOJPEG_VERSION

# debarch ARCH: Debian's name of the architecture; triplet DEBARCH: its
# multiarch library directory.
debarch() {
  case $1 in
    amd64 | arm64) echo "$1" ;;
    armv7 | armhf) echo armhf ;;
    *) die "unsupported architecture '$1' (use amd64, arm64 or armv7)" ;;
  esac
}
triplet() {
  case $1 in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    armhf) echo arm-linux-gnueabihf ;;
  esac
}
ready() { [ -f "$cache/$1/.complete" ]; }

debs=()
for a; do debs+=("$(debarch "$a")"); done
missing() {
  local d
  todo=()
  for d in "${debs[@]}"; do
    ready "$d" || [[ " ${todo[*]} " == *" $d "* ]] || todo+=("$d")
  done
}

missing
if ((${#todo[@]})); then
  for t in dpkg-deb flock sha256sum; do
    command -v "$t" >/dev/null 2>&1 || die "missing tool $t; run ./scripts/install-deps.sh"
  done
  # Two builds (make -j, parallel CI jobs) must not unpack the same tree at once.
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9
  missing
fi
if ((${#todo[@]})); then
  tmp=$(mktemp -d "$cache/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  specs=()
  for d in "${todo[@]}"; do specs+=("libturbojpeg0-dev:$d=$TURBOJPEG_VERSION"); done
  echo "turbojpeg: fetching ${specs[*]} into $cache" >&2
  # stdout is the prefixes; everything apt says goes to stderr.
  APT_FETCH_PINS="scripts/turbojpeg.sh (TURBOJPEG_VERSION)" \
    "$repo/test/vm/apt-fetch.sh" "$tmp/debs" "${specs[@]}" >&2
  for d in "${todo[@]}"; do
    deb=("$tmp/debs/libturbojpeg0-dev_"*"_$d.deb")
    [ -f "${deb[0]}" ] || die "no libturbojpeg0-dev .deb for $d in $tmp/debs"
    got="$(dpkg-deb -f "${deb[0]}" Package Version Architecture | paste -sd' ')"
    [ "$got" = "Package: libturbojpeg0-dev Version: $TURBOJPEG_VERSION Architecture: $d" ] ||
      die "${deb[0]} is '$got', not libturbojpeg0-dev $TURBOJPEG_VERSION $d"
    dpkg-deb -x "${deb[0]}" "$tmp/$d"
    for f in usr/include/turbojpeg.h "usr/lib/$(triplet "$d")/libturbojpeg.a"; do
      [ -f "$tmp/$d/$f" ] || die "${deb[0]} has no $f"
    done
    # What the tree was made from, for whoever wonders later.
    echo "libturbojpeg0-dev $TURBOJPEG_VERSION $d sha256:$(sha256sum <"${deb[0]}" | cut -d' ' -f1)" >"$tmp/$d/.complete"
    rm -rf "${cache:?}/$d"
    mv "$tmp/$d" "$cache/$d"
    echo "turbojpeg: $cache/$d ready" >&2
  done
fi

for d in "${debs[@]}"; do echo "$cache/$d/usr"; done
