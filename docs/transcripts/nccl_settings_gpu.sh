#!/usr/bin/env bash
# Issue 19, part 1, on the 2-GPU machine: each NCCL/Gloo setting made on purpose, next to a real
# two-process all-reduce showing whether it breaks, and next to what `envdoctor check` says.
#
# Run from the repository root with an envdoctor wheel in ./dist (no network needed):
#   bash docs/transcripts/nccl_settings_gpu.sh > transcript.txt 2>&1
# The target is /opt/torch/.venv (TARGET= to change it; torch 2.11+cu130, its NCCL wheel); envdoctor is unpacked to a
# temporary folder and never installed into the target. Multicast stays off (NCCL_NVLS_ENABLE=0)
# in every run, the checks' included: expect NCL005's info line for it in each check.
# Everything goes to stdout, each case under a header.
set -u
TARGET=${TARGET:-/opt/torch/.venv}
PY="$TARGET/bin/python3"
TORCHRUN="$TARGET/bin/torchrun"
export NCCL_NVLS_ENABLE=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# envdoctor's dependencies (typer, rich, packaging) come from the target, as on the GPU machine, or
# from wheels placed beside envdoctor's in dist/.
"$PY" -m pip install -q --no-deps --target "$WORK/site" dist/*.whl || exit 1
# envdoctor runs from $WORK/site without PYTHONPATH, so the probe sees the target exactly as it is.
cat >"$WORK/envdoctor" <<EOF
#!$PY
import sys
sys.path.insert(0, "$WORK/site")
from envdoctor.launch import main
main()
EOF
chmod +x "$WORK/envdoctor"

# The all-reduce: one process per GPU, a 4 MiB tensor of (rank + 1), the sum checked on every rank.
cat >"$WORK/allreduce.py" <<'EOF'
import os
import time

import torch
import torch.distributed as dist

backend = os.environ.get("ALLREDUCE_BACKEND", "nccl")
rank, world = int(os.environ["LOCAL_RANK"]), int(os.environ["WORLD_SIZE"])
device = torch.device("cuda", rank) if backend == "nccl" else torch.device("cpu")
if backend == "nccl":
    torch.cuda.set_device(device)
started = time.perf_counter()
dist.init_process_group(backend, device_id=device if backend == "nccl" else None)
tensor = torch.full((1 << 20,), float(rank + 1), device=device)
dist.all_reduce(tensor)
if backend == "nccl":
    torch.cuda.synchronize()
took = time.perf_counter() - started
expected = world * (world + 1) / 2
assert torch.all(tensor == expected).item(), f"rank {rank}: got {tensor[0].item()}, expected {expected}"
if rank == 0:
    nccl = ".".join(map(str, torch.cuda.nccl.version())) if backend == "nccl" else "-"
    print(f"ALL-REDUCE OK: backend {backend}, {world} ranks, value {tensor[0].item():g} (expected {expected:g}), "
          f"init + first all_reduce {took * 1000:.0f} ms, torch {torch.__version__}, NCCL {nccl}")
dist.destroy_process_group()
EOF

echo "===== machine ====="
echo "date: $(date -u +%FT%TZ)  host: $(uname -srm)"
nvidia-smi --query-gpu=index,name,compute_cap,driver_version --format=csv
echo "\$ ip -o link"; ip -o link 2>&1 | awk '{print $2, $3, $9}'
echo "\$ ls /sys/class/infiniband"; ls /sys/class/infiniband 2>&1
echo "\$ env | grep -E '^(NCCL|GLOO|MASTER|WORLD|RANK|LOCAL_RANK)'"; env | grep -E '^(NCCL|GLOO|MASTER|WORLD|RANK|LOCAL_RANK)' || true
echo

# case NAME BACKEND [VAR=VALUE ...]: the all-reduce, then envdoctor, both with the variables set.
case_() {
    local name=$1 backend=$2
    shift 2
    echo "===== CASE: $name ====="
    echo "--- torchrun --standalone --nproc-per-node 2 allreduce.py (backend $backend, NCCL_DEBUG=WARN, timeout 120 s)"
    echo "\$ env NCCL_NVLS_ENABLE=0 $* timeout 120 torchrun ..."
    local start end
    start=$(date +%s%N)
    env "$@" ALLREDUCE_BACKEND="$backend" NCCL_DEBUG=WARN timeout 120 "$TORCHRUN" --standalone --nproc-per-node 2 \
        "$WORK/allreduce.py" >"$WORK/run.log" 2>&1
    local status=$?
    end=$(date +%s%N)
    # The lines that say what happened: the result, NCCL's warnings, the exception each rank raised.
    grep -E "ALL-REDUCE OK|NCCL WARN|Error|error|Unable|invalid|Traceback" "$WORK/run.log" | grep -v "^\s*File " | sort | uniq -c | head -20
    echo "[torchrun exit $status, $(( (end - start) / 1000000 )) ms wall]"
    echo "--- envdoctor check --python $TARGET"
    echo "\$ env NCCL_NVLS_ENABLE=0 $* envdoctor check --python $TARGET"
    env "$@" "$WORK/envdoctor" check --python "$TARGET"
    echo "[envdoctor exit $?]"
    echo
}

case_ "healthy (no setting but NCCL_NVLS_ENABLE=0)" nccl
case_ "NCCL_SOCKET_IFNAME=nope0 (breaks: no such interface)" nccl NCCL_SOCKET_IFNAME=nope0
case_ "NCCL_NET=IB (breaks: no InfiniBand device)" nccl NCCL_NET=IB
case_ "NCCL_ALGO=nonsense (breaks: unknown algorithm)" nccl NCCL_ALGO=nonsense
case_ "NCCL_PROTO=bogus (breaks: unknown protocol)" nccl NCCL_PROTO=bogus
case_ "NCCL_IB_HCA=mlx5_99 (does not break on one node)" nccl NCCL_IB_HCA=mlx5_99
case_ "NCCL_P2P_DISABLE=1 NCCL_SHM_DISABLE=1 (slower, not broken)" nccl NCCL_P2P_DISABLE=1 NCCL_SHM_DISABLE=1
case_ "NCCL_ALGO=ring NCCL_PROTO=^LL128 (near-miss: valid names)" nccl NCCL_ALGO=ring NCCL_PROTO=^LL128
case_ "NCCL_SOCKET_IFNAME=lo (near-miss: an interface that exists)" nccl NCCL_SOCKET_IFNAME=lo
case_ "GLOO_SOCKET_IFNAME=nope0, gloo all-reduce (breaks: no such interface)" gloo GLOO_SOCKET_IFNAME=nope0
case_ "GLOO_SOCKET_IFNAME=lo, gloo all-reduce (near-miss)" gloo GLOO_SOCKET_IFNAME=lo
