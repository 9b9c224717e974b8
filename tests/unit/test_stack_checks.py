"""The ML-stack checks (GPU, ENV, TOR, FLI, TRK, MPS, ROC, STK) and the knowledge-base rules (KB) on facts:
a positive and a negative case per code, then the details that decide severity and wording."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from envdoctor.checks.gpu import arch_supports
from envdoctor.engine import run_checks
from envdoctor.errors import PluginError
from envdoctor.kb import builtin_rule_files, load_rules
from envdoctor.model.facts import Deep, Facts, from_dict
from envdoctor.model.toolchain_facts import JitToolchain
from envdoctor.model.finding import Severity
from envdoctor.registry import load_registry
from envdoctor.vocabulary.installed import torch_build
from envdoctor.vocabulary.installer import fix_command
from tests.unit.test_numpy_abi import numpy_env
from tests.helpers.facts import H100, SITE, dist, import_problem, import_scan, make_facts, module, nvidia, torch_version_py


def findings(facts, code):
    spec = load_registry().by_code()[code]
    return list(run_checks([spec], facts).findings)


TORCH_CU130 = dist("torch", "2.11.0+cu130", requires=['triton==3.6.0; platform_system == "Linux" and platform_machine == "x86_64"'])


def cuda_machine(*, torch=None, gpus=(H100,), driver_cuda="13.0", env=None, dists=(), deep=None, libraries=(), **stack):
    torch = torch or torch_version_py("2.11.0+cu130", cuda="13.0")
    return make_facts(
        dists=[TORCH_CU130, dist("triton", "3.6.0"), *dists],
        stack={"torch": torch, "nvidia": nvidia(*gpus, cuda=driver_cuda), "libraries": list(libraries), **stack},
        environment=env, deep=deep,
    )


def deep_torch(**torch):
    runtime = {"version": "2.11.0+cu130", "cuda": "13.0", "cuda_available": True, "device_count": 1,
               "arch_list": ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120", "compute_120"],
               "devices": [{"index": 0, "name": H100[0], "capability": "9.0"}], "kernel": "ok"}
    runtime.update(torch)
    return {"imports": [{"module": "torch", "ok": True, "outcome": "ok", "seconds": 2.0}], "torch": runtime}


def apple(machine="arm64", translated=False, torch=None, deep=None, dists=(), imports=None):
    return make_facts(
        dists=[dist("torch", "2.13.0"), *dists],
        markers={"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": machine},
        stack={"torch": torch_version_py("2.13.0"), "apple": {"macos_version": "15.1", "machine": machine, "translated": translated}},
        deep=deep, imports=imports,
    )


def rocm_machine(system="6.4.1", torch_local="rocm6.4", env=None, modules=None, dists=()):
    return make_facts(
        dists=[dist("torch", f"2.9.0+{torch_local}"), *dists],
        stack={"torch": torch_version_py(f"2.9.0+{torch_local}", hip=torch_local[4:] + ".43482"),
               "rocm": {"version": system, "path": "/opt/rocm", "source": "/opt/rocm/.info/version", "gfx_targets": ["gfx942"]}},
        environment=env, modules=modules,
    )


def flashinfer(cubin="0.6.11.post1", jit="0.6.11.post1+cu130"):
    return make_facts(dists=[dist("torch", "2.11.0+cu130"), dist("flashinfer-python", "0.6.11.post1"),
                             dist("flashinfer-cubin", cubin), dist("flashinfer-jit-cache", jit)],
                      stack={"torch": torch_version_py("2.11.0+cu130", cuda="13.0")})


def sglang(pin="0.6.11.post1", installed="0.6.11.post1", files=None):
    dists = [dist("sglang", "0.5.23", requires=[f"flashinfer_python=={pin}"]), dist("flashinfer-python", installed)]
    modules = {}
    stack = {}
    if files is not None:
        dists.append(dist("triton-kernels", "1.0.0", top_level=["triton_kernels"]))
        dists.append(dist("triton", "3.6.0"))
        modules["triton_kernels"] = module("triton_kernels", f"{SITE}/triton_kernels/__init__.py")
        stack["package_files"] = {"triton_kernels": files}
    return make_facts(dists=dists, modules=modules, stack=stack)


TRK_FILES = ["__init__.py", "matmul_ogs.py", "tensor.py", "topk.py", "tensor_details/ragged_tensor.py"]


def triton_kernels(files=TRK_FILES, triton="3.6.0", namespace=False):
    dists = [dist("triton-kernels", "1.0.0", top_level=["triton_kernels"])]
    if triton:
        dists.append(dist("triton", triton))
    origin = None if namespace else f"{SITE}/triton_kernels/__init__.py"
    return make_facts(dists=dists, modules={"triton_kernels": module("triton_kernels", origin, namespace=namespace,
                                                                     locations=["/work/triton_kernels"] if namespace else [])},
                      stack={"package_files": {"triton_kernels": files}})


def plain(*dists, python="3.11.7", **kwargs):
    return make_facts(dists=list(dists), markers={"python_full_version": python}, **kwargs)


def triton_importer(guarded=False, extra_dists=(), markers=None):
    """A CPU-only Linux machine where sglang imports triton at module level."""
    return make_facts(dists=[dist("sglang", "0.5.23"), *extra_dists], markers=markers, imports=import_scan(import_problem(
        "uninstalled", "triton", "triton", importer="sglang 0.5.23", eager=True, guarded=guarded, statement="import triton")))


def jit_machine(gpus=(H100,), triggers=("torch (CUDA 13.0)",), **toolchain):
    """A CUDA 13.0 torch on an H100 with a healthy JIT toolchain, `toolchain` fields replaced."""
    healthy = {"triggers": list(triggers), "cuda_home": "/usr/local/cuda-13.0", "cuda_home_via": "CUDA_HOME",
               "nvcc": "/usr/local/cuda-13.0/bin/nvcc", "nvcc_version": "13.0",
               "nvcc_source": "/usr/local/cuda-13.0/bin/nvcc --version",
               "compiler": {"command": "gcc", "via": "default", "path": "/usr/bin/gcc", "family": "gcc", "version": "12.2.0"},
               "compiler_range": {"source": "/usr/local/cuda-13.0/include/crt/host_config.h", "gcc_max_major": 15,
                                  "clang_max_major": 20},
               "ninja": "/usr/bin/ninja",
               "cache_dirs": [{"module": "torch", "path": "/home/u/.cache/torch_extensions", "via": "default",
                               "existing": "/home/u/.cache", "writable": True, "free_bytes": 50 << 30}]}
    healthy.update(toolchain)
    facts = cuda_machine(gpus=gpus)
    return dataclasses.replace(facts, toolchain=from_dict(JitToolchain, healthy))


def deep_gpus(jit_build=None, all_reduce=None, peer_access=((False, True), (True, False)), **toolchain):
    """jit_machine's facts with --deep's JIT build and two-GPU all-reduce (healthy unless given)."""
    facts = jit_machine(gpus=(H100, H100), **toolchain)
    reduce = {"backend": "nccl", "world_size": 2, "outcome": "ok", "expected": 3.0, "observed": 3.0, "seconds": 0.4,
              "environment": {"NCCL_NVLS_ENABLE": "0", "NCCL_DEBUG": "WARN"}}
    reduce.update(all_reduce or {})
    deep = deep_torch(device_count=2)
    deep["jit_build"] = {"outcome": "ok", "seconds": 1.2, **(jit_build or {})}
    deep["multi_gpu"] = {"device_count": 2, "peer_access": [list(row) for row in peer_access],
                         "topology": {"GPU0": {"GPU1": "NV18"}, "GPU1": {"GPU0": "NV18"}},
                         "topology_source": "nvidia-smi topo -m", "all_reduce": reduce}
    return dataclasses.replace(facts, deep=from_dict(Deep, deep))
SGL_OPS = "/venv/lib/python3.11/site-packages/sgl_kernel/common_ops.cpython-311-x86_64-linux-gnu.so"


def unresolved(kind="symbol", name="_ZN3c104cuda9SetDeviceEab", libraries=(("libc10.so", "/venv/torch/lib/libc10.so", "already loaded"),),
               **extra):
    return {"kind": kind, "extension": SGL_OPS, "module": "sgl_kernel.common_ops", "distribution": "sgl-kernel",
            "distribution_version": "0.3.0", "needed_by": SGL_OPS, "name": name,
            "libraries": [{"name": n, "path": p, "via": v} for n, p, v in libraries], **extra}


def linked(*problems, torch="2.9.1", pin="torch==2.8.0", stack=None):
    """Facts with the native linkage of sgl-kernel's extension (SYM001/SYM002)."""
    facts = make_facts(dists=[dist("torch", torch), dist("sgl-kernel", "0.3.0", requires=[pin])], stack=stack)
    linkage = Facts.from_dict({**facts.to_dict(), "native_linkage": {"extensions": 1, "problems": list(problems)}})
    return linkage


