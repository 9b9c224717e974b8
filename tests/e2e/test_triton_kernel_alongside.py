"""--deep's Triton kernel runs in a process of its own, alongside the imports, on NVIDIA GPUs.

Compiling the one-line kernel took a second or two of the deep import process on the H200
(docs/transcripts/2026-11-30-h200x2-round6.md); on NVIDIA GPUs with a CUDA torch the host now
starts in_target/triton_kernel_probe.py with the JIT build and the all-reduce, and the deep
import of triton only reports its version.  These tests run that process for real in venvs
with a stand-in torch and triton (a CPU machine: no GPU for torch), through the same class
run_deep uses, and check that where it runs decides nothing else: the deep import without the
kernel, and the inline kernel where the host does not start one (CPU, MPS, ROCm).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time

import pytest

from envdoctor.model.facts import Gpu, Nvidia, TorchBuild, TritonRuntime
from envdoctor.model.target import Target
from envdoctor.probe.deep_probes import DeepImports, run_deep
from envdoctor.probe.facts_probe import run_probe
from envdoctor.probe.gpu_runtime_probes import TritonKernelRun
from tests.helpers.standins import importable_torch
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

TORCH_WITHOUT_GPU = importable_torch("2.11.0+cu130", cuda="13.0")
TRITON = "__version__ = '3.6.0'\n"
TRITON_BROKEN = "raise ImportError('libtriton.so: cannot open shared object file')\n"
TRITON_HANGS = "import time\ntime.sleep(600)\n"


def stack_venv(new_venv, tmp_path, triton_source: str):
    venv = new_venv()
    folder = tmp_path / "wheels"
    venv.install_files(build_wheel(folder, "torch", "2.11.0", {"torch/__init__.py": TORCH_WITHOUT_GPU}),
                       build_wheel(folder, "triton", "3.6.0", {"triton/__init__.py": triton_source}),
                       extra=["--no-deps"])
    return venv


def kernel_answer(venv, tmp_path, timeout=60.0) -> dict:
    run = TritonKernelRun(venv.python, str(tmp_path), timeout, {"TRITON_CACHE_DIR": tempfile.mkdtemp(dir=tmp_path)})
    try:
        return run.finish()
    finally:
        run.cancel()


def test_the_kernel_process_gives_the_answer_the_deep_import_gave(new_venv, tmp_path):
    venv = stack_venv(new_venv, tmp_path, TRITON)
    target = Target(python=venv.python, cwd=str(tmp_path), source="--python")
    inline = DeepImports(target, 60, {}).answers(["torch", "triton"])["triton"]["triton"]
    elsewhere = DeepImports(target, 60, {}, triton_kernel_elsewhere=True).answers(["torch", "triton"])["triton"]
    assert inline == {"version": "3.6.0", "kernel": "skipped: no GPU visible to torch"}
    assert elsewhere["outcome"] == "ok" and elsewhere["triton"] == {"version": "3.6.0"}  # no kernel in the import
    assert kernel_answer(venv, tmp_path) == inline


def test_a_triton_that_does_not_import_is_a_skip_in_the_kernel_process(new_venv, tmp_path):
    venv = stack_venv(new_venv, tmp_path, TRITON_BROKEN)
    answer = kernel_answer(venv, tmp_path)
    assert answer == {"kernel": "skipped: triton does not import "
                                "(ImportError: libtriton.so: cannot open shared object file)"}


def test_a_kernel_process_that_hangs_is_ended_at_its_timeout(new_venv, tmp_path):
    venv = stack_venv(new_venv, tmp_path, TRITON_HANGS)
    started = time.monotonic()
    answer = kernel_answer(venv, tmp_path, timeout=3)
    assert answer == {"kernel": "no result within 3 s (killed)"}
    assert time.monotonic() - started < 30


def test_run_deep_on_an_nvidia_machine_runs_the_kernel_in_its_own_process(new_venv, tmp_path, monkeypatch):
    """The machine's facts say: one NVIDIA GPU (NVML) and a CUDA build of torch, as on the H200;
    the stand-in triton records each process that imports it."""
    record = tmp_path / "triton-imports"
    monkeypatch.setenv("ENVDOCTOR_TEST_TRITON_IMPORTS", str(record))
    recording = ("import os\nwith open(os.environ['ENVDOCTOR_TEST_TRITON_IMPORTS'], 'a') as f:\n"
                 "    f.write('%d\\n' % os.getpid())\n" + TRITON)
    venv = stack_venv(new_venv, tmp_path, recording)
    target = Target(python=venv.python, cwd=str(tmp_path), source="--python")
    facts = run_probe(target, timeout=60)
    gpu = Gpu(index=0, name="NVIDIA H200", capability="9.0")
    machine = dataclasses.replace(facts, stack=dataclasses.replace(
        facts.stack, nvidia=Nvidia(driver_version="580.159.04", gpus=(gpu,)),
        torch=TorchBuild(version="2.11.0+cu130", local="cu130", cuda="13.0", hip=None)))
    deep = run_deep(machine, target, 60, modules=["torch", "triton"])
    assert dataclasses.asdict(deep.triton) == dataclasses.asdict(
        TritonRuntime(version="3.6.0", kernel="skipped: no GPU visible to torch"))
    assert len(set(record.read_text().split())) == 2  # the deep import and the kernel process

    record.write_text("")
    deep = run_deep(facts, target, 60, modules=["torch", "triton"])  # no GPU in the facts: inline, one process
    assert deep.triton.kernel == "skipped: no GPU visible to torch"
    assert len(set(record.read_text().split())) == 1
