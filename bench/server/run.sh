#!/usr/bin/env bash
# Load test of `mmse serve` with wrk (Debian's), on this machine.
# Usage: bench/server/run.sh [ITEMS...]     (default: 10000 100000)
#   env: DURATION (s, default 20), CONNECTIONS (saturation run, default 32), PORT (default 18080),
#        MODEL (default hashing), INDEX (default exact; the HNSW index file once it exists),
#        CATALOG (use this catalog instead of generating one; then ITEMS is ignored),
#        EF (HNSW candidate list per head, passed as --ef; default: serve's), WALK (--walk),
#        PACED_CONNECTIONS (connections of the paced runs, default 10: at most 1,000 requests/s),
#        QUERIES (a file of URL-encoded queries, one per line, e.g. from a test log with
#        bench/server/log-queries.py; default: the generator's 1,000 queries),
#        WRK_UNIQUE=1 (a running number appended to each query, so none repeats: with a model that
#        has a text backbone every request pays the query encoding, the server's cache never hits),
#        SERVER_CPUS / WRK_CPUS (taskset CPU lists, e.g. 1 and 0: the server and wrk on their own
#        cores, as when the client is another machine; default: both share every core)
# For each catalog it runs: (1) saturation: CONNECTIONS connections as fast as they go;
# (2) paced at about 1,000 requests/s (10 connections, 10 ms pause before each request): the
# connections stay in step, so requests arrive in bursts of 10; (3) paced with exponential
# pauses of the same mean (arrivals close to a Poisson stream, as from many independent users);
# (4) the peer: GET /healthz at saturation, the HTTP stack's own ceiling in the same conditions.
# Each search run also reports the server-side latency (p50/p99 from /metrics' histogram,
# interpolated within its buckets: the time inside the app, without the wait before it).
# wrk and the server share the machine's cores; wrk is a closed-loop client, so the paced
# run's latencies do not include queueing a fixed-rate client would see (no coordinated-
# omission correction: Debian has wrk, not wrk2). Results: artifacts/bench/server-*.txt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/server"
out="$root/artifacts/bench"
mkdir -p "$out"
duration="${DURATION:-20}"
connections="${CONNECTIONS:-32}"
port="${PORT:-18080}"
paced_connections="${PACED_CONNECTIONS:-10}"
model="${MODEL:-hashing}"
index="${INDEX:-exact}"

if ! command -v wrk >/dev/null; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi

sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(10000 100000)
[[ -n "${CATALOG:-}" ]] && sizes=(given)
report="$out/server-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "# mmse serve load test, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GB RAM; load before start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# server cpus ${SERVER_CPUS:-all}, wrk cpus ${WRK_CPUS:-all}"
  echo "# model $model, index $index, wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), duration ${duration}s per run"
} | tee "$report"

"$root/mmse" --version >/dev/null  # build first, outside the timings
server_pid=""
cleanup() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; true; }
trap cleanup EXIT

