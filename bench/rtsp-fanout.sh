#!/usr/bin/env bash
# RTSP fan-out cost, side by side: camagent (file source, passthrough) vs
# mediamtx and gortsplib's examples/server relaying the same 1280x720 30 fps
# file pushed by an ffmpeg publisher, to N = 1, 8, 32 ffmpeg TCP readers.
#
# Measures only the server process: CPU = utime+stime from /proc/PID/stat over
# the window (% of ONE core), VmRSS sampled every second (median), VmHWM at the
# end. Readers: `ffmpeg -rtsp_transport tcp -i URL -c copy -f null -`, added
# incrementally; each reader's frame count comes from its -progress file.
# Rounds are interleaved with the server order rotated; ratios vs mediamtx are
# computed per round, then the median taken. See bench/README.md.
#
# Env: ROUNDS (3) WINDOW (20 s) WARMUP (5 s) READERS ("1 8 32")
#      SERVERS ("camagent mediamtx gortsplib") QUICK=1 (1 round, 5 s, "1 8")
#      CAMAGENT_SERVICES (default|off) CAMAGENT_REV (worktree|<git rev>) BENCH_HOME (~/.cache/camagent/bench)
#      MEDIAMTX_VERSION GORTSPLIB_VERSION
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

if [ "${QUICK:-0}" = 1 ]; then
  ROUNDS=${ROUNDS:-1} WINDOW=${WINDOW:-5} WARMUP=${WARMUP:-5} READERS=${READERS:-"1 8"}
else
  ROUNDS=${ROUNDS:-3} WINDOW=${WINDOW:-20} WARMUP=${WARMUP:-5} READERS=${READERS:-"1 8 32"}
fi
SERVERS=${SERVERS:-"camagent mediamtx gortsplib"}

for v in ROUNDS WINDOW WARMUP; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
prev=-1
for n in $READERS; do
  [[ $n =~ ^[0-9]+$ ]] && ((n > prev && n <= 60)) || die "READERS must be ascending integers 0..60 (got '$READERS')"
  prev=$n
done
for s in $SERVERS; do
  case $s in camagent | mediamtx | gortsplib) ;; *) die "unknown server '$s' in SERVERS" ;; esac
done
read -r -a SRV <<<"$SERVERS"

need_tools "${common_tools[@]}"
install_trap
mkdir -p "$BENCH_HOME"
RUN=$BENCH_HOME/runs/fanout-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/logs" "$RUN/progress"
RAW=$RUN/raw.tsv
printf 'round\tserver\tn\tcpu_pct\trss_mib\thwm_mib\talive\treceiving\tfps_list\thost_busy_pct\twall_s\tidle_rss_mib\tstatus\n' >"$RAW"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
gen_media
build_camagent
for s in "${SRV[@]}"; do
  case $s in
    mediamtx) build_mediamtx ;;
    gortsplib) build_gortsplib_server ;;
  esac
done

