"""Progress on stderr for slow steps, on a real pseudo-terminal: the probe waiting on a slow
start-up (with the seconds counted), the import scan, pip's own output during `fix --yes`
(indented, and still whole in the journal's step log); nothing with --quiet or without a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.e2e.test_fix import offline_env, venv_with_pip
from tests.helpers import terminal
from tests.helpers.venvs import cached_wheels

SLOW_START = "import time; time.sleep(3)\n"  # a .pth line that holds every interpreter start for 3 s


def on_a_terminal(*argv, cwd: Path, env=None) -> str:
    """stdout and stderr of `argv` on one pseudo-terminal 400 columns wide (room for a long path)."""
    return terminal.on_a_terminal(*argv, cwd=cwd, env={**(env or clean_env()), "TERM": "xterm"}, size=(50, 400),
                                  timeout=300)


def test_a_slow_start_up_shows_the_probe_waiting_with_the_seconds(envdoctor_bin, run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    (venv.site_packages / "slow_start.pth").write_text(SLOW_START)
    shown = on_a_terminal(envdoctor_bin, "check", "--python", venv.python, "--no-scan", cwd=tmp_path)
    assert f"probe: waiting for {venv.python} to report its facts" in shown
    assert "to report its facts (2 s)" in shown  # the count goes on while the target is silent
    assert "\r\x1b[K" in shown  # and the line is cleared before the report
    quiet = on_a_terminal(envdoctor_bin, "check", "--python", venv.python, "--no-scan", "--quiet", cwd=tmp_path)
    assert "waiting for" not in quiet and "envdoctor 0.1.0" in quiet
    piped = run_envdoctor("check", "--python", venv.python, "--no-scan", cwd=tmp_path)
    assert "waiting for" not in piped.stderr and "\x1b" not in piped.stderr


def test_the_import_scan_says_what_it_reads(envdoctor_bin, new_venv, tmp_path):
    venv = new_venv()
    source = tmp_path / "src" / "app"
    source.mkdir(parents=True)
    (source / "__init__.py").write_text("import json\n")
    shown = on_a_terminal(envdoctor_bin, "check", "--python", venv.python, "--scan", source.parent, "--select", "IMP",
                          cwd=tmp_path, env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")))
    assert "import scan: reading " in shown and "files;" in shown


@pytest.mark.slow
def test_fix_streams_pips_output_indented_and_the_journal_keeps_it(envdoctor_bin, tmp_path):
    cached_wheels(["idna==3.20"])
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("requests==2.32.3", no_deps=True)
    venv.install("charset-normalizer", "urllib3", "certifi")  # idna alone missing: one REQ001
    shown = on_a_terminal(envdoctor_bin, "fix", "--python", venv.python, "--yes", "--no-scan", "--select", "REQ001",
                          cwd=tmp_path, env=offline_env())
    streamed = [line.split("│ ", 1)[1].strip() for line in shown.replace("\r", "\n").splitlines() if "    │ " in line]
    assert any("Successfully installed idna" in line for line in streamed), shown
    (log,) = [p for p in venv.root.glob(".envdoctor/journal/*/step-*.log")]
    assert "Successfully installed idna" in log.read_text()
