#!/usr/bin/env bash
# Side-by-side ANN benchmark: hnswlib, FAISS (IndexFlatIP, IndexHNSWFlat) and Mmse's HNSW on the
# same .fvecs files, one thread each, same M and efConstruction. Prints a markdown table.
#
# Usage: bench/ann/side_by_side.sh [--n 1000000] [--dim 64] [--clusters 1000] [--queries 10000]
#                                  [--M 16] [--ef-construction 200] [--seed 1] [--dir DIR]
#                                  [--base F --query F]   (use existing .fvecs instead of generating)
#                                  [--skip hnswlib,faiss-hnsw,faiss-flat,mmse,mmse-int8]
# Writes DIR/results.json and DIR/table.md (DIR defaults to artifacts/ann-N).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
n=1000000 dim=64 clusters=1000 queries=10000 m=16 efc=200 seed=1 dir="" base="" query="" skip=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --n) n="$2"; shift 2 ;;
    --dim) dim="$2"; shift 2 ;;
    --clusters) clusters="$2"; shift 2 ;;
    --queries) queries="$2"; shift 2 ;;
    --M) m="$2"; shift 2 ;;
    --ef-construction) efc="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --base) base="$2"; shift 2 ;;
    --query) query="$2"; shift 2 ;;
    --skip) skip="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
dir="${dir:-$root/artifacts/ann-$n}"
mkdir -p "$dir"

# The Python peers come from Debian; install them when missing.
py=/usr/bin/python3  # the Debian packages install into the system Python
if ! "$py" -c 'import hnswlib, faiss, numpy' 2>/dev/null; then
  echo "installing python3-hnswlib python3-faiss python3-numpy ..." >&2
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq python3-hnswlib python3-faiss python3-numpy >/dev/null
fi

if [[ -z "$base" ]]; then
  base="$dir/base.fvecs" query="$dir/query.fvecs"
  if [[ ! -f "$base" || ! -f "$query" ]]; then
    "$root/mmse" bench gen-vectors --n "$n" --dim "$dim" --clusters "$clusters" --queries "$queries" --seed "$seed" --out "$dir"
  fi
fi

efs="10,12,16,20,24,32,40,48,64,80,96,128,160,192,256,384,512"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$py" "$root/bench/ann/side_by_side.py" --base "$base" --query "$query" --M "$m" --ef-construction "$efc" \
  --ef "$efs" --dir "$dir" --mmse "$root/mmse" --seed "$seed" --skip "$skip"
