# Turns rtsp-fanout.sh's raw.tsv into the markdown tables (portable awk: mawk ok).
# Input columns (tab-separated, header line first):
#   round server n cpu_pct rss_mib hwm_mib alive receiving fps_list host_busy_pct wall_s idle_rss_mib status
# -v servers="camagent mediamtx gortsplib" gives the row order.
BEGIN { FS = "\t"; ns = split(servers, S, " ") }

function isort(a, n,    i, j, t) {
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
# median of the space-separated numbers in s ("" -> "")
function med(s,    a, n) {
  n = split(s, a, " ")
  if (n == 0) return ""
  isort(a, n)
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function minof(s,    a, n, i, m) {
  n = split(s, a, " "); if (n == 0) return ""
  m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0
  return m
}
function add(k, v) { L[k] = (k in L) ? L[k] " " v : v }
function f(x, d) { return (x == "") ? "" : sprintf("%." d "f", x) }

NR == 1 { next }
{
  r = $1; s = $2; n = $3 + 0
  if (!((n) in seenN)) { seenN[n] = 1; NN[++nn] = n }
  if (r + 0 > maxr) maxr = r + 0
  if ($13 != "ok") { failed[s, n] = failed[s, n] " r" r ":" $13; next }
  cpu[s, n, r] = $4; rss[s, n, r] = $5; okr[s, n, r] = 1
  add("cpu" SUBSEP s SUBSEP n, $4)
  add("rss" SUBSEP s SUBSEP n, $5)
  add("hwm" SUBSEP s SUBSEP n, $6)
  add("busy" SUBSEP s SUBSEP n, $10)
  alive[s, n] += $7; recv[s, n] += $8; want[s, n] += n
  m = split($9, fp, ",")
  for (i = 1; i <= m; i++) if (fp[i] != "") add("fps" SUBSEP s SUBSEP n, fp[i])
  if ($12 != "") idle[s, r] = $12
}
END {
  isort(NN, nn)
  print "| server | N readers | CPU % of one core (median) | per round | ΔCPU per added reader (% core) | RSS MiB (median) | VmHWM MiB | readers' fps (median / min) | readers receiving | host busy % | CPU ratio vs mediamtx | RSS ratio vs mediamtx | CPU ratio vs gortsplib |"
  print "|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
  for (si = 1; si <= ns; si++) {
    s = S[si]
    for (ni = 1; ni <= nn; ni++) {
      n = NN[ni]
      if (!(("cpu" SUBSEP s SUBSEP n) in L)) {
        if ((s, n) in failed) printf "| %s | %d | FAILED:%s |  |  |  |  |  |  |  |  |  |  |\n", s, n, failed[s, n]
        continue
      }
      # per-round values, per-round ratios and slopes
      pr = ""; rc = ""; rr = ""; rg = ""; sl = ""
      for (r = 1; r <= maxr; r++) {
        if (!((s, n, r) in okr)) continue
        pr = pr (pr == "" ? "" : " / ") f(cpu[s, n, r], 2)
        if (((("mediamtx", n, r) in okr)) && cpu["mediamtx", n, r] > 0) rc = rc " " cpu[s, n, r] / cpu["mediamtx", n, r]
        if (((("mediamtx", n, r) in okr)) && rss["mediamtx", n, r] > 0) rr = rr " " rss[s, n, r] / rss["mediamtx", n, r]
        if (((("gortsplib", n, r) in okr)) && cpu["gortsplib", n, r] > 0) rg = rg " " cpu[s, n, r] / cpu["gortsplib", n, r]
        if (ni > 1 && ((s, NN[ni - 1], r) in okr)) sl = sl " " (cpu[s, n, r] - cpu[s, NN[ni - 1], r]) / (n - NN[ni - 1])
      }
      fl = L["fps" SUBSEP s SUBSEP n]
      printf "| %s | %d | %s | %s | %s | %s | %s | %s / %s | %d/%d | %s | %s | %s | %s |\n", \
        s, n, f(med(L["cpu" SUBSEP s SUBSEP n]), 2), pr, f(med(sl), 3), \
        f(med(L["rss" SUBSEP s SUBSEP n]), 1), f(med(L["hwm" SUBSEP s SUBSEP n]), 1), \
        f(med(fl), 1), f(minof(fl), 1), recv[s, n], want[s, n], \
        f(med(L["busy" SUBSEP s SUBSEP n]), 0), \
        (s == "mediamtx") ? "1" : f(med(rc), 2), (s == "mediamtx") ? "1" : f(med(rr), 2), \
        (s == "gortsplib") ? "1" : f(med(rg), 2)
    }
  }
  print ""
  print "| server | idle RSS MiB (source/publisher running, no reader; median over rounds) |"
  print "|---|---:|"
  for (si = 1; si <= ns; si++) {
    s = S[si]; v = ""
    for (r = 1; r <= maxr; r++) if ((s, r) in idle) v = v " " idle[s, r]
    printf "| %s | %s |\n", s, f(med(v), 1)
  }
}
