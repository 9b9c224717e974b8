"""`fix` never changes what the OS package manager owns (issue 16): on Debian's system Python, an
externally managed prefix (PEP 668), a finding with an automatic fix elsewhere gets no plan, and
the output says what to do instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.e2e.test_fix import offline_env
from tests.helpers.venvs import cached_wheels

pytestmark = pytest.mark.slow

SYSTEM_PYTHON = "/usr/bin/python3"


def externally_managed_system_python() -> str:
    import subprocess

    if not os.path.exists(SYSTEM_PYTHON):
        pytest.skip(f"no {SYSTEM_PYTHON} on this machine")
    stdlib = subprocess.run([SYSTEM_PYTHON, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not os.path.exists(os.path.join(stdlib, "EXTERNALLY-MANAGED")):
        pytest.skip(f"{SYSTEM_PYTHON} is not externally managed (no EXTERNALLY-MANAGED in {stdlib})")
    return SYSTEM_PYTHON


def test_no_pip_plan_for_an_externally_managed_system_python(run_envdoctor, tmp_path):
    python = externally_managed_system_python()
    # A distribution on PYTHONPATH that requires something missing: REQ001 with an install fix
    # that, anywhere else, pip would carry out in the target's site-packages.
    site = tmp_path / "extra"
    info = site / "consumerx-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: consumerx\nVersion: 1.0\nRequires-Dist: missing-one\n")
    (info / "RECORD").write_text("consumerx-1.0.dist-info/METADATA,,\n")
    env = clean_env(PYTHONPATH=str(site))
    found = run_envdoctor("check", "--python", python, "--no-scan", "--select", "REQ001", "--format", "json", cwd=tmp_path, env=env)
    assert [f["subject"] for f in found.findings("REQ001") if "missing-one" in f["title"]], found.stdout

    planned = run_envdoctor("fix", "--python", python, "--no-scan", "--select", "REQ001", "--yes", cwd=tmp_path, env=env)
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "is externally managed (PEP 668" in planned.stdout and "virtual environment" in planned.stdout
    assert "run   " not in planned.stdout  # no command planned
    assert not Path("/usr/.envdoctor").exists()  # no journal entry: nothing was applied


def test_a_venv_over_the_same_python_is_planned_for(run_envdoctor, tmp_path):
    """The near miss: a venv made from the same interpreter is not externally managed."""
    import subprocess

    python = externally_managed_system_python()
    venv = tmp_path / "venv"
    # NGC-style: the venv sees the system's packages (and pip) through --system-site-packages.
    subprocess.run([python, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    info = site / "consumerx-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: consumerx\nVersion: 1.0\nRequires-Dist: tqdm\n")
    (info / "RECORD").write_text("consumerx-1.0.dist-info/METADATA,,\n")
    cached_wheels(["tqdm==4.67.1"])
    planned = run_envdoctor("fix", "--python", venv / "bin" / "python", "--no-scan", "--select", "REQ001", "--dry-run",
                            cwd=tmp_path, env=offline_env())
    assert "externally managed" not in planned.stdout, planned.stdout
    assert "install tqdm" in planned.stdout and "run   " in planned.stdout, planned.stdout + planned.stderr
