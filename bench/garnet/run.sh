#!/usr/bin/env bash
# Garnet backend against the in-process index, same catalog, same machine, same run (issue 14).
# Usage: bench/garnet/run.sh [ITEMS]        (default 20000)
#   env: MODEL (default: a small model trained here, 1 epoch on the synthetic log), CATALOG and
#        QUERIES (the model's own catalog and a file of URL-encoded queries, e.g. the README's 1M
#        model: then ITEMS only names the run), DURATION (s per wrk run, default 20), QUANTIZE
#        (default noquant), SHARDS (default 0: 2 per primary), INDEX_ARGS (extra `mmse index`
#        flags for the in-process HNSW, e.g. "--ef-construction 100 --quantize int8"), MMSE (the
#        command that runs the CLI, default ./mmse; a copy of a build keeps source edits out of a
#        long run), KEEP_CLUSTER=1 (leave the cluster up)
# Steps: a 3-primary cluster (deploy/garnet/cluster.sh, ports 7500..), a synthetic catalog,
# `mmse publish` (its items/s; progress in WORK/publish.log), then three servers: exact (the
# truth), in-process HNSW, Garnet; recall@10 of HNSW and Garnet against exact over 500 queries
# (bench/garnet/recall.py), wrk paced at about 1,000 requests/s (10 connections, 10 ms pause)
# for queries/s and p50/p99, and the Garnet server's per-shard counters from /metrics.
# Everything shares this machine's cores (the cluster's six processes too): write that down.
# Results: artifacts/bench/garnet-ITEMS.txt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/garnet"
items="${1:-20000}"
model="${MODEL:-}"
duration="${DURATION:-20}"
work="$root/artifacts/bench/garnet-$items"
out="$root/artifacts/bench/garnet-$items.txt"
mkdir -p "$work"
export GARNET_DIR="$work/cluster" GARNET_PORT=7500
read -r -a mmse_cmd <<< "${MMSE:-$root/mmse}"
mmse() { "${mmse_cmd[@]}" "$@"; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ "${KEEP_CLUSTER:-0}" == 1 ]] || "$root/deploy/garnet/cluster.sh" down >/dev/null || true
}
trap cleanup EXIT

if [[ -n "${CATALOG:-}" && ( -z "$model" || -z "${QUERIES:-}" ) ]]; then
  echo "run.sh: CATALOG needs MODEL (trained on it) and QUERIES (a query file) too" >&2; exit 2
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
"$root/deploy/garnet/cluster.sh" up 3 >/dev/null
catalog="${CATALOG:-$work/s/catalog.jsonl}"
queries="${QUERIES:-$work/queries.txt}"
if [[ -z "${CATALOG:-}" ]]; then
  mmse synth --out "$work/s" --items "$items" --requests 5000 --seed 5 >/dev/null 2>&1
  python3 "$root/bench/server/log-queries.py" "$work/s/test.jsonl" > "$queries" 2>/dev/null \
    || awk -F'"query":"' 'NF > 1 { split($2, a, "\""); gsub(/ /, "+", a[1]); print a[1] }' "$work/s/test.jsonl" > "$queries"
fi
if [[ -z "$model" ]]; then
  model="$work/model.mmse"
  mmse train --catalog "$catalog" --train "$work/s/train.jsonl" --out "$model" --epochs 1 --buckets 65536 --backbone none >/dev/null 2>&1
fi
publish_start=$(date +%s)
publish=$(mmse publish --model "$model" --catalog "$catalog" --to "garnet://127.0.0.1:$GARNET_PORT" \
  --quantize "${QUANTIZE:-noquant}" --shards "${SHARDS:-0}" 2>"$work/publish.log")
publish_load="$(cut -d' ' -f1-3 /proc/loadavg) after $(( $(date +%s) - publish_start )) s"

# The in-process HNSW index of the same vectors.
mmse embed --model "$model" --catalog "$catalog" --out "$work/v" >/dev/null 2>&1 || true
if [[ -f "$work/v/items.fvecs" ]]; then
  # shellcheck disable=SC2086 # INDEX_ARGS is a list of flags
  mmse index --vectors "$work/v/items.fvecs" --ids "$work/v/items.ids" --out "$work/items.idx" ${INDEX_ARGS:-} >/dev/null 2>&1
  hnsw="$work/items.idx"
else
  hnsw=""  # the hashing encoder has no 'embed': HNSW is built by the server from 'exact' below
fi

serve() {  # port, extra args...
  local port=$1; shift
  "${mmse_cmd[@]}" serve --model "$model" --catalog "$catalog" --urls "http://127.0.0.1:$port" --quiet "$@" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "server on $port did not start" >&2; exit 1
}
serve 7601 --index exact
[[ -n "$hnsw" ]] && serve 7602 --index "$hnsw"
serve 7603 --backend "garnet://127.0.0.1:$GARNET_PORT"

paced() {  # url
  WRK_QUERIES="$queries" WRK_DELAY_MS=10 wrk -t2 -c10 -d"${duration}s" --timeout 10s -s "$root/bench/server/search.lua" "$1" | grep '^RESULT'
}
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores shared with the 6 Garnet processes and other work; items=$items model=$model catalog=$catalog"
  echo "# load average before the run: $load_before; at the end of the publish: $publish_load; now: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "publish: $publish"
  [[ -n "$hnsw" ]] && echo "hnsw   $(python3 "$here/recall.py" http://127.0.0.1:7601 http://127.0.0.1:7602 "$queries" 500)"
  echo "garnet $(python3 "$here/recall.py" http://127.0.0.1:7601 http://127.0.0.1:7603 "$queries" 500)"
  echo "exact  paced: $(paced http://127.0.0.1:7601)"
  [[ -n "$hnsw" ]] && echo "hnsw   paced: $(paced http://127.0.0.1:7602)"
  echo "garnet paced: $(paced http://127.0.0.1:7603)"
  # Per shard: searches, mean seconds inside the shard's part (client side of the cluster), errors, time-outs.
  curl -s http://127.0.0.1:7603/metrics | grep -E '^mmse_garnet_shard_(errors_total|timeouts_total|seconds_(sum|count))' || true
  curl -s http://127.0.0.1:7603/metrics | awk '/^mmse_garnet_shard_seconds_(sum|count)\{/ {
      match($0, /shard="[^"]*"/); shard = substr($0, RSTART + 7, RLENGTH - 8)
      if ($1 ~ /_sum\{/) sum[shard] = $NF; else n[shard] = $NF }
    END { for (s in n) if (n[s] > 0) printf "shard %s: %d searches, mean %.1f ms\n", s, n[s], 1000 * sum[s] / n[s] }' | sort
} | tee "$out"
