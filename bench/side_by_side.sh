#!/usr/bin/env bash
# Training throughput and held-out recall, Mmse vs the PyTorch implementation (bench/python/torch_mmse.py):
# same data, same epochs, same threads (training and evaluation), default configuration, no validation
# hold-out (both train on all of train.jsonl and are evaluated on test.jsonl after the last epoch).
# Prints one table: requests/s over the training steps and exact recall_order@100 on test.jsonl.
#
# usage: bench/side_by_side.sh DATADIR [epochs] [threads]
#        bench/side_by_side.sh --synth ITEMS REQUESTS [SEED] [epochs] [threads]
#   --synth generates a marketplace with `mmse synth` into artifacts/side-by-side/ITEMS-REQUESTS-SEED
#   (reused when present). The reference comparison (run it on a quiet machine; the PyTorch side takes
#   tens of minutes): bench/side_by_side.sh --synth 20000 60000 7 2 2
#   A quick end-to-end check: bench/side_by_side.sh --synth 2000 4000 7 1 2
# Needs Debian's python3-torch and libopenblas0-pthread: bench/setup-torch.sh installs them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${1:-}" == "--synth" ]]; then
  [[ $# -ge 3 ]] || { echo "usage: bench/side_by_side.sh --synth ITEMS REQUESTS [SEED] [epochs] [threads]" >&2; exit 2; }
  items="$2"; requests="$3"; seed="${4:-7}"; epochs="${5:-2}"; threads="${6:-2}"
  data="$root/artifacts/side-by-side/$items-$requests-$seed"
  if [[ ! -f "$data/.complete" ]]; then
    rm -rf "$data"
    "$root/mmse" synth --out "$data" --items "$items" --requests "$requests" --seed "$seed" >/dev/null
    touch "$data/.complete"
  fi
  what="mmse synth --items $items --requests $requests --seed $seed"
else
  [[ $# -ge 1 ]] || { echo "usage: bench/side_by_side.sh DATADIR [epochs] [threads]" >&2; exit 2; }
  data="$1"; epochs="${2:-2}"; threads="${3:-2}"
  what="$data"
fi
"$root/bench/setup-torch.sh"
"$root/mmse" --version >/dev/null   # build first, outside the measurement
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
run() { # name, command...: runs quietly, shows the log if it fails
  local name="$1"; shift
  "$@" >"$out/$name.log" 2>&1 || { echo "$name failed:" >&2; tail -20 "$out/$name.log" >&2; exit 1; }
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run mmse-train "$root/mmse" train --catalog "$data/catalog.jsonl" --train "$data/train.jsonl" --out "$out/m.mmse" \
  --epochs "$epochs" --threads "$threads" --valid-share 0 --patience 0 --json "$out/train.json"
run mmse-eval "$root/mmse" eval --model "$out/m.mmse" --catalog "$data/catalog.jsonl" --log "$data/test.jsonl" \
  --threads "$threads" --json "$out/eval.json"
run pytorch /usr/bin/python3 "$root/bench/python/torch_mmse.py" "$data" --epochs "$epochs" --threads "$threads" --json "$out/torch.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/python3 - "$out" "$what" "$epochs" "$threads" "$load_before" "$load_after" \
  "$(wc -l <"$data/catalog.jsonl")" "$(wc -l <"$data/train.jsonl")" "$(wc -l <"$data/test.jsonl")" <<'PY'
import json, sys
o, what, epochs, threads, lb, la, n_items, n_train, n_test = sys.argv[1:]
t = json.load(open(o + "/train.json")); e = json.load(open(o + "/eval.json")); p = json.load(open(o + "/torch.json"))
print(f"data: {what} ({n_items} items, {n_train} training requests, {n_test} test requests); "
      f"{epochs} epochs, {threads} threads; load average {lb} before, {la} after")
print("| implementation | train requests/s | requests seen | recall_order@100 (test) |")
print("| --- | ---: | ---: | ---: |")
print("| Mmse (C#) | %.0f | %d | %.4f |" % (t["train_requests_per_s"], t["requests_seen"], e["metrics"]["recall_order@100"]))
print("| PyTorch %s | %.0f | %d | %.4f |" % ("", p["train_requests_per_s"], p["requests_seen"], p["recall_order@100"]))
print("ratio Mmse / PyTorch requests/s: %.1fx" % (t["train_requests_per_s"] / p["train_requests_per_s"]))
PY
