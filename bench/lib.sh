# Shared helpers for bench/*.sh. Sourced, not run.
# shellcheck disable=SC2034  # variables here are used by the scripts that source this file
#
# Everything built or generated lives under $BENCH_HOME (default
# ~/.cache/camagent/bench), outside the repository:
#   media/                    the test stream (generated once with ffmpeg)
#   camagent/camagent         the agent, rebuilt on every run (work tree or CAMAGENT_REV)
#   camagent/src-<sha>/       git archive of CAMAGENT_REV when that is set
#   peers/mediamtx-VER/       mediamtx built from a scratch copy of the proxy's module
#   peers/gortsplib-VER/      gortsplib's examples/server, same way
#   runs/<script>-<stamp>/    configs, logs, raw results of one run
# Nothing of the peers is vendored or committed.

# Pinned peer versions (exact versions: the proxy refuses version lists).
MEDIAMTX_VERSION=${MEDIAMTX_VERSION:-v1.20.1}
GORTSPLIB_VERSION=${GORTSPLIB_VERSION:-v5.6.5}

BENCH_HOME=${BENCH_HOME:-$HOME/.cache/camagent/bench}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Ports, all on 127.0.0.1: RTSP port and UDP RTP/RTCP pair of each server; a
# camagent instance also gets MQTT on RTSP+329 and ONVIF on RTSP-474 (see
# write_camagent_config). Separate ranges let everything run side by side.
PORT_CAMAGENT=18554; UDP_CAMAGENT=18000
PORT_CAMAGENT2=19554; UDP_CAMAGENT2=19000
PORT_CAMAGENT3=17554; UDP_CAMAGENT3=17000
PORT_MEDIAMTX=28554; UDP_MEDIAMTX=28000
PORT_GORTSPLIB=38554; UDP_GORTSPLIB=38000

CA_USER=bench
CA_PASS=bench-password-1

