"""GPU001/GPU002/GPU003 fixed end to end: planned, resolved by pip's dry run, applied, verified, undone.

The target is a real venv with real pip; the machine is a stand-in (tests/helpers/standins.py:
gcc-built NVML and libcuda, nvidia-smi); the index is a real PEP 503 folder served to pip as
`--index-url file://...`, holding stand-in torch 2.13.0 wheels (+cpu, +cu126, +cu128, +cu130,
torch 2.13.0's real METADATA) and torch's dependencies from the wheel cache. A user rule file
points every build label at that index (`[[torch_index]]`), which is how a private mirror is
configured; one test also adds a build PyPI does not publish for 2.13.0 (`[[torch_build]]` cu128).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.model.facts import canonicalize
from tests.e2e.test_fix import state, venv_with_pip
from tests.helpers.package_index import simple_index
from tests.helpers.standins import (
    CU130, DRIVER_580, SELECT, H200, NvidiaDriver, NvidiaGpu, TorchBuild, check_on, torch_standin_wheel,
)
from tests.helpers.venvs import WHEEL_CACHE, cached_wheels, pip

pytestmark = pytest.mark.slow

CPU, CU126, CU128 = TorchBuild("cpu"), TorchBuild("cu126", cuda="12.6"), TorchBuild("cu128", cuda="12.8")
TORCH_DEPENDENCIES = ("filelock", "typing-extensions>=4.10.0", "setuptools>=77.0.3", "sympy>=1.13.3",
                      "networkx>=2.5.1", "jinja2", "fsspec>=0.8.5")
V100 = NvidiaGpu("Tesla V100-SXM2-16GB", "7.0", 16384)
DRIVER_570 = NvidiaDriver("570.86.15", "12.8", (H200,))
# A build of 2.13.0 that PyPI does not publish, added by the user's rule file with its arch list.
PRIVATE_CU128 = """
[[torch_build]]
releases = ["2.13.0"]
build = "cu128"
cuda = "12.8"
arch_list = "7.0;7.5;8.0;8.6;9.0;10.0;12.0"
"""


def local_index(root: Path, builds=(CPU, CU126, CU128, CU130)) -> Path:
    """A PEP 503 index folder of the stand-in torch builds and torch's dependencies; returns its simple/ folder."""
    wheels = [torch_standin_wheel(root / "files", build) for build in builds]
    cached_wheels(TORCH_DEPENDENCIES)
    wheels += [wheel for wheel in sorted(WHEEL_CACHE.glob("*.whl")) if canonicalize(wheel.name.split("-")[0]) in {
        "filelock", "typing-extensions", "setuptools", "sympy", "mpmath", "networkx", "jinja2", "markupsafe", "fsspec"}]
    simple_index(root, wheels)
    return root / "simple"


def project_with_private_index(folder: Path, simple: Path, extra_rules: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "private-torch.toml").write_text(
        f'[[torch_index]]\nbuild = "*"\nurl = "{simple.as_uri()}"\n{extra_rules}')
    (folder / "pyproject.toml").write_text('[tool.envdoctor]\nrules = ["private-torch.toml"]\n')
    return folder


def torch_venv(root: Path, simple: Path, build: TorchBuild):
    venv = venv_with_pip(root)
    pip("--python", str(venv.python), "install", "--index-url", simple.as_uri(), f"torch==2.13.0+{build.local}")
    return venv


def torch_version(venv) -> str:
    return venv.run("from importlib.metadata import version; print(version('torch'))").stdout.strip()


CASES = {
    # driver 570 runs CUDA 12.8: the user's cu128 build of the same release beats the shipped cu126
    "GPU001": (DRIVER_570, CU130, PRIVATE_CU128, "torch 2.13.0+cu130 needs CUDA 13.0, but the driver supports CUDA up to 12.8",
               "2.13.0+cu128"),
    # a V100 (7.0) under a CUDA 13 build: the same release's cu126 build lists sm_70
    "GPU002": (NvidiaDriver(DRIVER_580.version, DRIVER_580.cuda, (V100,)), CU130, "",
               "GPU 0 Tesla V100-SXM2-16GB (capability 7.0) is older than CUDA 13 supports (>= 7.5); "
               "torch 2.13.0+cu130 is built with CUDA 13.0", "2.13.0+cu126"),
    # a CPU build on an H200 with driver 580: the newest CUDA build the driver runs, cu130
    "GPU003": (DRIVER_580, CPU, "", "torch 2.13.0+cpu is a CPU-only build, but this machine has 1 NVIDIA GPU (NVIDIA H200)",
               "2.13.0+cu130"),
}