# frames_of FILE... — last frame= of each -progress file (0 if none yet), one per line.
frames_of() {
  (($#)) || return 0
  awk '/^frame=/ {v[FILENAME] = substr($0, 7)}
       END {for (i = 1; i < ARGC; i++) print ((ARGV[i] in v) ? v[ARGV[i]] : 0)}' "$@"
}
# min_blocks FILE... — fewest progress blocks written by any of the readers.
min_blocks() {
  (($#)) || { echo 999; return 0; }
  awk '/^progress=/ {c[FILENAME]++}
       END {m = -1; for (i = 1; i < ARGC; i++) {x = c[ARGV[i]] + 0; if (m < 0 || x < m) m = x}; print m}' "$@"
}
STATS_PERIOD=0.5
SETTLE_BLOCKS=5 # progress blocks (of STATS_PERIOD) a reader must have written before a window

# Sets SRV_PID, PUB_PID (may be empty), URL. Returns 1 if the server is unusable.
start_server() {
  local r=$1 s=$2 port
  PUB_PID=
  case $s in
    camagent)
      write_camagent_config "$RUN/camagent.yaml" "$PORT_CAMAGENT" "$UDP_CAMAGENT" file
      start_bg "$RUN/logs/r$r-camagent.log" "$CAMAGENT_BIN" run -config "$RUN/camagent.yaml"
      port=$PORT_CAMAGENT ;;
    mediamtx)
      write_mediamtx_config "$RUN/mediamtx.yml"
      start_bg "$RUN/logs/r$r-mediamtx.log" "$MEDIAMTX_BIN" "$RUN/mediamtx.yml"
      port=$PORT_MEDIAMTX ;;
    gortsplib)
      start_bg "$RUN/logs/r$r-gortsplib.log" "$GORTSPLIB_BIN"
      port=$PORT_GORTSPLIB ;;
  esac
  SRV_PID=$LAST_PID
  URL=$(url_of "$s")
  if ! wait_port "$port" 15; then
    log "$s: nothing listens on 127.0.0.1:$port after 15 s"; return 1
  fi
  if [ "$s" != camagent ]; then
    start_publisher "$RUN/logs/r$r-$s-publisher.log" "$port"
    PUB_PID=$LAST_PID
  fi
  if ! wait_stream "$URL" 20; then
    log "$s: no H.264 stream at $URL"; return 1
  fi
  if [ "$r" = 1 ]; then check_listeners "$SRV_PID" "$s"; fi
}

server_failed() { # server_failed ROUND SERVER N REASON
  log "$2 round $1 N=$3: $4"
  [ -n "${SRV_PID:-}" ] && { log "--- last lines of $RUN/logs/r$1-$2.log:"; tail -n 20 "$RUN/logs/r$1-$2.log" >&2 || true; }
  printf '%s\t%s\t%s\t\t\t\t\t\t\t\t\t\t%s\n' "$1" "$2" "$3" "$4" >>"$RAW"
}

run_server() {
  local r=$1 s=$2 n i k readers=() progs=() idle_rss='' f0 f1 c0 c1 t0 t1 b0 b1 rss hwm
  log "round $r/$ROUNDS: $s"
  if ! start_server "$r" "$s"; then
    for n in $READERS; do server_failed "$r" "$s" "$n" "start-failed"; done
    stop_pids "$SRV_PID" ${PUB_PID:+"$PUB_PID"}
    return 0
  fi
  sleep 2
  idle_rss=$(proc_kib "$SRV_PID" VmRSS) && idle_rss=$(awk -v k="$idle_rss" 'BEGIN{printf "%.1f", k/1024}')
  for n in $READERS; do
    while ((${#readers[@]} < n)); do
      i=${#readers[@]}
      progs+=("$RUN/progress/r$r-$s-n$i")
      : >"${progs[i]}"
      start_bg "$RUN/logs/r$r-$s-reader$i.log" ffmpeg -nostdin -nostats -v error \
        -progress "${progs[i]}" -stats_period "$STATS_PERIOD" \
        -rtsp_transport tcp -i "$URL" -c copy -f null -
      readers+=("$LAST_PID")
    done
    sleep "$WARMUP"
    # A reader outputs its probing backlog (~2 s of frames) in one burst when
    # it starts; on a busy host that can come after WARMUP. Wait (bounded) until
    # every reader has been writing progress for >= 2.5 s.
    for ((k = 0; k < 40; k++)); do
      (($(min_blocks "${progs[@]:0:n}") >= SETTLE_BLOCKS)) && break
      sleep 0.5
    done
    ((k)) && log "  $s N=$n: waited $(awk -v k="$k" 'BEGIN{print k / 2}') s more for readers to settle (min blocks $(min_blocks "${progs[@]:0:n}"))"
    if ! kill -0 "$SRV_PID" 2>/dev/null; then server_failed "$r" "$s" "$n" "server-died"; break; fi
    mapfile -t f0 < <(frames_of "${progs[@]:0:n}")
    read -r b0 tb0 < <(host_busy_ticks)
    c0=$(proc_ticks "$SRV_PID" || echo x); t0=$(now_ns)
    rss=()
    for ((k = 0; k < WINDOW; k++)); do
      sleep 1
      rss+=("$(proc_kib "$SRV_PID" VmRSS || echo x)")
    done
    c1=$(proc_ticks "$SRV_PID" || echo x); t1=$(now_ns)
    read -r b1 tb1 < <(host_busy_ticks)
    hwm=$(proc_kib "$SRV_PID" VmHWM || echo x)
    if [ "$c0" = x ] || [ "$c1" = x ] || [ "$hwm" = x ]; then server_failed "$r" "$s" "$n" "server-died"; break; fi
    mapfile -t f1 < <(frames_of "${progs[@]:0:n}")
    local alive=0 recv=0 fps=() wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b - a) / 1e9}')
    for ((i = 0; i < n; i++)); do
      kill -0 "${readers[i]}" 2>/dev/null && alive=$((alive + 1))
      ((f1[i] > f0[i])) && recv=$((recv + 1))
      fps+=("$(awk -v a="${f0[i]}" -v b="${f1[i]}" -v w="$wall" 'BEGIN{printf "%.2f", (b - a) / w}')")
    done
    local fpsl; fpsl=$(IFS=,; echo "${fps[*]}")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\tok\n' "$r" "$s" "$n" \
      "$(awk -v d=$((c1 - c0)) -v w="$wall" -v h="$CLK_TCK" 'BEGIN{printf "%.3f", 100 * d / h / w}')" \
      "$(printf '%s\n' "${rss[@]}" | grep -v x | stat_line | awk '{printf "%.2f", $1 / 1024}')" \
      "$(awk -v k="$hwm" 'BEGIN{printf "%.2f", k / 1024}')" \
      "$alive" "$recv" "$fpsl" \
      "$(awk -v b=$((b1 - b0)) -v t=$((tb1 - tb0)) 'BEGIN{printf "%.1f", t ? 100 * b / t : 0}')" \
      "$wall" "$idle_rss" >>"$RAW"
    log "  $s N=$n: $(tail -n1 "$RAW" | awk -F'\t' '{printf "cpu %s%%  rss %s MiB  hwm %s MiB  receiving %s/%s  host busy %s%%", $4, $5, $6, $8, $3, $10}')  fps $(printf '%s\n' "${fps[@]}" | stat_line | awk '{printf "median %s min %s", $1, $2}')"
  done
  # reader errors are worth seeing
  local errs
  errs=$(cat "$RUN"/logs/r"$r"-"$s"-reader*.log 2>/dev/null | sort | uniq -c | sort -rn | head -5 || true)
  [ -n "$errs" ] && log "  $s reader stderr (counts): $errs"
  stop_pids "${readers[@]}" ${PUB_PID:+"$PUB_PID"} "$SRV_PID"
}

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
log "run dir: $RUN"
for ((r = 1; r <= ROUNDS; r++)); do
  for ((j = 0; j < ${#SRV[@]}; j++)); do
    run_server "$r" "${SRV[(j + r - 1) % ${#SRV[@]}]}"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

{
  echo "## RTSP fan-out: file source 1280x720 30 fps -> N ffmpeg TCP readers"
  echo
  echo "* started $STARTED; $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)); load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
  echo "* ROUNDS=$ROUNDS WINDOW=${WINDOW}s WARMUP=${WARMUP}s READERS=\"$READERS\"; server order rotated per round; medians over rounds; ratios per round, then median"
  echo "* stream: $(media_summary)"
  for s in "${SRV[@]}"; do
    case $s in
      camagent) echo "* camagent: $CAMAGENT_DESC, cgo, file source (passthrough, no encoder), TCP+UDP offered, digest auth, $(camagent_services_desc)" ;;
      mediamtx) echo "* mediamtx: $MEDIAMTX_DESC, CGO_ENABLED=0 -trimpath, RTSP only, publisher: ffmpeg -re -stream_loop -1 -c copy over TCP" ;;
      gortsplib) echo "* gortsplib: $GORTSPLIB_DESC, CGO_ENABLED=0 -trimpath, same publisher" ;;
    esac
  done
  echo "* $(ffmpeg -version | head -1 | cut -d' ' -f1-3); $(go version | cut -d' ' -f3-4)"
  echo "* readers: \`ffmpeg -nostdin -nostats -v error -progress FILE -stats_period $STATS_PERIOD -rtsp_transport tcp -i URL -c copy -f null -\`, added incrementally; publisher (peers): \`ffmpeg -re -stream_loop -1 -i $(basename "$MEDIA_MP4") -c copy -f rtsp -rtsp_transport tcp rtsp://127.0.0.1:PORT/stream\`"
  echo "* CPU = server process only (publisher and readers excluded), % of ONE core; 1 tick over ${WINDOW}s = $(awk -v w="$WINDOW" -v h="$CLK_TCK" 'BEGIN{printf "%.2f", 100 / h / w}') %; host busy = whole VM (all cores, incl. our ffmpeg clients and other users)"
  echo
  awk -v servers="$SERVERS" -f "$HERE/fanout-report.awk" "$RAW"
  echo
  echo "Peer builds (scratch copies under $BENCH_HOME/peers, nothing committed):"
  for s in "${SRV[@]}"; do
    case $s in
      mediamtx) print_patches "$MEDIAMTX_DIR/PATCHES.txt" ;;
      gortsplib) print_patches "$GORTSPLIB_DIR/PATCHES.txt" ;;
    esac
  done
  echo
  echo "Raw per-round data: $RAW"
} | tee "$RUN/report.md"
