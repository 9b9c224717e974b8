"""End to end: the ML-stack checks and the knowledge-base rules through the installed CLI.

Two kinds of target:
- real venvs, filled by real pip with small local wheels that carry the real project names,
  versions and Requires-Dist lines of the stack (torch 2.2.2+cu121 with its triton pin, sglang
  pinning flashinfer, ...): these checks read only metadata and files, and a multi-GB torch
  is never downloaded. The stand-in torch raises when imported, so `check` (no --deep) is
  shown not to import it, and `check --deep` to do so.
- the real facts of the GPU machine (tests/data/snapshot-h200-cuda13.json, from
  `envdoctor snapshot --deep` on an H200 with driver 580, CUDA 13, torch 2.11, triton 3.6;
  docs/transcripts/2026-11-21-h200-cuda13.md), checked with `check --facts`: clean as
  recorded, and each GPU check caught on a copy changed the way the machine would be broken.
  CI has no GPU, so this is how the GPU paths run on every CI run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import clean_env, require_python
from tests.helpers.venvs import WHEEL_CACHE, make_venv, tree_state
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

SNAPSHOT = Path(__file__).parent.parent / "data" / "snapshot-h200-cuda13.json"

STANDIN_TORCH_INIT = """\
import os
marker = os.environ.get("ENVDOCTOR_TEST_IMPORT_MARKER")
if marker:
    open(marker, "w").write("torch was imported")
raise ImportError("stand-in torch: importing it is what the test looks for")
"""

LEGACY_FINDER_INIT = """\
import sys


class LegacyStubFinder:
    def find_module(self, name, path=None):
        return None


