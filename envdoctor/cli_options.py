"""The CLI's options, declared once and shared by the commands that take them.

Parsing only: what a value means is decided in collect.py and the reporters.
"""

from __future__ import annotations

import enum
import re
from typing import Annotated, List, Optional

import typer

from envdoctor.probe.start import timeout_problem

# What rich (through typer's help) would read as a markup tag: `[default: ...]`, `[tool.envdoctor]`.
_MARKUP_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?\])")


def literal(text: str) -> str:
    """A help text shown as written: rich drops every `[word ...]` it takes for a tag unless it is
    escaped (as rich.markup.escape does; importing rich here would slow every start)."""
    return _MARKUP_TAG.sub(lambda match: match.group(1) * 2 + "\\" + match.group(2), text)


PythonOption = Annotated[
    Optional[str],
    typer.Option("--python", "-p", help=literal("Interpreter (a path, or a name on PATH such as python3.12; pyenv/asdf shims are resolved) or venv/conda prefix to inspect [default: $VIRTUAL_ENV, else $CONDA_PREFIX, else the python3 on PATH].")),
]
CwdOption = Annotated[Optional[str], typer.Option("--cwd", help=literal("Working directory the target runs from (it is sys.path[0]) [default: .]."))]


def _checked_timeout(value: float) -> float:
    """Zero, negative, NaN, infinite and absurd values are a usage error, before anything is started."""
    problem = timeout_problem(value)
    if problem:
        raise typer.BadParameter(problem)
    return value


TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", callback=_checked_timeout,
                 help=literal("Seconds the target may take in all (the probe, the diagnosis of a hang, --deep's imports); then every process envdoctor started there is ended.")),
]
ScanOption = Annotated[
    Optional[List[str]],
    typer.Option("--scan", help=literal("Also scan the imports of this distribution or source folder (repeatable); installed stack packages (sglang, vllm, flashinfer, ...) are scanned by default.")),
]
NoScanOption = Annotated[bool, typer.Option("--no-scan", help=literal("Skip the static import scan."))]
DeepOption = Annotated[
    bool,
    typer.Option("--deep", help=literal("Also import the installed stack (torch, triton, flashinfer, sglang, vllm, ...), in one subprocess, each with its own --timeout: CUDA use, arch list, a kernel launch, a Triton kernel.")),
]
ConfigOption = Annotated[
    Optional[str],
    typer.Option("--config", help=literal("Settings file [default: [tool.envdoctor] of the nearest pyproject.toml at or above --cwd].")),
]
SelectOption = Annotated[Optional[List[str]], typer.Option("--select", "-s", help=literal("Only these checks: code, code prefix or name (repeatable, comma-separated)."))]
IgnoreOption = Annotated[Optional[List[str]], typer.Option("--ignore", "-i", help=literal("Skip these checks: code, code prefix or name."))]
OutputOption = Annotated[
    Optional[List[str]],
    typer.Option("--output", "-o", help=literal("Also write a report: FORMAT=PATH, e.g. sarif=envdoctor.sarif (repeatable; one run, several formats).")),
]
BaselineOption = Annotated[Optional[str], typer.Option("--baseline", help=literal("Report only findings not recorded in this baseline file (expired entries no longer count)."))]
AgainstOption = Annotated[
    Optional[str],
    typer.Option("--against", help=literal("Also report every difference from this known-good snapshot that changes behaviour (check EXP002).")),
]
WriteBaselineOption = Annotated[
    Optional[str], typer.Option("--write-baseline", help=literal("Record the current findings in this file as accepted, and exit 0."))
]
FactsOption = Annotated[Optional[str], typer.Option("--facts", help=literal("Check a snapshot file instead of a live target."))]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help=literal("Output format on stdout: text, json, sarif, junit, github, markdown, or a plugin's reporter."))
]
StrictOption = Annotated[bool, typer.Option("--strict", help=literal("Fail (exit 1) on warnings too."))]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help=literal("No progress lines on stderr (they are shown only where stderr is a terminal)."))
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help=literal("Show the facts behind the findings."))]
FixSelectOption = Annotated[Optional[List[str]], typer.Option("--select", "-s", help=literal("Only findings of these checks: code, prefix or name."))]
FixIgnoreOption = Annotated[Optional[List[str]], typer.Option("--ignore", "-i", help=literal("Leave findings of these checks alone."))]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help=literal("Apply the plan without asking."))]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help=literal("Print the plan; change nothing."))]
UnsafeOption = Annotated[
    bool,
    typer.Option("--unsafe", help=literal("With --yes, also apply plans that add or edit code in the target (shims, stubs, patches, metadata removal).")),
]

# check --with (docs/preflight.md): the install to preview, and the index options passed to its resolver.
WithOption = Annotated[
    Optional[List[str]],
    typer.Option("--with", help="Check the environment as installing these requirements would leave it (resolved by the target's pip or uv, nothing installed): `--with vllm==0.11.0 torch==2.9.0`."),
]
WithMoreArgument = Annotated[Optional[List[str]], typer.Argument(help="More requirements for --with.", show_default=False)]
RequirementFileOption = Annotated[
    Optional[List[str]],
    typer.Option("--requirement", "-r", help="Like --with, for a requirements file, a pyproject.toml's dependencies or a pylock.toml (repeatable)."),
]
IndexUrlOption = Annotated[Optional[str], typer.Option("--index-url", help="With --with/-r: the index the resolver uses instead of its configured one.")]
ExtraIndexUrlOption = Annotated[Optional[List[str]], typer.Option("--extra-index-url", help="With --with/-r: one more index for the resolver (repeatable).")]
FindLinksOption = Annotated[Optional[List[str]], typer.Option("--find-links", help="With --with/-r: a folder or page of wheels for the resolver (repeatable).")]


class DiffFormat(str, enum.Enum):
    text = "text"
    json = "json"
