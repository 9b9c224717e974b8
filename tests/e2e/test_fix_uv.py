"""A venv made by uv has no pip: every report shows the uv command, and `fix` runs that same command.

The broken requirement is real: requests installed with --no-deps, so idna (and requests'
other dependencies) are missing and REQ001 reports them.  uv installs offline from the test
wheel cache (UV_NO_INDEX / UV_FIND_LINKS in the environment envdoctor passes on).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clean_env, console_script
from tests.helpers.venvs import WHEEL_CACHE, Venv, cached_wheels, tree_state

pytestmark = pytest.mark.slow


def uv_executable() -> str:
    return console_script("uv", "run `pip install -e '.[test]'` (the test extra has uv)")


def uv_env(uv: str, tmp_path: Path) -> dict:
    """envdoctor finds uv on PATH, as a user's shell would; uv installs offline from the wheel cache."""
    path = os.path.dirname(uv) + os.pathsep + os.environ.get("PATH", "")
    return clean_env(PATH=path, UV_NO_INDEX="1", UV_FIND_LINKS=str(WHEEL_CACHE), UV_CACHE_DIR=str(tmp_path / "uv-cache"))


@pytest.fixture
def uv_venv_missing_idna(tmp_path):
    uv = uv_executable()
    root = tmp_path / "venv"
    subprocess.run([uv, "venv", "--python", sys.executable, str(root)], check=True, capture_output=True, env=uv_env(uv, tmp_path))
    venv = Venv(root=root, python=root / "bin" / "python")
    assert not list(venv.site_packages.glob("pip-*.dist-info")), "uv venv made a venv with pip"
    cached_wheels(["requests==2.32.3"])  # and its dependencies: what the fix will install
    # requests with every requirement but idna: one REQ001 finding, so the one command `fix` runs
    # for the run (all installs of a run are one resolution) is exactly that finding's command.
    subprocess.run([uv, "pip", "install", "--python", str(venv.python), "--no-deps", "requests==2.32.3",
                    "certifi", "charset-normalizer", "urllib3"], check=True, capture_output=True, env=uv_env(uv, tmp_path))
    assert "No module named 'idna'" in venv.run("import requests").stderr
    return venv, uv_env(uv, tmp_path)


def journal_commands(venv: Venv) -> list:
    """The first line of every step log of every journal entry: `$ <the command that ran>`."""
    logs = sorted((venv.root / ".envdoctor" / "journal").glob("*/step-*.log"))
    return [log.read_text(encoding="utf-8").splitlines()[0][2:] for log in logs]


def test_uv_venv_reports_and_runs_the_uv_command(run_envdoctor, tmp_path, uv_venv_missing_idna):
    venv, env = uv_venv_missing_idna
    check = ("check", "--python", venv.python, "--select", "REQ001")
    found = run_envdoctor(*check, "--format", "json", cwd=tmp_path, env=env)
    idna = next(f for f in found.json["findings"] if "idna" in f["title"])
    command = idna["fix"]["command"]
    assert command == f"uv pip install --python {venv.python} 'idna<4,>=2.5'"

    text = run_envdoctor(*check, cwd=tmp_path, env=env).stdout
    assert f"$ {command}" in text and "-m pip" not in text
    assert f"`{command}`" in run_envdoctor(*check, "--format", "markdown", cwd=tmp_path, env=env).stdout
    sarif = json.loads(run_envdoctor(*check, "--format", "sarif", cwd=tmp_path, env=env).stdout)
    assert any(f"`{command}`" in result["message"]["text"] for result in sarif["runs"][0]["results"])

    broken = tree_state(venv.site_packages)
    fixed = run_envdoctor("fix", "--python", venv.python, "--select", "REQ001", "--yes", cwd=tmp_path, env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"run   {command}" in fixed.stdout  # the plan shows it
    assert command in journal_commands(venv)  # and the executor ran exactly it
    assert "installer: uv" in fixed.stdout
    assert venv.run("import requests").returncode == 0
    assert run_envdoctor(*check, "--format", "json", cwd=tmp_path, env=env).json["findings"] == []

    assert run_envdoctor("undo", "--python", venv.python, cwd=tmp_path, env=env).returncode == 0
    assert tree_state(venv.site_packages) == broken
