"""docs/how-to/write-a-check.md stays true: its first example is built from the page's own code
blocks, installed as a real plugin distribution (pip, flit_core), and its test run with pytest."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clean_env

ROOT = Path(__file__).resolve().parents[2]
HOWTO = ROOT / "docs" / "how-to" / "write-a-check.md"
# A fenced block whose first line names the file it is: "# acme_checks/pyproject.toml".
BLOCK = re.compile(r"```(?:python|toml)\n# (acme_checks/[\w./]+)\n(.*?)```", re.S)


def howto_files():
    return {name: text for name, text in BLOCK.findall(HOWTO.read_text(encoding="utf-8"))}


def test_the_page_names_the_three_files_of_the_first_example():
    assert sorted(howto_files()) == ["acme_checks/acme_checks.py", "acme_checks/pyproject.toml", "acme_checks/test_acme_checks.py"]


@pytest.mark.slow
def test_first_example_installs_and_its_test_passes(tmp_path):
    for name, text in howto_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    plugin = tmp_path / "plugin-site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(plugin), str(tmp_path / "acme_checks")],
        capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    env = clean_env(PYTHONPATH=str(plugin))
    listed = subprocess.run([sys.executable, "-m", "envdoctor", "list"], capture_output=True, text=True, env=env)
    assert "ACME001" in listed.stdout and "acme-checks 1.0" in listed.stdout, listed.stdout + listed.stderr
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_acme_checks.py"],
                            cwd=tmp_path / "acme_checks", capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
