#!/bin/bash
# Issue 20 on the real H200, second run. The first (h200_preflight.sh) showed the machine's own pip
# (24.0) fetching whole wheels during a dry run, which a metadata-only index cannot serve: every
# --with ended in PRE001 (pip's 404). pip 25.1+ resolves from PEP 658 metadata alone. So this run
# layers a venv over the stack: /tmp/layered has pip 26.3 of its own and a .pth file that puts
# /opt/torch/.venv's site-packages on its sys.path (an NGC-style layered install: the stack is
# what `check` sees, and what pip sees as installed).
export NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
T="$OUT/h200_preflight2.txt"
PY=/opt/torch/.venv/bin/python3
INDEX="file://$PWD/.devrun/idx/simple"
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site2 dist/envdoctor-*.whl dist/pyelftools-*.whl >>"$T" 2>&1
printf '#!%s\nimport sys\nsys.path.insert(0, "/tmp/site2")\nfrom envdoctor.launch import main\nmain()\n' "$PY" >/tmp/envdoctor2; chmod +x /tmp/envdoctor2
ED=/tmp/envdoctor2
export ENVDOCTOR_CACHE_DIR=$(mktemp -d)
run $PY -m venv --without-pip /tmp/layered
echo /opt/torch/.venv/lib/python3.12/site-packages >/tmp/layered/lib/python3.12/site-packages/torch_stack.pth
run /tmp/layered/bin/python dist/pip-26.3-py3-none-any.whl/pip install -q --no-index dist/pip-26.3-py3-none-any.whl
TARGET=/tmp/layered/bin/python
run $TARGET -m pip --version
$TARGET -m pip list --format freeze >/tmp/before.txt
echo "## 1. check as it is (the layered venv)" >>"$T"
run $ED check --python "$TARGET"
for spec in vllm==0.33.0 sglang==0.5.23 tqdm; do
  echo "## check --with $spec" >>"$T"
  s=$(date +%s%N); run $ED check --python "$TARGET" --with $spec --index-url "$INDEX"; echo "wall: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
  $ED check --python "$TARGET" --with $spec --index-url "$INDEX" --format json >"$OUT/h200_preflight2_${spec%%=*}.json" 2>/dev/null
done
echo "## the target unchanged afterwards" >>"$T"
$TARGET -m pip list --format freeze >/tmp/after.txt
run diff /tmp/before.txt /tmp/after.txt
echo "files under /opt/torch/.venv modified since the first listing: $(find /opt/torch/.venv -newer /tmp/before.txt -type f | wc -l)" >>"$T"
