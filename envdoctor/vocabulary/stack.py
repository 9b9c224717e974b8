"""The ML stack, defined once.

Every other module takes these names from here (the layer test greps for them): which
distributions are "the stack" (scanned by default, compared first by `diff`, listed in a
bug report), which top-level modules `--deep` imports and in which order, and which
environment variables change what the stack does.
"""

from __future__ import annotations

# Distribution names (canonical, PEP 503) of one family each: a check that is about one
# package names it through these constants, so grep finds each name here alone.
TORCH = "torch"
TORCHVISION = "torchvision"
TORCHAUDIO = "torchaudio"
TRITON = "triton"
PYTORCH_TRITON = "pytorch-triton"
PYTORCH_TRITON_ROCM = "pytorch-triton-rocm"
PYTORCH_TRITON_XPU = "pytorch-triton-xpu"
TRITON_KERNELS = "triton-kernels"
FLASHINFER_PYTHON = "flashinfer-python"
FLASHINFER = "flashinfer"
FLASHINFER_CUBIN = "flashinfer-cubin"
FLASHINFER_JIT_CACHE = "flashinfer-jit-cache"
SGLANG = "sglang"
SGL_KERNEL = "sgl-kernel"
VLLM = "vllm"
XFORMERS = "xformers"
FLASH_ATTN = "flash-attn"
AITER = "aiter"
AMD_AITER = "amd-aiter"
DEEP_GEMM = "deep-gemm"
LMDEPLOY = "lmdeploy"
NUMPY = "numpy"
TRANSFORMERS = "transformers"
ACCELERATE = "accelerate"

# Every distribution that provides the `triton` module (torch pins one of them).
TRITON_DISTRIBUTIONS = (TRITON, PYTORCH_TRITON, PYTORCH_TRITON_ROCM, PYTORCH_TRITON_XPU)
FLASHINFER_DISTRIBUTIONS = (FLASHINFER_PYTHON, FLASHINFER)
FLASHINFER_COMPANIONS = (FLASHINFER_CUBIN, FLASHINFER_JIT_CACHE)
# Serving engines that pin FlashInfer.
ENGINES = (SGLANG, VLLM)

# The names above that make a package part of the stack when it requires one of them
# (vocabulary/stack_membership.py): all but numpy, which half of PyPI requires without
# being anything like torch.
MEMBERSHIP_SEEDS = frozenset({
    TORCH, TORCHVISION, TORCHAUDIO, *TRITON_DISTRIBUTIONS, TRITON_KERNELS, *FLASHINFER_DISTRIBUTIONS,
    *FLASHINFER_COMPANIONS, SGLANG, SGL_KERNEL, VLLM, XFORMERS, FLASH_ATTN, AITER, AMD_AITER, DEEP_GEMM,
    LMDEPLOY, TRANSFORMERS, ACCELERATE,
})
# Every distribution named above.  A member of the stack outside these joined it through its
# requirements; the named ones keep their own scan and --deep decisions below.
NAMED = MEMBERSHIP_SEEDS | {NUMPY}

# Scanned when installed, without being asked: the packages whose imports break most, and
# every package that joins the stack through its requirements (stack_membership.py).
SCAN_DEFAULTS = (
    SGLANG, SGL_KERNEL, VLLM, FLASHINFER_PYTHON, FLASHINFER, TRITON_KERNELS, AITER, AMD_AITER, XFORMERS, LMDEPLOY,
)

# Distributions whose versions a stack bug report needs, when installed.
REPORTED = (
    TORCH, TORCHVISION, TORCHAUDIO, TRITON, PYTORCH_TRITON_ROCM, TRITON_KERNELS, FLASHINFER_PYTHON,
    FLASHINFER_CUBIN, FLASHINFER_JIT_CACHE, SGLANG, SGL_KERNEL, VLLM, XFORMERS, FLASH_ATTN, AITER,
    DEEP_GEMM, TRANSFORMERS, ACCELERATE, NUMPY,
    "nvidia-nccl-cu12", "nvidia-cudnn-cu12", "nvidia-nccl-cu13",
)
# The wheels that ship NCCL (libnccl.so.2), newest CUDA first.
NCCL_DISTRIBUTIONS = ("nvidia-nccl-cu13", "nvidia-nccl-cu12", "nvidia-nccl-cu11")

# Distributions whose change `diff` rates as stack changes: these names and prefixes.
DIFF_NAMES = frozenset({
    TORCH, TRITON, PYTORCH_TRITON, PYTORCH_TRITON_ROCM, TRITON_KERNELS, TORCHVISION, TORCHAUDIO,
    SGLANG, SGL_KERNEL, VLLM, XFORMERS, AITER, AMD_AITER, DEEP_GEMM, LMDEPLOY, NUMPY,
    TRANSFORMERS, ACCELERATE, "cupy", "jax", "jaxlib", "tensorrt", "onnxruntime-gpu",
})
DIFF_PREFIXES = ("nvidia-", "flashinfer", "cuda-", "torch-", "cupy-")

