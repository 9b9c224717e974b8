PY=/opt/torch/.venv/bin/python3
MODS=torch,triton,torchvision,torchaudio,botorch,botorch_community,build,e3nn,gpytorch,lightning,lightning_fabric,linear_operator,opt_einsum_fx,peft,pytorch_lightning,sentence_transformers,timm,torchdiffeq,torchmetrics
for i in 1 2 3; do
  s=$(date +%s%N); $PY -c "import torch"; echo "import torch: $(( ($(date +%s%N) - s) / 1000000 )) ms"
  s=$(date +%s%N); $PY docs/transcripts/2026-11-30-h200x2-round5-fork-imports.py $MODS; echo "forked: $(( ($(date +%s%N) - s) / 1000000 )) ms"
  s=$(date +%s%N); $PY -c "import importlib; [importlib.import_module(m) for m in '$MODS'.split(',')]"; echo "sequential: $(( ($(date +%s%N) - s) / 1000000 )) ms"
done
