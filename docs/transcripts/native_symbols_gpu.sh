#!/usr/bin/env bash
# Run on the GPU machine (device tool) from the repository root, with dist/ carried; needs no
# network. dist/ holds envdoctor's wheel and pyelftools' (pure Python; `pip download
# pyelftools==0.33 --no-deps -d dist` on a machine with the index).
#
# SYM001/SYM002 on the machine's real CUDA stack (/opt/torch/.venv, torch 2.11+cu130):
#  1. the healthy stack: every extension module of torch and the nvidia-* wheels resolves
#     (expected: 0 findings, N extensions resolved);
#  2. with gcc: a stand-in libnccl.so.2 that lacks every symbol torch uses, put first through
#     LD_LIBRARY_PATH as a container runtime would: envdoctor names the symbols, and
#     `import torch` under the same variable shows what ld.so says (if torch's libraries find
#     NCCL through DT_RPATH, ld.so never looks in LD_LIBRARY_PATH: then both say nothing is wrong).
# Writes everything it runs and prints to $OUT/transcript.txt (and stdout).
set -u
OUT=${OUT:-/tmp/native-symbols-out}
mkdir -p "$OUT"
T="$OUT/transcript.txt"
TARGET=${TARGET:-/opt/torch/.venv}  # overridable, to try the script on another venv
PY=$TARGET/bin/python3
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores"; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site dist/envdoctor-*.whl dist/pyelftools-*.whl >>"$T" 2>&1 \
  || { echo "dist/ needs envdoctor-*.whl and pyelftools-*.whl" | tee -a "$T"; exit 2; }
cat >/tmp/envdoctor <<EOS
#!$PY
import sys
sys.path.insert(0, "/tmp/site")
from envdoctor.launch import main
main()
EOS
chmod +x /tmp/envdoctor
summary() {  # the findings of a JSON report, one line each
  $PY -c 'import json, sys
report = json.load(sys.stdin)
for f in report["findings"]:
    print(f["code"], f["severity"], f["subject"], "|", f["title"][:400])
print(len(report["findings"]), "findings")'
}
run nvidia-smi --query-gpu=index,name,driver_version --format=csv
run $PY -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.is_available())"

echo "## 1. the healthy stack" >>"$T"
run /tmp/envdoctor check --python "$TARGET" --select SYM001,SYM002
/tmp/envdoctor check --python "$TARGET" --select SYM001,SYM002 --format json | summary >>"$T" 2>&1
echo '$ snapshot: the native_linkage section (extensions resolved, problems, seconds; first run then warm)' >>"$T"
COLD_CACHE=$(mktemp -d)  # cold: an empty cache folder; warm: the same folder again
for round in cold warm; do
  ENVDOCTOR_CACHE_DIR=$COLD_CACHE /tmp/envdoctor snapshot --python "$TARGET" | $PY -c "import json, sys; d = json.load(sys.stdin)['native_linkage']; print('$round:', d['extensions'], 'extensions,', len(d['problems']), 'problems,', len(d['unreadable']), 'unreadable,', d['seconds'], 's')" >>"$T" 2>&1
done
echo >>"$T"

echo "## 2. a stand-in libnccl.so.2 first in LD_LIBRARY_PATH" >>"$T"
if command -v gcc >/dev/null; then
  mkdir -p /tmp/standin-nccl
  echo 'int ncclStandIn(void) { return 0; }' >/tmp/standin-nccl/nccl.c
  gcc -shared -fPIC -Wl,-soname,libnccl.so.2 -o /tmp/standin-nccl/libnccl.so.2 /tmp/standin-nccl/nccl.c
  LD_LIBRARY_PATH=/tmp/standin-nccl run /tmp/envdoctor check --python "$TARGET" --select SYM001,SYM002
  LD_LIBRARY_PATH=/tmp/standin-nccl /tmp/envdoctor check --python "$TARGET" --select SYM001,SYM002 --format json | summary >>"$T" 2>&1
  echo '$ LD_LIBRARY_PATH=/tmp/standin-nccl python -c "import torch"   # what ld.so says' >>"$T"
  LD_LIBRARY_PATH=/tmp/standin-nccl $PY -c "import torch" 2>&1 | tail -2 >>"$T"
else
  echo "(no gcc on this machine: part 2 skipped)" >>"$T"
fi
cat "$T"
