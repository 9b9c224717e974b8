"""Facts about building GPU kernels at run time and about running on several GPUs.

`JitToolchain` is what the probe reads without importing anything (probe/in_target/
toolchain_reader.py): the CUDA toolkit found the way torch.utils.cpp_extension finds it,
its nvcc, the host compiler nvcc will run and the range the toolkit's host_config.h
accepts, ninja, the arch-list variables and the JIT cache folders.  `JitBuild` and
`MultiGpu` are what `--deep` adds by doing it: one JIT build and kernel launch, one
all-reduce across every local GPU, the peer-access matrix and `nvidia-smi topo -m`.
"""

from __future__ import annotations

from dataclasses import field
from typing import Dict, Optional, Tuple

from envdoctor.model.record import Record, record


@record
class HostCompiler(Record):
    """The compiler nvcc runs for host code: $CC (torch passes it as -ccbin), $NVCC_CCBIN, else gcc."""

    command: str
    via: str  # CC | NVCC_CCBIN | default
    path: Optional[str] = None  # found on the target's PATH
    family: Optional[str] = None  # gcc | clang
    version: Optional[str] = None  # "12.2.0"
    error: Optional[str] = None  # why the version could not be read


@record
class HostCompilerRange(Record):
    """The host compilers the toolkit's nvcc accepts, from the #error checks of crt/host_config.h."""

    source: str  # the header read
    gcc_max_major: Optional[int] = None  # `#if __GNUC__ > 15` -> 15
    clang_max_major: Optional[int] = None  # `(__clang_major__ >= 21)` -> 20
    allow_unsupported: bool = False  # -allow-unsupported-compiler in NVCC_APPEND_FLAGS/NVCC_PREPEND_FLAGS


@record
class JitCacheDir(Record):
    """A folder a JIT compiler writes its builds to."""

    module: str  # the installed module that writes there
    path: str
    via: str  # the variable that named it, or "default"
    existing: Optional[str] = None  # the folder itself, or its nearest existing parent
    writable: Optional[bool] = None  # can this user create and write files there
    free_bytes: Optional[int] = None


@record
class JitToolchain(Record):
    triggers: Tuple[str, ...] = ()  # installed modules that build kernels at run time ("torch (CUDA 13.0)")
    cuda_home: Optional[str] = None  # as torch.utils.cpp_extension._find_cuda_home finds it
    cuda_home_via: str = ""  # CUDA_HOME | CUDA_PATH | nvcc on PATH | /usr/local/cuda
    nvcc: Optional[str] = None  # CUDA_HOME/bin/nvcc, when it exists
    nvcc_version: Optional[str] = None  # "13.0", from `nvcc --version` as torch reads it
    nvcc_source: str = ""
    nvcc_error: Optional[str] = None
    compiler: Optional[HostCompiler] = None
    compiler_range: Optional[HostCompilerRange] = None
    ninja: Optional[str] = None  # ninja on the target's PATH
    ninja_beside_interpreter: Optional[str] = None  # the venv's bin/ninja, found only when PATH holds it
    arch_lists: Dict[str, str] = field(default_factory=dict)  # TORCH_CUDA_ARCH_LIST, FLASHINFER_CUDA_ARCH_LIST, ... as set
    cache_dirs: Tuple[JitCacheDir, ...] = ()
    seconds: float = 0.0


@record
class JitBuild(Record):
    """`--deep`: a one-line CUDA kernel built by the toolkit's nvcc with torch's arch flags, loaded
    with cuModuleLoadData and launched (probe/in_target/jit_build_probe.py)."""

    outcome: str  # ok | build-failed | launch-failed | wrong-result | timeout | crash
    error: Optional[str] = None  # the compiler's or CUDA's own message (last lines)
    seconds: float = 0.0
    arch_list: Optional[str] = None  # TORCH_CUDA_ARCH_LIST in force for the build


@record
class AllReduce(Record):
    """`--deep` on >= 2 GPUs: one process per GPU, dist.all_reduce of each rank's number."""

    backend: str  # nccl (gloo: the CPU-side tests)
    world_size: int
    outcome: str  # ok | failed | wrong-result | timeout
    seconds: float = 0.0
    expected: Optional[float] = None
    observed: Optional[float] = None
    error: Optional[str] = None  # the first rank's error, with NCCL's WARN lines
    nccl_log: Tuple[str, ...] = ()  # NCCL_DEBUG=WARN lines captured from the ranks
    environment: Dict[str, str] = field(default_factory=dict)  # what the probe set for the ranks (NCCL_NVLS_ENABLE=0, ...)


@record
class MultiGpu(Record):
    device_count: int = 0
    peer_access: Tuple[Tuple[bool, ...], ...] = ()  # [i][j]: torch.cuda.can_device_access_peer(i, j)
    topology: Dict[str, Dict[str, str]] = field(default_factory=dict)  # `nvidia-smi topo -m`: GPU0 -> {GPU1: NV18, ...}
    topology_source: str = ""
    all_reduce: Optional[AllReduce] = None
