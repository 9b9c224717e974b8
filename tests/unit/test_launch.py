"""launch.py scans argv by hand (to start the probe before typer is imported): it must know every option."""

import typer.main

from envdoctor import launch
from envdoctor.cli import app


def _options(command_name):
    command = typer.main.get_command(app).commands[command_name]
    for param in command.params:
        if param.param_type_name == "option":
            yield param.opts + param.secondary_opts, param.is_flag


def test_every_option_of_the_early_commands_is_known_to_the_scan():
    known_values = set(launch.VALUE_OPTIONS) | launch.OTHER_VALUE_OPTIONS
    for name in launch.EARLY_COMMANDS:
        for opts, is_flag in _options(name):
            if "--facts" in opts:
                continue  # deliberately left to the real parser: no probe to start
            for opt in opts:
                assert opt in (launch.FLAG_OPTIONS if is_flag else known_values), f"{name} {opt}"


def test_scan_reads_target_options_and_defers_anything_else():
    assert launch._scan(["check", "-p", "/v", "--cwd=/w", "--strict", "-f", "json"]) == {"python": "/v", "cwd": "/w", "timeout": None}
    assert launch._scan(["check", "--facts", "x.json"]) is None
    assert launch._scan(["check", "--help"]) is None
    assert launch._scan(["list"]) is None
