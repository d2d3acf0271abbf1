#!/usr/bin/env bash
# Time from a new reader's start to its first frame, side by side:
#   camagent-tp    camagent test pattern 1280x720 30 fps, OpenH264, GOP 30,
#                  keyframe_on_join (an IDR is forced when a reader plays)
#   camagent-file  camagent file source, passthrough of the 1 s GOP file
#                  (no forced IDR: the reader waits for the file's next IDR)
#   mediamtx       mediamtx relaying the same file pushed by ffmpeg
# Optional (add to TARGETS):
#   camagent-tp0   as camagent-tp with keyframe_min_interval: 0s (no rate limit
#                  on forced IDRs; shows what the default 500ms limit costs)
#   gortsplib      gortsplib examples/server relaying the file
# Two measures per trial, each the wall time of a whole ffmpeg process (so it
# includes ffmpeg's ~70 ms start-up; the local-file floor column shows it):
#   (a) first keyframe packet, minimal probing:
#       ffmpeg -probesize 32 -analyzeduration 0 -rtsp_transport tcp -i URL -c copy -frames:v 1 -f null -
#   (b) first decoded frame, default probing:
#       ffmpeg -rtsp_transport tcp -i URL -frames:v 1 -f null -
# All targets run at once; trials interleave them (order rotated per trial)
# with a random 0.2-1.4 s pause before each measurement.
#
# Env: TRIALS (15) TARGETS ("camagent-tp camagent-file mediamtx") SEED
#      TIMEOUT (10 s per ffmpeg) QUICK=1 (5 trials) CAMAGENT_SERVICES (default|off) CAMAGENT_REV (worktree|<git rev>) BENCH_HOME
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

if [ "${QUICK:-0}" = 1 ]; then TRIALS=${TRIALS:-5}; else TRIALS=${TRIALS:-15}; fi
TARGETS=${TARGETS:-"camagent-tp camagent-file mediamtx"}
TIMEOUT=${TIMEOUT:-10}
SEED=${SEED:-$$}
RANDOM=$SEED
[[ $TRIALS =~ ^[1-9][0-9]*$ ]] || die "TRIALS must be a positive integer"
for t in $TARGETS; do
  case $t in camagent-tp | camagent-tp0 | camagent-file | mediamtx | gortsplib) ;; *) die "unknown target '$t'" ;; esac
done
read -r -a TG <<<"$TARGETS"

need_tools "${common_tools[@]}"
install_trap
mkdir -p "$BENCH_HOME"
RUN=$BENCH_HOME/runs/ttff-$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN/logs"
RAW=$RUN/raw.tsv
printf 'trial\ttarget\tmeasure\tms\tstatus\n' >"$RAW"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
gen_media
build_camagent
[[ " $TARGETS " == *" mediamtx "* ]] && build_mediamtx
[[ " $TARGETS " == *" gortsplib "* ]] && build_gortsplib_server

declare -A URLS PIDS
start_target() {
  local t=$1 port
  case $t in
    camagent-tp)
      write_camagent_config "$RUN/camagent-tp.yaml" "$PORT_CAMAGENT" "$UDP_CAMAGENT" testpattern
      start_bg "$RUN/logs/camagent-tp.log" "$CAMAGENT_BIN" run -config "$RUN/camagent-tp.yaml"
      port=$PORT_CAMAGENT; URLS[$t]=$(url_of camagent) ;;
    camagent-tp0)
      write_camagent_config "$RUN/camagent-tp0.yaml" "$PORT_CAMAGENT3" "$UDP_CAMAGENT3" testpattern 0s
      start_bg "$RUN/logs/camagent-tp0.log" "$CAMAGENT_BIN" run -config "$RUN/camagent-tp0.yaml"
      port=$PORT_CAMAGENT3; URLS[$t]=$(url_of camagent3) ;;
    camagent-file)
      write_camagent_config "$RUN/camagent-file.yaml" "$PORT_CAMAGENT2" "$UDP_CAMAGENT2" file
      start_bg "$RUN/logs/camagent-file.log" "$CAMAGENT_BIN" run -config "$RUN/camagent-file.yaml"
      port=$PORT_CAMAGENT2; URLS[$t]=$(url_of camagent2) ;;
    mediamtx)
      write_mediamtx_config "$RUN/mediamtx.yml"
      start_bg "$RUN/logs/mediamtx.log" "$MEDIAMTX_BIN" "$RUN/mediamtx.yml"
      port=$PORT_MEDIAMTX; URLS[$t]=$(url_of mediamtx) ;;
    gortsplib)
      start_bg "$RUN/logs/gortsplib.log" "$GORTSPLIB_BIN"
      port=$PORT_GORTSPLIB; URLS[$t]=$(url_of gortsplib) ;;
  esac
  PIDS[$t]=$LAST_PID
  wait_port "$port" 15 || { tail -n 20 "$RUN/logs/$t.log" >&2; die "$t: nothing listens on 127.0.0.1:$port"; }
  case $t in
    mediamtx | gortsplib) start_publisher "$RUN/logs/$t-publisher.log" "$port" ;;
  esac
}

