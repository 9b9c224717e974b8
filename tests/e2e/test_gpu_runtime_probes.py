"""The --deep GPU runtime probes' orchestration, run for real on CPU with the real torch 2.13.0 CPU wheel.

The all-reduce starts one target process per rank exactly as it does on GPUs, with the gloo
backend instead of nccl: the same rendezvous, deadline, failure capture and sum check. The JIT
build runs the target's torch.utils.cpp_extension arch flags and a toolkit's nvcc: the real
CUDA 13.0 toolkit of this machine (the kernel compiles; the CPU build of torch cannot launch it)
and a stand-in nvcc that fails the way a broken toolchain does. On GPUs the same code launches
the kernel and reduces across GPUs (docs/transcripts/gpu_runtime_gpu.sh).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from envdoctor.probe.gpu_runtime_probes import parse_topology, run_all_reduce, run_jit_build
from tests.conftest import require_python, skip_or_fail
from tests.helpers.venvs import make_venv

pytestmark = pytest.mark.slow

REAL_NVCC = "/usr/local/cuda-13.0/bin/nvcc"
FAILING_NVCC = """#!/bin/sh
case "$*" in
  *--version*) echo 'Cuda compilation tools, release 13.0, V13.0.88' ;;
  *) echo "nvcc fatal   : Unsupported gpu architecture 'compute_90'" >&2; exit 1 ;;
