"""End to end: the environment variables that choose GPUs and CUDA libraries, on stand-in machines.

`envdoctor check --python VENV` runs on a real venv (torch 2.13.0+cu130's metadata and
version.py) with the variable set in envdoctor's own environment, which the probe inherits,
on a stand-in machine from tests/helpers/standins.py. ENV001 judges CUDA_VISIBLE_DEVICES and
ROCR_VISIBLE_DEVICES against the GPUs the probe read from NVML or the KFD topology; ENV003 sees
a real LD_PRELOAD of a gcc-built library named like a CUDA library (every process of the run,
envdoctor's and the probe's included, loads it). Each variable has a healthy value one step
away that gives no finding.
"""

from __future__ import annotations

import pytest

from tests.helpers.standins import CU130, DRIVER_580, H200, ROCM64, AmdGpus, NvidiaDriver, check_on

pytestmark = pytest.mark.slow

TWO_H200 = NvidiaDriver(DRIVER_580.version, DRIVER_580.cuda, (H200, H200))
MI300X = AmdGpus(("gfx942",), "6.4.1-83")
SECOND_UUID = H200.uuid(1)


def findings_on(run_envdoctor, venv, machine, cwd, **variables):
    result = check_on(run_envdoctor, venv, machine, cwd, **variables)
    return result, [(f["code"], f["severity"], f["title"]) for f in result.json["findings"]]


@pytest.mark.parametrize("variable,value,expected", [
    ("CUDA_VISIBLE_DEVICES", "", ("error", "CUDA_VISIBLE_DEVICES='' hides all 2 GPUs of this machine")),
    ("CUDA_VISIBLE_DEVICES", "-1", ("error", "CUDA_VISIBLE_DEVICES='-1' hides all 2 GPUs of this machine")),
    ("CUDA_VISIBLE_DEVICES", "0,2,1", ("warning", "CUDA_VISIBLE_DEVICES='0,2,1' names device 2 that this machine does not have (2 GPUs)")),
    ("CUDA_VISIBLE_DEVICES", "GPU-00000000", ("error", "CUDA_VISIBLE_DEVICES='GPU-00000000' names device GPU-00000000 that this machine does not have (2 GPUs)")),
    ("CUDA_VISIBLE_DEVICES", "1,0", None),
    ("CUDA_VISIBLE_DEVICES", SECOND_UUID[:12], None),  # a UUID prefix, as CUDA accepts it
], ids=["empty", "minus-one", "index-beyond", "unknown-uuid", "healthy-indices", "healthy-uuid"])
def test_env001_cuda_visible_devices_against_the_nvml_gpus(run_envdoctor, torch_venvs, new_machine, tmp_path, variable, value, expected):
    machine = new_machine(TWO_H200)
    result, findings = findings_on(run_envdoctor, torch_venvs.venv(CU130), machine, tmp_path, **{variable: value})
    assert findings == ([("ENV001", *expected)] if expected else []), result.stdout
    assert result.returncode == (1 if expected and expected[0] == "error" else 0)


@pytest.mark.parametrize("value,expected", [
    ("1", "ROCR_VISIBLE_DEVICES='1' names device 1 that this machine does not have (1 GPU)"),
    ("0", None),
])
def test_env001_rocr_visible_devices_against_the_kfd_gpus(run_envdoctor, torch_venvs, new_machine, tmp_path, value, expected):
    machine = new_machine(MI300X)
    result, findings = findings_on(run_envdoctor, torch_venvs.venv(ROCM64), machine, tmp_path, ROCR_VISIBLE_DEVICES=value)
    assert findings == ([("ENV001", "error", expected)] if expected else []), result.stdout


def test_env003_a_real_ld_preload_of_a_cuda_library(run_envdoctor, torch_venvs, new_machine, tmp_path):
    machine = new_machine(DRIVER_580)
    machine.preloaded("libjemalloc.so.2")  # an allocator, often preloaded: not a CUDA library
    nccl = machine.preloaded("libnccl.so.2")
    result, findings = findings_on(run_envdoctor, torch_venvs.venv(CU130), machine, tmp_path)
    assert findings == [("ENV003", "warning", f"LD_PRELOAD loads {nccl} into every process")], result.stdout
    (finding,) = result.json["findings"]
    assert finding["evidence"] == [f"LD_PRELOAD entry 1: {nccl}"]  # after the allocator, entry 0
    assert result.returncode == 0  # a warning


def test_env003_healthy_neighbour_preloads_only_a_non_cuda_library(run_envdoctor, torch_venvs, new_machine, tmp_path):
    machine = new_machine(DRIVER_580)
    machine.preloaded("libjemalloc.so.2")
    result, findings = findings_on(run_envdoctor, torch_venvs.venv(CU130), machine, tmp_path)
    assert findings == [] and result.returncode == 0, result.stdout
    assert "ENV003" in result.json["checks_run"]
