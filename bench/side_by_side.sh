#!/usr/bin/env bash
# Training throughput and held-out recall, Mmse vs the PyTorch implementation (bench/python/torch_mmse.py),
# same data, same epochs, same threads, default configuration, no validation hold-out (both train on all
# of train.jsonl and are evaluated on test.jsonl after the last epoch).
# usage: bench/side_by_side.sh DATADIR [epochs] [threads]
# Needs Debian's python3-torch and libopenblas0-pthread: bench/setup-torch.sh installs them.
set -euo pipefail
data="$1"; epochs="${2:-2}"; threads="${3:-2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/bench/setup-torch.sh"
out="$(mktemp -d)"
"$root/mmse" train --catalog "$data/catalog.jsonl" --train "$data/train.jsonl" --out "$out/m.mmse" \
  --epochs "$epochs" --threads "$threads" --valid-share 0 --patience 0 --json "$out/train.json" >/dev/null 2>&1
"$root/mmse" eval --model "$out/m.mmse" --catalog "$data/catalog.jsonl" --log "$data/test.jsonl" --json "$out/eval.json" >/dev/null 2>&1
/usr/bin/python3 "$root/bench/python/torch_mmse.py" "$data" --epochs "$epochs" --threads "$threads" --json "$out/torch.json" >/dev/null
/usr/bin/python3 - "$out" <<'PY'
import json, sys
o = sys.argv[1]
t = json.load(open(o + "/train.json")); e = json.load(open(o + "/eval.json")); p = json.load(open(o + "/torch.json"))
print("| implementation | train requests/s | recall_order@100 |")
print("| --- | ---: | ---: |")
print("| Mmse (C#) | %.0f | %.4f |" % (t["train_requests_per_s"], e["metrics"]["recall_order@100"]))
print("| PyTorch %s | %.0f | %.4f |" % ("", p["train_requests_per_s"], p["recall_order@100"]))
print("ratio Mmse / PyTorch: %.1fx" % (t["train_requests_per_s"] / p["train_requests_per_s"]))
PY
rm -rf "$out"
