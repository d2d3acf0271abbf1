# shellcheck shell=sh
# Sourced by guest scripts (busybox sh) that need vivid's capture node:
# pass this file to run.sh as a FILE, then `. /guest/vivid.sh`.

# vivid_capture_node loads vivid (with any module parameters given) and
# prints its capture node, found by name (no udev): vivid-000-vid-cap.
# /dev/videoN numbers follow the load order, so video0 is never assumed.
# Returns 1 when no node appears within 10 s.
vivid_capture_node() {
  modprobe vivid "$@" || return 1
  i=0
  while :; do
    for n in /sys/class/video4linux/video*; do
      [ -e "$n/name" ] || continue
      case $(cat "$n/name") in
        *vid-cap*) [ -e "/dev/${n##*/}" ] && { echo "/dev/${n##*/}"; return 0; } ;;
      esac
    done
    i=$((i + 1))
    [ $i -le 100 ] || return 1
    sleep 0.1
  done
}
