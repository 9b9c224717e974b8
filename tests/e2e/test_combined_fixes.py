"""All the installs of one `fix` run planned together (envdoctor/fixes/combined.py), on real venvs
with real pip installing offline from the test wheel cache.

Each case failed before the combined planner: two findings' installs applied one after the other
undid each other (numpy 2 under pandas 2.1.4), or pip ran twice for one distribution.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from tests.e2e.test_fix import fix, state, venv_with_pip
from tests.helpers.venvs import cached_wheels

pytestmark = pytest.mark.slow

PANDAS_OLD = ("pandas==2.1.4", "numpy==1.26.4", "python-dateutil==2.9.0.post0", "pytz==2024.2", "tzdata==2024.2", "six==1.16.0")


def commands_run(venv) -> list:
    """Every command step of every journal entry of the venv."""
    steps = []
    for entry in sorted((venv.root / ".envdoctor" / "journal").glob("*/entry.json")):
        for plan in json.loads(entry.read_text())["plans"]:
            steps += [action["argv"] for action in plan["actions"] if action["kind"] == "command"]
    return steps


def test_numpy_2_under_old_pandas_is_repaired_by_one_resolution(run_envdoctor, tmp_path):
    """NPY001 (pandas 2.1.4's extension modules are built for NumPy 1.x: upgrade pandas; it replaces
    KB015, which says the same by version) and REQ002 (pandas 2.1.4 asks numpy<2): one install of pandas>=2.2.2;
    the numpy<2 that only the old pandas wanted is not installed, and `import pandas` works."""
    # What the fix will install (numpy 2 compatible), with the same pins as the rest: an unpinned
    # download would put newer six/pytz/tzdata in the shared cache that other tests install from.
    cached_wheels(["pandas==2.2.3", *PANDAS_OLD[2:]])
    venv = venv_with_pip(tmp_path / "venv")
    venv.install(*PANDAS_OLD)
    venv.install("numpy==2.0.0", no_deps=True)
    assert venv.run("import pandas").returncode != 0  # broken for real: pandas 2.1.4 on NumPy 2

    fixed = fix(run_envdoctor, venv, "--no-scan", "--yes", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed: NPY001" in fixed.stderr and "fixed: REQ002" in fixed.stderr
    steps = commands_run(venv)
    assert len(steps) == 1 and steps[0][-1] == "pandas>=2.2.2", steps
    versions = venv.run("import pandas, numpy; print(pandas.__version__, numpy.__version__)")
    assert versions.returncode == 0, versions.stderr
    # The newest pandas the shared wheel cache holds (2.2.3 here, newer where another test cached
    # one), and NumPy still 2: the numpy<2 only pandas 2.1.4 asked for was not installed.
    pandas_version, numpy_version = (Version(text) for text in versions.stdout.split())
    assert pandas_version >= Version("2.2.2") and numpy_version.major == 2, versions.stdout
    again = run_envdoctor("check", "--python", venv.python, "--no-scan", "--format", "json", cwd=tmp_path)
    assert again.codes() == [], again.stdout


def test_known_good_and_missing_requirement_install_once(run_envdoctor, tmp_path):
    """`fix --against` on a venv missing idna: EXP002 (idna==3.10, the known-good version) and REQ001
    (requests needs idna<4,>=2.5) become one pip run of idna at the intersection."""
    cached_wheels(["requests==2.32.3", "idna==3.10"])
    good = venv_with_pip(tmp_path / "good")
    good.install("requests==2.32.3", "idna==3.10")
    snapshot = tmp_path / "known-good.json"
    taken = run_envdoctor("snapshot", "--python", good.python, "--no-scan", "-o", snapshot, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("requests==2.32.3", "idna==3.10")
    venv.run("import subprocess, sys; subprocess.check_call([sys.executable, '-m', 'pip', 'uninstall', '-y', '-q', 'idna'])")
    assert venv.run("import requests").returncode != 0

    fixed = fix(run_envdoctor, venv, "--no-scan", "--yes", "--against", snapshot, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    steps = commands_run(venv)
    assert len(steps) == 1, steps
    assert steps[0][-1].startswith("idna") and "==3.10" in steps[0][-1] and "<4" in steps[0][-1], steps
    assert venv.run("import requests, idna; assert idna.__version__ == '3.10'").returncode == 0


def test_constraints_that_cannot_hold_together_change_nothing(run_envdoctor, tmp_path):
    """The config requires idna>=4 while requests needs idna<4: pip's dry run cannot resolve both,
    so the plan names the conflict and nothing is installed."""
    cached_wheels(["requests==2.32.3"])
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("requests==2.32.3")
    (tmp_path / "pyproject.toml").write_text('[tool.envdoctor]\nrequire = ["idna>=4"]\n')
    before = state(venv)

    attempted = fix(run_envdoctor, venv, "--no-scan", "--yes", cwd=tmp_path)
    assert attempted.returncode == 1, attempted.stdout + attempted.stderr
    assert "Not planned: pip cannot resolve idna" in attempted.stdout, attempted.stdout
    assert "No automatic fix for:" in attempted.stdout and "EXP001" in attempted.stdout
    assert not (venv.root / ".envdoctor" / "journal").exists() or commands_run(venv) == []
    assert state(venv) == before
