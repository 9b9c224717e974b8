"""Which environment `check` inspects, and that it says so: real venvs, real PATH, real pyenv shims."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import clean_env

SNAPSHOT = Path(__file__).resolve().parent.parent / "data" / "snapshot-h200-cuda13.json"
PYENV_SHIMS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "shims"


def _path_env(first: Path, **extra: str) -> dict:
    env = clean_env(**extra)
    env["PATH"] = os.pathsep.join([str(first), env.get("PATH", "")])
    return env


def test_without_a_venv_the_python3_on_path_is_checked_and_the_header_says_so(new_venv, run_envdoctor, tmp_path):
    venv = new_venv()
    env = _path_env(venv.root / "bin")
    result = run_envdoctor("check", "--no-scan", "--format", "json", cwd=tmp_path, env=env)
    target = result.json["target"]
    assert target["python"] == str(venv.root / "bin" / "python3")
    assert target["source"] == "python3 on PATH"
    text = run_envdoctor("check", "--no-scan", cwd=tmp_path, env=env).stdout
    assert "python3 on PATH" in text and "--python" in text  # what was chosen, and how to pick another


def test_an_active_venv_still_wins_over_path(new_venv, run_envdoctor, tmp_path):
    """Near miss: with $VIRTUAL_ENV set, PATH's python3 is not the target."""
    on_path, active = new_venv(), new_venv()
    env = _path_env(on_path.root / "bin", VIRTUAL_ENV=str(active.root))
    target = run_envdoctor("check", "--no-scan", "--format", "json", cwd=tmp_path, env=env).json["target"]
    assert target["python"].startswith(str(active.root)) and target["source"] == "VIRTUAL_ENV"


@pytest.mark.parametrize("value, message", [
    ("python9", "--python python9: not on PATH"),
    ("", "--python is empty"),
])
def test_python_values_that_name_nothing_are_one_clear_error(run_envdoctor, tmp_path, value, message):
    result = run_envdoctor("check", "--no-scan", "--python", value, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_facts_with_python_is_a_usage_error(run_envdoctor, tmp_path):
    result = run_envdoctor("check", "--facts", str(SNAPSHOT), "-p", "python3", cwd=tmp_path)
    assert result.returncode == 2 and "--facts and --python" in result.stderr


def _pyenv_shim(name: str) -> Path:
    shim = PYENV_SHIMS / name
    if not shim.is_file() or shutil.which("pyenv") is None and not (PYENV_SHIMS.parent / "libexec" / "pyenv").is_file():
        pytest.skip(f"needs pyenv with a {name} shim ({shim})")
    return shim


def test_a_pyenv_shim_is_resolved_to_the_python_it_runs(run_envdoctor, tmp_path):
    shim = _pyenv_shim("python3.12")
    env = _path_env(PYENV_SHIMS, PYENV_VERSION="3.12.1")
    result = run_envdoctor("check", "--no-scan", "--format", "json", "--python", "python3.12", cwd=tmp_path, env=env)
    target = result.json["target"]
    assert target["python"] == str(PYENV_SHIMS.parent / "versions" / "3.12.1" / "bin" / "python3.12")
    assert target["source"] == f"--python, pyenv shim {shim}"


def test_a_pyenv_shim_that_runs_nothing_here_quotes_pyenv_in_full(run_envdoctor, tmp_path):
    _pyenv_shim("python3.12")
    (tmp_path / ".python-version").write_text("3.11.7\n")  # the version pyenv picks here has no python3.12
    env = _path_env(PYENV_SHIMS)
    env.pop("PYENV_VERSION", None)
    result = run_envdoctor("check", "--no-scan", "--python", "python3.12", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "is a pyenv shim that runs no Python" in result.stderr
    assert "exists in these Python versions" in result.stderr  # pyenv's own advice, not only its last line