for size in "${sizes[@]}"; do
  work="$out/server-catalog-$size"
  mkdir -p "$work"
  if [[ -n "${CATALOG:-}" ]]; then
    catalog="$CATALOG"
    [[ -f "$work/queries.txt" ]] || awk -v n=0 -v seed=7 -v queries="$work/queries.txt" -f "$here/gen-catalog.awk" >/dev/null
  else
    catalog="$work/catalog.jsonl"
    if [[ ! -f "$catalog" ]]; then
      awk -v n="$size" -v seed=7 -v queries="$work/queries.txt" -f "$here/gen-catalog.awk" > "$catalog.tmp"
      mv "$catalog.tmp" "$catalog"
    fi
  fi
  ${SERVER_CPUS:+taskset -c "$SERVER_CPUS"} "$root/mmse" serve --model "$model" --index "$index" --catalog "$catalog" ${EF:+--ef "$EF"} ${WALK:+--walk "$WALK"} --urls "http://127.0.0.1:$port" --quiet > "$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.5
  done
  items=$(curl -sf "http://127.0.0.1:$port/healthz" | sed -E 's/.*"items":([0-9]+).*/\1/')
  queries="${QUERIES:-$work/queries.txt}"
  # Warm-up: JIT tiers and caches, not measured.
  WRK_QUERIES="$queries" ${WRK_CPUS:+taskset -c "$WRK_CPUS"} wrk -t2 -c8 -d5s -s "$here/search.lua" "http://127.0.0.1:$port" >/dev/null
  load() { echo "load $(cut -d' ' -f1 /proc/loadavg)"; }
  # The server's own cost per request, which the machine's other load hardly changes (unlike
  # latency): CPU time from /proc (user + system ticks), and from /metrics the bytes allocated,
  # gen 0 collections and GC pause time (absent on builds without those series: shown as "-").
  snap() {
    local cpu
    cpu=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
    curl -sf "http://127.0.0.1:$port/metrics" | awk -v cpu="$cpu" '
      /^dotnet_gc_allocated_bytes_total /{a=$2} /^dotnet_gc_collections_total\{generation="0"\} /{g=$2} /^dotnet_gc_pause_seconds_total /{p=$2}
      END {print cpu, (a == "" ? "-" : a), (g == "" ? "-" : g), (p == "" ? "-" : p)}'
  }
  # The /search latency histogram's cumulative counts, "le:count" pairs on one line.
  hist() {
    curl -sf "http://127.0.0.1:$port/metrics" | awk -F'[{}]' '/^mmse_http_request_duration_seconds_bucket\{route="\/search"/ {
      match($2, /le="[^"]+"/); le = substr($2, RSTART + 4, RLENGTH - 5); split($3, v, " "); printf "%s:%s ", le, v[1] }'
  }
  inside() {  # histogram before, after: server-side p50 and p99 of the requests in between
    awk -v b="$1" -v a="$2" 'BEGIN {
      n = split(a, y, " "); split(b, x, " ")
      for (i = 1; i <= n; i++) { split(y[i], p, ":"); split(x[i], q, ":"); le[i] = p[1]; c[i] = p[2] - q[2] }
      total = c[n]; if (total == 0) { print "server-side: -"; exit }
      printf "server-side:"
      split("50 99", ps, " ")
      for (j = 1; j <= 2; j++) {
        want = total * ps[j] / 100; lo = 0; prev = 0
        for (i = 1; i <= n; i++) {
          if (c[i] >= want) {
            hi = (le[i] == "+Inf") ? lo : le[i] * 1000
            v = (c[i] == prev) ? hi : lo + (hi - lo) * (want - prev) / (c[i] - prev)
            printf " p%s_ms=%.2f", ps[j], v; break
          }
          lo = le[i] * 1000; prev = c[i]
        }
      }
      printf "\n"
    }'
  }
  cost() {  # snapshot before, snapshot after, wrk RESULT line
    awk -v b="$1" -v a="$2" -v r="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN {
      split(b, x, " "); split(a, y, " "); match(r, /requests=[0-9]+/); n = substr(r, RSTART + 9, RLENGTH - 9) + 0
      if (n == 0) n = 1
      printf "server: cpu_ms_per_req=%.3f", (y[1] - x[1]) * 1000 / hz / n
      if (x[2] != "-") printf " alloc_bytes_per_req=%.0f gen0_gcs=%d gc_pause_ms=%.1f", (y[2] - x[2]) / n, y[3] - x[3], (y[4] - x[4]) * 1000
    }'
  }
  before=$(snap); h0=$(hist)
  sat=$(WRK_QUERIES="$queries" ${WRK_CPUS:+taskset -c "$WRK_CPUS"} wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$here/search.lua" "http://127.0.0.1:$port" | grep '^RESULT') sat_load=$(load)
  after=$(snap); h1=$(hist); sat_cost="$(cost "$before" "$after" "$sat") $(inside "$h0" "$h1")"; before=$after
  paced=$(WRK_QUERIES="$queries" WRK_DELAY_MS=10 ${WRK_CPUS:+taskset -c "$WRK_CPUS"} wrk -t2 -c"$paced_connections" -d"${duration}s" --timeout 10s -s "$here/search.lua" "http://127.0.0.1:$port" | grep '^RESULT') paced_load=$(load)
  after=$(snap); h2=$(hist); paced_cost="$(cost "$before" "$after" "$paced") $(inside "$h1" "$h2")"; before=$after
  poisson=$(WRK_QUERIES="$queries" WRK_DELAY_MS=10 WRK_DELAY_DIST=exp ${WRK_CPUS:+taskset -c "$WRK_CPUS"} wrk -t2 -c"$paced_connections" -d"${duration}s" --timeout 10s -s "$here/search.lua" "http://127.0.0.1:$port" | grep '^RESULT') poisson_load=$(load)
  after=$(snap); h3=$(hist); poisson_cost="$(cost "$before" "$after" "$poisson") $(inside "$h2" "$h3")"; before=$after
  # The peer in the same conditions: the cheapest endpoint, i.e. what HTTP alone costs here.
  peer=$(${WRK_CPUS:+taskset -c "$WRK_CPUS"} wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -s "$here/healthz.lua" "http://127.0.0.1:$port" | grep '^RESULT') peer_load=$(load)
  after=$(snap); peer_cost=$(cost "$before" "$after" "$peer")
  {
    echo "items=$items peer GET /healthz(c=$connections): ${peer#RESULT } ($peer_load) $peer_cost"
    echo "items=$items saturation(c=$connections): ${sat#RESULT } ($sat_load) $sat_cost"
    echo "items=$items paced(c=$paced_connections, 10 ms pause): ${paced#RESULT } ($paced_load) $paced_cost"
    echo "items=$items paced(c=$paced_connections, exponential pauses, mean 10 ms): ${poisson#RESULT } ($poisson_load) $poisson_cost"
  } | tee -a "$report"
  cleanup
  server_pid=""
done
echo "written: $report"
