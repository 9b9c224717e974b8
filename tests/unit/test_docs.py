"""Docs come from the code: the generated check pages must match the docstrings."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_docs_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_check_docs.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
