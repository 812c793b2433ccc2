#!/usr/bin/env bash
# Installs what bench/side_by_side.sh needs for the PyTorch side: Debian's python3-torch, and the
# pthread OpenBLAS so PyTorch's matrix products do not run on the reference BLAS.
set -euo pipefail
if /usr/bin/python3 -c "import torch" 2>/dev/null && dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  exit 0
fi
sudo_cmd=""
[[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
$sudo_cmd apt-get update
$sudo_cmd apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread
