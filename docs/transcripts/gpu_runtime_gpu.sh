#!/usr/bin/env bash
# Run on the 2-GPU H200 machine (device tool, kind nvidia-h200-x2) from the repository root, with
# dist/ carried (an envdoctor wheel). No network is needed.
# Issue 19, parts 2 and 3: the JIT toolchain checks (JIT001-JIT007) and the multi-GPU probe
# (MGPU001-MGPU002) against the machine's real torch (/opt/torch/.venv: torch 2.11+cu130,
# triton 3.6), each breakage made on purpose next to the real failure it predicts:
#   1. healthy: `check --deep` - no finding of ours; the JIT build and the all-reduce pass, with times;
#   2. TORCH_CUDA_ARCH_LIST=8.0 on sm_90: JIT003 (static) and JIT007 (--deep), next to a real
#      load_inline kernel whose launch fails;
#   3. the four NCCL breakages of the issue: NCL001-003 and MGPU001 with NCCL's own text (the failing
#      torchrun of each is nccl_settings_gpu.sh's); the settings that must not be errors
#      (NCCL_IB_HCA=mlx5_99, P2P/SHM disabled);
#   4. timing: `python -c 'import torch'` against `envdoctor check --deep` (3 runs each; bound <= 3x).
# Multicast stays off throughout (NCCL_NVLS_ENABLE=0), as on every run on this machine.
# Writes everything it runs and prints to $OUT/transcript.txt.
set -u
export NCCL_NVLS_ENABLE=0
T="$OUT/transcript.txt"
PY=/opt/torch/.venv/bin/python3
TARGET=/opt/torch/.venv
LIMIT=600  # seconds any one command may take
run() { echo "\$ $*" >>"$T"; timeout "$LIMIT" "$@" >>"$T" 2>&1; echo "[exit $?]" >>"$T"; echo >>"$T"; }
note() { echo "# $*" >>"$T"; }
{ echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm), $(nproc) cores"; echo; } >"$T"

$PY -m pip install -q --no-deps --target /tmp/site dist/envdoctor-*.whl >>"$T" 2>&1
cat >/tmp/envdoctor <<EOF
#!$PY
import sys
sys.path.insert(0, "/tmp/site")
from envdoctor.launch import main
main()
EOF
chmod +x /tmp/envdoctor
ED=/tmp/envdoctor

note "--- the machine as the checks see it"
run nvidia-smi --query-gpu=index,name,compute_cap,driver_version --format=csv
run nvidia-smi topo -m
run sh -c 'echo CUDA_HOME=${CUDA_HOME-unset}; command -v nvcc; ls -d /usr/local/cuda* 2>&1; nvcc --version 2>&1 | tail -2'
run sh -c 'gcc --version | head -1; command -v ninja || echo "no ninja on PATH"; ls /opt/torch/.venv/bin/ninja 2>&1'
run $PY -c 'import torch; print(torch.__version__, torch.version.cuda, torch.cuda.device_count(), torch.cuda.get_arch_list())'
run $ED snapshot --python "$TARGET" --no-scan -o /tmp/facts.json
run $PY -c 'import json; d = json.load(open("/tmp/facts.json")); print(json.dumps(d["toolchain"], indent=1))'

note "--- 1. healthy: check --deep (expect no JIT/MGPU finding; deep.jit_build and deep.multi_gpu say ok)"
run $ED check --deep --python "$TARGET" --no-scan
run $ED snapshot --deep --python "$TARGET" --no-scan -o /tmp/deep.json
run $PY -c '
import json
deep = json.load(open("/tmp/deep.json"))["deep"]
print("jit_build:", json.dumps(deep.get("jit_build")))
multi = deep.get("multi_gpu") or {}
print("all_reduce:", json.dumps(multi.get("all_reduce")))
print("peer_access:", multi.get("peer_access"))
print("topology:", json.dumps(multi.get("topology")), multi.get("topology_source"))'

note "--- 2. TORCH_CUDA_ARCH_LIST=8.0 on sm_90"
run env TORCH_CUDA_ARCH_LIST=8.0 $ED check --python "$TARGET" --no-scan --select JIT
run env TORCH_CUDA_ARCH_LIST=8.0 $ED check --deep --python "$TARGET" --no-scan --select JIT,MGPU
note "the same setting, a real load_inline build and launch (torch.utils.cpp_extension, ninja, nvcc):"
rm -rf /tmp/li-arch80 && mkdir -p /tmp/li-arch80
cat >/tmp/li_probe.py <<'EOF'
import sys, time
import torch
from torch.utils.cpp_extension import load_inline
started = time.time()
module = load_inline(
    name="li_arch_probe", build_directory=sys.argv[1], verbose=False, functions=["add_one"],
    cpp_sources="torch::Tensor add_one(torch::Tensor x);",
    cuda_sources="""
#include <c10/cuda/CUDAException.h>
__global__ void add_one_kernel(float* x, int n) { int i = threadIdx.x; if (i < n) x[i] += 1.0f; }
torch::Tensor add_one(torch::Tensor x) {
    auto y = x.clone();
    add_one_kernel<<<1, 32>>>(y.data_ptr<float>(), (int) y.numel());
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return y;
}""")
print("built in %.1f s" % (time.time() - started))
out = module.add_one(torch.zeros(32, device="cuda"))
torch.cuda.synchronize()
print("launched:", out[:4].tolist())
EOF
run env TORCH_CUDA_ARCH_LIST=8.0 $PY /tmp/li_probe.py /tmp/li-arch80
rm -rf /tmp/li-arch90 && mkdir -p /tmp/li-arch90
note "its healthy neighbour, TORCH_CUDA_ARCH_LIST=9.0:"
run env TORCH_CUDA_ARCH_LIST=9.0 $PY /tmp/li_probe.py /tmp/li-arch90
rm -rf /tmp/li-arch80 /tmp/li-arch90

note "--- 3. NCCL settings: the all-reduce of check --deep (MGPU001) and the static NCCL checks;"
note "    the real torchrun for each setting is nccl_settings_gpu.sh's, run beside this script"
for setting in NCCL_SOCKET_IFNAME=nope0 NCCL_NET=IB NCCL_ALGO=nonsense NCCL_PROTO=bogus \
               NCCL_IB_HCA=mlx5_99 "NCCL_P2P_DISABLE=1 NCCL_SHM_DISABLE=1"; do
  note "setting: $setting"
  run env $setting $ED check --deep --python "$TARGET" --no-scan --select NCL,DST,MGPU,JIT
done

note "--- 4. timing: 3 runs each, taking turns; median wall time (bound: check --deep <= 3x import torch)"
$PY - >>"$T" 2>&1 <<EOF
import statistics, subprocess, time
rows = [
    ("python -c 'import torch'", ["$PY", "-c", "import torch"]),
    ("envdoctor check --deep", ["$ED", "check", "--deep", "--python", "$TARGET", "--no-scan"]),
]
samples = {name: [] for name, _ in rows}
for _ in range(3):
    for name, command in rows:
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp", timeout=$LIMIT)
        samples[name].append(time.perf_counter() - start)
base = statistics.median(samples["python -c 'import torch'"])
print("| command | runs (s) | median s | ratio |")
print("|---|---|---:|---:|")
for name, _ in rows:
    runs = ", ".join("%.2f" % s for s in samples[name])
    median = statistics.median(samples[name])
    print(f"| {name} | {runs} | {median:.2f} | {median / base:.2f}x |")
EOF
echo "[exit $?]" >>"$T"
