"""Under CI=true a skip is a failure (tests/conftest.py's hook): a CI machine that lacks an
interpreter or a wheel goes red instead of green-having-tested-nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
NEEDS_PYTHON_27 = "tests/e2e/test_bad_input.py::test_python_too_old"


def run_pytest(tmp_path: Path, ci: str) -> subprocess.CompletedProcess:
    """That one test on a machine without pyenv: HOME and PYENV_ROOT point at an empty folder."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "pyenv"), "CI": ci}
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", NEEDS_PYTHON_27]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY, env=env, timeout=120)


def test_a_missing_interpreter_skips_off_ci(tmp_path):
    result = run_pytest(tmp_path, ci="")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout and "no Python 2.7 interpreter" in result.stdout


def test_a_missing_interpreter_fails_under_ci(tmp_path):
    result = run_pytest(tmp_path, ci="true")
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1]
    assert "CI=true forbids skipping: no Python 2.7 interpreter to show the too-old message" in result.stdout
