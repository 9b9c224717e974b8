"""Hostile input (issue 18): every one becomes a finding or one clear error, on real venvs.

An undecodable .pth, unreadable metadata folders, a .dist-info that is a file, control
characters and raw bytes in what the reports print, an endless config file, a selection that
leaves nothing to run, and targets older than Python 3.8.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import CliResult, clean_env, require_python, skip_or_fail
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


def check_json(run_envdoctor, venv, *extra, cwd):
    return run_envdoctor("check", "--python", venv.python, "--no-scan", "--format", "json", *extra, cwd=cwd)


def pairs(result: CliResult) -> list:
    return sorted((f["code"], f["subject"]) for f in result.json["findings"])


# --- a .pth that site cannot decode ---------------------------------------------------------------

@pytest.mark.parametrize("minor", ["3.8", "3.13"])  # site decodes with TextIOWrapper up to 3.12, by hand from 3.13
def test_pth_with_undecodable_bytes_is_pth003_and_the_rest_still_checked(run_envdoctor, new_venv, tmp_path, minor):
    venv = new_venv(require_python(minor))
    bad = venv.site_packages / "bad.pth"
    bad.write_bytes(b"import os\n# caf\xe9 \xff\n")
    stale = venv.site_packages / "stale.pth"
    stale.write_text(str(tmp_path / "gone") + "\n")  # PTH001: shows that the other checks still ran
    dead = venv.run("print('hi')")
    assert dead.returncode == 1 and "UnicodeDecodeError" in dead.stderr  # the environment really is dead

    result = check_json(run_envdoctor, venv, cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert result.stderr == ""  # no "probe failed", no frozen-site traceback on envdoctor's stderr
    assert pairs(result) == [("PTH001", str(stale)), ("PTH003", str(bad))]
    (finding,) = result.findings("PTH003")
    assert finding["title"] == f"Python dies at start-up in {bad} (exit status 1)"
    assert finding["location"]["path"] == str(bad) and finding["location"]["line"] is None
    assert finding["evidence"][0] == f"{bad}: cannot be decoded as utf-8 (byte 0xe9 at offset 15)"
    assert finding["evidence"][-1] == "the other checks ran on facts collected with this file skipped"

    # The near miss: the same file in UTF-8, non-ASCII and all, starts fine.
    bad.write_text("import os\n# café ÿ\n", encoding="utf-8")
    healthy = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert healthy.returncode == 0 and pairs(healthy) == [("PTH001", str(stale))]  # a warning: exit 0


# --- targets older than 3.8 -------------------------------------------------------------------------

@pytest.mark.parametrize("minor", ["3.6", "3.7"])
def test_python_older_than_3_8_is_refused(run_envdoctor, new_venv, tmp_path, minor):
    venv = new_venv(require_python(minor, "to show the too-old message"))
    result = run_envdoctor("check", "--python", venv.python, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"envdoctor: error: {venv.python} is Python {minor}; envdoctor inspects Python 3.8 and newer\n"


def test_python_3_8_is_accepted(run_envdoctor, new_venv, tmp_path):  # the near miss of the one above
    venv = new_venv(require_python("3.8"))
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 0 and pairs(result) == []
