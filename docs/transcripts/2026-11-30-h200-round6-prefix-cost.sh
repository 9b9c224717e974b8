#!/bin/bash
# --deep's imports with bytecode kept outside the environment (PYTHONPYCACHEPREFIX) against import torch.
PY=/opt/torch/.venv/bin/python3
T=$OUT/prefix_cost.txt
MODS="torch,triton,torchvision,torchaudio,botorch,gpytorch,lightning,lightning_fabric,linear_operator,opt_einsum_fx,peft,pytorch_lightning,sentence_transformers,timm,torchdiffeq,torchmetrics,e3nn"
t() { s=$(date +%s%N); "$@" >/dev/null 2>&1; echo "$(( ($(date +%s%N)-s)/1000000 )) ms rc=$?: ${*: -1}"; }
{
P=/tmp/envdoctor-bytecode
prog="import importlib,sys; sys.dont_write_bytecode=False; [importlib.import_module(m) for m in '$MODS'.split(',')]"
for i in 1 2 3 4; do
  t env PYTHONPYCACHEPREFIX=$P $PY -B -c "$prog"
  t $PY -c "import torch"
  t $PY -B -c "import importlib; [importlib.import_module(m) for m in '$MODS'.split(',')]"
done
du -sh $P; find $P -name '*.pyc' | wc -l
echo "## import torch with the prefix (warm)"
for i in 1 2 3; do t env PYTHONPYCACHEPREFIX=$P $PY -c "import torch"; done
} >$T 2>&1
