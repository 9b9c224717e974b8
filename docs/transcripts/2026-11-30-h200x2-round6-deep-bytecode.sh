#!/bin/bash
# Issue 19's bound after the deep probes keep their bytecode in envdoctor's cache: check --deep
# before (HEAD 60bab51) and after, on the 2-GPU H200, in one interleaved run (bench/deep_speed.py);
# the after build's first run with an empty cache (cold) and second run, and its findings.
# Needs dist/envdoctor-*.whl (after), dist/before/envdoctor-*.whl (before), dist/pyelftools-*.whl.
export NCCL_NVLS_ENABLE=0
PY=/opt/torch/.venv/bin/python3
T="$OUT/round6-deep-bytecode.txt"
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores, $(nvidia-smi -L | wc -l) GPUs"
  env | grep -E '^PYTHONDONTWRITEBYTECODE'; echo; } >"$T"
for build in before after; do
  wheel=$(ls dist/envdoctor-*.whl); [ $build = before ] && wheel=$(ls dist/before/envdoctor-*.whl)
  $PY -m pip install -q --no-deps --target /tmp/site-$build "$wheel" dist/pyelftools-*.whl >>"$T" 2>&1
  printf '#!%s\nimport sys\nsys.path.insert(0, "/tmp/site-%s")\nfrom envdoctor.launch import main\nmain()\n' "$PY" "$build" >/tmp/ed-$build
  chmod +x /tmp/ed-$build
done
export ENVDOCTOR_CACHE_DIR=$(mktemp -d)
for round in "first (empty cache)" second; do
  s=$(date +%s%N); /tmp/ed-after check --deep --python $PY >/tmp/deep-out.txt 2>&1; rc=$?
  echo "after: check --deep, $round run: $(( ($(date +%s%N) - s) / 1000000 )) ms, exit $rc" >>"$T"
done
echo "bytecode kept: $(du -sh $ENVDOCTOR_CACHE_DIR/bytecode | cut -f1), $(find $ENVDOCTOR_CACHE_DIR/bytecode -name '*.pyc' | wc -l) files" >>"$T"
echo; echo "## the second run's report" >>"$T"; cat /tmp/deep-out.txt >>"$T"
echo >>"$T"; echo "## bench/deep_speed.py --runs 3 (after one warm-up round)" >>"$T"
$PY bench/deep_speed.py --python $PY --runs 3 --workdir /tmp/bench \
  --envdoctor before=/tmp/ed-before --envdoctor after=/tmp/ed-after >>"$T" 2>&1
tail -12 "$T"
