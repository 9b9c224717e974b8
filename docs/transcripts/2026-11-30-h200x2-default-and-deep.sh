#!/bin/bash
# The default check and check --deep on the H200's real stack after all of issue 17/19's checks:
# every finding printed (each must be true), and check --deep timed against import torch.
export NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
T="$OUT/deep_and_default.txt"
PY=/opt/torch/.venv/bin/python3
TARGET=/opt/torch/.venv
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores"; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site2 dist/envdoctor-*.whl dist/pyelftools-*.whl >>"$T" 2>&1
printf '#!%s\nimport sys\nsys.path.insert(0, "/tmp/site2")\nfrom envdoctor.launch import main\nmain()\n' "$PY" >/tmp/envdoctor2; chmod +x /tmp/envdoctor2
ED=/tmp/envdoctor2
echo "## 1. the default check, first run (empty caches) and second run" >>"$T"
export ENVDOCTOR_CACHE_DIR=$(mktemp -d)
for round in first second; do
  echo "# $round run" >>"$T"
  s=$(date +%s%N); run $ED check --python "$TARGET"; echo "wall: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
done
run $ED check --python "$TARGET" --select PYU001,PYU002,PYU003,HOOK002,NPY001,NPY002,SYM001,SYM002,STK003,WHL001,JIT001,JIT002,JIT003,JIT004,JIT005,JIT006,IMP002
echo "## 2. check --deep, healthy" >>"$T"
run $ED check --deep --python "$TARGET"
echo "## 3. timing: 3 runs each, taking turns; median (bound: check --deep <= 3x import torch)" >>"$T"
$PY - >>"$T" 2>&1 <<PYEOF
import statistics, subprocess, time
rows = [("python -c 'import torch'", ["$PY", "-c", "import torch"]),
        ("envdoctor check --deep", ["$ED", "check", "--deep", "--python", "$TARGET"]),
        ("envdoctor check --deep --no-scan", ["$ED", "check", "--deep", "--no-scan", "--python", "$TARGET"]),
        ("envdoctor check", ["$ED", "check", "--python", "$TARGET"])]
samples = {name: [] for name, _ in rows}
for _ in range(3):
    for name, command in rows:
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp", timeout=300)
        samples[name].append(time.perf_counter() - start)
base = statistics.median(samples["python -c 'import torch'"])
print("| command | runs (s) | median s | ratio to import torch |")
print("|---|---|---:|---:|")
for name, _ in rows:
    median = statistics.median(samples[name])
    print(f"| {name} | {', '.join('%.2f' % s for s in samples[name])} | {median:.2f} | {median / base:.2f}x |")
PYEOF
