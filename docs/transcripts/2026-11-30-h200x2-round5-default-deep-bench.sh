#!/bin/bash
# Issue 19's speed bound and issue 17's SYM002 change on the real 2-GPU H200 stack, after the
# one-subprocess --deep (d-deepspeed) and the optional-backend rule (a-stack17) landed:
# the default check and check --deep with every finding printed, then bench/deep_speed.py.
export NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
T="$OUT/h200_round5.txt"
PY=/opt/torch/.venv/bin/python3
TARGET=/opt/torch/.venv
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site2 dist/envdoctor-*.whl dist/pyelftools-*.whl >>"$T" 2>&1
printf '#!%s\nimport sys\nsys.path.insert(0, "/tmp/site2")\nfrom envdoctor.launch import main\nmain()\n' "$PY" >/tmp/envdoctor2; chmod +x /tmp/envdoctor2
ED=/tmp/envdoctor2
export ENVDOCTOR_CACHE_DIR=$(mktemp -d)
echo "## 1. the default check: first run (empty caches), second run" >>"$T"
for round in first second; do
  echo "# $round run" >>"$T"
  s=$(date +%s%N); run $ED check --python "$TARGET"; echo "wall: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
done
echo "## 2. SYM002 with every piece of evidence (cupy's cutensor backend: optional, imported under try/except ImportError)" >>"$T"
run $ED check --python "$TARGET" --select SYM001,SYM002 -v
echo "## 3. check --deep, healthy (2 GPUs: JIT build, all-reduce and topology alongside the imports)" >>"$T"
s=$(date +%s%N); run $ED check --deep --python "$TARGET"; echo "wall: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
echo "## 4. bench/deep_speed.py: check --deep against import torch (bound: 3x), 3 rounds interleaved after a warm-up" >>"$T"
run $PY bench/deep_speed.py --python $PY --envdoctor after=$ED --runs 3
echo "## 5. --version and a plain check's start (issue 22)" >>"$T"
run $PY - <<PYEOF
import statistics, subprocess, time
rows = [("python -c pass", ["$PY", "-c", "pass"]), ("envdoctor --version", ["$ED", "--version"])]
t = {n: [] for n, _ in rows}
for _ in range(15):
    for n, c in rows:
        s = time.perf_counter(); subprocess.run(c, stdout=subprocess.DEVNULL); t[n].append(time.perf_counter() - s)
for n, _ in rows:
    print(f"{n}: median {statistics.median(t[n])*1000:.1f} ms")
PYEOF
