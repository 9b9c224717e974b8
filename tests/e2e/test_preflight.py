"""`check --with` end to end: the target's own pip resolves the install (a dry run) against a real
local package index, envdoctor checks the environment as the install would leave it, and marks
each finding new or already present.  The target is never written: its file tree is compared
byte for byte before and after.

- a torch build the driver cannot run: stand-in torch 2.13.0 wheels (+cu130, +cu126, +cu121,
  torch 2.13.0's real METADATA) in a PEP 503 index served as file://, on a stand-in machine with
  driver 535 (CUDA 12.2) whose NVML and libcuda the probe reads for real;
- a FlashInfer pin conflict: a vLLM 0.33.0 stand-in with its real pin flashinfer-python==0.7.2.post1;
- NumPy 2 under pandas 2.1.4 (a real wheel built against NumPy 1.x), the NPY checks reading its
  extension modules;
and a compatible set beside each, at zero findings.
"""

from __future__ import annotations


import pytest

from tests.e2e.test_fix import venv_with_pip
from tests.helpers.package_index import simple_index
from tests.helpers.standins import CU130, NvidiaDriver, NvidiaGpu, StandinMachine, TorchBuild, torch_standin_wheel
from tests.helpers.venvs import WHEEL_CACHE, cached_wheels, tree_state

pytestmark = pytest.mark.slow

A100 = NvidiaGpu("NVIDIA A100-SXM4-80GB", "8.0", 81920)
DRIVER_535 = NvidiaDriver("535.183.01", "12.2", (A100,))
CU126, CU121 = TorchBuild("cu126", cuda="12.6"), TorchBuild("cu121", cuda="12.1")
TORCH_DEPENDENCIES = ("filelock", "typing-extensions>=4.10.0", "setuptools>=77.0.3", "sympy>=1.13.3",
                      "networkx>=2.5.1", "jinja2", "fsspec>=0.8.5")


def findings(result):
    return sorted((f["code"], f["subject"], f["title"].split("]")[0] + "]") for f in result.json["findings"])


@pytest.fixture(scope="module")
def torch_index(tmp_path_factory):
    """A file:// index of stand-in torch builds; torch's own dependencies come from the wheel cache."""
    cached_wheels(TORCH_DEPENDENCIES)
    root = tmp_path_factory.mktemp("torch-index")
    wheels = {build.local: torch_standin_wheel(root / "wheels", build) for build in (CU130, CU126, CU121)}
    return simple_index(root / "index", wheels.values()), wheels


@pytest.fixture(scope="module")
def machine_535(tmp_path_factory):
    """A stand-in machine with an A100 and driver 535 (CUDA 12.2): its NVML and libcuda are real shared objects."""
    root = tmp_path_factory.mktemp("driver-535")
    return StandinMachine(root / "machine", root / "libraries").with_gpus(DRIVER_535)


@pytest.fixture(scope="module")
def venvs_535(tmp_path_factory, torch_index):
    """Two targets, shared by the tests because `check --with` never writes them (each test shows it):
    pip alone, and pip with torch 2.13.0+cu126 (GPU001's warning on driver 535, before any install)."""
    root = tmp_path_factory.mktemp("venvs-535")
    plain = venv_with_pip(root / "plain")
    with_cu126 = venv_with_pip(root / "cu126")
    with_cu126.install_files(torch_index[1]["cu126"])
    return {"plain": plain, "cu126": with_cu126}


def check_with(run_envdoctor, venv, machine, cwd, *arguments):
    """check --with ... on the stand-in machine, resolving offline: the local index and the wheel cache."""
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", *arguments, cwd=cwd,
                           env=machine.env(PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert tree_state(venv.root) == before  # the dry run wrote nothing into the target
    return result


def torch_with(run_envdoctor, venvs, machine, cwd, venv, build, *more):
    return check_with(run_envdoctor, venvs[venv], machine, cwd, "--with", f"torch==2.13.0+{build}", "--index-url",
                      venvs["index"], "--find-links", WHEEL_CACHE, *more)


@pytest.fixture
def torch_check(run_envdoctor, venvs_535, machine_535, torch_index, tmp_path):
    venvs = {**venvs_535, "index": torch_index[0]}
    return lambda venv, build, *more: torch_with(run_envdoctor, venvs, machine_535, tmp_path, venv, build, *more)


def test_torch_build_the_driver_cannot_run_is_new(torch_check):
    result = torch_check("plain", "cu130")
    assert findings(result) == [("GPU001", "torch", "[new]")], result.stdout + result.stderr
    (finding,) = result.json["findings"]
    assert finding["severity"] == "error"
    assert finding["title"] == "[new] torch 2.13.0+cu130 needs CUDA 13.0, but the driver supports CUDA up to 12.2"
    assert result.returncode == 1
    assert "would put in place" in result.stderr and "torch 2.13.0+cu130" in result.stderr


def test_torch_build_the_driver_runs_is_clean(torch_check):
    result = torch_check("plain", "cu121")
    assert findings(result) == [] and result.returncode == 0, result.stdout + result.stderr
    assert "torch 2.13.0+cu121" in result.stderr


# With a CUDA torch installed, the stand-in machine's CUDA_HOME (a folder without nvcc) is JIT001's
# warning before any install: already present whatever the install does.
JIT001_PRESENT = ("JIT001", "CUDA_HOME", "[already present]")


def test_a_warning_the_install_makes_an_error_is_new(torch_check):
    result = torch_check("cu126", "cu130")
    assert findings(result) == [("GPU001", "torch", "[new]"), JIT001_PRESENT], result.stdout + result.stderr
    gpu001 = result.json["findings"][0]
    assert gpu001["severity"] == "error" and result.returncode == 1


def test_a_fitting_build_resolves_what_is_broken(torch_check):
    result = torch_check("cu126", "cu121")
    assert findings(result) == [JIT001_PRESENT] and result.returncode == 0, result.stdout + result.stderr
    assert "the install would resolve GPU001:torch" in result.stderr


def test_what_is_broken_already_fails_only_with_strict(torch_check):
    result = torch_check("cu126", "cu126")  # installed already: nothing to change
    assert findings(result) == [("GPU001", "torch", "[already present]"), JIT001_PRESENT], result.stdout + result.stderr
    assert result.json["findings"][0]["severity"] == "warning" and result.returncode == 0
    assert torch_check("cu126", "cu126", "--strict").returncode == 1


def test_the_text_verdict_is_the_preflights_own(run_envdoctor, tmp_path):
    """An error already present and an install that adds nothing: exit 0, and the text report's
    last line says OK, not FAILED (it said FAILED above an exit code of 0)."""
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("idna==3.20", no_deps=True)
    (venv.site_packages / "idna" / "core.py").unlink()  # `import idna` fails: INT001, an error
    arguments = ("check", "--python", venv.python, "--no-scan", "--select", "INT001")
    plain = run_envdoctor(*arguments, cwd=tmp_path)
    assert plain.returncode == 1 and plain.stdout.splitlines()[-1].startswith("FAILED 1 error"), plain.stdout
    preview = run_envdoctor(*arguments, "--with", "idna==3.20", "--find-links", WHEEL_CACHE, "--index-url",
                            (tmp_path / "no-index").as_uri(), cwd=tmp_path)
    assert "[already present] idna" in preview.stdout, preview.stdout + preview.stderr
    assert preview.returncode == 0 and preview.stdout.splitlines()[-1].startswith("OK (nothing new) 1 error"), preview.stdout
