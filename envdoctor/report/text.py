"""Text for people: grouped by severity, evidence, the fix hint, a one-line summary.

The report is built once as lines of (text, style) spans.  On a terminal rich
renders the styles (and wraps); anywhere else (a pipe, a CI log, a file) the
spans are joined as plain text, and rich is not even imported: it would add
~50 ms to every run and nothing to the output.
"""

from __future__ import annotations

from typing import List, Tuple

from envdoctor import __version__
from envdoctor.model.finding import Severity
from envdoctor.vocabulary.installer import fix_command
from envdoctor.report import plural
from envdoctor.report.escape import escape_controls
from envdoctor.vocabulary.labels import ORIGIN_LABELS

Span = Tuple[str, str]  # (text, rich style or "")
Line = List[Span]

SYMBOLS = {Severity.ERROR: ("✖", "bold red"), Severity.WARNING: ("▲", "bold yellow"), Severity.INFO: ("●", "bold blue")}
WIDTH = 100



def _header(facts) -> List[Line]:
    interp = facts.interpreter
    where = facts.target.python
    if interp is not None:
        env = "venv" if interp.in_venv else "conda" if interp.conda else "system"
        where += f" (Python {interp.version}, {env} {interp.prefix})"
    return [
        [(f"envdoctor {__version__}", "bold"), (f" · {where}", "")],
        [(f"cwd {facts.target.cwd} · target from {facts.target.source}", "dim")],
    ]


def _facts_section(facts) -> List[Line]:
    lines: List[Line] = [[], [("sys.path", "bold")]]
    for entry in facts.sys_path or ():
        label = ORIGIN_LABELS.get(entry.origin, entry.origin) + (", missing" if entry.kind == "missing" else "")
        lines.append([(f"  [{entry.index}] {entry.path} ", ""), (f"({label})", "dim")])
    if facts.import_system is not None:
        lines += [[], [("sys.meta_path", "bold")]]
        for index, finder in enumerate(facts.import_system.meta_path):
            spec = "find_spec" if finder.find_spec else "find_module only" if finder.find_module else "no finder methods"
            lines.append([(f"  [{index}] {finder.qualified_name} ", ""), (f"({spec})", "dim")])
    if facts.distributions is not None:
        lines += [[], [("distributions", "bold"), (f" {len(facts.distributions)}", "")]]
        for dist in facts.distributions:
            lines.append([(f"  {dist.display} ", ""), (dist.location, "dim"), (" (editable)" if dist.editable else "", "dim")])
    return lines


def _title_line(finding) -> Line:
    symbol, style = SYMBOLS[finding.severity]
    return [(f"{symbol} {finding.code}", style), (f" {finding.title} ", ""), (f"({finding.name})", "dim")]


def _finding(finding, facts) -> List[Line]:
    lines: List[Line] = [_title_line(finding)]
    lines += [[("    │ ", "dim"), (line, "")] for line in finding.evidence]
    if finding.message:
        lines.append([("    why: ", "dim"), (finding.message, "")])
    if finding.fix is not None:
        kind = finding.fix.kind + ("" if finding.fix.safe else ", unsafe")
        lines.append([(f"    fix ({kind}): ", "green"), (finding.fix.summary, "")])
        command = fix_command(finding.fix, facts)
        if command:
            lines.append([(f"      $ {command}", "green")])
    if finding.references:
        lines.append([(f"    see: {', '.join(finding.references)}", "dim")])
    return lines


# Without -v, info findings are one line each, and only the first few of a code: an import
# scan of a partial install can say "not installed" two hundred times.
INFO_SHOWN_PER_CODE = 5


def _info_summary(findings) -> List[Line]:
    lines: List[Line] = []
    by_code: dict = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding)
    for code, group in by_code.items():
        lines.extend(_title_line(finding) for finding in group[:INFO_SHOWN_PER_CODE])
        hidden = len(group) - INFO_SHOWN_PER_CODE
        if hidden > 0:
            lines.append([(f"  … {hidden} more {code} info findings", "dim")])
    if findings:
        lines.append([("  (info findings in one line each: -v shows their evidence, --format json all of them)", "dim")])
    return lines


def report_lines(context) -> List[Line]:
    facts, run = context.facts, context.run
    lines = _header(facts)
    if context.verbose:
        lines += _facts_section(facts)
    if run.findings:
        lines.append([])
    for severity in Severity:
        findings = [f for f in run.findings if f.severity is severity]
        if severity is Severity.INFO and not context.verbose:
            lines += _info_summary(findings)
            continue
        for finding in findings:
            lines += _finding(finding, facts)
    lines += [[(f"- skipped {s.code} ({s.name}): {s.reason}", "dim")] for s in run.skipped]
    counts = run.counts()
    dists = f" on {plural(len(facts.distributions), 'distribution')}" if facts.distributions is not None else ""
    failed = run.failed(context.strict)
    verdict = "COULD NOT CHECK" if run.could_not_check() else "FAILED" if failed else "OK"
    lines += [[], [
        (verdict, "bold green" if verdict == "OK" else "bold red"),
        (f" {plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info"
         f" · {plural(len(run.ran), 'check')}{dists}" + (f", {len(run.skipped)} skipped" if run.skipped else "")
         + f" · {context.elapsed:.2f} s", ""),
    ]]
    return lines


def render_text(context) -> str:
    # Every span may hold the target's text: no control character reaches the terminal, and
    # no newline from metadata splits a line (or forges one that looks like a finding).
    lines = [[(escape_controls(text, one_line=True), style) for text, style in line] for line in report_lines(context)]
    if not context.color:
        return "".join("".join(text for text, _ in line) + "\n" for line in lines)
    import io

    from rich.console import Console
    from rich.text import Text

    from envdoctor.report import redactor_for

    # Masked piece by piece before rich folds a word longer than the line (a path): a token cut in
    # two by the fold would match no pattern when the whole report is masked afterwards.
    mask = redactor_for(context).text
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=WIDTH, highlight=False)
    for line in lines:
        console.print(Text.assemble(*((mask(text), style) for text, style in line)))
    return buffer.getvalue()
