#!/usr/bin/env bash
# Run on the GPU machine (device tool) from the repository root, with dist/ carried:
# `envdoctor check` against `pip check` on the machine's real CUDA stack, after the
# sixth session's start-up work (probe bytecode, records, no cyclic GC).
# Writes everything it runs and prints to $OUT/transcript.txt.
set -u
T="$OUT/transcript.txt"
PY=/opt/torch/.venv/bin/python3
TARGET=/opt/torch/.venv
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores"; echo; } >"$T"
# pip compiles the wheel's modules for this Python (3.12), as any `pip install envdoctor` does.
$PY -m pip install -q --no-deps --target /tmp/site dist/envdoctor-*.whl >>"$T" 2>&1
# envdoctor runs from /tmp/site without PYTHONPATH, so the probe sees the target exactly as it is.
cat >/tmp/envdoctor <<EOF
#!$PY
import sys
sys.path.insert(0, "/tmp/site")
from envdoctor.launch import main
main()
EOF
chmod +x /tmp/envdoctor
run nvidia-smi --query-gpu=index,name,compute_cap,driver_version --format=csv
run ls /tmp/site/envdoctor/probe/__pycache__
touch /tmp/before-check
sleep 1
run /tmp/envdoctor check --python "$TARGET" --no-scan
echo '$ find /opt/torch/.venv -newer /tmp/before-check   # files the check wrote into the target: none expected' >>"$T"
find "$TARGET" -newer /tmp/before-check >>"$T" 2>&1
echo "[$(find "$TARGET" -newer /tmp/before-check | wc -l) files]" >>"$T"
echo >>"$T"
echo '$ timing: 9 rounds, the commands taking turns; median wall time' >>"$T"
$PY - >>"$T" 2>&1 <<EOF
import statistics, subprocess, time
rows = [
    ("envdoctor check --no-scan", ["/tmp/envdoctor", "check", "--python", "$TARGET", "--no-scan"]),
    ("envdoctor check (with the import scan)", ["/tmp/envdoctor", "check", "--python", "$TARGET"]),
    ("pip check", ["$PY", "-m", "pip", "check"]),
]
samples = {name: [] for name, _ in rows}
for _ in range(9):
    for name, command in rows:
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
        samples[name].append(time.perf_counter() - start)
pip_time = statistics.median(samples["pip check"])
print("| command | median s | ratio to pip check |")
print("|---|---:|---:|")
for name, _ in rows:
    seconds = statistics.median(samples[name])
    print(f"| {name} | {seconds:.3f} | {seconds / pip_time:.2f}x |")
EOF
echo "[exit $?]" >>"$T"
