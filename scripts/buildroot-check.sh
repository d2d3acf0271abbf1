#!/usr/bin/env bash
# buildroot-check.sh BUILDROOT_DIR
#
# The verification of buildroot/ against a Buildroot checkout outside this
# repository (docs/flashing.md names the LTS release, 2026.02.3): Buildroot's
# own utils/check-package on every file of the external tree, then
# `make <board>_defconfig` for each of our defconfigs into a scratch output
# directory. Nothing is downloaded or built. Not part of scripts/test.sh:
# CI machines cannot fetch Buildroot.
set -euo pipefail
(($# == 1)) || { echo "usage: $0 BUILDROOT_DIR" >&2; exit 2; }
br=$(cd "$1" && pwd)
ext=$(cd "$(dirname "$0")/../buildroot" && pwd)
[ -x "$br/utils/check-package" ] || { echo "$br is not a Buildroot tree" >&2; exit 2; }
echo "== Buildroot $(git -C "$br" describe --tags 2>/dev/null || echo '(unknown version)')"
# check-package needs python3-magic; Debian's python3 has it.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
mapfile -t files < <(find "$ext" -type f | sort)
(cd "$br" && "$py" utils/check-package -b "${files[@]}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
for cfg in "$ext"/configs/*_defconfig; do
  name=$(basename "$cfg")
  if make -s -C "$br" BR2_EXTERNAL="$ext" O="$out/$name" "$name" >"$out/$name.log" 2>&1; then
    echo "$name: ok"
  else
    rc=1
    echo "$name: FAILED"
    cat "$out/$name.log"
  fi
done
exit "$rc"
