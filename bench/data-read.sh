#!/usr/bin/env bash
# Reader performance (issue 2): a 1M-item catalog and a 1M-request search log (20..40 items per
# request, mean 30) must be read by `./mmse data stats` in under 30 s and 4 GiB peak memory.
# Generates the files once (seeded, so every machine reads the same bytes), then times the
# command with /usr/bin/time -v and prints wall seconds, peak RSS and the load average.
#
# Usage: bench/data-read.sh [DIR] [--items N] [--requests N]
#        DIR defaults to artifacts/bench-data; existing files there are reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/artifacts/bench-data}"
shift $(( $# > 0 ? 1 : 0 ))
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [[ ! -x /usr/bin/time ]]; then
  echo "installing GNU time (for peak memory)..." >&2
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq time >/dev/null
fi

if [[ ! -f "$dir/catalog.jsonl" || ! -f "$dir/log.jsonl" ]]; then
  echo "generating $dir (a few tens of seconds, about 0.9 GB)..." >&2
  dotnet run -c Release --project "$root/bench/Mmse.Benchmarks" -- gen-data "$dir" "$@"
fi

"$root/mmse" --version >/dev/null   # build first, so the build is not timed

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -v "$root/mmse" data stats --catalog "$dir/catalog.jsonl" --log "$dir/log.jsonl" \
  --json "$dir/stats.json" >"$dir/stats.txt" 2>"$dir/time.txt" || { cat "$dir/time.txt" >&2; exit 1; }
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$dir/time.txt")
user=$(awk -F': ' '/User time/ { print $2 }' "$dir/time.txt")
sys=$(awk -F': ' '/System time/ { print $2 }' "$dir/time.txt")
rss_mib=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$dir/time.txt")
requests=$(grep -Eo '"requests": [0-9]+' "$dir/stats.json" | head -1 | grep -Eo '[0-9]+')
items=$(grep -Eo '"catalog_items": [0-9]+' "$dir/stats.json" | grep -Eo '[0-9]+')

echo "mmse data stats: $items catalog items, $requests requests"
echo "  wall ${wall} s (user ${user} s, sys ${sys} s), peak RSS ${rss_mib} MiB"
echo "  load average before: $load_before, after: $load_after  ($(nproc) cores)"
ok=$(awk -v w="$wall" -v r="$rss_mib" 'BEGIN { print (w < 30 && r < 4096) ? "yes" : "no" }')
if [[ $ok == yes ]]; then
  echo "  within the target (< 30 s, < 4096 MiB)"
else
  echo "  OVER the target (< 30 s, < 4096 MiB)"
  exit 1
fi
