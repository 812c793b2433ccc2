#!/usr/bin/env bash
# Load test of `mmse serve` with a trained model and a 1M-item HNSW index (issue 7's target).
# Usage: bench/server/real.sh [ITEMS]          (default 1000000; env as for run.sh: DURATION, EF, ...)
# Builds, once, in artifacts/bench/server-real-ITEMS/: a model trained briefly on a small synthetic
# marketplace (latency does not depend on quality: the towers' cost is the same for any weights), the
# seeded synthetic catalog of gen-catalog.awk, its item vectors (mmse embed) and an HNSW index
# (M 16, ef-construction 100, int8 codes); then runs run.sh against them.
# On the shared 2-core VM: embedding about 25 s, the index about 8.5 minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
items="${1:-1000000}"
work="$root/artifacts/bench/server-real-$items"
mkdir -p "$work"
mmse="$root/mmse"
if [[ ! -f "$work/model.mmse" ]]; then
  "$mmse" synth --out "$work/demo" --items 5000 --requests 10000 --seed 1 >/dev/null
  "$mmse" train --catalog "$work/demo/catalog.jsonl" --train "$work/demo/train.jsonl" --out "$work/model.mmse" --epochs 1 --max-steps 30 --seed 1
fi
if [[ ! -f "$work/catalog.jsonl" ]]; then
  awk -v n="$items" -v seed=7 -f "$root/bench/server/gen-catalog.awk" > "$work/catalog.jsonl.tmp"
  mv "$work/catalog.jsonl.tmp" "$work/catalog.jsonl"
fi
[[ -f "$work/items.fvecs" ]] || "$mmse" embed --model "$work/model.mmse" --catalog "$work/catalog.jsonl" --out "$work"
[[ -f "$work/items.idx" ]] || "$mmse" index --vectors "$work/items.fvecs" --ids "$work/items.ids" --out "$work/items.idx" \
  --M 16 --ef-construction 100 --quantize int8
MODEL="$work/model.mmse" INDEX="$work/items.idx" CATALOG="$work/catalog.jsonl" "$root/bench/server/run.sh"
