"""Markdown: the findings as a table and sections, and with `envdoctor report` the
environment facts that matter for the ML stack, for pasting into a bug report.

Redaction (envdoctor.redaction) is applied by the caller to the whole text,
as for every format; `envdoctor report` also replaces the home directory.
"""

from __future__ import annotations

from typing import List

from envdoctor import __version__
from envdoctor.model.finding import Severity
from envdoctor.vocabulary.installer import fix_command
from envdoctor.report import plural
from envdoctor.report.escape import escape_controls
from envdoctor.vocabulary.stack import REPORTED
from envdoctor.vocabulary.stack_membership import joined_members

ICONS = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def findings_markdown(context) -> List[str]:
    run = context.run
    counts = run.counts()
    lines = [f"**{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info** "
             f"({len(run.ran)} checks ran{f', {len(run.skipped)} skipped' if run.skipped else ''})", ""]
    if not run.findings:
        return lines + ["No findings."]
    lines += ["| severity | code | finding |", "|---|---|---|"]
    lines += [f"| {ICONS[f.severity]} | `{f.code}` {f.name} | {_cell(f.title)} |" for f in run.findings]
    for finding in run.findings:
        if finding.severity is Severity.INFO and not context.verbose:
            continue
        lines += ["", f"### {finding.code} {finding.name}: {finding.title}", ""]
        if finding.message:
            lines += [finding.message, ""]
        if finding.location and finding.location.path:
            where = finding.location.path + (f":{finding.location.line}" if finding.location.line else "")
            lines += [f"- at `{where}`"]
        lines += [f"- evidence: `{_cell(e)}`" for e in finding.evidence[:8]]
        if finding.fix:
            command = fix_command(finding.fix, context.facts)
            command = f" — `{command}`" if command else ""
            lines += [f"- fix ({finding.fix.kind}): {finding.fix.summary}{command}"]
        if finding.references:
            lines += ["- references: " + ", ".join(finding.references)]
    return lines


def environment_markdown(facts) -> List[str]:
    interpreter, stack = facts.interpreter, facts.stack
    lines = ["## Environment", "", "| fact | value |", "|---|---|"]

    def row(name, value):
        if value not in (None, "", ()):
            lines.append(f"| {name} | {_cell(value)} |")

    if interpreter is not None:
        row("Python", f"{interpreter.implementation} {interpreter.version} ({interpreter.platform})")
        row("prefix", interpreter.prefix + (" (venv)" if interpreter.in_venv else ""))
    row("target", facts.target.python)
    if stack is not None:
        if stack.torch is not None:
            build = stack.torch
            row("torch build", f"{build.version} (CUDA {build.cuda or '-'}, HIP {build.hip or '-'})")
        if stack.nvidia is not None:
            row("NVIDIA driver", f"{stack.nvidia.driver_version} (CUDA {stack.nvidia.cuda_driver_version})")
            for gpu in stack.nvidia.gpus:
                row(f"GPU {gpu.index}", f"{gpu.name}, capability {gpu.capability}, {gpu.memory_mib} MiB")
        if stack.cuda_toolkit is not None:
            row("CUDA toolkit", f"{stack.cuda_toolkit.version} at {stack.cuda_toolkit.home}")
        if stack.rocm is not None:
            row("ROCm", f"{stack.rocm.version} ({', '.join(stack.rocm.gfx_targets) or 'no GPU'})")
        if stack.apple is not None:
            row("macOS", f"{stack.apple.macos_version} {stack.apple.machine}" + (" (Rosetta)" if stack.apple.translated else ""))
    installed = facts.active_distributions() if facts.distributions is not None else {}
    # The named stack first, then the packages that joined it through their requirements.
    names = dict.fromkeys([*REPORTED, *(joined_members(facts) if installed else ())])
    versions = [f"{name} {installed[name].version}" for name in names if name in installed]
    row("stack packages", ", ".join(versions))
    row("distributions", len(installed))
    # The probe collects only the variables that steer Python and the stack (and masks secret-named ones).
    environment = sorted((interpreter.environment if interpreter is not None else {}).items())
    if environment:
        lines += ["", "Environment variables:", "", "```"] + [f"{k}={v}" for k, v in environment] + ["```"]
    return lines


def render_markdown(context, with_environment: bool = False) -> str:
    lines = [f"# envdoctor {__version__} report", ""]
    if with_environment:
        lines += environment_markdown(context.facts) + ["", "## Findings", ""]
    lines += findings_markdown(context)
    # Each item is one line of Markdown: the target's text in it may neither reach the terminal
    # as control characters nor split the line (a heading, a table row, the ``` block).
    return "\n".join(escape_controls(line, one_line=True) for line in lines) + "\n"