for t in "${TG[@]}"; do start_target "$t"; done
for t in "${TG[@]}"; do
  wait_stream "${URLS[$t]}" 20 || { tail -n 20 "$RUN/logs/$t.log" >&2; die "$t: no H.264 stream at ${URLS[$t]}"; }
  check_listeners "${PIDS[$t]}" "$t"
done
sleep 2

# measure TRIAL TARGET a|b|floor — one timed ffmpeg run, appended to raw.tsv.
measure() {
  local trial=$1 t=$2 m=$3 url t0 t1 rc=0 prog frames status
  url=${URLS[$t]:-}
  prog=$RUN/logs/progress.tmp
  : >"$prog"
  local cmd
  case $m in
    a) cmd=(ffmpeg -nostdin -nostats -v error -progress "$prog" -probesize 32 -analyzeduration 0
            -rtsp_transport tcp -i "$url" -c copy -frames:v 1 -f null -) ;;
    b) cmd=(ffmpeg -nostdin -nostats -v error -progress "$prog" -rtsp_transport tcp -i "$url"
            -frames:v 1 -f null -) ;;
    floor) cmd=(ffmpeg -nostdin -nostats -v error -progress "$prog" -i "$MEDIA_MP4" -frames:v 1 -f null -) ;;
  esac
  t0=$(now_ns)
  timeout "$TIMEOUT" "${cmd[@]}" >/dev/null 2>>"$RUN/logs/ffmpeg-$t-$m.err" || rc=$?
  t1=$(now_ns)
  frames=$(awk -F= '$1 == "frame" {v = $2} END {print v + 0}' "$prog")
  if ((rc == 124)); then status=timeout
  elif ((rc != 0)); then status=rc$rc
  elif ((frames < 1)); then status=no-frame
  else status=ok; fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$trial" "$t" "$m" $(((t1 - t0) / 1000000)) "$status" >>"$RAW"
}
pause() { sleep "$(awk -v r=$((RANDOM % 1201)) 'BEGIN{printf "%.3f", (200 + r) / 1000}')"; }

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
log "run dir: $RUN; $TRIALS trials x ${#TG[@]} targets x 2 measures (seed $SEED)"
for ((i = 1; i <= TRIALS; i++)); do
  order=()
  for ((j = 0; j < ${#TG[@]}; j++)); do order+=("${TG[(j + i - 1) % ${#TG[@]}]}"); done
  measure "$i" local floor
  for m in a b; do
    for t in "${order[@]}"; do pause; measure "$i" "$t" "$m"; done
  done
  log "trial $i/$TRIALS: $(awk -F'\t' -v i="$i" '$1 == i {printf "%s/%s=%s%s ", $2, $3, $4, ($5 == "ok" ? "" : "(" $5 ")")}' "$RAW")"
done
for t in "${TG[@]}"; do
  kill -0 "${PIDS[$t]}" 2>/dev/null || log "WARNING: $t (pid ${PIDS[$t]}) exited during the run: $(tail -n 5 "$RUN/logs/$t.log")"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

describe_target() {
  case $1 in
    camagent-tp) echo "camagent test pattern 1280x720 30 fps, OpenH264 2 Mbit/s, GOP 30 (1 s), keyframe_on_join (keyframe_min_interval default 500ms)" ;;
    camagent-tp0) echo "as camagent-tp but keyframe_min_interval: 0s (forced IDR never deferred)" ;;
    camagent-file) echo "camagent file source, passthrough, GOP 30 (1 s), no forced IDR" ;;
    mediamtx) echo "mediamtx $MEDIAMTX_VERSION relaying the file (GOP 30 = 1 s) from ffmpeg -re" ;;
    gortsplib) echo "gortsplib $GORTSPLIB_VERSION examples/server relaying the file (GOP 30 = 1 s)" ;;
  esac
}
cell() { # cell TARGET MEASURE -> "median [min-max]"
  awk -F'\t' -v t="$1" -v m="$2" '$2 == t && $3 == m && $5 == "ok" {print $4}' "$RAW" | stat_line |
    awk '{ if ($4 == 0) print "-"; else printf "%d [%d-%d]\n", $1, $2, $3 }'
}
nok() { awk -F'\t' -v t="$1" -v m="$2" '$2 == t && $3 == m {n++; if ($5 == "ok") k++} END {printf "%d/%d", k, n}' "$RAW"; }
medof() { awk -F'\t' -v t="$1" -v m="$2" '$2 == t && $3 == m && $5 == "ok" {print $4}' "$RAW" | stat_line | cut -d' ' -f1; }
ratio() { # ratio TARGET MEASURE — median / mediamtx's median
  local a b
  a=$(medof "$1" "$2"); b=$(medof mediamtx "$2")
  awk -v a="$a" -v b="$b" 'BEGIN { if (a == "-" || b == "-" || b == 0) print ""; else printf "%.2f", a / b }'
}