MEDIA_DIR=$BENCH_HOME/media
# 10 s loop: camagent keeps its whole file in memory (by design), so a long
# file would inflate its RSS against the peers, whose file sits in the publisher.
MEDIA_SECONDS=${MEDIA_SECONDS:-10}
MEDIA_BASE=$MEDIA_DIR/720p30-gop30-2M-${MEDIA_SECONDS}s
MEDIA_MP4=$MEDIA_BASE.mp4
MEDIA_H264=$MEDIA_BASE.h264

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need_tools TOOL:DEBIAN_PACKAGE ... — installs nothing; says what is missing.
need_tools() {
  local miss=() t
  for t in "$@"; do
    command -v "${t%%:*}" >/dev/null 2>&1 || miss+=("${t%%:*} (Debian package: ${t#*:})")
  done
  if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    export PATH=/usr/local/go/bin:$PATH
  fi
  command -v go >/dev/null 2>&1 || miss+=("go 1.26 (not packaged in Debian 12: install the go.dev toolchain in /usr/local/go)")
  if ((${#miss[@]})); then
    printf 'missing tool: %s\n' "${miss[@]}" >&2
    die "install the packages above (e.g. apt-get install ...) and rerun; this script installs nothing"
  fi
}

common_tools=(ffmpeg:ffmpeg ffprobe:ffmpeg gcc:gcc ss:iproute2 awk:mawk timeout:coreutils
              diff:diffutils getconf:libc-bin sort:coreutils git:git)

# ---------------------------------------------------------------- processes
# Every background process is started through start_bg so that the EXIT trap
# can end exactly those (by PID, never by name).
BG_PIDS=()
LAST_PID=
start_bg() { # start_bg LOGFILE CMD...
  local logf=$1; shift
  "$@" >"$logf" 2>&1 </dev/null &
  LAST_PID=$!
  BG_PIDS+=("$LAST_PID")
}

# stop_pids PID... — TERM, wait up to 3 s, then KILL; reaps them.
stop_pids() {
  local p i alive
  (($#)) || return 0
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 30); do
    alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for p in "$@"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
  # forget them
  local keep=() q drop
  for q in "${BG_PIDS[@]}"; do
    drop=0
    for p in "$@"; do [ "$p" = "$q" ] && drop=1; done
    ((drop)) || keep+=("$q")
  done
  BG_PIDS=("${keep[@]}")
}

cleanup_all() {
  local rc=$?
  trap - EXIT INT TERM
  if ((${#BG_PIDS[@]})); then stop_pids "${BG_PIDS[@]}"; fi
  exit "$rc"
}
install_trap() {
  trap cleanup_all EXIT
  trap 'echo "interrupted" >&2; exit 130' INT TERM
}

# ---------------------------------------------------------------- /proc
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
proc_ticks() { # utime+stime of PID in clock ticks (fields after the "(comm)")
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  awk '{print $12 + $13}' <<<"$s"
}
proc_kib() { # proc_kib PID VmRSS|VmHWM
  awk -v k="$2:" '$1 == k {print $2; found=1} END {if (!found) exit 1}' "/proc/$1/status" 2>/dev/null
}
host_busy_ticks() { # "busy total" jiffies of the whole machine
  awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; idle = $5 + $6; print t - idle, t; exit}' /proc/stat
}
now_ns() { date +%s%N; }

# wait_port PORT SECONDS — until something listens on 127.0.0.1:PORT (TCP).
wait_port() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

# wait_stream URL TRIES — until ffprobe sees an H.264 stream (bounded).
wait_stream() {
  local i out
  for ((i = 0; i < $2; i++)); do
    out=$(timeout 8 ffprobe -v error -rtsp_transport tcp -show_entries stream=codec_name \
          -of csv=p=0 "$1" 2>/dev/null || true)
    [ "$out" = h264 ] && return 0
    sleep 0.5
  done
  return 1
}

# check_listeners PID NAME — prints the sockets PID listens on; fails if any is
# not bound to 127.0.0.1.
check_listeners() {
  local lines bad
  lines=$(ss -Hltnup 2>/dev/null | grep "pid=$1," | awk '{print $1 "/" $5}' | sort -u)
  bad=$(grep -v '/127\.0\.0\.1:' <<<"$lines" || true)
  printf '%s listens on: %s\n' "$2" "$(tr '\n' ' ' <<<"$lines")" >&2
  if [ -n "$bad" ]; then
    die "$2 listens outside 127.0.0.1: $bad"
  fi
}

# ---------------------------------------------------------------- media
# gen_media — 1280x720 30 fps, x264 main, no B-frames, GOP 30 (1 s, no scene
# cut), 2 Mbit/s capped; testsrc2 + temporal noise so the bitrate is spent.
# One encode: the .mp4 feeds the peers' publishers, the same bitstream as
# Annex-B .h264 (SPS/PPS before every IDR) feeds camagent's file source.
gen_media() {
  mkdir -p "$MEDIA_DIR"
  if [ -s "$MEDIA_MP4" ] && [ -s "$MEDIA_H264" ]; then return 0; fi
  log "generating $MEDIA_MP4 ($MEDIA_SECONDS s)"
  ffmpeg -nostdin -v error -f lavfi \
    -i "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t+u,format=yuv420p" -t "$MEDIA_SECONDS" \
    -c:v libx264 -profile:v main -preset veryfast -bf 0 -g 30 -keyint_min 30 -sc_threshold 0 \
    -b:v 2M -maxrate 2M -bufsize 2M -an -movflags +faststart -y "$MEDIA_MP4.tmp.mp4"
  ffmpeg -nostdin -v error -i "$MEDIA_MP4.tmp.mp4" -c copy -bsf:v h264_mp4toannexb -f h264 -y "$MEDIA_H264.tmp"
  mv "$MEDIA_MP4.tmp.mp4" "$MEDIA_MP4"
  mv "$MEDIA_H264.tmp" "$MEDIA_H264"
}

# media_summary — one line describing the stream (from ffprobe).
media_summary() {
  local br n k
  br=$(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$MEDIA_MP4")
  read -r n k < <(ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 "$MEDIA_MP4" |
    awk '{n++} /K/ {k++} END {print n, k}')
  printf '%s: 1280x720 30 fps H.264 Main (x264, with its SEI), no B-frames, %.2f Mbit/s, %d frames looped, %d IDR (GOP %d = %.1f s), Annex-B file %d bytes\n' \
    "$(basename "$MEDIA_BASE")" "$(awk -v b="$br" 'BEGIN{print b/1e6}')" "$n" "$k" $((n / k)) \
    "$(awk -v g=$((n / k)) 'BEGIN{print g/30}')" "$(stat -c %s "$MEDIA_H264")"
}

# ---------------------------------------------------------------- builds
export GOFLAGS=-mod=mod GOWORK=off # for the peers' scratch copies

# build_camagent — every run. CAMAGENT_REV=worktree (default) builds this work
# tree as it is; CAMAGENT_REV=<git rev> (e.g. HEAD) builds a `git archive` of
# that commit in $BENCH_HOME/camagent/src-<sha> (useful while the shared work
# tree is mid-edit). cgo on; -mod=readonly: the repository's go.mod/go.sum are
# never touched (GOFLAGS=-mod=mod above is for the peers' scratch copies only).
CAMAGENT_BIN=$BENCH_HOME/camagent/camagent
CAMAGENT_REV=${CAMAGENT_REV:-worktree}
CAMAGENT_SRC=$REPO_ROOT
build_camagent() {
  local sha
  mkdir -p "$BENCH_HOME/camagent"
  if [ "$CAMAGENT_REV" = worktree ]; then
    CAMAGENT_SRC=$REPO_ROOT
    CAMAGENT_DESC="camagent $(git -C "$REPO_ROOT" describe --always --dirty 2>/dev/null || echo '?') (work tree)"
  else
    sha=$(git -C "$REPO_ROOT" rev-parse --verify "$CAMAGENT_REV^{commit}") || die "CAMAGENT_REV=$CAMAGENT_REV is not a commit"
    CAMAGENT_SRC=$BENCH_HOME/camagent/src-$sha
    if [ ! -f "$CAMAGENT_SRC/go.mod" ]; then
      rm -rf "$CAMAGENT_SRC" "$CAMAGENT_SRC.tmp"
      mkdir -p "$CAMAGENT_SRC.tmp"
      git -C "$REPO_ROOT" archive "$sha" | tar -x -C "$CAMAGENT_SRC.tmp"
      mv "$CAMAGENT_SRC.tmp" "$CAMAGENT_SRC"
    fi
    CAMAGENT_DESC="camagent $(git -C "$REPO_ROOT" describe --always "$sha") (git archive of $CAMAGENT_REV)"
  fi
  log "building $CAMAGENT_DESC from $CAMAGENT_SRC"
  (cd "$CAMAGENT_SRC" && CGO_ENABLED=1 GOFLAGS="-mod=readonly -buildvcs=false" go build -o "$CAMAGENT_BIN.tmp" ./cmd/camagent) ||
    die "camagent does not build (see above; CAMAGENT_REV=HEAD builds the last commit instead of the work tree)"
  mv "$CAMAGENT_BIN.tmp" "$CAMAGENT_BIN"
}

# module_dir MODULE@VERSION — downloads the exact version into the module cache.
module_dir() {
  local d
  d=$(cd "$BENCH_HOME" && go mod download -json "$1" | awk -F'"' '$2 == "Dir" {print $4}')
  [ -d "$d" ] || die "go mod download $1 failed (GOPROXY=$(go env GOPROXY))"
  printf '%s\n' "$d"
}

# scratch_copy SRC DST — a writable copy of a read-only module-cache directory.
scratch_copy() {
  rm -rf "$2" "$2.orig"
  cp -r "$1" "$2"
  chmod -R u+w "$2"
}

# build_mediamtx — mediamtx $MEDIAMTX_VERSION, its own go.mod unchanged (it pins
# gortsplib/mediacommon/gohlslib at exact versions the proxy serves); only the
# files that `go generate` would make are stubbed. Reused when present.
MEDIAMTX_DIR=$BENCH_HOME/peers/mediamtx-$MEDIAMTX_VERSION
MEDIAMTX_BIN=$MEDIAMTX_DIR/mediamtx
build_mediamtx() {
  if [ -x "$MEDIAMTX_BIN" ] && [ -s "$MEDIAMTX_DIR/PATCHES.txt" ]; then
    log "reusing $MEDIAMTX_BIN"
  else
    local src m
    m=$(module_dir "github.com/bluenviron/mediamtx@$MEDIAMTX_VERSION")
    src=$MEDIAMTX_DIR/src
    mkdir -p "$MEDIAMTX_DIR"
    scratch_copy "$m" "$src"
    {
      echo "mediamtx $MEDIAMTX_VERSION: scratch copy of $m"
      echo "go.mod: unchanged ($(grep -E 'bluenviron/(gortsplib|mediacommon|gohlslib)' "$src/go.mod" | awk '{printf "%s %s; ", $1, $2}'))"
      echo "source patches: none"
      echo "stubbed (files normally made by go generate, which downloads them):"
      printf '%s\n' "${MEDIAMTX_VERSION#v}" >"$src/internal/core/VERSION"
      echo "  internal/core/VERSION = \"${MEDIAMTX_VERSION#v}\""
      printf '/* stub: hls.js not embedded (HLS is disabled in the benchmark) */\n' \
        >"$src/internal/servers/hls/hls.min.js"
      echo "  internal/servers/hls/hls.min.js = one-line comment (HLS player page not used)"
      for a in 32 64; do
        mkdir -p "$src/internal/staticsources/rpicamera/mtxrpicam_$a"
        printf 'stub\n' >"$src/internal/staticsources/rpicamera/mtxrpicam_$a/stub"
        echo "  internal/staticsources/rpicamera/mtxrpicam_$a/stub (only embedded on linux/arm{,64}; no Pi camera helper)"
      done
    } >"$MEDIAMTX_DIR/PATCHES.txt.tmp"
    log "building mediamtx $MEDIAMTX_VERSION in $src (first time: several minutes)"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$MEDIAMTX_BIN" .) ||
      die "mediamtx $MEDIAMTX_VERSION does not build with the proxy today (see above)"
    mv "$MEDIAMTX_DIR/PATCHES.txt.tmp" "$MEDIAMTX_DIR/PATCHES.txt"
  fi
  MEDIAMTX_DESC="mediamtx $MEDIAMTX_VERSION ($(go version -m "$MEDIAMTX_BIN" | awk '$2 ~ /bluenviron\/(gortsplib|mediacommon)/ {printf "%s %s, ", $2, $3}' | sed 's/, $//'))"
}

# build_gortsplib_server — gortsplib $GORTSPLIB_VERSION examples/server, with
# its listen addresses moved to 127.0.0.1 and multicast switched off.
GORTSPLIB_DIR=$BENCH_HOME/peers/gortsplib-$GORTSPLIB_VERSION
GORTSPLIB_BIN=$GORTSPLIB_DIR/server
build_gortsplib_server() {
  if [ -x "$GORTSPLIB_BIN" ] && [ -s "$GORTSPLIB_DIR/PATCHES.txt" ]; then
    log "reusing $GORTSPLIB_BIN"
  else
    local src m f
    m=$(module_dir "github.com/bluenviron/gortsplib/v5@$GORTSPLIB_VERSION")
    src=$GORTSPLIB_DIR/src
    mkdir -p "$GORTSPLIB_DIR"
    scratch_copy "$m" "$src"
    f=$src/examples/server/main.go
    cp "$f" "$GORTSPLIB_DIR/main.go.orig"
    sed -i \
      -e "s|RTSPAddress:       \":8554\"|RTSPAddress:       \"127.0.0.1:$PORT_GORTSPLIB\"|" \
      -e "s|UDPRTPAddress:     \":8000\"|UDPRTPAddress:     \"127.0.0.1:$UDP_GORTSPLIB\"|" \
      -e "s|UDPRTCPAddress:    \":8001\"|UDPRTCPAddress:    \"127.0.0.1:$((UDP_GORTSPLIB + 1))\"|" \
      -e '/MulticastIPRange:\|MulticastRTPPort:\|MulticastRTCPPort:/d' "$f"
    {
      echo "gortsplib $GORTSPLIB_VERSION examples/server: scratch copy of $m"
      echo "go.mod: unchanged; patch to examples/server/main.go (listen on 127.0.0.1 only, no multicast):"
      { diff -u "$GORTSPLIB_DIR/main.go.orig" "$f" || true; } | sed -n '3,$p' | grep '^[-+]' | sed 's/^/  /'
    } >"$GORTSPLIB_DIR/PATCHES.txt.tmp"
    [ "$(grep -c '"127\.0\.0\.1:' "$f")" = 3 ] && ! grep -q Multicast "$f" ||
      die "patching gortsplib examples/server failed (its main.go changed?)"
    log "building gortsplib $GORTSPLIB_VERSION examples/server"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$GORTSPLIB_BIN" ./examples/server) ||
      die "gortsplib $GORTSPLIB_VERSION examples/server does not build (see above)"
    mv "$GORTSPLIB_DIR/PATCHES.txt.tmp" "$GORTSPLIB_DIR/PATCHES.txt"
  fi
  GORTSPLIB_DESC="gortsplib $GORTSPLIB_VERSION examples/server"
}

print_patches() {
  local f
  for f in "$@"; do sed 's/^/    /' "$f"; done
}

# ---------------------------------------------------------------- servers
# CAMAGENT_SERVICES: the agent's services besides RTSP, for trees that have them.
#   default: as shipped (MQTT telemetry with its embedded loopback broker,
#            ONVIF HTTP server), but bound to 127.0.0.1 on per-instance ports
#            (RTSP port + 329 for MQTT, RTSP port - 474 for ONVIF: 18883, 18080)
#   off:     mqtt.enabled and onvif.enabled false: RTSP only
CAMAGENT_SERVICES=${CAMAGENT_SERVICES:-default}
case $CAMAGENT_SERVICES in default | off) ;; *) die "CAMAGENT_SERVICES must be default or off" ;; esac
camagent_has() { grep -q "yaml:\"$1\"" "$CAMAGENT_SRC/config/config.go" 2>/dev/null; }
camagent_services_desc() {
  local have=()
  camagent_has mqtt && have+=(MQTT)
  camagent_has onvif && have+=(ONVIF)
  if ((${#have[@]} == 0)); then echo "no other services in this tree"
  elif [ "$CAMAGENT_SERVICES" = off ]; then echo "${have[*]} disabled (CAMAGENT_SERVICES=off)"
  else echo "${have[*]} on as shipped (MQTT: embedded loopback broker + health), bound to 127.0.0.1"; fi
}

# write_camagent_config FILE PORT UDPPORT file|testpattern [KEYFRAME_MIN_INTERVAL]
write_camagent_config() {
  local src kmi="" mqtt=""
  [ -n "${5:-}" ] && kmi="
  keyframe_min_interval: $5"
  if camagent_has mqtt; then
    if [ "$CAMAGENT_SERVICES" = off ]; then
      mqtt="mqtt:
  enabled: false"
    else
      mqtt="mqtt:
  enabled: true
  embedded_listen: \"127.0.0.1:$(($2 + 329))\""
    fi
  fi
  if camagent_has onvif; then
    if [ "$CAMAGENT_SERVICES" = off ]; then
      mqtt="$mqtt
onvif:
  enabled: false"
    else
      mqtt="$mqtt
onvif:
  enabled: true
  listen: \"127.0.0.1:$(($2 - 474))\""
    fi
  fi
  if [ "$4" = file ]; then
    src="source:
  type: file
  file:
    path: $MEDIA_H264
    fps: 30"
  else
    src="source:
  type: testpattern
  testpattern:
    width: 1280
    height: 720
    fps: 30
encoder:
  bitrate_kbps: 2000
  gop: 30
  keyframe_on_join: true$kmi"
  fi
  cat >"$1" <<EOF
$src
rtsp:
  listen: "127.0.0.1:$2"
  path: /stream
  udp_rtp_port: $3
  max_readers: 64
users:
  - name: $CA_USER
    password: $CA_PASS
    role: user
log:
  level: warn
$mqtt
EOF
}

# write_mediamtx_config FILE — RTSP only, everything on 127.0.0.1, any path.
write_mediamtx_config() {
  cat >"$1" <<EOF
logLevel: warn
logDestinations: [stdout]
api: no
metrics: no
pprof: no
playback: no
rtsp: yes
rtspTransports: [udp, tcp]
rtspAddress: 127.0.0.1:$PORT_MEDIAMTX
rtpAddress: 127.0.0.1:$UDP_MEDIAMTX
rtcpAddress: 127.0.0.1:$((UDP_MEDIAMTX + 1))
rtmp: no
hls: no
webrtc: no
srt: no
moq: no
paths:
  all_others:
EOF
}

url_of() { # url_of camagent|camagent2|mediamtx|gortsplib
  case $1 in
    camagent) echo "rtsp://$CA_USER:$CA_PASS@127.0.0.1:$PORT_CAMAGENT/stream" ;;
    camagent2) echo "rtsp://$CA_USER:$CA_PASS@127.0.0.1:$PORT_CAMAGENT2/stream" ;;
    camagent3) echo "rtsp://$CA_USER:$CA_PASS@127.0.0.1:$PORT_CAMAGENT3/stream" ;;
    mediamtx) echo "rtsp://127.0.0.1:$PORT_MEDIAMTX/stream" ;;
    gortsplib) echo "rtsp://127.0.0.1:$PORT_GORTSPLIB/stream" ;;
  esac
}

# start_publisher LOG PORT — ffmpeg pushes the mp4 in real time, looping.
start_publisher() {
  start_bg "$1" ffmpeg -nostdin -v error -re -stream_loop -1 -i "$MEDIA_MP4" -c copy \
    -f rtsp -rtsp_transport tcp "rtsp://127.0.0.1:$2/stream"
}

# ---------------------------------------------------------------- stats (awk)
# stat_line — reads numbers (one per line), prints "median min max n".
stat_line() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "- - - 0"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m, v[1], v[NR], NR }'
}
