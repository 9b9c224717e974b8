#!/bin/bash
# Exploration of the 2-GPU machine for issue 19 (facts the checks need; the breakages reproduced).
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PYTHONUNBUFFERED=1
h() { echo; echo "=================== $*"; }
h machine; uname -a; nvidia-smi -L; nvidia-smi --query-gpu=driver_version,compute_cap --format=csv
h topo; nvidia-smi topo -m
h interfaces; ip -o link 2>&1 || ls /sys/class/net; ls -l /sys/class/net; ls /sys/class/infiniband 2>&1
h env; env | grep -E 'NCCL|CUDA|TORCH|NVSHMEM|LD_LIBRARY|PATH' | sort
h toolchain; which nvcc gcc g++ ninja c++; nvcc --version; gcc --version | head -1; ls -l /usr/local/ | grep -i cuda; grep -n "__GNUC__\|_MSC_VER >\|__clang_major__" /usr/local/cuda/include/crt/host_config.h | head -20
h torch; python3 - <<'P'
import torch, torch.utils.cpp_extension as ce
print(torch.__version__, torch.version.cuda, torch.cuda.nccl.version(), torch.cuda.get_arch_list(), torch.cuda.device_count())
print("CUDA_HOME", ce.CUDA_HOME)
for i in range(torch.cuda.device_count()):
  print(i, torch.cuda.get_device_capability(i), [torch.cuda.can_device_access_peer(i, j) for j in range(torch.cuda.device_count()) if j != i])
P
python3 -m pip list 2>/dev/null | grep -iE "nccl|ninja|nvidia-cuda|cuda-toolkit"; ldconfig -p | grep -iE "nccl|libcuda\.so"
h time import torch; for i in 1 2 3; do /usr/bin/time -f "%e s" python3 -c 'import torch'; done
run_ar() { h "torchrun all-reduce: $*"; ( export "$@"; s=$(date +%s.%N); timeout 90 torchrun --nproc-per-node 2 --master-port 29517 2026-11-30-h200x2-explore-allreduce.py 2>&1 | grep -vE "^\s*$" | tail -25; echo "rc=${PIPESTATUS[0]} wall=$(echo "$(date +%s.%N) - $s" | bc)s" ); }
run_ar HEALTHY=1
run_ar NCCL_SOCKET_IFNAME=nope0
run_ar NCCL_NET=IB
run_ar NCCL_ALGO=nonsense
run_ar NCCL_PROTO=bogus
run_ar NCCL_IB_HCA=mlx5_99
run_ar NCCL_P2P_DISABLE=1 NCCL_SHM_DISABLE=1
run_ar NCCL_SOCKET_IFNAME=^lo
run_ar NCCL_ALGO=ring NCCL_PROTO=LL128
h "jit load_inline TORCH_CUDA_ARCH_LIST=9.0"; ( export TORCH_CUDA_ARCH_LIST=9.0; s=$(date +%s); timeout 240 python3 2026-11-30-h200x2-explore-jit-inline.py 2>&1 | tail -8; echo "rc=${PIPESTATUS[0]} $(( $(date +%s)-s ))s" )
h "jit load_inline TORCH_CUDA_ARCH_LIST=8.0"; ( export TORCH_CUDA_ARCH_LIST=8.0; s=$(date +%s); timeout 240 python3 2026-11-30-h200x2-explore-jit-inline.py 2>&1 | tail -8; echo "rc=${PIPESTATUS[0]} $(( $(date +%s)-s ))s" )
