"""Rich text for people: grouped by severity, evidence, the fix hint, a one-line summary."""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape

from envdoctor import __version__
from envdoctor.checks._common import ORIGIN_LABELS
from envdoctor.model.finding import Severity

STYLE = {
    Severity.ERROR: ("✖", "bold red"),
    Severity.WARNING: ("▲", "bold yellow"),
    Severity.INFO: ("●", "bold blue"),
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _header(console: Console, facts) -> None:
    interp = facts.interpreter
    where = escape(facts.target.python)
    if interp is not None:
        env = "venv" if interp.in_venv else "conda" if interp.conda else "system"
        where += f" (Python {interp.version}, {env} {escape(interp.prefix)})"
    console.print(f"[bold]envdoctor {__version__}[/] · {where}")
    console.print(f"[dim]cwd {escape(facts.target.cwd)} · target from {facts.target.source}[/]")


def _facts_section(console: Console, facts) -> None:
    console.print("\n[bold]sys.path[/]")
    for entry in facts.sys_path or ():
        label = ORIGIN_LABELS.get(entry.origin, entry.origin)
        console.print(f"  [{entry.index}] {escape(entry.path)} [dim]({label}{', missing' if entry.kind == 'missing' else ''})[/]")
    if facts.import_system is not None:
        console.print("\n[bold]sys.meta_path[/]")
        for index, finder in enumerate(facts.import_system.meta_path):
            spec = "find_spec" if finder.find_spec else "find_module only" if finder.find_module else "no finder methods"
            console.print(f"  [{index}] {escape(finder.qualified_name)} [dim]({spec})[/]")
    if facts.distributions is not None:
        console.print(f"\n[bold]distributions[/] {len(facts.distributions)}")
        for dist in facts.distributions:
            extra = " [dim](editable)[/]" if dist.editable else ""
            console.print(f"  {escape(dist.display)} [dim]{escape(dist.location)}[/]{extra}")


def _finding(console: Console, finding) -> None:
    symbol, style = STYLE[finding.severity]
    console.print(f"[{style}]{symbol} {finding.code}[/] {escape(finding.title)} [dim]({finding.name})[/]")
    for line in finding.evidence:
        console.print(f"    [dim]│[/] {escape(line)}", soft_wrap=True)
    if finding.message:
        console.print(f"    [dim]why:[/] {escape(finding.message)}")
    if finding.fix is not None:
        kind = finding.fix.kind + ("" if finding.fix.safe else ", unsafe")
        console.print(f"    [green]fix ({kind}):[/] {escape(finding.fix.summary)}")
        if finding.fix.command:
            console.print(f"      [green]$ {escape(finding.fix.command)}[/]", soft_wrap=True)
    if finding.references:
        console.print(f"    [dim]see: {escape(', '.join(finding.references))}[/]")


def render_text(context) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=context.color, no_color=not context.color, width=100, highlight=False)
    facts, run = context.facts, context.run
    _header(console, facts)
    if context.verbose:
        _facts_section(console, facts)
    if run.findings:
        console.print()
    for severity in Severity:
        for finding in (f for f in run.findings if f.severity is severity):
            _finding(console, finding)
    for skipped in run.skipped:
        console.print(f"[dim]- skipped {skipped.code} ({skipped.name}): {escape(skipped.reason)}[/]")
    counts = run.counts()
    dists = f" on {_plural(len(facts.distributions), 'distribution')}" if facts.distributions is not None else ""
    verdict = "[bold red]FAILED[/]" if run.failed(context.strict) else "[bold green]OK[/]"
    console.print(
        f"\n{verdict} {_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}, "
        f"{counts['info']} info · {_plural(len(run.ran), 'check')}{dists}"
        + (f", {len(run.skipped)} skipped" if run.skipped else "")
        + f" · {context.elapsed:.2f} s"
    )
    return buffer.getvalue()
