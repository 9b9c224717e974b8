"""End to end: the JIT toolchain checks (JIT001-JIT006) through `envdoctor check --python VENV`.

Each machine is a stand-in (tests/helpers/standins.py: an H200 through gcc-built NVML/libcuda)
with a toolkit layout of our own making: `bin/nvcc`, a shell script that prints the text a
real nvcc of that release prints for `--version`, and `include/crt/host_config.h`, written
here with the structure of NVIDIA's version check (`#if __GNUC__ > N` then `#error --
unsupported GNU version!`), not copied from it. The host compiler is the machine's real gcc.
Each broken case has a healthy neighbour one step away that gives no finding at all.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.conftest import skip_or_fail
from tests.helpers.standins import CU130, DRIVER_580, TorchBuild

pytestmark = pytest.mark.slow

NVCC_VERSION = """#!/bin/sh
# echo only (a shell builtin): the tests run it with a PATH that holds no coreutils
echo 'nvcc: NVIDIA (R) Cuda compiler driver'
echo 'Copyright (c) 2005-2025 NVIDIA Corporation'
echo 'Built on {built}'
echo 'Cuda compilation tools, release {release}, V{release}.{patch}'
echo 'Build cuda_{release}.r{release}/compiler.0_0'
"""
HOST_CONFIG = """/* a stand-in for the toolkit's crt/host_config.h: the same shape of version check */
#if defined(__GNUC__)
#if __GNUC__ > {gcc_max}
#error -- unsupported GNU version! gcc versions later than {gcc_max} are not supported! The nvcc flag '-allow-unsupported-compiler' can be used to override this version check.
#endif /* __GNUC__ > {gcc_max} */
#if defined(__clang__)
#if (__clang_major__ >= 21) || (__clang_major__ < 3)
#error -- unsupported clang version! clang version must be less than 21 and greater than 3.2 .
#endif
#endif
#endif /* __GNUC__ */
"""
CU124 = TorchBuild("cu124", cuda="12.4")


def gcc_major() -> int:
    out = subprocess.run(["gcc", "-dumpversion"], capture_output=True, text=True, check=True).stdout
    return int(out.strip().split(".")[0])


def make_toolkit(root: Path, release: str, gcc_max: int) -> Path:
    home = root / f"cuda-{release}-gcc{gcc_max}"
    (home / "bin").mkdir(parents=True)
    (home / "include" / "crt").mkdir(parents=True)
    nvcc = home / "bin" / "nvcc"
    nvcc.write_text(NVCC_VERSION.format(release=release, patch=88, built="Wed_Aug_20_01:58:59_PM_PDT_2025"))
    nvcc.chmod(0o755)
    (home / "include" / "crt" / "host_config.h").write_text(HOST_CONFIG.format(gcc_max=gcc_max))
    return home


def ninja_folder(root: Path) -> Path:
    folder = root / "ninja-bin"
    folder.mkdir(exist_ok=True)
    if not (folder / "ninja").exists():
        (folder / "ninja").symlink_to(shutil.which("ninja"))
    return folder


def jit_findings(run_envdoctor, venv, machine, cwd, env: Dict[str, str]) -> Tuple[int, List[tuple], str]:
    result = run_envdoctor("check", "--python", venv.python, "--select", "JIT", "--format", "json", "--no-scan",
                           cwd=cwd, env=machine.env(**env))
    findings = [(f["code"], f["severity"], f["title"]) for f in result.json["findings"]]
    return result.returncode, findings, result.stdout


@pytest.fixture
def toolchain(tmp_path, new_machine):
    """A stand-in H200 machine and a PATH of: its bin (nvidia-smi), ninja, and no nvcc."""
    machine = new_machine(DRIVER_580)
    base = {"PATH": f"{machine.bin}:{ninja_folder(tmp_path)}", "CC": shutil.which("gcc")}
    return machine, base


def test_jit_toolchain_cases(run_envdoctor, torch_venvs, toolchain, tmp_path):
    """Every JIT check against its healthy neighbour, on the same venv and machine."""
    machine, base = toolchain
    venv = torch_venvs.venv(CU130)
    gcc = gcc_major()
    good = make_toolkit(tmp_path, "13.0", gcc_max=gcc + 3)
    old = make_toolkit(tmp_path, "12.4", gcc_max=gcc + 3)
    minor = make_toolkit(tmp_path, "13.1", gcc_max=gcc + 3)
    strict = make_toolkit(tmp_path, "13.0", gcc_max=gcc - 1)
    gcc_path = shutil.which("gcc")
    gcc_version = subprocess.run([gcc_path, "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
    cases = {
        "JIT001": ({"CUDA_HOME": str(tmp_path / "cuda-gone")},
                   ("warning", f"CUDA_HOME={tmp_path / 'cuda-gone'} has no bin/nvcc; torch (CUDA 13.0) builds kernels with it")),
        "JIT002": ({"CUDA_HOME": str(old)},
                   ("error", f"nvcc 12.4 ({old}/bin/nvcc) builds kernels for torch 2.13.0+cu130, built with CUDA 13.0")),
        "JIT002-minor": ({"CUDA_HOME": str(minor)},
                         ("info", f"nvcc 13.1 ({minor}/bin/nvcc) builds kernels for torch 2.13.0+cu130, built with CUDA 13.0")),
        "JIT003": ({"CUDA_HOME": str(good), "TORCH_CUDA_ARCH_LIST": "8.0"},
                   ("error", "TORCH_CUDA_ARCH_LIST=8.0 builds no code for GPU 0 NVIDIA H200 (capability 9.0)")),
        "JIT003-unknown": ({"CUDA_HOME": str(good), "TORCH_CUDA_ARCH_LIST": "9.0;sm_90"},
                           ("error", "TORCH_CUDA_ARCH_LIST=9.0;sm_90 has entries the build does not know: sm_90")),
        "JIT004": ({"CUDA_HOME": str(strict)},
                   ("error", f"gcc {gcc_version} ({gcc_path}) is newer than CUDA 13.0's nvcc accepts (gcc <= {gcc - 1})")),
        "JIT005": ({"CUDA_HOME": str(good), "PATH": str(machine.bin)}, ("warning", "ninja is not on PATH")),
        "JIT006": ({"CUDA_HOME": str(good), "TORCH_EXTENSIONS_DIR": "/proc/1/torch_extensions"},
                   ("warning", "TORCH_EXTENSIONS_DIR=/proc/1/torch_extensions cannot be written: torch builds kernels into it")),
    }
    for name, (env, (severity, title)) in cases.items():
        code, findings, out = jit_findings(run_envdoctor, venv, machine, tmp_path, {**base, **env})
        assert findings == [(name.split("-")[0], severity, title)], (name, out)
        assert code == (1 if severity == "error" else 0), (name, out)
    # The healthy neighbours: the toolkit of torch's CUDA, a list holding the GPU's arch (as a
    # cubin of the same major, or as PTX the driver compiles), a gcc the header accepts
    # (or the override flag), ninja on PATH, a writable cache.
    healthy = [
        {"CUDA_HOME": str(good)},
        {"CUDA_HOME": str(good), "TORCH_CUDA_ARCH_LIST": "8.0;9.0"},
        {"CUDA_HOME": str(good), "TORCH_CUDA_ARCH_LIST": "8.0+PTX"},
        {"CUDA_HOME": str(good), "TORCH_CUDA_ARCH_LIST": "Hopper"},
        {"CUDA_HOME": str(strict), "NVCC_APPEND_FLAGS": "-allow-unsupported-compiler"},
        {"CUDA_HOME": str(good), "TORCH_EXTENSIONS_DIR": str(tmp_path / "not-yet" / "made")},
    ]
    for env in healthy:
        code, findings, out = jit_findings(run_envdoctor, venv, machine, tmp_path, {**base, **env})
        assert (code, findings) == (0, []), (env, out)


def test_no_jit_user_no_toolchain_judgement(run_envdoctor, torch_venvs, toolchain, tmp_path):
    """A CPU build of torch builds no kernels at run time: a broken toolchain is nobody's problem."""
    machine, base = toolchain
    venv = torch_venvs.venv(TorchBuild("cpu"))
    broken = {"CUDA_HOME": str(tmp_path / "cuda-gone"), "TORCH_CUDA_ARCH_LIST": "8.0", "PATH": str(machine.bin)}
    code, findings, out = jit_findings(run_envdoctor, venv, machine, tmp_path, {**base, **broken})
    assert (code, findings) == (0, []), out
    snapshot = run_envdoctor("snapshot", "--python", venv.python, "--no-scan", cwd=tmp_path,
                             env=machine.env(**{**base, **broken})).json["toolchain"]
    assert snapshot["triggers"] == [] and snapshot["cuda_home"] is None and snapshot["compiler"] is None