# Top-level import names, where a check or the probe talks about the module rather than
# the distribution (triton the module can come from four distributions).
TORCH_MODULE = "torch"
TRITON_MODULE = "triton"
TRITON_KERNELS_MODULE = "triton_kernels"
FLASHINFER_MODULE = "flashinfer"
SGL_KERNEL_MODULE = "sgl_kernel"
SGLANG_MODULE = "sglang"
VLLM_MODULE = "vllm"
AITER_MODULE = "aiter"
XFORMERS_MODULE = "xformers"
FLASH_ATTN_MODULE = "flash_attn"
DEEP_GEMM_MODULE = "deep_gemm"
TORCHVISION_MODULE = "torchvision"
TORCHAUDIO_MODULE = "torchaudio"
LMDEPLOY_MODULE = "lmdeploy"

# Top-level modules `--deep` imports, in the order they are started: torch first,
# because it takes longest and the others mostly import it too.  The top-level modules of
# every package that joins the stack through its requirements follow them.
DEEP_MODULES = (
    TORCH_MODULE, TRITON_MODULE, TRITON_KERNELS_MODULE, FLASHINFER_MODULE, SGL_KERNEL_MODULE, SGLANG_MODULE,
    VLLM_MODULE, AITER_MODULE, XFORMERS_MODULE, FLASH_ATTN_MODULE, DEEP_GEMM_MODULE, TORCHVISION_MODULE,
    TORCHAUDIO_MODULE, LMDEPLOY_MODULE,
)
# Modules that build GPU kernels at run time with the CUDA toolkit (nvcc, the host compiler,
# ninja): the JIT toolchain checks judge the toolchain only where one of them is installed
# (torch only as a CUDA build).  The probe records which ones triggered.
JIT_MODULES = (TORCH_MODULE, FLASHINFER_MODULE, SGLANG_MODULE, SGL_KERNEL_MODULE, DEEP_GEMM_MODULE, VLLM_MODULE,
               XFORMERS_MODULE)
# Modules that compile every kernel on first use whatever the user does (not only on an explicit
# torch.utils.cpp_extension.load): a missing toolkit is a problem with one of these.  FlashInfer
# is judged by knowledge-base rule KB004 (its JIT-cache package makes nvcc unnecessary).
RUNTIME_JIT_MODULES = (DEEP_GEMM_MODULE,)
# The JIT cache folders: (module, variable naming the folder, variable naming its base, default
# base, path under the base).  torch.utils.cpp_extension: TORCH_EXTENSIONS_DIR, else
# torch._appdirs.user_cache_dir (XDG_CACHE_HOME or ~/.cache)/torch_extensions; FlashInfer's
# jit/env.py: FLASHINFER_WORKSPACE_BASE (default ~)/.cache/flashinfer; Triton:
# TRITON_CACHE_DIR, else (TRITON_HOME or ~)/.triton/cache.
JIT_CACHES = (
    (TORCH_MODULE, "TORCH_EXTENSIONS_DIR", "XDG_CACHE_HOME", "~/.cache", "torch_extensions"),
    (FLASHINFER_MODULE, "", "FLASHINFER_WORKSPACE_BASE", "~", ".cache/" + FLASHINFER_MODULE),
    (TRITON_MODULE, "TRITON_CACHE_DIR", "TRITON_HOME", "~", ".triton/cache"),
)
# Packages whose .py files the probe lists (a check compares them with what an engine imports).
LISTED_PACKAGES = (TRITON_KERNELS_MODULE,)

# Environment variables the probe collects: names starting with these.
ENVIRONMENT_PREFIXES = (
    "PYTHON", "VIRTUAL_ENV", "CONDA_", "PIP_", "UV_", "LD_LIBRARY_PATH", "LD_PRELOAD",
    "CUDA_", "HIP_", "ROCR_", "ROCM_", "HSA_", "NCCL_", "TORCH_", "TRITON_", "SGLANG_",
    "VLLM_", "FLASHINFER_", "PYTORCH_", "DYLD_",
    # torch.distributed's rendezvous and Gloo (what torchrun sets, and what a job script sets by hand)
    "MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GLOO_",
)

# Environment variables that change what the stack does (which GPUs, which libraries, which code).
BEHAVIOUR_VARIABLES = frozenset({
    "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDA_HOME", "CUDA_PATH", "ROCM_PATH",
    "LD_LIBRARY_PATH", "LD_PRELOAD", "DYLD_LIBRARY_PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH",
    "PYTHONNOUSERSITE", "TORCH_CUDA_ARCH_LIST", "PYTORCH_CUDA_ALLOC_CONF", "CUDA_LAUNCH_BLOCKING",
    "NCCL_P2P_DISABLE", "NCCL_IB_DISABLE", "TRITON_CACHE_DIR", "PYTORCH_ENABLE_MPS_FALLBACK", "HSA_OVERRIDE_GFX_VERSION",
})


def is_stack(name: str) -> bool:
    """A distribution `diff` treats as part of the stack (canonical name)."""
    return name in DIFF_NAMES or name.startswith(DIFF_PREFIXES)
