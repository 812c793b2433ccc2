#!/usr/bin/env bash
# Training memory (issue 4): `mmse train` on a marketplace with about 1M training requests must peak
# under 8 GiB. Generates a synthetic marketplace once (`mmse synth`, seeded; 100k items keep it quick),
# then runs `mmse train --epochs 1 --max-steps S` with a checkpoint under /usr/bin/time -v and prints
# the peak RSS, the training requests and the load average.
#
# Why a step limit is enough: everything sized by the data or the model is allocated before the first
# step or at the end of the epoch, whatever the step count: the log and its hold-out split, the mined
# requests, query and item token ids, the 2^20 x 64 table, lazy Adam's two moments, the best-epoch
# copy, the sparse-gradient slot map, the catalog-stage permutation and the epoch order; then the
# validation (item embeddings, evaluator panels), the checkpoint and the model file. The per-step
# workspaces reach their full size at the first full batch. Steps beyond that only rewrite memory.
# S = 0 trains the whole epoch (about 1.1M requests with the catalog stage; ~10 minutes on 2 quiet cores).
#
# Usage: bench/train-memory.sh [DIR] [--requests N] [--items N] [--max-steps S] [--threads T]
#        DIR defaults to artifacts/train-memory; an existing marketplace there is reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/artifacts/train-memory}"
shift $(( $# > 0 ? 1 : 0 ))
requests=1130000   # 28 of the 30 days train: ~1.05M in train.jsonl, ~1.0M trained on after the 5% hold-out
items=100000
steps=300
threads=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --items) items="$2"; shift 2 ;;
    --max-steps) steps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "bench/train-memory.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [[ ! -x /usr/bin/time ]]; then
  echo "installing GNU time (for peak memory)..." >&2
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq time >/dev/null
fi

"$root/mmse" --version >/dev/null   # build first, so the build is not measured

stamp="$dir/.synth-$items-$requests"
if [[ ! -f "$stamp" ]]; then
  echo "generating $dir: $items items, $requests requests..." >&2
  rm -rf "$dir"
  "$root/mmse" synth --out "$dir" --items "$items" --requests "$requests" --seed 1 >&2
  touch "$stamp"
fi
train_requests=$(wc -l <"$dir/train.jsonl")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -v "$root/mmse" train --catalog "$dir/catalog.jsonl" --train "$dir/train.jsonl" \
  --out "$dir/model.mmse" --checkpoint "$dir/model.ckpt" --epochs 1 --max-steps "$steps" --threads "$threads" \
  --json "$dir/run.json" >"$dir/train.txt" 2>"$dir/time.txt" || { cat "$dir/train.txt" "$dir/time.txt" >&2; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time.txt")
seen=$(grep -o '"requests_seen": *[0-9]*' "$dir/run.json" | grep -o '[0-9]*$' || echo "?")
trained=$(grep -o '"train_requests": *[0-9]*' "$dir/run.json" | grep -o '[0-9]*$' || echo "?")
awk -v kib="$rss_kib" -v tr="$train_requests" -v items="$items" -v steps="$steps" -v seen="$seen" -v trained="$trained" -v wall="$wall" \
    -v threads="$threads" -v lb="$load_before" -v la="$load_after" 'BEGIN {
  gib = kib / 1048576
  printf "train memory: %d requests in train.jsonl (%s trained on after the hold-out), %d items, --max-steps %s (%s requests seen), %s threads\n", tr, trained, items, steps, seen, threads
  printf "peak RSS %.0f MiB (%.2f GiB), target < 8 GiB: %s; wall %s; load average %s -> %s\n", kib / 1024, gib, gib < 8 ? "met" : "NOT met", wall, lb, la
}'