sys.meta_path.insert(0, LegacyStubFinder())
"""


def torch_wheel(folder: Path) -> Path:
    """torch 2.2.2+cu121: its real version.py values and Requires-Dist pins (triton, NCCL), and an
    __init__.py that leaves a marker when imported."""
    linux_x86 = 'platform_system == "Linux" and platform_machine == "x86_64"'
    return build_wheel(folder, "torch", "2.2.2+cu121", {
        "torch/__init__.py": STANDIN_TORCH_INIT,
        "torch/version.py": "from typing import Optional\n__version__ = '2.2.2+cu121'\ndebug = False\n"
                            "cuda: Optional[str] = '12.1'\ngit_version = '39901f229520a5256505ec24782f716ee7ddc843'\nhip: Optional[str] = None\n",
    }, requires=[f"triton==2.2.0; {linux_x86}", f"nvidia-nccl-cu12==2.19.3; {linux_x86}", "filelock"])


def stack_wheels(folder: Path):
    """torch 2.2.2+cu121 with what goes wrong around it, in local wheels with the real metadata."""
    return [
        torch_wheel(folder),
        build_wheel(folder, "triton", "2.1.0", {"triton/__init__.py": "__version__ = '2.1.0'\n"}),
        build_wheel(folder, "pytorch-triton-rocm", "2.2.0", {"triton/_rocm_marker.py": ""}),
        build_wheel(folder, "nvidia-nccl-cu12", "2.19.3", {"nvidia/nccl/lib/.keep": ""}),
        build_wheel(folder, "filelock", "3.13.1", {"filelock.py": ""}),
        build_wheel(folder, "torchvision", "0.16.0+cu121", {"torchvision/__init__.py": ""}),
        build_wheel(folder, "numpy", "2.0.0", {"numpy/__init__.py": ""}),
        build_wheel(folder, "pandas", "2.1.4", {"pandas/__init__.py": ""}),
        build_wheel(folder, "scipy", "1.12.0", {"scipy/__init__.py": ""}),
        build_wheel(folder, "opencv-python", "4.9.0.80", {"cv2/__init__.py": ""}),
        build_wheel(folder, "flashinfer-python", "0.6.11.post1", {"flashinfer/__init__.py": ""}),
        build_wheel(folder, "flashinfer-cubin", "0.6.8", {"flashinfer_cubin/__init__.py": ""}),
        build_wheel(folder, "sglang", "0.5.9", {"sglang/__init__.py": LEGACY_FINDER_INIT}, requires=["flashinfer_python==0.6.8"]),
        build_wheel(folder, "triton-kernels", "1.0.0", {"triton_kernels/__init__.py": ""}),
        build_wheel(folder, "vllm", "0.6.0", {"vllm/__init__.py": ""}),
    ]


@pytest.fixture(scope="module")
def stack_venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("stack")
    venv = make_venv(root / "venv")
    venv.install_files(*stack_wheels(root / "wheels"), extra=["--no-deps"])
    libs = root / "ld-library-path"
    libs.mkdir()
    (libs / "libnccl.so.2.18.1").write_bytes(b"")  # an older NCCL ahead of the wheel's, by name
    env = clean_env(
        LD_LIBRARY_PATH=str(libs),
        CUDA_HOME=str(root / "no-toolkit"),  # a runtime-only image: no nvcc, no cuda.h
        SGLANG_USE_AITER="1",
        ENVDOCTOR_TEST_IMPORT_MARKER=str(root / "torch-imported"),
    )
    return venv, env, root


STACK_CODES = {
    "TOR001": "torch", "TOR002": "triton", "TOR003": "torchvision", "FLI001": "flashinfer-cubin", "FLI002": "sglang",
    "TRK001": "triton_kernels", "TRK002": "triton_kernels", "ROC002": "aiter", "ENV002": None,  # None: the libnccl path
    "KB001": "vllm", "KB002": "sglang", "KB003": "sglang",
    # CUDA_HOME names a runtime-only image's missing toolkit: JIT001 says it, replacing KB004's
    # "flashinfer-python without a CUDA toolkit"
    "JIT001": "CUDA_HOME",
    "KB012": "torch", "KB013": "opencv-python", "KB014": "scipy", "KB015": "pandas",
    # the stand-in sglang puts a find_module()-only finder on sys.meta_path when imported: found
    # statically, without --deep (a warning on 3.11: Python 3.12 will skip it)
    "HOOK002": "sglang.LegacyStubFinder",
}


def test_stack_problems_are_found_without_importing_anything(run_envdoctor, stack_venv, tmp_path):
    venv, env, root = stack_venv
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout
    assert tree_state(venv.root) == before, "check wrote into the environment it inspected"
    assert not (root / "torch-imported").exists(), "check imported torch"
    # Exactly these findings, one each: a false alarm beside them fails the test as a missed one does.
    expected = {code: subject or str(root / "ld-library-path" / "libnccl.so.2.18.1") for code, subject in STACK_CODES.items()}
    found = sorted((f["code"], f["subject"]) for f in result.json["findings"])
    assert found == sorted(expected.items()), result.stdout
    # TOR001 says what REQ002 would have said about torch's triton pin, and replaces it.
    assert not [f for f in result.findings("REQ002") if f["key"] == "torch->triton"]
    (pin,) = result.findings("TOR001")
    assert pin["title"] == "torch 2.2.2+cu121 pins triton==2.2.0, but triton 2.1.0 is installed"
    assert pin["fix"]["parameters"]["requirement"].startswith("triton==2.2.0")
    (nccl,) = result.findings("ENV002")
    assert "has libnccl 2.18.1" in nccl["title"] and "nvidia-nccl-cu12 2.19.3" in nccl["title"]


def healthy_stack_wheels(folder: Path):
    """The same stack one step from each breakage above: triton at torch's pin, torchvision of torch's
    release, NumPy 1.x, flashinfer-cubin at flashinfer-python's release and sglang's pin, no ROCm triton."""
    return [
        torch_wheel(folder),
        build_wheel(folder, "triton", "2.2.0", {"triton/__init__.py": "__version__ = '2.2.0'\n"}),
        build_wheel(folder, "nvidia-nccl-cu12", "2.19.3", {"nvidia/nccl/lib/.keep": ""}),
        build_wheel(folder, "filelock", "3.13.1", {"filelock.py": ""}),
        build_wheel(folder, "torchvision", "0.17.2+cu121", {"torchvision/__init__.py": ""}),
        build_wheel(folder, "numpy", "1.26.4", {"numpy/__init__.py": ""}),
        build_wheel(folder, "pandas", "2.1.4", {"pandas/__init__.py": ""}),
        build_wheel(folder, "scipy", "1.12.0", {"scipy/__init__.py": ""}),
        build_wheel(folder, "opencv-python", "4.9.0.80", {"cv2/__init__.py": ""}),
        build_wheel(folder, "flashinfer-python", "0.6.8", {"flashinfer/__init__.py": ""}),
        build_wheel(folder, "flashinfer-cubin", "0.6.8", {"flashinfer_cubin/__init__.py": ""}),
        build_wheel(folder, "sglang", "0.5.9", {"sglang/__init__.py": ""}, requires=["flashinfer_python==0.6.8"]),
    ]


def test_healthy_stack_has_no_finding_at_all(run_envdoctor, tmp_path):
    """The healthy counterpart of the stack above, with a CUDA toolkit (CUDA_HOME with version.json)
    and the wheels' own NCCL: zero findings of any severity, not merely no error."""
    venv = make_venv(tmp_path / "venv")
    venv.install_files(*healthy_stack_wheels(tmp_path / "wheels"), extra=["--no-deps"])
    toolkit = tmp_path / "cuda-12.1"
    (toolkit / "bin").mkdir(parents=True)
    (toolkit / "version.json").write_text('{"cuda": {"name": "CUDA SDK", "version": "12.1.105"}}')
    nvcc = toolkit / "bin" / "nvcc"  # what JIT builds run: its release, torch's CUDA (JIT001, JIT002)
    nvcc.write_text("#!/bin/sh\necho 'Cuda compilation tools, release 12.1, V12.1.105'\n")
    nvcc.chmod(0o755)
    env = clean_env(CUDA_HOME=str(toolkit), ENVDOCTOR_TEST_IMPORT_MARKER=str(tmp_path / "torch-imported"))
    for name in ("LD_LIBRARY_PATH", "LD_PRELOAD", "SGLANG_USE_AITER"):
        env.pop(name, None)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path, env=env)
    assert result.json["findings"] == [], result.stdout
    assert result.returncode == 0
    assert {"TOR001", "TOR002", "TOR003", "FLI001", "FLI002", "KB002", "KB004", "KB012"} <= set(result.json["checks_run"])
    assert not (tmp_path / "torch-imported").exists()


