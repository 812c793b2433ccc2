#!/usr/bin/env bash
# Garnet backend against the in-process index, same catalog, same machine, same run (issue 14).
# Usage: bench/garnet/run.sh [ITEMS]        (default 20000)
#   env: MODEL (default: a small model trained here, 1 epoch on the synthetic log), DURATION (s per wrk run, default 20), QUANTIZE (default
#        noquant), SHARDS (default 0: 2 per primary), KEEP_CLUSTER=1 (leave the cluster up)
# Steps: a 3-primary cluster (deploy/garnet/cluster.sh, ports 7500..), a synthetic catalog,
# `mmse publish` (its items/s), then three servers: exact (the truth), in-process HNSW, Garnet;
# recall@10 of HNSW and Garnet against exact over 500 queries (bench/garnet/recall.py), and wrk
# paced at about 1,000 requests/s (10 connections, 10 ms pause) for queries/s and p50/p99.
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
mmse() { "$root/mmse" "$@"; }
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ "${KEEP_CLUSTER:-0}" == 1 ]] || "$root/deploy/garnet/cluster.sh" down >/dev/null || true
}
trap cleanup EXIT

"$root/deploy/garnet/cluster.sh" up 3 >/dev/null
mmse synth --out "$work/s" --items "$items" --requests 5000 --seed 5 >/dev/null 2>&1
python3 "$root/bench/server/log-queries.py" "$work/s/test.jsonl" > "$work/queries.txt" 2>/dev/null \
  || awk -F'"query":"' 'NF > 1 { split($2, a, "\""); gsub(/ /, "+", a[1]); print a[1] }' "$work/s/test.jsonl" > "$work/queries.txt"
if [[ -z "$model" ]]; then
  model="$work/model.mmse"
  mmse train --catalog "$work/s/catalog.jsonl" --train "$work/s/train.jsonl" --out "$model" --epochs 1 --buckets 65536 >/dev/null 2>&1
fi
publish=$(mmse publish --model "$model" --catalog "$work/s/catalog.jsonl" --to "garnet://127.0.0.1:$GARNET_PORT" \
  --quantize "${QUANTIZE:-noquant}" --shards "${SHARDS:-0}" 2>/dev/null)

# The in-process HNSW index of the same vectors.
mmse embed --model "$model" --catalog "$work/s/catalog.jsonl" --out "$work/v" >/dev/null 2>&1 || true
if [[ -f "$work/v/items.fvecs" ]]; then
  mmse index --vectors "$work/v/items.fvecs" --ids "$work/v/items.ids" --out "$work/items.idx" >/dev/null 2>&1
  hnsw="$work/items.idx"
else
  hnsw=""  # the hashing encoder has no 'embed': HNSW is built by the server from 'exact' below
fi

serve() {  # port, extra args...
  local port=$1; shift
  "$root/mmse" serve --model "$model" --catalog "$work/s/catalog.jsonl" --urls "http://127.0.0.1:$port" --quiet "$@" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "server on $port did not start" >&2; exit 1
}
serve 7601 --index exact
[[ -n "$hnsw" ]] && serve 7602 --index "$hnsw"
serve 7603 --backend "garnet://127.0.0.1:$GARNET_PORT"

paced() {  # url
  WRK_QUERIES="$work/queries.txt" WRK_DELAY_MS=10 wrk -t2 -c10 -d"${duration}s" --timeout 10s -s "$root/bench/server/search.lua" "$1" | grep '^RESULT'
}
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores shared with the 6 Garnet processes and other work; items=$items model=$model"
  echo "publish: $publish"
  [[ -n "$hnsw" ]] && echo "hnsw   $(python3 "$here/recall.py" http://127.0.0.1:7601 http://127.0.0.1:7602 "$work/queries.txt" 500)"
  echo "garnet $(python3 "$here/recall.py" http://127.0.0.1:7601 http://127.0.0.1:7603 "$work/queries.txt" 500)"
  echo "exact  paced: $(paced http://127.0.0.1:7601)"
  [[ -n "$hnsw" ]] && echo "hnsw   paced: $(paced http://127.0.0.1:7602)"
  echo "garnet paced: $(paced http://127.0.0.1:7603)"
  curl -s http://127.0.0.1:7603/metrics | grep -E '^mmse_garnet_shard_(errors|timeouts)|mmse_garnet_shard_seconds_(sum|count)' || true
} | tee "$out"
