"""The ML-stack checks (GPU, ENV, TOR, FLI, TRK, MPS, ROC, STK) and the knowledge-base rules (KB) on facts:
a positive and a negative case per code, then the details that decide severity and wording."""

from __future__ import annotations

import textwrap

import pytest

from envdoctor.checks.gpu import arch_supports
from envdoctor.engine import run_checks
from envdoctor.errors import PluginError
from envdoctor.kb import builtin_rule_files, load_rules
from envdoctor.model.facts import Facts
from envdoctor.model.finding import Severity
from envdoctor.registry import load_registry
from envdoctor.vocabulary.installer import fix_command
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
    "KB015": (lambda: plain(dist("pandas", "2.1.4"), dist("numpy", "2.0.0")), lambda: plain(dist("pandas", "2.2.2"), dist("numpy", "2.0.0")), "pandas"),
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
