from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from tests.helpers.venvs import Venv, make_venv, pyenv_python

# --- CI never skips silently ------------------------------------------------------------------------
# A skip for a missing interpreter or wheel is fine on a laptop and a lie on CI: a CI machine without
# pyenv's 3.8-3.13 would go green having tested none of the tests that need them.  Under CI=true every
# skip is turned into a failure by the hook below (one place, whatever called pytest.skip); tests skip
# through skip_or_fail()/require_python() so the reason always says what to install.


def running_on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip for a missing interpreter or wheel, saying what is missing; under CI=true the hook
    below turns it into a failure (so does it for any other pytest.skip)."""
    pytest.skip(reason)


def require_python(minor: str, why: str = "") -> str:
    """pyenv's Python `minor` (e.g. "3.12"), or skip (fail under CI=true) saying how to get it."""
    python = pyenv_python(minor)
    if python is None:
        skip_or_fail(f"no Python {minor} interpreter{' ' + why if why else ''} (install it with `pyenv install {minor}`)")
    return python


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and running_on_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if reason.startswith("Skipped: "):  # how pytest words a pytest.skip() reason
            reason = reason[len("Skipped: "):]
        report.outcome = "failed"
        report.longrepr = f"CI=true forbids skipping: {reason}; provide what is missing on the CI machine"


def clean_env(**extra: str) -> dict:
    """The test runner's environment without anything that would pick a target for envdoctor."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)

    def codes(self) -> list:
        return [f["code"] for f in self.json["findings"]]

    def findings(self, code: str) -> list:
        return [f for f in self.json["findings"] if f["code"] == code]


def console_script(name: str, hint: str) -> str:
    """The console script `name` beside the test runner's Python (else on PATH); fails with `hint` when absent."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: {hint}")
    return found


def envdoctor_executable() -> str:
    return console_script("envdoctor", "run `pip install -e '.[test]'` first")


@pytest.fixture(scope="session")
def envdoctor_bin() -> str:
    return envdoctor_executable()


@pytest.fixture
def run_envdoctor(envdoctor_bin):
    def run(*args: str, cwd: Optional[Path] = None, env: Optional[dict] = None, timeout: float = 300) -> CliResult:
        completed = subprocess.run(
            [envdoctor_bin, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env or clean_env(), timeout=timeout
        )
        # envdoctor's own failures would show up on stderr; stdout may quote the target's tracebacks as evidence.
        assert "Traceback" not in completed.stderr, completed.stderr
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture
def new_venv(tmp_path):
    counter = iter(range(100))

    def make(python: Optional[str] = None) -> Venv:
        return make_venv(tmp_path / f"venv{next(counter)}", python)

    return make
