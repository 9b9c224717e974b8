#!/bin/bash
# SYM002 on the H200's real cupy after the transitive optional-backend rule (issue 17, family 6).
export NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
T="$OUT/h200_sym002.txt"
PY=/opt/torch/.venv/bin/python3
TARGET=/opt/torch/.venv
run() { echo "\$ $*" >>"$T"; "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo; } >"$T"
$PY -m pip install -q --no-deps --target /tmp/site2 dist/envdoctor-*.whl dist/pyelftools-*.whl >>"$T" 2>&1
printf '#!%s\nimport sys\nsys.path.insert(0, "/tmp/site2")\nfrom envdoctor.launch import main\nmain()\n' "$PY" >/tmp/envdoctor2; chmod +x /tmp/envdoctor2
ED=/tmp/envdoctor2
run $PY -c "import cupy, cupyx; print('cupy', cupy.__version__)"
run $PY -c "import cupy_backends.cuda.libs.cutensor"
run $PY -c "import cupy, numpy; a = cupy.ones((4, 4)); print(cupy.einsum('ij,jk->ik', a, a)[0, 0])"
run $ED check --python "$TARGET" --select SYM001,SYM002 -v
run $ED check --python "$TARGET"