def test_deep_imports_the_stack_in_subprocesses(run_envdoctor, stack_venv, tmp_path):
    venv, env, root = stack_venv
    result = run_envdoctor("check", "--python", venv.python, "--deep", "--select", "STK001,HOOK001", "--format", "json",
                           cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout
    assert (root / "torch-imported").exists(), "--deep did not import torch"
    (torch,) = [f for f in result.findings("STK001") if f["subject"] == "torch"]
    assert "stand-in torch" in torch["title"]
    # sglang inserts a find_module()-only finder when imported: only an import shows it.
    (hook,) = result.findings("HOOK001")
    assert "LegacyStubFinder" in hook["title"] and "after `import sglang`" in hook["title"]
    (root / "torch-imported").unlink()


@pytest.mark.parametrize("minor,torch,code", [("3.12", "2.3.1", "KB009"), ("3.13", "2.5.1", "KB010")])
def test_torch_compile_rules_per_python(run_envdoctor, tmp_path, minor, torch, code):
    python = require_python(minor, "for this rule's Python condition")
    venv = make_venv(tmp_path / "venv", python)
    venv.install_files(build_wheel(tmp_path / "w", "torch", torch, {"torch/__init__.py": ""}), extra=["--no-deps"])
    result = run_envdoctor("check", "--python", venv.python, "--select", "KB", "--format", "json", cwd=tmp_path)
    assert result.codes() == [code], result.stdout


def test_flash_attn_wheel_older_than_torch(run_envdoctor, tmp_path):
    venv = make_venv(tmp_path / "venv")
    wheels = [build_wheel(tmp_path / "w", "torch", "2.3.0", {"torch/__init__.py": ""}),
              build_wheel(tmp_path / "w", "flash-attn", "2.5.7", {"flash_attn/__init__.py": ""})]
    venv.install_files(*wheels, extra=["--no-deps"])
    result = run_envdoctor("check", "--python", venv.python, "--select", "KB011", "--format", "json", cwd=tmp_path)
    assert [f["subject"] for f in result.findings("KB011")] == ["flash-attn"]


# --- the GPU machine's real facts ------------------------------------------------------------------

def snapshot(tmp_path, change=None) -> Path:
    data = json.loads(SNAPSHOT.read_text())
    if change:
        change(data)
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(data))
    return path