esac
"""


@pytest.fixture(scope="module")
def cpu_torch(tmp_path_factory):
    python = require_python("3.11", "for the torch 2.13.0 cp311 wheel")
    venv = make_venv(tmp_path_factory.mktemp("torch-runtime") / "venv", python)
    try:
        venv.install("torch==2.13.0", "numpy")
    except RuntimeError as exc:
        if "No matching distribution" in str(exc):
            skip_or_fail("torch==2.13.0 is not available to pip on this machine (put its CPU wheel in the wheel cache)")
        raise
    return venv


def test_all_reduce_across_processes_sums_every_rank(cpu_torch, tmp_path):
    for world_size in (2, 3):
        result = run_all_reduce(cpu_torch.python, str(tmp_path), world_size, "gloo", timeout=120)
        assert (result["outcome"], result["expected"], result["observed"]) == ("ok", world_size * (world_size + 1) / 2,
                                                                                world_size * (world_size + 1) / 2), result
        assert result["environment"] == {}  # gloo: nothing added; NCCL's defaults are for nccl only
        assert 0 < result["seconds"] < 120


def test_a_failing_rank_is_reported_with_its_own_error(cpu_torch, tmp_path, monkeypatch):
    """An interface the machine does not have, as NCCL_SOCKET_IFNAME=nope0 does to NCCL."""
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "nope0")
    result = run_all_reduce(cpu_torch.python, str(tmp_path), 2, "gloo", timeout=60)
    assert result["outcome"] == "failed", result
    assert "nope0" in result["error"], result["error"]
    assert result["seconds"] < 60  # the first failure ends the other rank: no wait for the timeout


def test_the_nccl_defaults_leave_the_users_settings_alone(monkeypatch):
    from envdoctor.probe.gpu_runtime_probes import rank_environment

    assert rank_environment("nccl", {}) == {"NCCL_NVLS_ENABLE": "0", "NCCL_DEBUG": "WARN"}
    assert rank_environment("nccl", {"NCCL_NVLS_ENABLE": "1", "NCCL_DEBUG": "INFO"}) == {}


def _no_build_folder_left(folder: Path) -> bool:
    return not list(folder.glob("envdoctor-jit-*"))


def test_jit_build_compiles_with_the_real_toolkit(cpu_torch, tmp_path, monkeypatch):
    if not os.path.exists(REAL_NVCC):
        skip_or_fail(f"no CUDA toolkit at {REAL_NVCC}")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TORCH_CUDA_ARCH_LIST", "9.0")
    result = run_jit_build(cpu_torch.python, str(tmp_path), REAL_NVCC, timeout=240)
    # compiled: the CPU build of torch is what stops it, at the launch
    assert result["outcome"] == "launch-failed", result
    assert "Torch not compiled with CUDA enabled" in result["error"], result["error"]
    assert result["arch_list"] == "9.0"
    assert _no_build_folder_left(tmp_path)


@pytest.mark.parametrize("arch_list, expected", [
    ("9.0", "nvcc fatal   : Unsupported gpu architecture 'compute_90'"),
    ("sm_90", "ValueError: Unknown CUDA arch (sm_90) or GPU not supported"),
])
def test_jit_build_failures_carry_the_toolchains_own_message(cpu_torch, tmp_path, monkeypatch, arch_list, expected):
    nvcc = tmp_path / "cuda" / "bin" / "nvcc"
    nvcc.parent.mkdir(parents=True)
    nvcc.write_text(FAILING_NVCC)
    nvcc.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TORCH_CUDA_ARCH_LIST", arch_list)
    result = run_jit_build(cpu_torch.python, str(tmp_path), str(nvcc), timeout=120)
    assert result["outcome"] == "build-failed", result
    assert expected in result["error"], result["error"]
    assert _no_build_folder_left(tmp_path)


# nvidia-smi topo -m as it prints on a two-GPU NVLink machine with one NIC (tab-separated; the
# legend below the matrix is left out).
TOPOLOGY = (
    "\t\x1b[4mGPU0\tGPU1\tNIC0\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID\x1b[0m\n"
    "GPU0\t X \tNV18\tSYS\t0-47\t0\t\tN/A\n"
    "GPU1\tNV18\t X \tSYS\t0-47\t0\t\tN/A\n"
    "NIC0\tSYS\tSYS\t X \t\t\t\t\n"
)


def test_topology_matrix_is_read_per_gpu_pair():
    assert parse_topology(TOPOLOGY) == {"GPU0": {"GPU1": "NV18", "NIC0": "SYS"}, "GPU1": {"GPU0": "NV18", "NIC0": "SYS"}}
    assert parse_topology("") == {}


def test_deep_gpu_runtime_end_to_end_into_the_multi_gpu_check(cpu_torch, run_envdoctor, tmp_path):
    """gpu_runtime as run_deep calls it, told by torch's deep facts that two GPUs are visible: on the
    CPU build of torch the ranks fail for real at their first CUDA call, and MGPU001 reports their own error."""
    import dataclasses

    from envdoctor.engine import run_checks
    from envdoctor.model.facts import Deep, Facts, from_dict
    from envdoctor.model.target import Target
    from envdoctor.probe.gpu_runtime_probes import gpu_runtime
    from envdoctor.registry import load_registry

    snapshot = tmp_path / "facts.json"
    assert run_envdoctor("snapshot", "--python", cpu_torch.python, "--no-scan", "-o", snapshot, cwd=tmp_path).returncode == 0
    facts = Facts.load(str(snapshot))
    target = Target(python=cpu_torch.python, cwd=str(tmp_path), source="--python")
    found = gpu_runtime(facts, target, 60, {"cuda_available": True, "device_count": 2})
    assert set(found) == {"multi_gpu"}  # a CPU build of torch builds no kernels at run time: no JIT build
    reduce = found["multi_gpu"]["all_reduce"]
    assert (reduce["backend"], reduce["world_size"], reduce["outcome"]) == ("nccl", 2, "failed"), reduce
    # the CPU build's own failure, at the rank's first CUDA call (torch.cuda.set_device)
    assert "_cuda_setDevice" in reduce["error"], reduce["error"]
    deep = from_dict(Deep, {"imports": [], **found})
    spec = load_registry().by_code()["MGPU001"]
    [finding] = run_checks([spec], dataclasses.replace(facts, deep=deep)).findings
    assert finding.title == f"the all-reduce across 2 GPUs (nccl) fails: {reduce['error']}", finding.title
    assert "added by the probe: NCCL_NVLS_ENABLE=0" in finding.evidence
