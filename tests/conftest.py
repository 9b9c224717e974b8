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

from tests.helpers.venvs import Venv, make_venv


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


def envdoctor_executable() -> str:
    candidate = Path(sys.executable).parent / "envdoctor"
    found = str(candidate) if candidate.exists() else shutil.which("envdoctor")
    if not found:
        pytest.fail("the envdoctor console script is not installed: run `pip install -e '.[test]'` first")
    return found


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
