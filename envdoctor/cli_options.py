"""The CLI's options, declared once and shared by the commands that take them.

Parsing only: what a value means is decided in collect.py and the reporters.
"""

from __future__ import annotations

import enum
from typing import Annotated, List, Optional

import typer

from envdoctor.option_values import report_format, report_outputs, tokens  # noqa: F401  (re-exported: the commands import them from here)
from envdoctor.probe.start import timeout_problem

PythonOption = Annotated[
    Optional[str],
    typer.Option("--python", "-p", help="Interpreter or venv/conda prefix to inspect [default: $VIRTUAL_ENV, $CONDA_PREFIX, this Python]."),
]
CwdOption = Annotated[Optional[str], typer.Option("--cwd", help="Working directory the target runs from (it is sys.path[0]) [default: .].")]


def _checked_timeout(value: float) -> float:
    """Zero, negative, NaN, infinite and absurd values are a usage error, before anything is started."""
    problem = timeout_problem(value)
    if problem:
        raise typer.BadParameter(problem)
    return value


TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", callback=_checked_timeout,
                 help="Seconds the target may take in all (the probe, the diagnosis of a hang, --deep's imports); then every process envdoctor started there is ended."),
]
ScanOption = Annotated[
    Optional[List[str]],
    typer.Option("--scan", help="Also scan the imports of this distribution or source folder (repeatable); installed stack packages (sglang, vllm, flashinfer, ...) are scanned by default."),
]
NoScanOption = Annotated[bool, typer.Option("--no-scan", help="Skip the static import scan.")]
DeepOption = Annotated[
    bool,
    typer.Option("--deep", help="Also import the installed stack (torch, triton, flashinfer, sglang, vllm, ...), each in its own subprocess with --timeout: CUDA use, arch list, a kernel launch, a Triton kernel."),
]
ConfigOption = Annotated[
    Optional[str],
    typer.Option("--config", help="Settings file [default: [tool.envdoctor] of the nearest pyproject.toml at or above --cwd]."),
]
SelectOption = Annotated[Optional[List[str]], typer.Option("--select", "-s", help="Only these checks: code, code prefix or name (repeatable, comma-separated).")]
IgnoreOption = Annotated[Optional[List[str]], typer.Option("--ignore", "-i", help="Skip these checks: code, code prefix or name.")]
OutputOption = Annotated[
    Optional[List[str]],
    typer.Option("--output", "-o", help="Also write a report: FORMAT=PATH, e.g. sarif=envdoctor.sarif (repeatable; one run, several formats)."),
]
BaselineOption = Annotated[Optional[str], typer.Option("--baseline", help="Report only findings not recorded in this baseline file (expired entries no longer count).")]
AgainstOption = Annotated[
    Optional[str],
    typer.Option("--against", help="Also report every difference from this known-good snapshot that changes behaviour (check EXP002)."),
]
WriteBaselineOption = Annotated[
    Optional[str], typer.Option("--write-baseline", help="Record the current findings in this file as accepted, and exit 0.")
]
FactsOption = Annotated[Optional[str], typer.Option("--facts", help="Check a snapshot file instead of a live target.")]
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="Output format on stdout: text, json, sarif, junit, github, markdown, or a plugin's reporter.")
]
StrictOption = Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Show the facts behind the findings.")]
FixSelectOption = Annotated[Optional[List[str]], typer.Option("--select", "-s", help="Only findings of these checks: code, prefix or name.")]
FixIgnoreOption = Annotated[Optional[List[str]], typer.Option("--ignore", "-i", help="Leave findings of these checks alone.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Apply the plan without asking.")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")]
UnsafeOption = Annotated[
    bool,
    typer.Option("--unsafe", help="With --yes, also apply plans that add or edit code in the target (shims, stubs, patches, metadata removal)."),
]


class DiffFormat(str, enum.Enum):
    text = "text"
    json = "json"
