#!/usr/bin/env bash
# Run on the GPU machine (device tool) from the repository root, with dist/ carried:
# `require`, `diff` and `check --against` on the machine's real CUDA stack.
# Writes everything it runs and prints to $OUT/transcript.txt.
set -u
T="$OUT/transcript.txt"
PY=/opt/torch/.venv/bin/python3
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm)"; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site dist/envdoctor-*.whl >>"$T" 2>&1
export PYTHONPATH=/tmp/site
ED() { $PY -m envdoctor "$@"; }
run nvidia-smi --query-gpu=index,name,compute_cap,driver_version --format=csv
mkdir -p /tmp/proj && cat >/tmp/proj/pyproject.toml <<'TOML'
[project]
name = "server"

[tool.envdoctor]
require = [
  "torch>=2.11",
  "triton>=3.6",
  "python>=3.12",
  "cuda>=13.0",
  "driver>=580",
  "cuda-driver>=13",
  "nvidia-gpu",
  "flashinfer-python>=0.5",
  "gpu>=2",
  "rocm>=6.2",
  "mps; sys_platform == 'darwin'",
]
TOML
run cat /tmp/proj/pyproject.toml
cd /tmp/proj
run ED check --python /opt/torch/.venv --no-scan --select EXP001
run ED check --python /opt/torch/.venv --no-scan --select EXP001 --format github
ED snapshot --python /opt/torch/.venv --no-scan -o /tmp/now.json 2>>"$T"
CUDA_VISIBLE_DEVICES=0 ED snapshot --python /opt/torch/.venv --no-scan -o /tmp/pinned.json 2>>"$T"
cd - >/dev/null
run ED diff tests/data/snapshot-h200-cuda13.json /tmp/now.json
run ED diff /tmp/now.json /tmp/pinned.json
run ED diff /tmp/now.json /opt/torch/.venv
run ED check --python /opt/torch/.venv --no-scan --select EXP002 --against tests/data/snapshot-h200-cuda13.json
cp /tmp/now.json "$OUT/snapshot-now.json"
