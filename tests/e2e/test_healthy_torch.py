"""Acceptance: a healthy real venv with torch 2.13.0 (CPU), numpy and common libraries.

torch is only ever installed pinned (`torch==2.13.0`, a CPU wheel on local
disk here); an unpinned `torch` would resolve a multi-GB CUDA build.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import require_python, skip_or_fail
from tests.helpers.venvs import make_venv, tree_state

pytestmark = pytest.mark.slow

TORCH_VENV_PACKAGES = ("torch==2.13.0", "numpy", "requests", "pyyaml", "packaging", "tqdm")


@pytest.fixture(scope="session")
def torch_venv(tmp_path_factory):
    python = require_python("3.11", "for the torch 2.13.0 cp311 wheel")
    venv = make_venv(tmp_path_factory.mktemp("torch") / "venv", python)
    try:
        venv.install(*TORCH_VENV_PACKAGES)
    except RuntimeError as exc:
        if "torch" in str(exc) and "No matching distribution" in str(exc):
            skip_or_fail("torch==2.13.0 is not available to pip on this machine (put its CPU wheel in the wheel cache)")
        raise
    return venv


def test_healthy_torch_venv_is_clean_and_untouched(run_envdoctor, torch_venv, tmp_path):
    before = tree_state(torch_venv.root)
    result = run_envdoctor("check", "--python", torch_venv.python, "--format", "json", cwd=tmp_path)
    assert tree_state(torch_venv.root) == before, "envdoctor check wrote into the environment it inspected"
    assert result.returncode == 0, result.stdout
    # Healthy means nothing to say: no error, no warning and no info (an info here would be a false alarm).
    assert result.json["findings"] == [], result.stdout
    assert result.json["summary"]["error"] == result.json["summary"]["warning"] == result.json["summary"]["info"] == 0
    names = {d for d in result.json["checks_run"]}
    assert len(names) >= 13
    assert result.json["target"]["distributions"] >= 15


def test_check_never_imports_torch(run_envdoctor, torch_venv, tmp_path):
    """A torch whose import would fail loudly does not disturb `check`: the probe never imports it."""
    init = torch_venv.site_packages / "torch" / "__init__.py"
    original = init.read_bytes()
    try:
        init.write_bytes(b"raise SystemExit('torch was imported by the probe')\n" + original)
        result = run_envdoctor("check", "--python", torch_venv.python, "--format", "json", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "torch was imported" not in result.stdout + result.stderr
    finally:
        init.write_bytes(original)
        os.utime(init)


def test_deep_imports_real_torch_and_reports_what_it_saw(run_envdoctor, torch_venv, tmp_path):
    """--deep on the real CPU torch: one subprocess imports it; no GPU here, so no finding."""
    snapshot = run_envdoctor("snapshot", "--python", torch_venv.python, "--deep", cwd=tmp_path)
    assert snapshot.returncode == 0, snapshot.stderr
    facts = snapshot.json
    assert facts["stack"]["torch"]["version"] == "2.13.0+cpu" and facts["stack"]["torch"]["cuda"] is None
    (attempt,) = [a for a in facts["deep"]["imports"] if a["module"] == "torch"]
    assert attempt["ok"] and attempt["outcome"] == "ok"
    runtime = facts["deep"]["torch"]
    assert runtime["version"] == "2.13.0+cpu" and runtime["cuda_available"] is False and runtime["error"] is None
    result = run_envdoctor("check", "--python", torch_venv.python, "--deep", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "STK001" in result.json["checks_run"] and not result.findings("STK001")
