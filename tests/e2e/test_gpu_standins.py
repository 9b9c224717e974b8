"""End to end on stand-in GPU machines: the probe's own GPU and ROCm collection, then the checks.

Each test runs `envdoctor check --python VENV` on a real venv (a torch 2.13.0 distribution with
its real metadata and the build's torch/version.py) in the environment of a stand-in machine
from tests/helpers/standins.py: gcc-built libnvidia-ml.so.1/libcuda.so.1 on LD_LIBRARY_PATH,
nvidia-smi on PATH, the NVIDIA kernel module's /proc file and ROCm's KFD topology under
ENVDOCTOR_TEST_SYSROOT. Each broken machine has a healthy one a step away (the matching
driver, a GPU the build supports, the build for the machine's vendor) that gives no finding.

What stays on the recorded H200 facts only (tests/e2e/test_stack_envs.py): GPU004 and STK002
need `--deep` to import a CUDA torch and compile a Triton kernel on a GPU; the MPS checks need
macOS in the target (`sys.platform == "darwin"`), which no Linux stand-in can give.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Tuple, Union

import pytest

from tests.helpers.standins import (
    CU130, DRIVER_580, H200, ROCM64, AmdGpus, NvidiaDriver, NvidiaGpu, TorchBuild, check_on,
)

pytestmark = pytest.mark.slow

CPU = TorchBuild("cpu")
CU117, CU118 = TorchBuild("cu117", cuda="11.7"), TorchBuild("cu118", cuda="11.8")
CU126, CU128 = TorchBuild("cu126", cuda="12.6"), TorchBuild("cu128", cuda="12.8")
# PyTorch published no 2.13.0+cu124: the torch catalogue has no arch list for it, so the knowledge
# base's GPU-generation rules speak (for 2.13.0+cu126, GPU002 reads the official arch list instead).
CU124 = TorchBuild("cu124", cuda="12.4")

V100 = NvidiaGpu("Tesla V100-SXM2-16GB", "7.0", 16384)
T4 = NvidiaGpu("Tesla T4", "7.5", 15360)
A100 = NvidiaGpu("NVIDIA A100-SXM4-80GB", "8.0", 81920)
H100 = NvidiaGpu("NVIDIA H100 80GB HBM3", "9.0", 81559)
B200 = NvidiaGpu("NVIDIA B200", "10.0", 183359)
RTX5090 = NvidiaGpu("NVIDIA GeForce RTX 5090", "12.0", 32607)

DRIVER_550 = NvidiaDriver("550.54.14", "12.4", (H200,))
DRIVER_570 = NvidiaDriver("570.86.15", "12.8", (H200,))
MI300X_ROCM_624 = AmdGpus(("gfx942",), "6.2.4-120")
MI300X_ROCM_641 = AmdGpus(("gfx942",), "6.4.1-83")


def on(*gpus: NvidiaGpu, nvml: bool = True) -> NvidiaDriver:
    return NvidiaDriver(DRIVER_580.version, DRIVER_580.cuda, gpus, nvml=nvml)


Machine = Union[NvidiaDriver, AmdGpus]


@dataclass(frozen=True)
class Case:
    code: str
    title: str  # the finding's title, exactly
    broken: Tuple[Machine, TorchBuild]
    healthy: Tuple[Machine, TorchBuild]  # one step away from broken
    others: Tuple[Tuple[str, str], ...] = ()  # more distributions in the venv
    severity: str = "error"  # a warning or info alone leaves the exit status 0


CASES = {
    "GPU001-major": Case("GPU001", "torch 2.13.0+cu130 needs CUDA 13.0, but the driver supports CUDA up to 12.4",
                         (DRIVER_550, CU130), (DRIVER_580, CU130)),
    "GPU001-minor": Case("GPU001", "torch 2.13.0+cu128 is built for CUDA 12.8, newer than the driver's CUDA 12.4",
                         (DRIVER_550, CU128), (DRIVER_570, CU128), severity="warning"),
    "GPU002": Case("GPU002", "GPU 0 Tesla V100-SXM2-16GB (capability 7.0) is older than CUDA 13 supports (>= 7.5); "
                             "torch 2.13.0+cu130 is built with CUDA 13.0", (on(V100), CU130), (on(T4), CU130)),
    "GPU002-nvidia-smi": Case("GPU002", "GPU 0 Tesla V100-SXM2-16GB (capability 7.0) is older than CUDA 13 supports (>= 7.5); "
                                        "torch 2.13.0+cu130 is built with CUDA 13.0",
                              (on(V100, nvml=False), CU130), (on(T4, nvml=False), CU130)),
    "GPU003-cpu-build": Case("GPU003", "torch 2.13.0+cpu is a CPU-only build, but this machine has 1 NVIDIA GPU (NVIDIA H200)",
                             (DRIVER_580, CPU), (DRIVER_580, CU130)),
    "GPU003-cuda-on-amd": Case("GPU003", "torch 2.13.0+cu130 is a CUDA build, but this machine has 1 AMD GPU (gfx942) and no NVIDIA GPU",
                               (MI300X_ROCM_641, CU130), (MI300X_ROCM_641, ROCM64)),
    "GPU002-catalogue": Case("GPU002", "GPU 0 NVIDIA GeForce RTX 5090 (capability 12.0) is not in torch 2.13.0+cu126's arch list "
                                       "5.0;6.0;7.0;7.5;8.0;8.6;9.0", (on(RTX5090), CU126), (on(RTX5090), CU130)),
    "KB005": Case("KB005", "NVIDIA GeForce RTX 5090 (capability 12.0) needs a CUDA 12.8+ build, but torch 2.13.0+cu124 is built with CUDA 12.4",
                  (on(RTX5090), CU124), (on(RTX5090), CU128)),
    "KB006": Case("KB006", "NVIDIA B200 (capability 10.0) needs a CUDA 12.8+ build, but torch 2.13.0+cu124 is built with CUDA 12.4",
                  (on(B200), CU124), (on(B200), CU128)),
    "KB007": Case("KB007", "NVIDIA H100 80GB HBM3 (capability 9.0) needs a CUDA 11.8+ build, but torch 2.13.0+cu117 is built with CUDA 11.7",
                  (on(H100), CU117), (on(H100), CU118)),
    "KB008": Case("KB008", "deep-gemm 2.1.0 runs only on Hopper or Blackwell GPUs, but this machine has NVIDIA A100-SXM4-80GB (capability 8.0)",
                  (on(A100), CU130), (on(H100), CU130), others=(("deep-gemm", "2.1.0"),),
                  severity="info"),  # SGLang and vLLM leave DeepGEMM off below sm_90: nothing breaks
    "ROC001": Case("ROC001", "torch 2.13.0+rocm6.4 is built for ROCm 6.4, but the system ROCm is 6.2.4",
                   (MI300X_ROCM_624, ROCM64), (MI300X_ROCM_641, ROCM64), severity="warning"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_gpu_check_on_a_standin_machine_and_its_healthy_neighbour(run_envdoctor, torch_venvs, new_machine, tmp_path, name):
    case = CASES[name]
    gpus, build = case.broken
    broken = check_on(run_envdoctor, torch_venvs.venv(build, *case.others), new_machine(gpus), tmp_path)
    assert broken.returncode == (1 if case.severity == "error" else 0), broken.stdout + broken.stderr
    assert [(f["code"], f["severity"], f["title"]) for f in broken.json["findings"]] == [(case.code, case.severity, case.title)], broken.stdout

    gpus, build = case.healthy
    healthy = check_on(run_envdoctor, torch_venvs.venv(build, *case.others), new_machine(gpus), tmp_path)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.codes() == [], healthy.stdout  # no finding of any GPU, ENV, KB, ROC, MPS, STK or TOR check
    assert case.code in healthy.json["checks_run"], healthy.json["checks_run"]


def _snapshot(run_envdoctor, venv, machine, cwd) -> dict:
    result = run_envdoctor("snapshot", "--python", venv.python, "--no-scan", cwd=cwd, env=machine.env())
    assert result.returncode == 0, result.stderr
    return result.json["stack"]


def test_probe_reads_the_driver_the_gpus_and_their_sources(run_envdoctor, torch_venvs, new_machine, tmp_path):
    """The facts the NVIDIA checks stand on, exactly as the stand-in driver gives them."""
    driver = NvidiaDriver("550.54.14", "12.4", (H200, V100))
    machine = new_machine(driver)
    stack = _snapshot(run_envdoctor, torch_venvs.venv(CU130), machine, tmp_path)
    nvidia = stack["nvidia"]
    assert (nvidia["driver_version"], nvidia["driver_source"]) == ("550.54.14", "NVML nvmlSystemGetDriverVersion")
    assert (nvidia["cuda_driver_version"], nvidia["cuda_source"]) == ("12.4", "libcuda cuDriverGetVersion")
    expected = [{"index": i, "name": g.name, "capability": g.capability, "memory_mib": g.memory_mib, "uuid": g.uuid(i)}
                for i, g in enumerate(driver.gpus)]
    assert [{k: gpu[k] for k in ("index", "name", "capability", "memory_mib", "uuid")} for gpu in nvidia["gpus"]] == expected
    assert (nvidia["gpus_source"], nvidia["errors"]) == ("NVML", [])
    assert (stack["torch"]["version"], stack["torch"]["cuda"]) == ("2.13.0+cu130", "13.0")


def test_probe_falls_back_to_the_kernel_module_and_nvidia_smi_without_nvml(run_envdoctor, torch_venvs, new_machine, tmp_path):
    machine = new_machine(NvidiaDriver("550.54.14", "12.4", (H200,), nvml=False))
    nvidia = _snapshot(run_envdoctor, torch_venvs.venv(CU130), machine, tmp_path)["nvidia"]
    assert (nvidia["driver_version"], nvidia["driver_source"]) == ("550.54.14", str(machine.sysroot / "proc/driver/nvidia/version"))
    assert [(g["name"], g["capability"], g["memory_mib"]) for g in nvidia["gpus"]] == [("NVIDIA H200", "9.0", 143771)]
    assert nvidia["gpus_source"] == "nvidia-smi --query-gpu"
    assert len(nvidia["errors"]) == 1 and nvidia["errors"][0].startswith("NVML: libnvidia-ml.so.1"), nvidia["errors"]


def test_probe_reads_the_kfd_topology_and_the_rocm_version(run_envdoctor, torch_venvs, new_machine, tmp_path):
    machine = new_machine(AmdGpus(("gfx942", "gfx90a", "gfx1100"), "6.2.4-120"))
    stack = _snapshot(run_envdoctor, torch_venvs.venv(ROCM64), machine, tmp_path)
    rocm = stack["rocm"]
    assert rocm["gfx_targets"] == ["gfx942", "gfx90a", "gfx1100"]  # node 0, the CPU, is no GPU
    assert rocm["gfx_source"] == str(machine.sysroot / "sys/class/kfd/kfd/topology/nodes")
    assert (rocm["version"], rocm["source"]) == ("6.2.4", str(machine.rocm_path / ".info" / "version"))
    assert stack["nvidia"] is None  # no NVIDIA kernel module on this machine


def test_without_the_kernel_module_the_probe_reports_no_nvidia(run_envdoctor, torch_venvs, new_machine, tmp_path):
    """NVML and libcuda on LD_LIBRARY_PATH, but no /proc/driver/nvidia and no /dev/nvidiactl: a
    container without the GPU devices. The probe loads no library and no GPU check fires."""
    machine = new_machine(DRIVER_550)  # a driver torch cu130 is too new for: GPU001 would fire
    for path in ("proc", "dev"):
        shutil.rmtree(machine.sysroot / path)
    venv = torch_venvs.venv(CU130)
    assert _snapshot(run_envdoctor, venv, machine, tmp_path)["nvidia"] is None
    result = check_on(run_envdoctor, venv, machine, tmp_path)
    assert result.returncode == 0 and result.codes() == [], result.stdout