@pytest.mark.parametrize("code", list(CASES))
def test_torch_build_fix_planned_resolved_applied_verified_and_undone(run_envdoctor, new_machine, tmp_path, code):
    driver, build, extra_rules, title, fixed = CASES[code]
    simple = local_index(tmp_path / "index")
    project = project_with_private_index(tmp_path / "project", simple, extra_rules)
    venv = torch_venv(tmp_path / "venv", simple, build)
    machine = new_machine(driver)
    env = machine.env(PIP_DISABLE_PIP_VERSION_CHECK="1")

    broken = check_on(run_envdoctor, venv, machine, project)
    assert [(f["code"], f["title"]) for f in broken.json["findings"]] == [(code, title)], broken.stdout
    proposal = broken.json["findings"][0]["fix"]
    assert proposal["kind"] == "reinstall"
    assert proposal["parameters"]["options"][0]["requirements"] == [f"torch=={fixed}"]
    assert proposal["parameters"]["options"][0]["index_url"] == simple.as_uri()
    before = state(venv)

    # --dry-run: the plan, resolved by pip's dry run against the index, shows the index; nothing changes.
    planned = run_envdoctor("fix", "--python", venv.python, "--select", SELECT, "--dry-run", cwd=project, env=env)
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert f"torch=={fixed}" in planned.stdout and simple.as_uri() in planned.stdout, planned.stdout
    assert f"would install torch {fixed}" in planned.stdout, planned.stdout
    assert state(venv) == before

    applied = run_envdoctor("fix", "--python", venv.python, "--select", SELECT, "--yes", cwd=project, env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"fixed: {code} {title}" in applied.stderr, applied.stderr
    assert torch_version(venv) == fixed
    assert check_on(run_envdoctor, venv, machine, project).codes() == []

    undone = run_envdoctor("undo", "--python", venv.python, cwd=project, env=env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert state(venv) == before
    assert torch_version(venv) == f"2.13.0+{build.local}"


def test_a_fitting_build_has_no_finding_and_no_plan(run_envdoctor, new_machine, tmp_path):
    """The healthy neighbour: torch 2.13.0+cu126 on driver 570 with a V100: nothing to say, nothing to fix."""
    simple = local_index(tmp_path / "index")
    project = project_with_private_index(tmp_path / "project", simple, PRIVATE_CU128)
    venv = torch_venv(tmp_path / "venv", simple, CU126)
    machine = new_machine(NvidiaDriver(DRIVER_570.version, DRIVER_570.cuda, (V100,)))
    assert check_on(run_envdoctor, venv, machine, project).codes() == []
    before = state(venv)
    planned = run_envdoctor("fix", "--python", venv.python, "--select", SELECT, "--yes", cwd=project,
                            env=machine.env(PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "install torch" not in planned.stdout, planned.stdout
    assert state(venv) == before


def test_an_option_pip_cannot_resolve_is_named_and_the_next_one_planned(run_envdoctor, new_machine, tmp_path):
    """The rule file declares a cu128 build the index does not hold: pip's dry run fails for it, so
    the plan is the next option (cu126) and says why cu128 was not taken; nothing changes."""
    simple = local_index(tmp_path / "index", builds=(CU126, CU130))
    project = project_with_private_index(tmp_path / "project", simple, PRIVATE_CU128)
    venv = torch_venv(tmp_path / "venv", simple, CU130)
    machine = new_machine(DRIVER_570)
    before = state(venv)
    planned = run_envdoctor("fix", "--python", venv.python, "--select", SELECT, "--dry-run", cwd=project,
                            env=machine.env(PIP_DISABLE_PIP_VERSION_CHECK="1"))
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "install torch==2.13.0+cu126 from" in planned.stdout, planned.stdout
    assert "not possible: the cu128 build of the same torch 2.13.0" in planned.stdout, planned.stdout
    assert "would install torch 2.13.0+cu126" in planned.stdout, planned.stdout
    assert state(venv) == before


def test_a_typo_in_a_user_catalogue_table_is_one_error_and_exit_2(run_envdoctor, tmp_path):
    (tmp_path / "private-torch.toml").write_text('[[torch_build]]\nreleases = ["2.13.0"]\nbuild = "cu128"\ncudaa = "12.8"\n')
    (tmp_path / "pyproject.toml").write_text('[tool.envdoctor]\nrules = ["private-torch.toml"]\n')
    result = run_envdoctor("check", "--facts", Path(__file__).parents[1] / "data" / "snapshot-h200-cuda13.json", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, ""), result.stdout + result.stderr
    assert result.stderr == (f"envdoctor: error: rule file {tmp_path / 'private-torch.toml'}: [[torch_build]] has unknown "
                             "key(s) cudaa (known: arch_list, build, cuda, index_url, releases, rocm)\n")