{
  echo "## Time to first frame for a new reader (ms, median [min-max] of $TRIALS trials)"
  echo
  echo "* started $STARTED; $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)); load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
  echo "* stream: $(media_summary)"
  echo "* $CAMAGENT_DESC ($(camagent_services_desc))${MEDIAMTX_DESC:+; $MEDIAMTX_DESC}${GORTSPLIB_DESC:+; $GORTSPLIB_DESC}; $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
  echo "* (a) = \`ffmpeg -probesize 32 -analyzeduration 0 -rtsp_transport tcp -i URL -c copy -frames:v 1 -f null -\` (handshake + wait for an IDR; stream copy drops packets before the first keyframe)"
  echo "* (b) = \`ffmpeg -rtsp_transport tcp -i URL -frames:v 1 -f null -\` (default probing, then decode)"
  echo "* each figure is the wall time of the whole ffmpeg process (plus \`-nostdin -nostats -v error -progress FILE\` to check a frame came out); local-file floor = ffmpeg decoding one frame of the local mp4 (process start-up); random 0.2-1.4 s pause before every measurement; all targets running at once, order rotated per trial (seed $SEED)"
  echo "* camagent URLs carry user:password (digest auth: one extra 401 round trip); mediamtx allows anonymous reading"
  echo
  echo "| target | source | (a) first keyframe packet, minimal probing | (b) first decoded frame, default probing | ratio vs mediamtx (a) / (b) | ok (a) / (b) |"
  echo "|---|---|---:|---:|---:|---:|"
  for t in "${TG[@]}"; do
    printf '| %s | %s | %s | %s | %s / %s | %s / %s |\n' "$t" "$(describe_target "$t")" \
      "$(cell "$t" a)" "$(cell "$t" b)" "$(ratio "$t" a)" "$(ratio "$t" b)" "$(nok "$t" a)" "$(nok "$t" b)"
  done
  echo "| local-file floor | ffmpeg -i local mp4 -frames:v 1 -f null - | $(cell local floor) |  |  | $(nok local floor) |"
  echo
  bad=$(awk -F'\t' 'NR > 1 && $5 != "ok" {printf "%s/%s trial %s: %s; ", $2, $3, $1, $5}' "$RAW")
  [ -n "$bad" ] && echo "Failed trials: $bad (stderr in $RUN/logs/ffmpeg-*.err)" && echo
  echo "Raw data: $RAW"
} | tee "$RUN/report.md"
