#!/usr/bin/env bash
# Installs the PyTorch side of the training benchmark from Debian's packages: python3-torch
# (CPU), with OpenBLAS's threaded build so PyTorch's matrix products are not the reference BLAS.
set -euo pipefail
need=()
/usr/bin/python3 -c "import torch" 2>/dev/null || need+=(python3-torch)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
/usr/bin/python3 -c "import numpy" 2>/dev/null || need+=(python3-numpy)
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}"
fi
/usr/bin/python3 -c "import torch; print('torch', torch.__version__, 'threads', torch.get_num_threads())"
