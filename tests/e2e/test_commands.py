"""list, explain, --version, python -m envdoctor."""

from __future__ import annotations

import subprocess
import sys

from envdoctor.registry import load_registry


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
    result = subprocess.run(f"{envdoctor_bin} list | head -1", shell=True, capture_output=True, text=True)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