def test_probe_reads_the_toolchain_as_torch_finds_it(run_envdoctor, torch_venvs, toolchain, tmp_path):
    """nvcc on PATH stands for CUDA_HOME when it is unset (torch's _find_cuda_home, guess #2)."""
    machine, base = toolchain
    toolkit = make_toolkit(tmp_path, "12.4", gcc_max=15)
    env = machine.env(**{**base, "PATH": f"{toolkit / 'bin'}:{base['PATH']}", "TORCH_CUDA_ARCH_LIST": "9.0a"})
    del env["CUDA_HOME"]
    facts = run_envdoctor("snapshot", "--python", torch_venvs.venv(CU124).python, "--no-scan", cwd=tmp_path,
                          env=env).json["toolchain"]
    assert facts["triggers"] == ["torch (CUDA 12.4)"]
    assert (facts["cuda_home"], facts["cuda_home_via"]) == (str(toolkit), f"nvcc on PATH ({toolkit}/bin/nvcc)")
    assert (facts["nvcc_version"], facts["nvcc_source"]) == ("12.4", f"{toolkit}/bin/nvcc --version")
    assert facts["compiler_range"] == {"source": f"{toolkit}/include/crt/host_config.h", "gcc_max_major": 15,
                                       "clang_max_major": 20, "allow_unsupported": False}
    assert facts["compiler"]["via"] == "CC" and facts["compiler"]["family"] == "gcc"
    assert facts["arch_lists"] == {"TORCH_CUDA_ARCH_LIST": "9.0a"}
    assert facts["ninja"] == str(tmp_path / "ninja-bin" / "ninja")
    assert [c["module"] for c in facts["cache_dirs"]] == ["torch"]


