"""launch.py scans argv by hand (to start the probe before typer is imported): it must know every option."""

import subprocess
import sys

import pytest
import typer.main

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
    known_values = set(launch.VALUE_OPTIONS) | launch.OTHER_VALUE_OPTIONS
    for name in launch.EARLY_COMMANDS:
        for opts, is_flag in _options(name):
            if "--facts" in opts:
                continue  # deliberately left to the real parser: no probe to start
            if set(opts) & PREFLIGHT_OPTIONS:
                continue  # check --with takes a variable number of values: left to the real parser
            for opt in opts:
                assert opt in (launch.FLAG_OPTIONS if is_flag else known_values), f"{name} {opt}"


def test_scan_reads_target_options_and_defers_anything_else():
    assert launch._scan(["check", "-p", "/v", "--cwd=/w", "--strict", "-f", "json"]) == {"python": "/v", "cwd": "/w", "timeout": None}
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
