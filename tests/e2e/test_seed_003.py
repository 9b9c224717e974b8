"""Seed 003 (sgl-project/sglang#22363) on real setuptools projects, as users run it: plain `fix --yes`.

The ROCm image checks aiter out at /sgl-workspace/aiter and installs it with `pip install -e .`
(distribution amd-aiter, package aiter); started from /sgl-workspace, `from aiter import ...`
fails with "(unknown location)" because the checkout folder, which has no __init__.py, is found
first as a namespace package.  Before issue 16 the compat reinstall was rolled back on every
flat-layout setuptools project: verification saw the project's own amd_aiter.egg-info in its
source folder as a second install (INT003).  Flat and src layouts install differently
(setuptools gives a flat layout an import finder, a src layout a path entry), so both are here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_fix import offline_env, venv_with_pip

pytestmark = pytest.mark.slow

IMPORT = "from aiter import dynamic_per_tensor_quant; print(dynamic_per_tensor_quant())"


def aiter_checkout(workspace: Path, layout: str) -> Path:
    """workspace/aiter as the image has it: a setuptools project named amd-aiter providing `aiter`."""
    project = workspace / "aiter"
    package = project / ("src/aiter" if layout == "src" else "aiter")
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("def dynamic_per_tensor_quant():\n    return 'quantized'\n")
    where = '\n[tool.setuptools.package-dir]\n"" = "src"\n' if layout == "src" else ""
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "amd-aiter"\nversion = "0.1.5"\n\n'
        '[tool.setuptools]\npackages = ["aiter"]\n' + where)
    return project


# Whether the layout breaks from the workspace at all (with the setuptools the wheel cache holds): a flat
# layout gets a strict import finder (the seed); a src layout a .pth path entry to src/, where the
# regular package beats the checkout's namespace portion.
BREAKS_FROM_THE_WORKSPACE = {"flat": True, "src": False}


@pytest.mark.parametrize("layout", ["flat", "src"])
def test_plain_fix_makes_the_workspace_import_work(run_envdoctor, tmp_path, layout):
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("setuptools>=70", "wheel")
    workspace = tmp_path / "sgl-workspace"
    project = aiter_checkout(workspace, layout)
    venv.install_files(extra=["--no-build-isolation", "-e", str(project)])
    assert venv.run(IMPORT, cwd=tmp_path).returncode == 0  # it works anywhere but the workspace
    before = venv.run(IMPORT, cwd=workspace)
    assert (before.returncode != 0) is BREAKS_FROM_THE_WORKSPACE[layout], before.stderr

    found = run_envdoctor("check", "--python", venv.python, "--cwd", workspace, "--no-scan", "--format", "json", cwd=tmp_path)
    fixed = run_envdoctor("fix", "--python", venv.python, "--cwd", workspace, "--yes", cwd=tmp_path, env=offline_env())
    after = venv.run(IMPORT, cwd=workspace)
    again = run_envdoctor("check", "--python", venv.python, "--cwd", workspace, "--no-scan", "--format", "json", cwd=tmp_path)

    if before.returncode != 0:  # the seed's breakage: found, fixed, not rolled back
        assert "(unknown location)" in before.stderr
        assert "NSP001" in found.codes(), found.stdout
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert "rolled back" not in fixed.stderr and "editable_mode=compat" in fixed.stdout
    else:  # this layout never breaks that way: nothing to find, nothing changed
        assert found.codes() == [] and "NSP001" not in fixed.stdout, found.stdout + fixed.stdout
    assert after.returncode == 0 and after.stdout.strip() == "quantized", after.stderr
    assert again.codes() == [], again.stdout  # no INT003 for the project's own egg-info, nothing left