GPU_CODES = ("GPU", "ENV", "TOR", "STK", "KB", "MPS", "ROC", "HOOK")


def _gpus(data):
    return data["stack"]["nvidia"]["gpus"]


def _older_driver(data):
    data["stack"]["nvidia"]["cuda_driver_version"] = "12.4"
    data["stack"]["nvidia"]["driver_version"] = "550.54.14"


def _rtx5090_with_old_build(data):
    _gpus(data)[0].update(name="NVIDIA GeForce RTX 5090", capability="12.0")
    data["stack"]["torch"].update(version="2.6.0+cu124", local="cu124", cuda="12.4")
    data["deep"]["torch"]["arch_list"] = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]
    data["deep"]["torch"]["devices"][0].update(name="NVIDIA GeForce RTX 5090", capability="12.0")


def _cpu_torch(data):
    data["stack"]["torch"].update(version="2.11.0+cpu", local="cpu", cuda=None)


def _cuda_unavailable(data):
    data["deep"]["torch"].update(cuda_available=False, device_count=0, devices=[], kernel=None)


def _hidden(data):
    data["interpreter"]["environment"]["CUDA_VISIBLE_DEVICES"] = ""


def _triton_fails(data):
    data["deep"]["triton"]["kernel"] = "RuntimeError: PTX was compiled with an unsupported toolchain."


def _a100_with_deep_gemm(data):
    _gpus(data)[0].update(name="NVIDIA A100-SXM4-80GB", capability="8.0")
    data["deep"]["torch"]["devices"][0].update(name="NVIDIA A100-SXM4-80GB", capability="8.0")
    data["distributions"].append(dict(data["distributions"][-1], name="deep-gemm", version="2.1.0",
                                      metadata_path="/opt/torch/.venv/lib/python3.12/site-packages/deep_gemm-2.1.0.dist-info",
                                      requires_dist=[], top_level=["deep_gemm"], record_modules=["deep_gemm"]))


@pytest.mark.parametrize("change,expected", [
    (_older_driver, {"GPU001"}),
    (_rtx5090_with_old_build, {"GPU002", "KB005"}),
    (_cpu_torch, {"GPU003"}),
    (_cuda_unavailable, {"GPU004"}),
    (_hidden, {"ENV001"}),
    (_triton_fails, {"STK002"}),
], ids=lambda value: getattr(value, "__name__", None))
def test_gpu_checks_on_the_gpu_machines_facts(run_envdoctor, tmp_path, change, expected):
    clean = run_envdoctor("check", "--facts", snapshot(tmp_path), "--select", ",".join(GPU_CODES), "--format", "json")
    assert clean.returncode == 0 and clean.codes() == [], clean.stdout  # the machine as recorded: healthy
    broken = run_envdoctor("check", "--facts", snapshot(tmp_path, change), "--select", ",".join(GPU_CODES), "--format", "json")
    assert broken.returncode == 1
    assert set(broken.codes()) == expected, broken.stdout


def test_deep_gemm_on_an_a100_is_info_only(run_envdoctor, tmp_path):
    """SGLang and vLLM turn DeepGEMM on only for sm_90 and newer: on an A100 nothing calls it, so
    KB008 says so as info and the exit status stays 0."""
    result = run_envdoctor("check", "--facts", snapshot(tmp_path, _a100_with_deep_gemm), "--select", ",".join(GPU_CODES), "--format", "json")
    assert [(f["code"], f["severity"]) for f in result.json["findings"]] == [("KB008", "info")], result.stdout
    assert result.returncode == 0


