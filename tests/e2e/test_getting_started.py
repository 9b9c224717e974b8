"""docs/getting-started.md's "From clone to a first fix", run exactly as written: the commands
are read from the document, each run by bash in order, with HOME in a temporary folder, pip
offline on the test wheel cache, and the clone URL answered by this checkout (git's insteadOf)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.helpers.venvs import WHEEL_CACHE, cached_wheels

REPOSITORY = Path(__file__).resolve().parents[2]
DOC = REPOSITORY / "docs" / "getting-started.md"
CLONE_URL = "https://github.com/envdoctor/envdoctor"


def walkthrough() -> list:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## From clone to a first fix", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line for line in block.splitlines() if line.strip()]


def test_the_walkthrough_is_under_ten_commands_from_clone_to_a_fix():
    commands = walkthrough()
    assert len(commands) < 10
    assert commands[0].startswith(f"git clone {CLONE_URL} ")
    assert any(" fix " in command for command in commands)


@pytest.mark.slow
def test_the_walkthrough_runs_as_written(tmp_path):
    cached_wheels(["flit_core>=3.11,<4", "typer>=0.12,<0.29", "rich>=13", "packaging>=22", "pyelftools>=0.31"])
    cached_wheels(["requests"])
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(HOME=str(home), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEEL_CACHE),
                    PIP_DISABLE_PIP_VERSION_CHECK="1", GIT_CONFIG_COUNT="1",
                    GIT_CONFIG_KEY_0=f"url.{REPOSITORY}.insteadOf", GIT_CONFIG_VALUE_0=CLONE_URL)
    env.pop("XDG_CACHE_HOME", None)
    results = []
    for command in walkthrough():
        done = subprocess.run(["bash", "-c", command], cwd=home, env=env, capture_output=True, text=True, timeout=600)
        results.append((command, done))
        assert "Traceback" not in done.stderr, (command, done.stderr)
    codes = [done.returncode for _, done in results]
    check_before, fixed, check_after, undone = (done for command, done in results[4:8])
    assert codes[:4] == [0, 0, 0, 0], [(c, d.stderr[-500:]) for c, d in results[:4]]
    assert check_before.returncode == 1 and "REQ001 requests" in check_before.stdout
    assert "✗ distributions" in check_before.stdout and "idna" in check_before.stdout
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert check_after.returncode == 0 and "No problems found." in check_after.stdout
    assert undone.returncode == 0, undone.stderr
    demo = home / "demo" / "bin" / "python"
    assert subprocess.run([str(demo), "-c", "import idna"], capture_output=True).returncode == 1  # back as it was
    assert os.path.isdir(home / "envdoctor-src" / ".git")
