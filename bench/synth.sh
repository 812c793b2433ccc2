#!/usr/bin/env bash
# Benchmark of `mmse synth` at scale: wall time and peak memory (max RSS) from /usr/bin/time -v.
# Usage: bench/synth.sh [ITEMS] [REQUESTS] [OUT]     (defaults 1000000 5000000 /tmp/mmse-synth-bench)
# Target (issue 3): 1M items and 5M requests in under 3 minutes and under 4 GiB.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
items="${1:-1000000}"
requests="${2:-5000000}"
out="${3:-/tmp/mmse-synth-bench}"
if [[ ! -x /usr/bin/time ]]; then
  echo "bench/synth.sh needs /usr/bin/time (apt-get install time)" >&2
  exit 1
fi
"$root/mmse" --version >/dev/null   # build first, outside the measurement
rm -rf "$out"
log="$(mktemp)"
/usr/bin/time -v "$root/mmse" synth --out "$out" --items "$items" --requests "$requests" --seed 1 2> >(tee "$log" >&2)
wall=$(grep -E "Elapsed \(wall clock\)" "$log" | awk '{print $NF}')
rss=$(grep -E "Maximum resident set size" "$log" | awk '{print $NF}')
echo "synth items=$items requests=$requests cores=$(nproc): wall $wall, max RSS $((rss / 1024)) MiB, output $(du -sh "$out" | cut -f1)"
rm -f "$log"
