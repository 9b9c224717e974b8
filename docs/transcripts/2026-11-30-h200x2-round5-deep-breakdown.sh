#!/bin/bash
# Where check --deep's time goes on the H200 (issue 19's 3x bound): snapshot --deep's own timings,
# and what importing the same modules costs in one plain interpreter.
export NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
T="$OUT/h200_deep_breakdown.txt"
PY=/opt/torch/.venv/bin/python3
TARGET=/opt/torch/.venv
{ echo "date: $(date -u +%FT%TZ)"; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site2 dist/envdoctor-*.whl dist/pyelftools-*.whl >>"$T" 2>&1
printf '#!%s\nimport sys\nsys.path.insert(0, "/tmp/site2")\nfrom envdoctor.launch import main\nmain()\n' "$PY" >/tmp/envdoctor2; chmod +x /tmp/envdoctor2
ED=/tmp/envdoctor2
export ENVDOCTOR_CACHE_DIR=$(mktemp -d)
$ED check --python $TARGET --format json >/dev/null 2>&1   # warm the caches
for i in 1 2; do
  s=$(date +%s%N); $ED snapshot --deep --python $TARGET > $OUT/deep_snapshot_$i.json 2>>"$T"; echo "snapshot --deep $i: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
done
$PY - "$OUT/deep_snapshot_2.json" >>"$T" 2>&1 <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
deep = d.get("deep") or {}
print("deep.seconds", deep.get("seconds"))
for a in deep.get("imports", []):
    print("import", a.get("module"), a.get("outcome"), a.get("seconds"))
jb = deep.get("jit_build") or {}
print("jit_build", jb.get("outcome"), jb.get("seconds"))
mg = deep.get("multi_gpu") or {}
print("multi_gpu keys", sorted(mg))
ar = mg.get("all_reduce") or {}
print("all_reduce", ar.get("outcome"), ar.get("seconds"))
for k in ("import_scan", "legacy_code", "native_linkage", "stack", "jit_toolchain"):
    v = d.get(k)
    if isinstance(v, dict): print(k, v.get("seconds"))
mods = [a.get("module") for a in deep.get("imports", []) if a.get("outcome") == "ok"]
open("/tmp/mods.txt", "w").write(",".join(m for m in mods if m))
PYEOF
MODS=$(cat /tmp/mods.txt)
echo "modules: $MODS" >>"$T"
for i in 1 2 3; do
  s=$(date +%s%N); $PY -c "import importlib; [importlib.import_module(m) for m in '$MODS'.split(',')]" >/dev/null 2>&1; echo "plain import of those modules in one process: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
  s=$(date +%s%N); $PY -c "import torch" >/dev/null 2>&1; echo "import torch: $(( ($(date +%s%N) - s) / 1000000 )) ms" >>"$T"
done
