"""--deep's GPU runs start with the imports and are collected after them: no false timeouts.

On the H200 (09:38 run, docs/transcripts/2026-11-30-h200x2-gpu-runtime.md) the JIT build and the
all-reduce started early were collected after a minute of deep imports and reported as 'no result
within 60 s' (JIT007, MGPU001) although both had finished. Here real runs on the CPU build of
torch 2.13.0 (the orchestration of tests/e2e/test_gpu_runtime_probes.py) are collected after their
--timeout has passed: the ones that finished give their answer, the one that really hangs is a
timeout. And `nvidia-smi topo -m` (a stand-in on PATH) runs while the all-reduce does, not after it.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest

from envdoctor.probe.gpu_runtime_probes import AllReduceRun, JitBuildRun
from tests.e2e.test_gpu_runtime_probes import FAILING_NVCC, TOPOLOGY, cpu_torch  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

HANGING_NVCC = "#!/bin/sh\nexec sleep 600\n"


def tool(folder: Path, name: str, script: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(script)
    path.chmod(0o755)
    return str(path)


def test_runs_that_finished_before_a_late_collection_give_their_answer_and_a_hang_is_a_timeout(
        cpu_torch, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TORCH_CUDA_ARCH_LIST", "9.0")
    failing = tool(tmp_path / "failing", "nvcc", FAILING_NVCC)
    hanging = tool(tmp_path / "hanging", "nvcc", HANGING_NVCC)
    allowed = 40  # ample for a torch import and a gloo all-reduce on a loaded machine
    build = JitBuildRun(cpu_torch.python, str(tmp_path), failing, allowed)
    reduce = AllReduceRun(cpu_torch.python, str(tmp_path), 2, "gloo", allowed)
    stuck = JitBuildRun(cpu_torch.python, str(tmp_path), hanging, 10)
    time.sleep(allowed + 1)  # the deep imports took longer than every run's --timeout
    built, reduced, hung = build.finish(), reduce.finish(), stuck.finish()
    assert built["outcome"] == "build-failed", built  # was: timeout, "no result within 40 s"
    assert "Unsupported gpu architecture 'compute_90'" in built["error"]
    assert (reduced["outcome"], reduced["observed"]) == ("ok", 3.0), reduced  # was: timeout
    # The probe's own bound on nvcc ("nvcc gave no answer within 10s") or, where torch's import
    # took the probe past the host's deadline first, the host's ("no result within 10 s").
    assert hung["outcome"] == "timeout" and re.search(r"within 10 ?s", hung["error"]), hung
    assert not list(tmp_path.glob("envdoctor-jit-*"))


def test_the_topology_is_read_while_the_all_reduce_runs(cpu_torch, run_envdoctor, tmp_path, monkeypatch):  # noqa: F811
    """The ranks fail for real at their first CUDA call (a CPU build of torch told it sees two GPUs);
    the stand-in nvidia-smi writes when it started: before the all-reduce was collected."""
    from envdoctor.model.facts import Facts
    from envdoctor.model.target import Target
    from envdoctor.probe.gpu_runtime_probes import gpu_runtime

    started = tmp_path / "nvidia-smi-started"
    printf_topology = TOPOLOGY.replace("\x1b", "\\033").replace("\t", "\\t").replace("\n", "\\n")
    bin_dir = tmp_path / "bin"
    tool(bin_dir, "nvidia-smi", f"#!/bin/sh\ndate +%s.%N > {started}\nprintf '{printf_topology}'\n")
    snapshot = tmp_path / "facts.json"
    assert run_envdoctor("snapshot", "--python", cpu_torch.python, "--no-scan", "-o", snapshot, cwd=tmp_path).returncode == 0
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    target = Target(python=cpu_torch.python, cwd=str(tmp_path), source="--python")
    began = time.time()
    found = gpu_runtime(Facts.load(str(snapshot)), target, 60, {"cuda_available": True, "device_count": 2})
    multi = found["multi_gpu"]
    assert multi["all_reduce"]["outcome"] == "failed", multi
    assert multi["topology"] == {"GPU0": {"GPU1": "NV18", "NIC0": "SYS"}, "GPU1": {"GPU0": "NV18", "NIC0": "SYS"}}
    # `seconds` of a failed all-reduce: from its start to its collection (the ranks' torch import included).
    assert float(started.read_text()) < began + multi["all_reduce"]["seconds"], "nvidia-smi ran after the all-reduce"
