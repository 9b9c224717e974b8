#!/bin/bash
# Issue 20 on the real H200: `check --with` for the current vLLM and SGLang releases against the
# machine's own stack (/opt/torch/.venv: torch 2.11+cu130, driver 580). The machine has no package
# index: .devrun/idx is a metadata-only index (PEP 503 pages + PEP 658 .metadata files) built by
# metadata_index.py from pip installation reports that a Python 3.12 pip made on a machine with an
# index (`pip install --dry-run --report --ignore-installed --only-binary=:all: --platform
# manylinux_2_35..2_17_x86_64 --target T vllm==0.33.0`, and sglang==0.5.23).
export NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
T="$OUT/h200_preflight.txt"
PY=/opt/torch/.venv/bin/python3
TARGET=/opt/torch/.venv
INDEX="file://$PWD/.devrun/idx/simple"
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores, $(ldd --version | head -1)"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site2 dist/envdoctor-*.whl dist/pyelftools-*.whl >>"$T" 2>&1
printf '#!%s\nimport sys\nsys.path.insert(0, "/tmp/site2")\nfrom envdoctor.launch import main\nmain()\n' "$PY" >/tmp/envdoctor2; chmod +x /tmp/envdoctor2
ED=/tmp/envdoctor2
export ENVDOCTOR_CACHE_DIR=$(mktemp -d)
run $PY -m pip --version
run $PY -m pip list --format freeze
$PY -m pip list --format freeze >/tmp/before.txt; find "$TARGET" -newer /tmp/before.txt -type f | wc -l >/tmp/newer_before.txt
echo "## 1. check as it is" >>"$T"
run $ED check --python "$TARGET"
echo "## 2. check --with vllm==0.33.0" >>"$T"
s=$(date +%s%N); run $ED check --python "$TARGET" --with vllm==0.33.0 --index-url "$INDEX"; echo "wall: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
echo "## 3. check --with sglang==0.5.23" >>"$T"
s=$(date +%s%N); run $ED check --python "$TARGET" --with sglang==0.5.23 --index-url "$INDEX"; echo "wall: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
echo "## 4. the same two as JSON (files next to this transcript)" >>"$T"
$ED check --python "$TARGET" --with vllm==0.33.0 --index-url "$INDEX" --format json >"$OUT/h200_preflight_vllm.json" 2>>"$T"; echo "[exit $?]" >>"$T"
$ED check --python "$TARGET" --with sglang==0.5.23 --index-url "$INDEX" --format json >"$OUT/h200_preflight_sglang.json" 2>>"$T"; echo "[exit $?]" >>"$T"
echo "## 5. the target unchanged afterwards" >>"$T"
$PY -m pip list --format freeze >/tmp/after.txt
run diff /tmp/before.txt /tmp/after.txt
echo "files under $TARGET modified since the first listing: $(find "$TARGET" -newer /tmp/before.txt -type f | wc -l)" >>"$T"
