"""launch.py scans argv by hand (to start the probe before typer is imported): it must know every option."""

import json
import os
import subprocess
import sys

import pytest
import typer.main

import envdoctor
from envdoctor import launch
from envdoctor.cli import app


def _options(command_name):
    command = typer.main.get_command(app).commands[command_name]
    for param in command.params:
        if param.param_type_name == "option":
            yield param.opts + param.secondary_opts, param.is_flag


PREFLIGHT_OPTIONS = {"--with", "-r", "--requirement", "--index-url", "--extra-index-url", "--find-links"}


def test_preflight_options_are_left_to_the_real_parser():
    assert launch._scan(["check", "--with", "numpy==2.0", "pandas"]) is None
    assert launch._scan(["check", "-r", "requirements.txt"]) is None


def test_every_option_of_the_early_commands_is_known_to_the_scan():
    known_values = set(launch.VALUE_OPTIONS)
    for name in launch.EARLY_COMMANDS:
        for opts, is_flag in _options(name):
            if "--facts" in opts:
                continue  # deliberately left to the real parser: no probe to start
            if set(opts) & PREFLIGHT_OPTIONS:
                continue  # check --with takes a variable number of values: left to the real parser
            for opt in opts:
                assert opt in (launch.FLAG_OPTIONS if is_flag else known_values), f"{name} {opt}"


def test_scan_reads_target_options_and_defers_anything_else():
    scanned = launch._scan(["check", "-p", "/v", "--cwd=/w", "--strict", "-f", "json"])
    assert (scanned["python"], scanned["cwd"], scanned.get("timeout")) == ("/v", "/w", None)
    assert launch._scan(["check", "--facts", "x.json"]) is None
    assert launch._scan(["check", "--help"]) is None
    assert launch._scan(["list"]) is None


# Run in a fresh interpreter: a probe started here would make that process a child subreaper
# (envdoctor.processes), which pytest itself must not become.
START_EARLY = """
import sys
from envdoctor import launch
started = launch.start_early(sys.argv[1:])
print("started" if started is not None else "nothing")
if started is not None:
    started.running.cancel()
"""


def started_early(*args: str) -> str:
    completed = subprocess.run([sys.executable, "-c", START_EARLY, *args], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "1e9", "soon"])
def test_a_timeout_the_cli_refuses_starts_no_early_probe(value):
    assert started_early("check", "--python", sys.executable, f"--timeout={value}", "--no-scan") == "nothing"


def test_a_valid_timeout_starts_the_early_probe():
    """The near miss: the same command with a timeout the CLI accepts does start the probe early."""
    assert started_early("check", "--python", sys.executable, "--timeout=5", "--no-scan") == "started"


def _as_typer_passes(value):
    """typer hands a list option to the command as a list, or None when not given."""
    return (list(value) or None) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("args", [
    [],
    ["-p", "/v", "--cwd=/w", "--strict", "-f", "json"],
    ["--python=/v", "-s", "REQ,INT", "--select", "NSP", "-i", "GPU", "--ignore=JIT", "--timeout", "7.5"],
    ["-o", "json=a.json", "--output=sarif=b.sarif", "--scan", "x", "--scan=y", "--no-scan", "--deep", "-v"],
    ["--config", "c.toml", "--baseline", "b.json", "--write-baseline=w.json", "--against", "k.json", "--format=github"],
    ["-p", "/first", "-p", "/second", "--timeout=1", "--timeout=2"],  # the last one counts
])
def test_the_direct_dispatch_passes_check_what_typer_would(args):
    """launch.py runs a plain `check` without typer: every option must reach check_command.run_check
    exactly as typer's parser hands it to cli.check."""
    command = typer.main.get_command(app).commands["check"]
    typer_values = {name: _as_typer_passes(value) for name, value in command.make_context("check", list(args)).params.items()}
    direct = {name: _as_typer_passes(value) for name, value in launch.direct_check(["check", *args]).items()}
    assert direct == typer_values


@pytest.mark.parametrize("args", [
    ["check", "--help"], ["check", "--facts", "x.json"], ["check", "--timeout=nan"], ["check", "--timeout=soon"],
    ["check", "-pv"], ["check", "--select"], ["check", "--", "x"], ["snapshot"], ["list"], [],
])
def test_anything_unusual_goes_to_typer(args):
    """Help, a value typer refuses, an option the scan does not know: typer answers (its messages)."""
    assert launch.direct_check(args) is None


def _summary(report: str) -> dict:
    return {key: value for key, value in json.loads(report)["summary"].items() if key != "elapsed_s"}


def _imports_of(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "envdoctor", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def _imported(stderr: str) -> set:
    return {line.split("|")[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def test_version_is_answered_before_typer_or_anything_heavy_is_imported():
    completed = _imports_of("--version")
    assert (completed.returncode, completed.stdout) == (0, f"envdoctor {envdoctor.__version__}\n")
    imported = _imported(completed.stderr)
    assert not imported & {"typer", "envdoctor.cli", "envdoctor.processes", "subprocess", "dataclasses"}, imported


def test_a_plain_check_runs_without_typer_and_an_unusual_one_with_it(tmp_path):
    plain = _imports_of("check", "--python", sys.executable, "--select", "PTH", "--format", "json", cwd=tmp_path)
    assert plain.returncode in (0, 1), plain.stderr[-2000:]
    assert "typer" not in _imported(plain.stderr)
    # The near miss: a check typer must parse (--facts) still goes through typer, with typer's answer.
    snapshot = tmp_path / "facts.json"
    subprocess.run([sys.executable, "-m", "envdoctor", "snapshot", "--python", sys.executable, "--no-scan", "-o",
                    str(snapshot)], check=True, capture_output=True, timeout=120, cwd=tmp_path)
    parsed = _imports_of("check", "--facts", str(snapshot), "--select", "PTH", "--format", "json", cwd=tmp_path)
    assert parsed.returncode in (0, 1), parsed.stderr[-2000:]
    assert _summary(parsed.stdout) == _summary(plain.stdout)
    assert "typer" in _imported(parsed.stderr)


def test_a_usage_error_on_the_direct_path_is_one_message_and_exit_2(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--python", sys.executable, "-s", "NOPE999"],
                               capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.startswith("envdoctor: error: unknown check 'NOPE999'"), completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_shim_target_is_asked_of_its_manager_once(tmp_path):
    """launch.py chooses the target for its early probe; the command's own choice reuses it, so a
    pyenv shim's `pyenv which` (a subprocess) runs once per command, not twice."""
    asked = tmp_path / "asked.log"
    manager = tmp_path / "libexec" / "pyenv"
    manager.parent.mkdir()
    manager.write_text(f'#!/bin/sh\necho "$@" >> {asked}\necho {sys.executable}\n')
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3"
    shim.write_text(f'#!/usr/bin/env bash\nprogram="${{0##*/}}"\nexec "{manager}" exec "$program" "$@"\n')
    for script in (manager, shim):
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env["PATH"] = os.pathsep.join([str(shims), "/usr/bin", "/bin"])
    completed = subprocess.run([sys.executable, "-m", "envdoctor", "check", "--no-scan", "--select", "PTH", "--format",
                                "json"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    assert json.loads(completed.stdout)["target"]["source"] == f"python3 on PATH, pyenv shim {shim}"
    assert asked.read_text().splitlines() == ["which python3"]
