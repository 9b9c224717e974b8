"""End to end: a finding's severity follows its consequence for the user (issue 16).

An error when something the user runs breaks, a warning when it breaks under a foreseeable
change, info otherwise; no finding when nothing is wrong. Each case is a real venv filled by
real pip with small local wheels carrying the real project names, checked by the installed
`envdoctor check --python`, beside the near-miss that keeps the other severity.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import clean_env, require_python
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


def check(run_envdoctor, venv, cwd: Path, select: str, **variables: str):
    env = clean_env(**variables)
    return run_envdoctor("check", "--python", venv.python, "--select", select, "--no-scan", "--format", "json",
                         cwd=cwd, env=env)


def severities(result) -> list:
    return [(f["code"], f["severity"], f["title"]) for f in result.json["findings"]]


def test_aiter_switch_without_its_framework_is_info_and_with_it_an_error(run_envdoctor, new_venv, tmp_path):
    """SGLANG_USE_AITER=1 (set image-wide, say) in a venv without sglang: nothing reads the switch,
    so a missing aiter breaks nothing (info, exit 0). With sglang installed its server stops at
    start-up (error, exit 1); with aiter installed too, no finding."""
    wheels = tmp_path / "wheels"
    venv = new_venv()
    alone = check(run_envdoctor, venv, tmp_path, "ROC002", SGLANG_USE_AITER="1")
    assert severities(alone) == [("ROC002", "info", "SGLANG_USE_AITER=1 is set, but aiter is not installed")], alone.stdout
    assert alone.returncode == 0, alone.stdout
    assert "no sglang is installed" in alone.json["findings"][0]["message"]

    venv.install_files(build_wheel(wheels, "sglang", "0.5.9", {"sglang/__init__.py": ""}), extra=["--no-deps"])
    read = check(run_envdoctor, venv, tmp_path, "ROC002", SGLANG_USE_AITER="1")
    assert severities(read) == [("ROC002", "error", "SGLANG_USE_AITER=1 is set, but aiter is not installed")], read.stdout
    assert read.returncode == 1, read.stdout

    venv.install_files(build_wheel(wheels, "amd-aiter", "0.1.5", {"aiter/__init__.py": ""}), extra=["--no-deps"])
    healthy = check(run_envdoctor, venv, tmp_path, "ROC002", SGLANG_USE_AITER="1")
    assert healthy.codes() == [] and healthy.returncode == 0, healthy.stdout


def test_vllm_switch_needs_vllm_not_sglang(run_envdoctor, new_venv, tmp_path):
    """Each switch belongs to one framework: VLLM_ROCM_USE_AITER with only sglang installed is info."""
    venv = new_venv()
    venv.install_files(build_wheel(tmp_path / "wheels", "sglang", "0.5.9", {"sglang/__init__.py": ""}), extra=["--no-deps"])
    result = check(run_envdoctor, venv, tmp_path, "ROC002", VLLM_ROCM_USE_AITER="1")
    assert severities(result) == [("ROC002", "info", "VLLM_ROCM_USE_AITER=1 is set, but aiter is not installed")], result.stdout


def test_flashinfer_with_its_jit_cache_needs_no_toolkit(run_envdoctor, new_venv, tmp_path):
    """KB004 says "without flashinfer-jit-cache and without a CUDA toolkit": with the JIT cache
    installed on a runtime-only image there is nothing to compile, so no finding; without it,
    the warning."""
    wheels = tmp_path / "wheels"
    no_toolkit = str(tmp_path / "no-toolkit")  # CUDA_HOME of a runtime-only image: no nvcc, no version file
    venv = new_venv()
    venv.install_files(build_wheel(wheels, "flashinfer-python", "0.6.11.post1", {"flashinfer/__init__.py": ""}), extra=["--no-deps"])
    without = check(run_envdoctor, venv, tmp_path, "KB004", CUDA_HOME=no_toolkit)
    assert [(code, severity) for code, severity, _ in severities(without)] == [("KB004", "warning")], without.stdout

    venv.install_files(build_wheel(wheels, "flashinfer-jit-cache", "0.6.11.post1+cu130", {"flashinfer_jit_cache/__init__.py": ""}),
                       extra=["--no-deps"])
    with_cache = check(run_envdoctor, venv, tmp_path, "KB004", CUDA_HOME=no_toolkit)
    assert with_cache.codes() == [] and with_cache.returncode == 0, with_cache.stdout
    assert "KB004" in with_cache.json["checks_run"]


def torch_cu128(folder: Path) -> Path:
    """torch 2.11.0+cu128 as its wheel describes itself (version.py), without its code."""
    return build_wheel(folder, "torch", "2.11.0+cu128", {
        "torch/__init__.py": "",
        "torch/version.py": "from typing import Optional\n__version__ = '2.11.0+cu128'\ndebug = False\n"
                            "cuda: Optional[str] = '12.8'\nhip: Optional[str] = None\n",
    })


def test_torchvision_of_another_cuda_minor_is_info_and_torchaudio_an_error(run_envdoctor, new_venv, tmp_path):
    """torchvision >= 0.16 compares only the CUDA major with torch's when it loads its extension
    (pytorch/vision#7726), so +cu126 beside torch +cu128 runs: info, exit 0. torchaudio compares
    the minor too and raises at import: the same pair is an error."""
    wheels = tmp_path / "wheels"
    venv = new_venv()
    venv.install_files(torch_cu128(wheels), build_wheel(wheels, "torchvision", "0.26.0+cu126", {"torchvision/__init__.py": ""}),
                       extra=["--no-deps"])
    vision = check(run_envdoctor, venv, tmp_path, "TOR003")
    assert severities(vision) == [("TOR003", "info", "torchvision 0.26.0+cu126 does not match torch 2.11.0+cu128: "
                                                     "torchvision is a +cu126 build, torch a +cu128 build")], vision.stdout
    assert vision.returncode == 0, vision.stdout

    venv.install_files(build_wheel(wheels, "torchaudio", "2.11.0+cu126", {"torchaudio/__init__.py": ""}), extra=["--no-deps"])
    audio = check(run_envdoctor, venv, tmp_path, "TOR003")
    by_subject = {f["subject"]: f["severity"] for f in audio.findings("TOR003")}
    assert by_subject == {"torchvision": "info", "torchaudio": "error"} and len(audio.json["findings"]) == 2, audio.stdout
    assert audio.returncode == 1


def torch_standin(folder: Path, version: str) -> Path:
    """torch VERSION as its wheel describes itself (version.py), without its code."""
    return build_wheel(folder, "torch", version, {
        "torch/__init__.py": "",
        "torch/version.py": f"from typing import Optional\n__version__ = '{version}'\ndebug = False\n"
                            "cuda: Optional[str] = '13.0'\nhip: Optional[str] = None\n",
    })


def test_torchaudio_on_the_stable_abi_pairs_with_later_torch_releases(run_envdoctor, new_venv, tmp_path):
    """The real torchaudio 2.11.0 wheel (libraries *.abi3.so calling aoti_torch_*; no torch in its
    METADATA) beside torch 2.14.0 is what vLLM 0.33.0 pins: no finding. Beside torch 2.10.0,
    older than the stable ABI it was built on: a warning."""
    wheels = tmp_path / "wheels"
    venv = new_venv(require_python("3.11", "for the torchaudio 2.11.0 cp311 wheel"))
    venv.install("torchaudio==2.11.0", no_deps=True)
    venv.install_files(torch_standin(wheels, "2.14.0"), extra=["--no-deps"])
    later = check(run_envdoctor, venv, tmp_path, "TOR003")
    assert later.codes() == [] and later.returncode == 0, later.stdout

    venv.install_files(torch_standin(wheels, "2.10.0"), extra=["--no-deps", "--force-reinstall"])
    older = check(run_envdoctor, venv, tmp_path, "TOR003")
    assert severities(older) == [("TOR003", "warning", "torchaudio 2.11.0 does not match torch 2.10.0: torchaudio 2.11.0 is "
                                                      "built on torch's stable ABI of torch 2.11, newer than torch 2.10.0")], older.stdout
