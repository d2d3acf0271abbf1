#!/usr/bin/env bash
# apt-fetch.sh DEST PKG[:ARCH]=VERSION...
#
# Downloads exact .deb versions from Debian's archive into DEST. It uses a
# private, throw-away apt state (own sources.list, architectures amd64+arm64
# plus any other that a PKG:ARCH names, e.g. armhf; lists and caches) so the
# system's apt configuration is never touched and no `dpkg --add-architecture`
# is needed; the .debs are only unpacked later, never installed. When the
# archive no longer serves a pinned version (it keeps only the current
# bookworm kernel), it fails and says what to pin instead, and where:
# APT_FETCH_PINS names the caller's pins (default: the bench's versions.env).
# Used by the bench (kernel.sh) and by the release build
# (scripts/turbojpeg.sh: libturbojpeg for each architecture of `make build`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

(($# >= 2)) || die "usage: apt-fetch.sh DEST PKG[:ARCH]=VERSION..."
dest=$1
shift
need apt-get apt-cache
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing; run ./scripts/install-deps.sh"

mkdir -p "$VM_CACHE" "$dest"

# The bench's two architectures (the "gone" hint below names their kernels),
# and whichever others the specs name.
arches=(amd64 arm64)
for spec; do
  pkg=${spec%%=*}
  [[ $pkg == *:* ]] || continue
  [[ " ${arches[*]} " == *" ${pkg#*:} "* ]] || arches+=("${pkg#*:}")
done
state=$(mktemp -d "$VM_CACHE/apt.XXXXXX")
trap 'rm -rf "$state"' EXIT
mkdir -p "$state"/{conf.d,sources.d,prefs.d,lists/partial,cache/archives/partial}
: >"$state/status"

cat >"$state/sources.list" <<EOF
deb [signed-by=$keyring] $DEBIAN_MIRROR $DEBIAN_SUITE main
deb [signed-by=$keyring] $DEBIAN_MIRROR $DEBIAN_SUITE-updates main
deb [signed-by=$keyring] $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main
EOF

# APT_CONFIG is read before /etc/apt/apt.conf.d, and pointing the parts and
# main file elsewhere keeps the host's hooks (docker-clean, appstream, ...)
# out of this private state.
cat >"$state/apt.conf" <<EOF
Dir::Etc::Main "/dev/null";
Dir::Etc::Parts "$state/conf.d";
Dir::Etc::SourceList "$state/sources.list";
Dir::Etc::SourceParts "$state/sources.d";
Dir::Etc::Preferences "$state/preferences";
Dir::Etc::PreferencesParts "$state/prefs.d";
Dir::State "$state";
Dir::State::Lists "$state/lists";
Dir::State::status "$state/status";
Dir::Cache "$state/cache";
APT::Architecture "amd64";
APT::Architectures { $(printf '"%s"; ' "${arches[@]}")};
APT::Sandbox::User "$(id -un)";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
EOF
export APT_CONFIG="$state/apt.conf"

log "apt: reading Debian's package lists ($DEBIAN_SUITE, -updates, -security; ${arches[*]})"
# A list that fails (a mirror mid-sync serving a Packages file that does not
# match its signed Release) is left out, not fatal: every .deb is still
# checked against a signed list, and a pin that none of the lists that did
# load serves fails below.
partial=""
if ! apt-get -qq update; then
  partial=" (apt-get update could not read every list, above: it may be in one of those)"
  log "apt: some package lists failed (above); going on with those that loaded"
fi

# served PKG: the versions the archive has for PKG, one per line.
served() { apt-cache madison "$1" | awk -F'|' '{gsub(/ /, "", $2); print $2}' | sort -uV; }

# candidate PKG: the version apt-cache policy would pick now.
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }

gone=0
for spec; do
  pkg=${spec%%=*} ver=${spec#*=}
  served "$pkg" | grep -qxF "$ver" && continue
  gone=1
  have=$(served "$pkg" | paste -sd' ')
  cand=$(candidate "$pkg")
  echo "vm: pinned $pkg=$ver is not (or no longer) in Debian's archive$partial;" \
    "apt-cache policy: candidate ${cand:-none}, versions: ${have:-none}" >&2
done
if ((gone)); then
  if [ -z "${APT_FETCH_PINS:-}" ]; then
    # The kernel ABI is in the package names, so name the current one.
    for a in amd64 arm64; do
      cand=$(candidate "linux-image-$a:$a")
      dep=$(apt-cache show "linux-image-$a:$a=$cand" | sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -1)
      echo "vm: $DEBIAN_SUITE's current kernel for $a: $dep version $cand" >&2
    done
  fi
  echo "vm: update the pins in ${APT_FETCH_PINS:-test/vm/versions.env (KERNEL_ABI + KERNEL_VERSION, BUSYBOX_VERSION, V4L2LOOPBACK_VERSION)}" >&2
  exit 1
fi

log "apt: downloading $*"
(cd "$dest" && apt-get -qq download "$@")
