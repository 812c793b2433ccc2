#!/usr/bin/env bash
# Trains every variant and ablation on one dataset and evaluates each on the held-out log.
# usage: bench/run_variants.sh DATADIR OUTDIR [extra train flags...]
# DATADIR holds catalog.jsonl, train.jsonl, test.jsonl (e.g. from bench/python/fixture_market.py).
set -euo pipefail
data="$1"; out="$2"; shift 2
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
runs=(
  "mmse|"
  "two-tower|--variant two-tower"
  "dpsr|--variant dpsr"
  "amazon3|--variant amazon3"
  "no-ranking|--no-ranking"
  "no-retrieval|--no-retrieval"
  "no-unclicked|--no-unclicked"
  "unclicked-in-softmax|--unclicked-in-softmax"
  "merge-order-click|--merge-order-click"
  "k1|--heads 1"
  "pre-fusion|--pre-fusion"
  "no-catalog-stage|--no-catalog-stage"
)
printf "%-22s %8s %8s %8s %8s %8s %10s\n" run r_o@10 r_o@100 r_o@1000 r_c@100 ndcg@10 train_rps
for r in "${runs[@]}"; do
  name="${r%%|*}"; flags="${r#*|}"
  # shellcheck disable=SC2086
  "$root/mmse" train --catalog "$data/catalog.jsonl" --train "$data/train.jsonl" --out "$out/$name.mmse" \
    --json "$out/$name.train.json" $flags "$@" >"$out/$name.train.log" 2>&1
  "$root/mmse" eval --model "$out/$name.mmse" --catalog "$data/catalog.jsonl" --log "$data/test.jsonl" \
    --json "$out/$name.eval.json" >"$out/$name.eval.log" 2>&1
  python3 - "$out/$name.eval.json" "$out/$name.train.json" "$name" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["metrics"]; t = json.load(open(sys.argv[2]))
print("%-22s %8.4f %8.4f %8.4f %8.4f %8.4f %10.0f" % (sys.argv[3], e["recall_order@10"], e["recall_order@100"],
      e["recall_order@1000"], e["recall_click@100"], e["ndcg@10"], t["train_requests_per_s"]))
PY
  rm -f "$out/$name.mmse"
done