CASES = {
    # GPU
    # near-misses: the driver's CUDA exactly the build's; the same torch release as a CUDA build
    "GPU001": (lambda: cuda_machine(driver_cuda="12.4"), lambda: cuda_machine(driver_cuda="13.0"), "torch"),
    # near-miss: Turing (7.5), the oldest capability CUDA 13 still supports
    "GPU002": (lambda: cuda_machine(gpus=[("Tesla V100-SXM2-32GB", "7.0")]), lambda: cuda_machine(gpus=[("Tesla T4", "7.5")]), "gpu0"),
    "GPU003": (lambda: cuda_machine(torch=torch_version_py("2.13.0+cpu")),
               lambda: cuda_machine(torch=torch_version_py("2.13.0+cu130", cuda="13.0")), "torch"),
    "GPU004": (lambda: cuda_machine(deep=deep_torch(cuda_available=False, devices=[], device_count=0)),
               lambda: cuda_machine(deep=deep_torch()), "torch"),
    # environment variables
    "ENV001": (lambda: cuda_machine(env={"CUDA_VISIBLE_DEVICES": ""}), lambda: cuda_machine(env={"CUDA_VISIBLE_DEVICES": "0"}), "CUDA_VISIBLE_DEVICES"),
    "ENV002": (lambda: cuda_machine(dists=[dist("nvidia-nccl-cu13", "2.28.3")],
                                    libraries=[{"path": "/usr/local/nccl/lib/libnccl.so.2.21.5", "library": "nccl", "version": "2.21.5"}]),
               lambda: cuda_machine(dists=[dist("nvidia-nccl-cu13", "2.28.3")],
                                    libraries=[{"path": "/usr/local/cuda-11/lib64/libcudart.so.11.0", "library": "cudart", "version": "11.0"}]),
               "/usr/local/nccl/lib/libnccl.so.2.21.5"),
    # near-miss: the same library, found through LD_LIBRARY_PATH instead of forced by LD_PRELOAD
    "ENV003": (lambda: cuda_machine(libraries=[{"path": "/opt/nccl/libnccl.so.2", "library": "nccl", "version": "2", "via": "LD_PRELOAD"}]),
               lambda: cuda_machine(libraries=[{"path": "/opt/nccl/libnccl.so.2", "library": "nccl", "version": "2", "via": "LD_LIBRARY_PATH"}]),
               "/opt/nccl/libnccl.so.2"),
    # torch and its companions
    "TOR001": (lambda: make_facts(dists=[TORCH_CU130, dist("triton", "3.5.1")]),
               lambda: make_facts(dists=[TORCH_CU130, dist("triton", "3.6.0")]), "torch"),
    "TOR002": (lambda: make_facts(dists=[dist("triton", "3.6.0"), dist("pytorch-triton-rocm", "3.6.0", top_level=["triton"])]),
               lambda: make_facts(dists=[dist("triton", "3.6.0")]), "triton"),
    "TOR003": (lambda: make_facts(dists=[dist("torch", "2.11.0+cu130"), dist("torchvision", "0.25.0+cu130")]),
               lambda: make_facts(dists=[dist("torch", "2.11.0+cu130"), dist("torchvision", "0.26.0+cu130"), dist("torchaudio", "2.11.0+cu130")]),
               "torchvision"),
    # FlashInfer
    "FLI001": (lambda: flashinfer(cubin="0.6.8"), flashinfer, "flashinfer-cubin"),
    "FLI002": (lambda: sglang(installed="0.6.8"), sglang, "sglang"),
    # triton_kernels
    "TRK001": (lambda: triton_kernels(files=["__init__.py"]), triton_kernels, "triton_kernels"),
    "TRK002": (lambda: triton_kernels(triton=None), triton_kernels, "triton_kernels"),
    # Apple
    "MPS001": (lambda: apple(deep=deep_torch(cuda_available=False, mps_built=True, mps_available=False, kernel=None)),
               lambda: apple(deep=deep_torch(cuda_available=False, mps_built=True, mps_available=True, kernel="ok")), "torch"),
    "MPS002": (lambda: apple(machine="x86_64", translated=True), apple, "/venv/bin/python"),
    "MPS003": (lambda: apple(dists=[dist("sglang", "0.5.23")], imports=import_scan(import_problem(
                   "uninstalled", "triton", "triton", importer="sglang 0.5.23", eager=True, statement="import triton"))),
               lambda: apple(dists=[dist("sglang", "0.5.23")], imports=import_scan(import_problem(
                   "uninstalled", "triton", "triton", importer="sglang 0.5.23", eager=True, guarded=True))), "sglang"),
    "STK003": (lambda: triton_importer(), lambda: triton_importer(guarded=True), "sglang"),
    # ROCm
    "ROC001": (lambda: rocm_machine(system="6.2.4"), rocm_machine, "torch"),
    "ROC002": (lambda: rocm_machine(env={"SGLANG_USE_AITER": "1"}, modules={"aiter": module("aiter", None, namespace=True, locations=["/workspace/aiter"])}),
               lambda: rocm_machine(env={"SGLANG_USE_AITER": "1"}, modules={"aiter": module("aiter", f"{SITE}/aiter/__init__.py")}), "aiter"),
    # deep probes
    "STK001": (lambda: cuda_machine(deep={"imports": [{"module": "flashinfer", "ok": False, "outcome": "error",
                                                         "error": "ImportError: libcudart.so.12: cannot open shared object file"}]}),
               lambda: cuda_machine(deep=deep_torch()), "flashinfer"),
    "STK002": (lambda: cuda_machine(deep={**deep_torch(), "triton": {"version": "3.6.0", "kernel": "RuntimeError: PTX was compiled with an unsupported toolchain"}}),
               lambda: cuda_machine(deep={**deep_torch(), "triton": {"version": "3.6.0", "kernel": "ok"}}), "triton"),
    # knowledge-base rules
    "KB001": (lambda: plain(dist("vllm", "0.33.0"), dist("torch", "2.11.0+cu130")), lambda: plain(dist("vllm", "0.33.0"), dist("torch", "2.12.0")), "vllm"),
    "KB002": (lambda: sglang(pin="0.6.8", installed="0.6.11.post1"), sglang, "sglang"),
    "KB003": (lambda: sglang(pin="0.6.8", installed="0.6.8", files=TRK_FILES), lambda: sglang(pin="0.6.8", installed="0.6.8", files=TRK_FILES + ["routing.py"]), "sglang"),
    "KB004": (lambda: make_facts(dists=[dist("flashinfer-python", "0.6.11.post1")], stack={}),
              lambda: make_facts(dists=[dist("flashinfer-python", "0.6.11.post1")], stack={"cuda_toolkit": {"home": "/usr/local/cuda", "version": "13.0"}}), "flashinfer-python"),
    "KB005": (lambda: cuda_machine(torch=torch_version_py("2.6.0+cu124", cuda="12.4"), gpus=[("NVIDIA GeForce RTX 5090", "12.0")]),
              lambda: cuda_machine(gpus=[("NVIDIA GeForce RTX 5090", "12.0")]), "torch"),
    "KB006": (lambda: cuda_machine(torch=torch_version_py("2.5.1+cu124", cuda="12.4"), gpus=[("NVIDIA B200", "10.0")]),
              lambda: cuda_machine(gpus=[("NVIDIA B200", "10.0")]), "torch"),
    # near-miss: the first CUDA that supports Hopper (11.8) on the same H100
    "KB007": (lambda: cuda_machine(torch=torch_version_py("1.13.1+cu117", cuda="11.7")),
              lambda: cuda_machine(torch=torch_version_py("2.0.1+cu118", cuda="11.8")), "torch"),
    "KB008": (lambda: cuda_machine(dists=[dist("deep-gemm", "2.1.0")], gpus=[("NVIDIA A100-SXM4-80GB", "8.0")]),
              lambda: cuda_machine(dists=[dist("deep-gemm", "2.1.0")]), "deep-gemm"),
    "KB009": (lambda: plain(dist("torch", "2.3.1"), python="3.12.4"), lambda: plain(dist("torch", "2.4.0"), python="3.12.4"), "torch"),
    "KB010": (lambda: plain(dist("torch", "2.5.1"), python="3.13.1"), lambda: plain(dist("torch", "2.6.0"), python="3.13.1"), "torch"),
    "KB011": (lambda: plain(dist("flash-attn", "2.5.7"), dist("torch", "2.3.0")), lambda: plain(dist("flash-attn", "2.5.8"), dist("torch", "2.3.0")), "flash-attn"),
    "KB012": (lambda: plain(dist("torch", "2.2.2"), dist("numpy", "2.0.0")), lambda: plain(dist("torch", "2.2.2"), dist("numpy", "1.26.4")), "torch"),
    "KB013": (lambda: plain(dist("opencv-python", "4.9.0.80"), dist("numpy", "2.0.0")), lambda: plain(dist("opencv-python", "4.10.0.84"), dist("numpy", "2.0.0")), "opencv-python"),
    "KB014": (lambda: plain(dist("scipy", "1.12.0"), dist("numpy", "2.0.1")), lambda: plain(dist("scipy", "1.13.0"), dist("numpy", "2.0.1")), "scipy"),
    # native linkage; near-misses: the same extension resolved, a symbol problem is not a missing library
    "SYM001": (lambda: linked(unresolved()), lambda: linked(), "sgl_kernel.common_ops"),
    "SYM002": (lambda: linked(unresolved("library", "libcudart.so.12", libraries=())), lambda: linked(unresolved()), "sgl_kernel.common_ops"),
    "KB015": (lambda: plain(dist("pandas", "2.1.4"), dist("numpy", "2.0.0")), lambda: plain(dist("pandas", "2.2.2"), dist("numpy", "2.0.0")), "pandas"),
    # the JIT toolchain; near-misses one step from the breakage
    "JIT001": (lambda: jit_machine(cuda_home="/opt/cuda-gone", nvcc=None), lambda: jit_machine(), "CUDA_HOME"),
    "JIT002": (lambda: jit_machine(nvcc_version="12.9"), lambda: jit_machine(nvcc_version="13.0"), "torch"),
    "JIT003": (lambda: jit_machine(arch_lists={"TORCH_CUDA_ARCH_LIST": "8.0;8.6"}),
               lambda: jit_machine(arch_lists={"TORCH_CUDA_ARCH_LIST": "8.0;8.6+PTX"}), "TORCH_CUDA_ARCH_LIST"),
    "JIT004": (lambda: jit_machine(compiler_range={"source": "host_config.h", "gcc_max_major": 11}),
               lambda: jit_machine(compiler_range={"source": "host_config.h", "gcc_max_major": 12}), "gcc"),
    "JIT005": (lambda: jit_machine(ninja=None), lambda: jit_machine(), "ninja"),
    "JIT006": (lambda: jit_machine(cache_dirs=[{"module": "triton", "path": "/ro/triton", "via": "TRITON_CACHE_DIR",
                                                "existing": "/ro", "writable": False}]),
               lambda: jit_machine(cache_dirs=[{"module": "triton", "path": "/ro/triton", "via": "TRITON_CACHE_DIR",
                                                "existing": "/ro", "writable": True, "free_bytes": 2 << 30}]),
               "/ro/triton"),
    "JIT007": (lambda: deep_gpus(jit_build={"outcome": "launch-failed", "arch_list": "8.0",
                                            "error": "CUDA error 209: no kernel image is available for execution on the device"}),
               lambda: deep_gpus(), "jit-build"),
    "MGPU001": (lambda: deep_gpus(all_reduce={"outcome": "failed", "observed": None,
                                              "error": "DistBackendError: NCCL error: invalid usage"}),
                lambda: deep_gpus(), "all-reduce"),
    "MGPU002": (lambda: deep_gpus(peer_access=((False, False), (False, False))), lambda: deep_gpus(), "peer-access"),
    # Their own module: tests/unit/test_numpy_abi.py (facts with a numpy_builds section).
    "NPY001": (lambda: numpy_env(), lambda: numpy_env(numpy_1=(), numpy_2=("pandas/_libs/lib.so",), target="1.20"), "pandas"),
    "NPY002": (lambda: numpy_env("scipy", numpy="1.22.4", numpy_1=(), numpy_2=("scipy/_x.so",), target="1.23"),
               lambda: numpy_env("scipy", numpy="1.23.5", numpy_1=(), numpy_2=("scipy/_x.so",), target="1.23"), "scipy"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_positive(code):
    positive, _, subject = CASES[code]
    found = findings(positive(), code)
    assert [f.subject for f in found] == [subject]
    assert all(f.code == code and f.title and f.evidence and "{" not in f.title for f in found)


@pytest.mark.parametrize("code", sorted(CASES))
def test_negative(code):
    _, negative, _ = CASES[code]
    assert findings(negative(), code) == []


def test_at_least_fifteen_knowledge_base_rules_each_with_an_upstream_reference():
    rules = [spec for spec in load_registry().checks if spec.code.startswith("KB")]
    assert len(rules) >= 15
    assert all("References\n" in spec.doc and ("#" in spec.doc or "https://" in spec.doc) for spec in rules)


# --- details ---------------------------------------------------------------------------------------

def test_driver_same_major_older_minor_is_a_warning_not_an_error():
    (finding,) = findings(cuda_machine(torch=torch_version_py("2.9.0+cu129", cuda="12.9"), driver_cuda="12.4"), "GPU001")
    assert finding.severity is Severity.WARNING and "unsupported toolchain" in finding.message
    (finding,) = findings(cuda_machine(driver_cuda="12.4"), "GPU001")
    assert finding.severity is Severity.ERROR and "insufficient" in finding.message


def test_driver_check_falls_back_to_the_minimum_driver_table():
    facts = cuda_machine(driver_cuda=None)
    facts = make_facts(dists=[TORCH_CU130], stack={"torch": torch_version_py("2.11.0+cu130", cuda="13.0"),
                                                   "nvidia": {"driver_version": "550.54.14", "gpus": []}})
    (finding,) = findings(facts, "GPU001")
    assert ">= 580.65.06" in finding.title


@pytest.mark.parametrize("arch_list,capability,supported", [
    (("sm_80", "sm_90"), "9.0", True),
    (("sm_80", "sm_86"), "8.9", True),  # same-major SASS at or below
    (("sm_80", "sm_86"), "9.0", False),
    (("sm_80", "compute_80"), "9.0", True),  # PTX JIT-compiles for newer devices
    (("sm_90a",), "10.0", False),  # arch-specific code runs on its own major only
    (("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"), "12.0", False),  # the RTX 5090 report
    (("gfx90a", "gfx942"), "gfx942:sramecc+:xnack-", True),
    (("gfx90a",), "gfx942", False),
])
def test_arch_list_rule(arch_list, capability, supported):
    assert arch_supports(arch_list, capability) is supported


def test_arch_list_from_deep_probe_beats_the_static_minimum():
    facts = cuda_machine(gpus=[("NVIDIA GeForce RTX 5090", "12.0")],
                         deep=deep_torch(arch_list=["sm_80", "sm_90"], devices=[{"index": 0, "name": "NVIDIA GeForce RTX 5090", "capability": "12.0"}]))
    (finding,) = findings(facts, "GPU002")
    assert "sm_80 sm_90" in finding.title


@pytest.mark.parametrize("torch_version, cuda, reported", [
    ("2.6.0+cu124", "12.4", True),   # TORCH_CUDA_ARCH_LIST 5.0 ... 9.0: the RTX 5090 report
    ("2.8.0+cu128", "12.8", False),  # ... 10.0;12.0: the first official builds for Blackwell desktop
    ("2.11.0+cu130", "13.0", False),
    ("2.6.0a0+ecf3bae40a.nv25.01", "12.8", False),  # NGC's own build: the catalogue does not know its list
])
def test_without_deep_an_official_builds_arch_list_comes_from_the_catalogue(torch_version, cuda, reported):
    facts = cuda_machine(torch=torch_version_py(torch_version, cuda=cuda), gpus=[("NVIDIA GeForce RTX 5090", "12.0")])
    found = findings(facts, "GPU002")
    assert bool(found) is reported, found
    if reported:
        assert found[0].title.startswith("GPU 0 NVIDIA GeForce RTX 5090 (capability 12.0) is not in torch 2.6.0+cu124's arch list")
        assert "from the torch catalogue" in found[0].evidence[0]


def test_visible_devices_drops_everything_after_the_first_absent_entry():
    (finding,) = findings(cuda_machine(env={"CUDA_VISIBLE_DEVICES": "0,4,1"}), "ENV001")
    assert finding.severity is Severity.WARNING and "only 0 remain visible" in finding.message
    (finding,) = findings(cuda_machine(env={"CUDA_VISIBLE_DEVICES": "3"}), "ENV001")
    assert finding.severity is Severity.ERROR
    assert findings(cuda_machine(env={"CUDA_VISIBLE_DEVICES": "GPU-00000000"}), "ENV001") == []
    assert findings(cuda_machine(env={"CUDA_VISIBLE_DEVICES": "GPU-deadbeef"}), "ENV001") != []


def test_visible_devices_needs_gpus_to_judge():
    facts = make_facts(dists=[TORCH_CU130], stack={}, environment={"CUDA_VISIBLE_DEVICES": ""})
    assert findings(facts, "ENV001") == []


def test_torch_triton_pin_replaces_the_generic_requirement_finding():
    facts = make_facts(dists=[TORCH_CU130, dist("triton", "3.5.1")])
    registry = load_registry()
    run = run_checks(registry.select(["REQ", "TOR001"]), facts)
    assert [f.code for f in run.findings] == ["TOR001"]
    assert run.findings[0].fix.parameters["requirement"].startswith("triton==3.6.0")
    generic = run_checks(registry.select(["REQ"]), facts)
    assert [f.code for f in generic.findings] == ["REQ002"]  # with TOR001 ignored, REQ002 still reports it


def test_companion_build_tag_mismatch():
    facts = make_facts(dists=[dist("torch", "2.11.0+cu130"), dist("torchvision", "0.26.0+cu126")])
    (finding,) = findings(facts, "TOR003")
    assert "+cu126 build" in finding.title


def test_flashinfer_jit_cache_for_another_cuda():
    (finding,) = findings(flashinfer(jit="0.6.11.post1+cu129"), "FLI001")
    assert finding.subject == "flashinfer-jit-cache" and "built for cu129" in finding.title
    assert "https://flashinfer.ai/whl/cu130" in fix_command(finding.fix, flashinfer(jit="0.6.11.post1+cu129"))


def test_triton_kernels_sglang_probe_file_is_a_warning():
    facts = sglang(files=["__init__.py", "matmul_ogs.py", "tensor.py"])
    (finding,) = findings(facts, "TRK001")
    assert finding.severity is Severity.WARNING and "ragged_tensor" in finding.title


def test_legacy_finder_inserted_at_import_time_is_found_with_deep():
    legacy = {"class": "StubFinder", "module": "triton_stub", "file": None, "repr": "<StubFinder>", "is_class": False,
              "find_spec": False, "find_module": True}
    facts = make_facts(dists=[dist("sglang")], version=(3, 12, 3),
                       deep={"imports": [{"module": "sglang", "ok": True, "meta_path_added": [legacy]}]})
    (finding,) = findings(facts, "HOOK001")
    assert "after `import sglang`" in finding.title and finding.severity is Severity.ERROR


def test_stk003_not_where_a_gpu_triton_or_the_stub_is():
    gpu = cuda_machine(dists=[dist("sglang", "0.5.23")])
    gpu = Facts.from_dict(dict(gpu.to_dict(), imports=triton_importer().to_dict()["imports"]))
    assert findings(gpu, "STK003") == []
    assert findings(triton_importer(extra_dists=[dist("triton", "3.6.0")]), "STK003") == []
    assert findings(triton_importer(markers={"sys_platform": "darwin"}), "STK003") == []  # MPS003's case
    (finding,) = findings(triton_importer(), "STK003")
    assert finding.fix.kind == "stub" and not finding.fix.safe and "no GPU and no triton" in finding.title


def test_kb001_not_while_the_torch_patches_shim_is_active():
    facts = plain(dist("vllm", "0.33.0"), dist("torch", "2.11.0+cu130"))
    (finding,) = findings(facts, "KB001")
    assert finding.fix.kind == "shim" and finding.fix.parameters == {"fixer": "shim-torch-patches"}
    shimmed = Facts.from_dict(dict(facts.to_dict(), import_system=dict(facts.to_dict()["import_system"], shims=["torch-patches 1"])))
    assert findings(shimmed, "KB001") == []


def test_mps003_only_on_macos():
    linux = make_facts(dists=[dist("sglang", "0.5.23")], imports=import_scan(import_problem(
        "uninstalled", "triton", "triton", importer="sglang 0.5.23", eager=True)))
    assert findings(linux, "MPS003") == []


def test_rule_reinstall_fix_names_the_fixer():
    (finding,) = findings(plain(dist("torch", "2.2.2"), dist("numpy", "2.0.0")), "KB012")
    assert finding.fix.parameters == {"requirement": "numpy<2", "fixer": "install-requirement"}
    assert finding.title == "torch 2.2.2 is compiled against NumPy 1.x, but numpy 2.0.0 is installed"


def test_rule_file_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text(textwrap.dedent("""
        [[rule]]
        code = "ACME001"
        name = "acme"
        severity = "fatal"
        title = "t"
        summary = "s"
        explanation = "e"
        [rule.match]
        distributoins = { torch = "" }
    """))
    with pytest.raises(PluginError) as raised:
        load_rules([str(bad)])
    assert str(bad) in str(raised.value) and "severity" in str(raised.value) and "'distributoins'" in str(raised.value)


def test_aiter_switch_is_an_error_only_where_its_framework_is_installed():
    """SGLANG_USE_AITER is read by sglang, VLLM_ROCM_USE_AITER by vllm: without the framework a
    missing aiter breaks nothing (info); with it, the server stops at start-up (error)."""
    missing = {"aiter": module("aiter", None, namespace=True, locations=["/workspace/aiter"])}
    (alone,) = findings(rocm_machine(env={"SGLANG_USE_AITER": "1"}, modules=missing), "ROC002")
    assert alone.severity is Severity.INFO and "no sglang is installed" in alone.message
    sglang = [dist("sglang", "0.5.9")]
    (read,) = findings(rocm_machine(env={"SGLANG_USE_AITER": "1"}, modules=missing, dists=sglang), "ROC002")
    assert read.severity is Severity.ERROR and read.message.startswith("sglang imports aiter's kernels")
    (other,) = findings(rocm_machine(env={"VLLM_ROCM_USE_AITER": "1"}, modules=missing, dists=sglang), "ROC002")
    assert other.severity is Severity.INFO  # sglang does not read vLLM's switch


def test_kb004_not_with_the_jit_cache_installed():
    """The JIT cache holds the kernels nvcc would build: no toolkit is needed beside it."""
    facts = make_facts(dists=[dist("flashinfer-python", "0.6.11.post1"), dist("flashinfer-jit-cache", "0.6.11.post1+cu130")], stack={})
    assert findings(facts, "KB004") == []


def test_kb008_is_info_since_the_frameworks_leave_deep_gemm_off_below_sm90():
    (finding,) = findings(cuda_machine(dists=[dist("deep-gemm", "2.1.0")], gpus=[("NVIDIA A100-SXM4-80GB", "8.0")]), "KB008")
    assert finding.severity is Severity.INFO


def test_every_shipped_rule_says_why_it_has_its_severity():
    rules = load_rules(builtin_rule_files())
    assert [rule.code for rule in rules if not rule.severity_reason] == []


def test_distributions_absent_must_be_a_list_of_names(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text(textwrap.dedent("""
        [[rule]]
        code = "ACME002"
        name = "acme"
        severity = "info"
        severity_reason = "nothing breaks"
        title = "t"
        summary = "s"
        explanation = "e"
        [rule.match]
        distributions_absent = "flashinfer-jit-cache"
    """))
    with pytest.raises(PluginError) as raised:
        load_rules([str(bad)])
    assert "distributions_absent must be a list" in str(raised.value)


@pytest.mark.parametrize("torch,companion,severity", [
    ("2.11.0+cu128", ("torchvision", "0.26.0+cu126"), Severity.INFO),  # torchvision >= 0.16 checks the CUDA major only
    ("2.11.0+cu130", ("torchvision", "0.26.0+cu126"), Severity.ERROR),  # another CUDA major
    ("2.11.0+cu128", ("torchvision", "0.26.0+cpu"), Severity.ERROR),  # another variant: no CUDA kernels
    ("2.0.1+cu118", ("torchvision", "0.15.2+cu117"), Severity.ERROR),  # torchvision before 0.16 checks the minor
    ("2.11.0+cu128", ("torchaudio", "2.11.0+cu126"), Severity.ERROR),  # torchaudio checks the minor
])
def test_companion_build_tag_severity_follows_its_load_check(torch, companion, severity):
    (finding,) = findings(make_facts(dists=[dist("torch", torch), dist(*companion)]), "TOR003")
    assert finding.severity is severity, finding.message


@pytest.mark.parametrize("arch_list, capability, runs", [
    ("8.0", "8.6", True),  # a cubin runs on later minors of its major
    ("8.6", "8.0", False),
    ("8.0", "9.0", False),  # ... never on another major
    ("8.0+PTX", "9.0", True),  # PTX is compiled by the driver for any later GPU
    ("9.0a", "9.0", True),
    ("9.0a+PTX", "10.0", False),  # architecture-specific code, PTX included, runs on that arch only
    ("10.0 12.0", "12.0", True),  # spaces separate entries, as torch reads them
    ("Blackwell", "12.1", True),  # a named generation, expanded as torch expands it
])
def test_arch_list_covers_capability(arch_list, capability, runs):
    facts = jit_machine(gpus=[("GPU", capability)], arch_lists={"TORCH_CUDA_ARCH_LIST": arch_list})
    assert (findings(facts, "JIT003") == []) == runs


def test_jit_checks_are_silent_without_a_run_time_builder():
    facts = jit_machine(triggers=(), cuda_home="/gone", nvcc=None, nvcc_version="12.4", ninja=None,
                        arch_lists={"TORCH_CUDA_ARCH_LIST": "5.0"})
    assert [f for code in ("JIT001", "JIT002", "JIT003", "JIT004", "JIT005", "JIT006") for f in findings(facts, code)] == []


def test_missing_toolkit_is_a_warning_only_for_libraries_that_compile_on_first_use():
    assert findings(jit_machine(cuda_home=None, cuda_home_via="", nvcc=None), "JIT001") == []
    # FlashInfer without a toolkit is KB004's (it knows the JIT-cache package)
    assert findings(jit_machine(triggers=("flashinfer",), cuda_home=None, cuda_home_via="", nvcc=None), "JIT001") == []
    found = findings(jit_machine(triggers=("torch (CUDA 13.0)", "deep_gemm"), cuda_home=None, cuda_home_via="",
                                 nvcc=None), "JIT001")
    assert [(f.severity, f.subject) for f in found] == [(Severity.WARNING, "deep_gemm")]


def test_cuda_home_without_nvcc_replaces_kb004():
    [found] = findings(jit_machine(cuda_home="/opt/cuda-gone", nvcc=None), "JIT001")
    assert (found.severity, found.replaces) == (Severity.WARNING, ("KB004:flashinfer-python",))


def test_a_failed_jit_build_names_the_static_cause():
    facts = deep_gpus(jit_build={"outcome": "launch-failed", "arch_list": "8.0",
                                 "error": "CUDA error 209: no kernel image is available for execution on the device"},
                      arch_lists={"TORCH_CUDA_ARCH_LIST": "8.0"})
    [found] = findings(facts, "JIT007")
    assert found.title == ("the run-time build of a one-line CUDA kernel fails at launch: CUDA error 209: no kernel "
                           "image is available for execution on the device (explained by JIT003)")
    assert found.evidence[0] == "JIT003: TORCH_CUDA_ARCH_LIST=8.0 builds no code for GPU 0 NVIDIA H100 80GB HBM3 (capability 9.0)"


def test_a_failed_all_reduce_lists_the_nccl_settings_in_force():
    facts = deep_gpus(all_reduce={"outcome": "failed", "observed": None, "error": "DistBackendError: invalid usage",
                                  "nccl_log": ["NCCL WARN Invalid NCCL_ALGO value nonsense"]})
    facts = dataclasses.replace(facts, interpreter=dataclasses.replace(
        facts.interpreter, environment={"NCCL_ALGO": "nonsense", "PATH": "/usr/bin"}))
    [found] = findings(facts, "MGPU001")
    assert found.title == "the all-reduce across 2 GPUs (nccl) fails: DistBackendError: invalid usage"
    assert found.evidence[:2] == ("set: NCCL_ALGO=nonsense", "added by the probe: NCCL_DEBUG=WARN")
    assert "NCCL WARN Invalid NCCL_ALGO value nonsense" in found.evidence


def test_diff_names_toolchain_and_collective_differences():
    from envdoctor.vocabulary.facts_diff import diff_facts

    before = deep_gpus()
    after = deep_gpus(nvcc_version="12.4", all_reduce={"outcome": "failed", "error": "invalid usage"},
                      jit_build={"outcome": "launch-failed"})
    found = [(d.subject, d.before, d.after) for d in diff_facts(before, after)]
    assert ("nvcc that JIT builds use", "13.0 (CUDA_HOME)", "12.4 (CUDA_HOME)") in found
    assert ("the all-reduce across GPUs", "ok", "failed") in found
    assert ("a run-time CUDA kernel build", "ok", "launch-failed") in found
    assert diff_facts(deep_gpus(), deep_gpus()) == []


@pytest.mark.parametrize("arch_list, capability, runs", [
    ("9.0", "9.0", True),
    ("8.0 9.0", "9.0", True),
    ("8.0", "8.6", True),
    ("8.0", "9.0", False),
    ("9.0", "10.0", False),  # FlashInfer builds 9.0 as 9.0a: Hopper only
    ("12.0", "12.1", True),  # ... and 12.x as the 12.0f family
])
def test_flashinfer_arch_list_is_read_as_flashinfer_reads_it(arch_list, capability, runs):
    facts = jit_machine(gpus=[("GPU", capability)], triggers=("flashinfer",),
                        arch_lists={"FLASHINFER_CUDA_ARCH_LIST": arch_list})
    assert (findings(facts, "JIT003") == []) == runs


def test_flashinfer_arch_list_it_cannot_parse():
    facts = jit_machine(triggers=("flashinfer",), arch_lists={"FLASHINFER_CUDA_ARCH_LIST": "8.0;9.0"})
    assert [f.title for f in findings(facts, "JIT003")] == [
        "FLASHINFER_CUDA_ARCH_LIST=8.0;9.0 has entries the build does not know: 8.0;9.0"]
    # FlashInfer not installed: its variable is nobody's business
    assert findings(jit_machine(arch_lists={"FLASHINFER_CUDA_ARCH_LIST": "8.0;9.0"}), "JIT003") == []


def test_an_unwritable_cache_is_an_error_where_compiling_is_automatic():
    def severity(module):
        facts = jit_machine(cache_dirs=[{"module": module, "path": "/ro/cache", "via": "default", "existing": "/ro",
                                         "writable": False}])
        return [f.severity for f in findings(facts, "JIT006")]

    assert severity("triton") == [Severity.ERROR]  # every Triton kernel is compiled into it
    assert severity("torch") == [Severity.WARNING]  # only an explicit load()/load_inline builds there

def test_sym001_names_the_torch_the_extension_was_built_for():
    found = findings(linked(unresolved(demangled="c10::cuda::SetDevice(signed char, bool)")), "SYM001")
    assert [f.title for f in found] == [
        "sgl_kernel.common_ops will not import: undefined symbol _ZN3c104cuda9SetDeviceEab (c10::cuda::SetDevice(signed char, bool)); "
        "sgl-kernel 0.3.0 was built for torch==2.8.0 (its Requires-Dist); torch 2.9.1 is installed, and torch's C++ ABI changes between releases"]
    assert found[0].severity is Severity.ERROR


def test_sym001_torch_pin_satisfied_says_another_torch_without_naming_a_release():
    found = findings(linked(unresolved(), torch="2.8.0"), "SYM001")
    assert found[0].title.endswith("sgl-kernel 0.3.0 was built against another torch than the installed torch 2.8.0")


def test_sym001_driver_api_missing_from_libcuda_names_the_driver():
    problem = unresolved(name="cuGreenCtxCreate", libraries=(("libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "ld.so.cache"),))
    found = findings(linked(problem, stack={"nvidia": nvidia(H100, driver="535.183.01", cuda="12.2")}), "SYM001")
    assert "/usr/lib/x86_64-linux-gnu/libcuda.so.1 of driver 535.183.01 (CUDA 12.2) does not export the CUDA driver API cuGreenCtxCreate" in found[0].title
    assert found[0].fix.summary.startswith("upgrade the NVIDIA driver")


def test_sym001_groups_an_extensions_symbols_in_one_finding():
    found = findings(linked(*(unresolved(name=f"sym{i}", libraries=()) for i in range(5))), "SYM001")
    assert len(found) == 1 and "sym0, sym1, sym2 and 2 more" in found[0].title


def _fla_problem(**extra):
    """fla-core's module-level `import triton` in fla.ops, which `import fla` does not run."""
    return import_problem("uninstalled", "triton", "triton", importer="fla-core", importer_version="0.5.2", eager=False,
                          statement="import triton", importer_module="fla.ops.utils.op", **extra)


FLA_RUN_BY = ("import fla.layers (flash-linear-attention 0.5.2)",)


@pytest.mark.parametrize("code, facts", [
    ("MPS003", lambda problem: apple(dists=[dist("fla-core", "0.5.2")], imports=import_scan(problem))),
    ("STK003", lambda problem: make_facts(dists=[dist("fla-core", "0.5.2")], imports=import_scan(problem))),
])
def test_a_triton_import_run_by_another_packages_import_counts(code, facts):
    found = findings(facts(_fla_problem(reached_by=FLA_RUN_BY)), code)
    assert [(f.code, f.subject) for f in found] == [(code, "fla-core")]
    assert "run by import fla.layers (flash-linear-attention 0.5.2)" in found[0].title
    assert "fails on: import fla.layers (flash-linear-attention 0.5.2)" in found[0].evidence
    # Near miss: the same import that no scanned package's import runs (`import fla` is guarded).
    assert findings(facts(_fla_problem()), code) == []


@pytest.mark.parametrize("platform, machine, cuda", [("linux", "x86_64", "13.0"), ("darwin", "arm64", None), ("linux", "aarch64", None)])
def test_a_plain_pypi_torch_versions_cuda_comes_from_the_catalogue_on_linux_x86_64(platform, machine, cuda):
    """No torch/version.py in the facts (check --with's preview of `torch==2.13.0`): on Linux x86_64
    PyPI's 2.13.0 wheel is its cu130 build, so GPU001 can judge it against the driver."""
    facts = make_facts(dists=[dist("torch", "2.13.0")], markers={"sys_platform": platform, "platform_machine": machine})
    build = torch_build(facts)
    assert (build.version, build.local, build.cuda) == ("2.13.0", None, cuda)
    if cuda:
        driver_535 = make_facts(dists=[dist("torch", "2.13.0")], markers={"sys_platform": platform, "platform_machine": machine},
                                stack={"nvidia": nvidia(("Tesla T4", "7.5"), cuda="12.2")})
        (finding,) = findings(driver_535, "GPU001")
        assert finding.severity is Severity.ERROR and "needs CUDA 13.0" in finding.title, finding.title
