"""list, explain, --version, python -m envdoctor."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from envdoctor.registry import load_registry
from tests.conftest import clean_env
from tests.helpers.venvs import make_venv


def test_list_shows_every_check(run_envdoctor):
    result = run_envdoctor("list")
    assert result.returncode == 0
    for spec in load_registry().checks:
        assert spec.code in result.stdout and spec.name in result.stdout
    assert "fix: reinstall" in result.stdout


def test_explain_by_code_and_by_name(run_envdoctor):
    by_code = run_envdoctor("explain", "NSP001")
    by_name = run_envdoctor("explain", "namespace-masquerade")
    assert by_code.returncode == by_name.returncode == 0
    assert by_code.stdout == by_name.stdout
    for section in ("What it detects", "Why it breaks", "Example", "Fix", "References", "sgl-project/sglang#22363"):
        assert section in by_code.stdout


def test_explain_unknown(run_envdoctor):
    result = run_envdoctor("explain", "NOPE001")
    assert result.returncode == 2 and "names no check" in result.stderr


def test_module_entry_and_version():
    out = subprocess.run([sys.executable, "-m", "envdoctor", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("envdoctor ")


def test_closed_stdout_is_not_a_crash(envdoctor_bin):
    """`envdoctor list | head -1` where head has already left: every write meets a closed pipe.
    The reader's end is closed before envdoctor starts, so the pipe is broken on the first write
    (with `| head -1` the whole list fits in the pipe's buffer and nothing is ever refused)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = subprocess.run([envdoctor_bin, "list"], stdout=writer, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(writer)
    assert result.stderr == ""  # no "internal error", no crash log, no "Exception ignored" at shutdown
    assert result.returncode == 0


@pytest.mark.slow
def test_report_replaces_the_home_directory_with_a_tilde(run_envdoctor, tmp_path):
    """`envdoctor report` is pasted into bug reports: the user's home directory becomes `~`.  envdoctor
    runs with HOME=tmp_path and the target lives there, so its path is in the facts and the mask has
    work (and the test writes nothing outside tmp_path)."""
    home = tmp_path
    env = clean_env(HOME=str(home))
    venv = make_venv(home / "target" / "venv")
    inside_home = "~/" + str(venv.python.relative_to(home))
    checked = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path, env=env)
    assert checked.json["target"]["python"] == str(venv.python)  # other outputs keep the full path
    report = run_envdoctor("report", "--python", venv.python, cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr
    assert inside_home in report.stdout, report.stdout
    assert f"{home}/" not in report.stdout + report.stderr
