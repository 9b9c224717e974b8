import os, time, torch
from torch.utils.cpp_extension import load_inline
t0 = time.time()
cuda_src = r'''
__global__ void add_one(float* x, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] += 1.0f; }
torch::Tensor run(torch::Tensor x) { add_one<<<(x.numel()+255)/256, 256>>>(x.data_ptr<float>(), x.numel()); return x; }
'''
m = load_inline(name="edr_probe_" + os.environ.get("TORCH_CUDA_ARCH_LIST", "default").replace(".", "_").replace(";", "_").replace("+", "p").replace(" ", "_"),
                cpp_sources="torch::Tensor run(torch::Tensor x);", cuda_sources=cuda_src, functions=["run"], verbose=False)
print(f"built in {time.time()-t0:.1f}s", flush=True)
x = torch.zeros(8, device="cuda")
m.run(x); torch.cuda.synchronize()
print("result", x.tolist(), flush=True)
