#!/bin/bash
# Where --deep's import time goes on the H200 image: bytecode present? what dominates torchvision/lightning?
PY=/opt/torch/.venv/bin/python3
SP=$($PY -c "import sysconfig;print(sysconfig.get_paths()['purelib'])")
T=$OUT/import_cost.txt
{
echo "date: $(date -u +%FT%TZ) cores: $(nproc)"
env | grep -E '^PYTHON|^PIP' | sort
ls -ld $SP; touch $SP/.w && echo writable && rm $SP/.w
for p in torch torchvision lightning transformers sympy; do
  py=$(find $SP/$p -name '*.py' 2>/dev/null | wc -l); pyc=$(find $SP/$p -name '*.cpython-312.pyc' 2>/dev/null | wc -l)
  echo "$p: $py .py, $pyc .pyc"
done
mount | grep -E ' / | /opt' | head
t() { s=$(date +%s%N); "$@" >/dev/null 2>&1; echo "$(( ($(date +%s%N)-s)/1000000 )) ms: $*"; }
for i in 1 2 3; do
  t $PY -B -c "import torch"
  t $PY -B -c "import torch, torchvision"
  t $PY -B -c "import torch, torchvision, lightning"
done
echo "## -X importtime torch, torchvision, lightning (-B), top cumulative"
$PY -B -X importtime -c "import torch, torchvision, lightning" 2>/tmp/it.txt
sort -t'|' -k2 -n /tmp/it.txt | tail -45
echo "## self time sum by top package"
$PY - <<'P'
import collections
c=collections.Counter()
for line in open('/tmp/it.txt'):
    if not line.startswith('import time:') or 'self' in line: continue
    a,b,name=line[12:].split('|')
    c[name.strip().split('.')[0]]+=int(a)
for k,v in c.most_common(25): print(f"{v/1000:8.0f} ms {k}")
P
echo "## with PYTHONPYCACHEPREFIX (bytecode outside the env): 3 runs"
export PYTHONPYCACHEPREFIX=/tmp/pycache-prefix
for i in 1 2 3; do t $PY -c "import torch, torchvision, lightning"; done
unset PYTHONPYCACHEPREFIX
echo "## plain (writes bytecode into the env, then reads it): 3 runs"
for i in 1 2 3; do t $PY -c "import torch, torchvision, lightning"; done
for i in 1 2 3; do t $PY -c "import torch"; done
} >$T 2>&1
cat $T | tail -5