def test_report_on_the_recorded_facts_says_what_nvidia_smi_and_torch_printed(run_envdoctor, tmp_path):
    """`envdoctor report --facts` on the H200 snapshot: the driver, CUDA version, GPU and torch build
    it shows are what nvidia-smi and torch printed in the same run (docs/transcripts/...txt), read
    from the transcript's own lines, so the snapshot loading and the report are what is tested."""
    transcript = (Path(__file__).parents[2] / "docs" / "transcripts" / "2026-11-21-h200-cuda13.txt").read_text()
    smi_query = next(line for line in transcript.splitlines() if line.startswith("0, NVIDIA "))
    index, name, capability, memory, driver = [part.strip() for part in smi_query.split(",")]
    smi_cuda = re.search(r"CUDA Version: (\S+)", transcript).group(1)
    torch_version, torch_cuda = re.search(r"^torch (\S+) cuda (\S+)$", transcript, re.MULTILINE).groups()

    result = run_envdoctor("report", "--facts", SNAPSHOT, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", result.stdout, re.MULTILINE))
    assert rows["NVIDIA driver"] == f"{driver} (CUDA {smi_cuda})", result.stdout
    assert rows[f"GPU {index}"] == f"{name}, capability {capability}, {memory}", result.stdout
    assert rows["torch build"] == f"{torch_version} (CUDA {torch_cuda}, HIP -)", result.stdout


def test_apple_and_rocm_paths_on_changed_facts(run_envdoctor, tmp_path):
    def rosetta_mac(data):
        data["markers"].update(sys_platform="darwin", platform_system="Darwin")
        data["stack"].update(nvidia=None, apple={"macos_version": "15.1", "machine": "x86_64", "translated": True})

    result = run_envdoctor("check", "--facts", snapshot(tmp_path, rosetta_mac), "--select", "MPS", "--format", "json")
    # Translated: no arm64 wheels, and the x86_64 torch has no MPS (the deep probe's is_built() is False).
    assert sorted(result.codes()) == ["MPS001", "MPS002"], result.stdout

    def sglang_imports_triton_on_a_mac(data):
        rosetta_mac(data)
        data["distributions"] = [d for d in data["distributions"] if d["name"] != "triton"]
        data["imports"] = {"scanned": [], "imports": 1, "problems": [{
            "kind": "uninstalled", "path": "/venv/site-packages/sglang/srt/utils.py", "line": 12,
            "importer_module": "sglang.srt.utils", "statement": "import triton", "module": "triton", "missing": "triton",
            "importer": "sglang 0.5.23", "eager": True}]}

    result = run_envdoctor("check", "--facts", snapshot(tmp_path, sglang_imports_triton_on_a_mac), "--select", "MPS003", "--format", "json")
    assert [f["subject"] for f in result.findings("MPS003")] == ["sglang"], result.stdout

    def rocm_mismatch(data):
        data["stack"].update(nvidia=None, rocm={"version": "6.2.4", "path": "/opt/rocm", "source": "/opt/rocm/.info/version",
                                                "gfx_targets": ["gfx942"]})
        data["stack"]["torch"].update(version="2.9.0+rocm6.4", local="rocm6.4", cuda=None, hip="6.4.43482")

    result = run_envdoctor("check", "--facts", snapshot(tmp_path, rocm_mismatch), "--select", "ROC,GPU003", "--format", "json")
    assert result.codes() == ["ROC001"], result.stdout


def test_users_own_rule_file_from_the_config(run_envdoctor, stack_venv, tmp_path):
    """`rules = [...]` in [tool.envdoctor]: a team's rule is a check like the shipped ones; a broken one is exit 2."""
    venv, env, _ = stack_venv
    (tmp_path / "pyproject.toml").write_text('[tool.envdoctor]\nrules = ["ops/rules.toml"]\n')
    (tmp_path / "ops").mkdir()
    rule = (tmp_path / "ops" / "rules.toml")
    rule.write_text(
        '[[rule]]\ncode = "ACME001"\nname = "acme-vllm-ban"\nseverity = "error"\n'
        'title = "{vllm} is banned on our images"\nsummary = "No vLLM 0.6 on serving images."\n'
        'explanation = "It leaks memory under our load."\nreferences = ["acme/infra#12"]\n'
        '[rule.match]\ndistributions = { vllm = "<0.7" }\n'
    )
    result = run_envdoctor("check", "--python", venv.python, "--select", "ACME001", "--format", "json", cwd=tmp_path, env=env)
    assert [f["title"] for f in result.findings("ACME001")] == ["vllm 0.6.0 is banned on our images"]
    explained = run_envdoctor("explain", "ACME001", cwd=tmp_path)
    assert "It leaks memory under our load." in explained.stdout
    rule.write_text(rule.read_text().replace('severity = "error"', 'severity = "fatal"'))
    broken = run_envdoctor("check", "--python", venv.python, cwd=tmp_path, env=env)
    assert broken.returncode == 2 and "rules.toml, rule ACME001: severity must be one of" in broken.stderr


def test_fix_plans_the_flashinfer_and_triton_alignment_without_changing_anything(run_envdoctor, stack_venv, tmp_path):
    """`fix --dry-run`: the companion at flashinfer-python's version and the triton torch pins; nothing written."""
    venv, env, _ = stack_venv
    venv.install("pip")  # fix runs the target's own installer: this venv was made without one
    before = tree_state(venv.root)
    result = run_envdoctor("fix", "--python", venv.python, "--select", "FLI001,TOR001", "--dry-run", cwd=tmp_path, env=env)
    assert tree_state(venv.root) == before
    assert "--no-deps flashinfer-cubin==0.6.11.post1" in result.stdout, result.stdout  # options before requirements (vocabulary/installer.py)
    assert "triton==2.2.0" in result.stdout, result.stdout


def test_fix_aligns_flashinfer_companion_and_torch_triton_then_undo(run_envdoctor, tmp_path):
    """`fix --yes`: flashinfer-cubin moves to flashinfer-python's release and triton to the one torch
    pins, from local wheels with the real metadata; the check is clean after; undo restores all."""
    wheels = tmp_path / "wheels"
    installed = [w for w in stack_wheels(wheels) if w.name.split("-")[0] in ("torch", "triton", "flashinfer_python", "flashinfer_cubin", "nvidia_nccl_cu12", "filelock")]
    targets = [build_wheel(wheels, "triton", "2.2.0", {"triton/__init__.py": "__version__ = '2.2.0'\n"}),
               build_wheel(wheels, "flashinfer-cubin", "0.6.11.post1", {"flashinfer_cubin/__init__.py": ""})]
    assert len(installed) == 6 and all(t.exists() for t in targets)
    venv = make_venv(tmp_path / "venv")
    venv.install("pip")
    venv.install_files(*installed, extra=["--no-deps"])
    before = tree_state(venv.site_packages)
    env = clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=f"{WHEEL_CACHE} {wheels}", PIP_DISABLE_PIP_VERSION_CHECK="1")

    result = run_envdoctor("fix", "--python", venv.python, "--select", "FLI001,TOR001", "--yes", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fixed: FLI001" in result.stderr and "fixed: TOR001" in result.stderr, result.stderr
    versions = venv.run("import importlib.metadata as m; print(m.version('flashinfer-cubin'), m.version('triton'))")
    assert versions.stdout.split() == ["0.6.11.post1", "2.2.0"], versions.stderr
    after = run_envdoctor("check", "--python", venv.python, "--select", "FLI001,TOR001", "--format", "json", cwd=tmp_path, env=env)
    assert after.returncode == 0 and after.codes() == [], after.stdout

    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path, env=env).returncode == 0
    assert tree_state(venv.site_packages) == before