@pytest.fixture(scope="module")
def flashinfer_venv(tmp_path_factory):
    """The CPU build of torch and flashinfer-python 0.6.11.post1 (its real name, a `flashinfer`
    package): FlashInfer alone builds kernels at run time here."""
    from tests.helpers.standins import torch_standin_wheel
    from tests.helpers.venvs import make_venv
    from tests.helpers.wheels import build_wheel

    folder = tmp_path_factory.mktemp("flashinfer")
    wheels = [torch_standin_wheel(folder / "wheels", TorchBuild("cpu")),
              build_wheel(folder / "wheels", "flashinfer-python", "0.6.11.post1", {"flashinfer/__init__.py": ""})]
    venv = make_venv(folder / "venv")
    venv.install_files(*wheels, extra=["--no-deps"])
    return venv


REAL_TOOLKIT = Path("/usr/local/cuda")


def test_flashinfer_alone_triggers_the_toolchain_checks(run_envdoctor, flashinfer_venv, toolchain, tmp_path):
    machine, base = toolchain
    cache = tmp_path / "workspace"
    cases = {
        "JIT001": ({"CUDA_HOME": str(tmp_path / "cuda-gone")},
                   ("warning", f"CUDA_HOME={tmp_path / 'cuda-gone'} has no bin/nvcc; flashinfer builds kernels with it")),
        "JIT003": ({"FLASHINFER_CUDA_ARCH_LIST": "8.0"},
                   ("error", "FLASHINFER_CUDA_ARCH_LIST=8.0 builds no code for GPU 0 NVIDIA H200 (capability 9.0)")),
        "JIT006": ({"FLASHINFER_WORKSPACE_BASE": "/proc/1"},
                   ("error", "FLASHINFER_WORKSPACE_BASE=/proc/1/.cache/flashinfer cannot be written: flashinfer "
                             "builds kernels into it")),
    }
    good = make_toolkit(tmp_path, "13.0", gcc_max=gcc_major() + 3)
    for name, (env, (severity, title)) in cases.items():
        env = {"CUDA_HOME": str(good), "FLASHINFER_WORKSPACE_BASE": str(cache), **env}
        code, findings, out = jit_findings(run_envdoctor, flashinfer_venv, machine, tmp_path, {**base, **env})
        assert findings == [(name, severity, title)], (name, out)
    code, findings, out = jit_findings(run_envdoctor, flashinfer_venv, machine, tmp_path,
                                       {**base, "CUDA_HOME": str(good), "FLASHINFER_CUDA_ARCH_LIST": "9.0",
                                        "FLASHINFER_WORKSPACE_BASE": str(cache)})
    assert (code, findings) == (0, []), out


def test_the_machines_real_toolkit_and_gcc_give_no_finding(run_envdoctor, flashinfer_venv, toolchain, tmp_path):
    """No CUDA_HOME and no nvcc on PATH: torch's third guess, /usr/local/cuda, with its real nvcc,
    its real host_config.h and the real gcc: a healthy toolchain, zero findings."""
    if not (REAL_TOOLKIT / "bin" / "nvcc").exists():
        skip_or_fail("no CUDA toolkit at /usr/local/cuda on this machine")
    machine, base = toolchain
    env = machine.env(**{**base, "FLASHINFER_WORKSPACE_BASE": str(tmp_path)})
    del env["CUDA_HOME"]
    result = run_envdoctor("check", "--python", flashinfer_venv.python, "--select", "JIT", "--format", "json",
                           "--no-scan", cwd=tmp_path, env=env)
    assert (result.returncode, result.json["findings"]) == (0, []), result.stdout
    facts = run_envdoctor("snapshot", "--python", flashinfer_venv.python, "--no-scan", cwd=tmp_path,
                          env=env).json["toolchain"]
    assert (facts["triggers"], facts["cuda_home"], facts["cuda_home_via"]) == (["flashinfer"], "/usr/local/cuda",
                                                                               "/usr/local/cuda")
    assert facts["nvcc_version"] and facts["compiler_range"]["gcc_max_major"] >= 12, facts
