"""`--help` of every command shows each option's help text whole, brackets included.

Rich (through typer) reads `[default: ...]` and `[tool.envdoctor]` as markup tags and drops
them unless they are escaped; this walks every command and parameter, so an option added
later without escaping fails here too.
"""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from envdoctor.cli import app

BOX = re.compile(r"[│╭╮╰╯─]")


def _commands():
    group = typer.main.get_command(app)
    yield (), group
    for name, command in group.commands.items():
        yield (name,), command


def _flat(text: str) -> str:
    return " ".join(BOX.sub(" ", text).split())


def _unescaped(text: str) -> str:
    return _flat(re.sub(r"\\(\[)", r"\1", text))


@pytest.mark.parametrize("path, command", list(_commands()), ids=lambda value: " ".join(value) if isinstance(value, tuple) else "")
def test_every_help_text_renders_whole(path, command):
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100", "TERM": "xterm"})
    assert result.exit_code == 0, result.output
    shown = _flat(result.output)
    for param in command.params:
        help_text = getattr(param, "help", None)
        if help_text:
            assert _unescaped(help_text) in shown, f"{' '.join(path)} {param.name}: help text lost part of itself"


def test_check_help_lists_every_exit_code():
    result = CliRunner().invoke(app, ["check", "--help"], env={"COLUMNS": "100"})
    shown = _flat(result.output)
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"\b{code}\b [a-z]", shown.split("Exit", 1)[1]), f"exit code {code} not listed"
