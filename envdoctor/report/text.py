"""Text for people: a verdict per area, then the findings by impact, then one summary line.

    envdoctor 0.1.0 · /venv/bin/python (Python 3.11.7, venv /venv)
    cwd /work/proj · target from --python

    ✓ Python & interpreter   5 checks
    ✗ distributions          1 error · 12 checks
    ...
    ✖ REQ001 requests 2.32.3 requires idna<4,>=2.5, which is not installed (missing-requirement)
        why: ...
    4 checks need --deep: GPU004, STK001, STK002, MGPU001
    FAILED 1 error, 0 warnings, 0 info · 50 checks on 103 distributions, 4 skipped · 0.25 s

The report is built once as lines of (text, style) spans.  On a terminal they are folded to its
width with their indentation kept (report/wrap.py) and rich renders the styles; anywhere else (a
pipe, a CI log, a file) the spans are joined as plain text, and rich is not even imported: it
would add ~50 ms to every run and nothing to the output.  -v adds the facts and every evidence line.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from envdoctor import __version__
from envdoctor.model.finding import Severity
from envdoctor.report import plural
from envdoctor.report.areas import codes_by_area
from envdoctor.report.escape import escape_controls
from envdoctor.report.impact import by_impact
from envdoctor.vocabulary.installer import fix_command
from envdoctor.vocabulary.labels import ORIGIN_LABELS

Span = Tuple[str, str]  # (text, rich style or "")
Line = List[Span]

SYMBOLS = {Severity.ERROR: ("✖", "bold red"), Severity.WARNING: ("▲", "bold yellow"), Severity.INFO: ("●", "bold blue")}
AREA_MARKS = {"error": ("✗", "bold red"), "warning": ("!", "bold yellow"), "ok": ("✓", "bold green"), "unchecked": ("-", "dim")}
WIDTH = 100  # a terminal's width when it does not say

# Without -v: evidence lines per finding, and info findings per code (an import scan of a partial
# install can say "not installed" two hundred times).
EVIDENCE_SHOWN = 3
INFO_SHOWN_PER_CODE = 5

# How the header says where the target came from (target_choice.py's sources).
SOURCE_TEXTS = {
    "--python": "target from --python",
    "VIRTUAL_ENV": "target from $VIRTUAL_ENV (the active venv)",
    "CONDA_PREFIX": "target from $CONDA_PREFIX (the active conda environment)",
    "python3 on PATH": "target: the python3 on PATH (no venv active); check another with --python PATH",
    "envdoctor": "target: the Python envdoctor runs in (no venv active, no python3 on PATH); check another with --python PATH",
}


def _source_text(source: str) -> str:
    chosen, _, via = source.partition(", ")
    text = SOURCE_TEXTS.get(chosen, f"target from {chosen}")
    return f"{text} ({via}, resolved)" if via else text


def _header(facts) -> List[Line]:
    interp = facts.interpreter
    where = facts.target.python
    if interp is not None:
        env = "venv" if interp.in_venv else "conda" if interp.conda else "system"
        where += f" (Python {interp.version}, {env} {interp.prefix})"
    return [
        [(f"envdoctor {__version__}", "bold"), (f" · {where}", "")],
        [(f"cwd {facts.target.cwd} · {_source_text(facts.target.source)}", "dim")],
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


def _areas(run) -> List[Line]:
    """One line per area: ✗ with errors, ! with warnings, ✓ otherwise, and what was counted."""
    findings: Dict[str, List] = {}
    for finding in run.findings:
        findings.setdefault(finding.code, []).append(finding)
    skipped = {s.code for s in run.skipped}
    areas = codes_by_area(list(dict.fromkeys([*run.ran, *skipped, *findings])))
    name_width = max((len(area) for area in areas), default=0)
    lines: List[Line] = []
    for area, codes in areas.items():
        found = [f for code in codes for f in findings.get(code, ())]
        counts = {s: sum(1 for f in found if f.severity is s) for s in Severity}
        ran = sum(1 for code in codes if code not in skipped)
        not_run = len(codes) - ran
        # An area whose every check was skipped was not checked: a ✓ there would read as "fine".
        mark = ("error" if counts[Severity.ERROR] else "warning" if counts[Severity.WARNING]
                else "ok" if ran else "unchecked")
        symbol, style = AREA_MARKS[mark]
        parts = [plural(counts[s], s.value) if s is not Severity.INFO else f"{counts[s]} info" for s in Severity if counts[s]]
        parts.append(plural(ran, "check") if ran else "not checked")
        if not_run:
            parts.append(f"{not_run} skipped")
        lines.append([(symbol, style), (f" {area:<{name_width}}  ", ""), (" · ".join(parts), "" if found else "dim")])
    return lines


def _title_line(finding) -> Line:
    symbol, style = SYMBOLS[finding.severity]
    return [(f"{symbol} {finding.code}", style), (f" {finding.title} ", ""), (f"({finding.name})", "dim")]


def _finding(finding, facts, verbose: bool) -> List[Line]:
    lines: List[Line] = [_title_line(finding)]
    evidence = [line for line in dict.fromkeys(finding.evidence) if line != finding.title]  # each line once
    shown = evidence if verbose else evidence[:EVIDENCE_SHOWN]
    lines += [[("    │", "dim"), (f" {line}", "")] for line in shown]
    if len(shown) < len(evidence):
        lines.append([(f"    │ … {len(evidence) - len(shown)} more lines of evidence (-v shows them)", "dim")])
    if finding.message:
        lines.append([("    why:", "dim"), (f" {finding.message}", "")])
    if finding.fix is not None:
        kind = finding.fix.kind + ("" if finding.fix.safe else ", unsafe")
        lines.append([(f"    fix ({kind}):", "green"), (f" {finding.fix.summary}", "")])
        command = fix_command(finding.fix, facts)
        if command:
            lines.append([(f"      $ {command}", "green")])
    if finding.references:
        lines.append([(f"    see: {', '.join(finding.references)}", "dim")])
    return lines


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


def _skipped(run, verbose: bool) -> List[Line]:
    """One line per reason: "4 checks need --deep: GPU004, STK001, ..." instead of four."""
    if verbose:
        return [[(f"- skipped {s.code} ({s.name}): {s.reason}", "dim")] for s in run.skipped]
    by_reason: Dict[str, List[str]] = {}
    for item in run.skipped:
        needs_deep = "deep" in item.reason.replace("facts lack ", "").split(", ")
        by_reason.setdefault("--deep" if needs_deep else item.reason, []).append(item.code)
    lines: List[Line] = []
    for reason, codes in by_reason.items():
        count = plural(len(codes), "check")
        said = (f"{count} {'needs' if len(codes) == 1 else 'need'} --deep" if reason == "--deep"
                else f"{count} skipped ({reason})")
        lines.append([(f"- {said}: {', '.join(codes)}", "dim")])
    return lines


def report_lines(context) -> List[Line]:
    facts, run = context.facts, context.run
    lines = _header(facts)
    if context.verbose:
        lines += _facts_section(facts)
    lines += [[], *_areas(run)]
    ordered = by_impact(run.findings, facts)
    if ordered:
        lines.append([])
    for finding in ordered:
        if finding.severity is not Severity.INFO or context.verbose:
            lines += _finding(finding, facts, context.verbose)
    if not context.verbose:
        lines += _info_summary([f for f in ordered if f.severity is Severity.INFO])
    skipped = _skipped(run, context.verbose)
    if skipped:
        lines += [[], *skipped]
    counts = run.counts()
    dists = f" on {plural(len(facts.distributions), 'distribution')}" if facts.distributions is not None else ""
    failed = run.failed(context.strict) if context.failed is None else context.failed
    verdict = "COULD NOT CHECK" if run.could_not_check() else "FAILED" if failed else "OK"
    if context.failed is not None and not run.could_not_check():
        verdict += " (new findings)" if failed else " (nothing new)"  # check --with: the counts include what is there already
    lines.append([])
    if not run.findings:
        lines.append([("No problems found.", "bold green")])
    lines += [[
        (verdict, "bold green" if verdict.startswith("OK") else "bold red"),
        (f" {plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info"
         f" · {plural(len(run.ran), 'check')}{dists}" + (f", {len(run.skipped)} skipped" if run.skipped else "")
         + f" · {context.elapsed:.2f} s", ""),
    ]]
    return lines


def _printable_lines(context) -> List[Line]:
    # Every span may hold the target's text: no control character reaches the terminal, and
    # no newline from metadata splits a line (or forges one that looks like a finding).
    return [[(escape_controls(text, one_line=True), style) for text, style in line] for line in report_lines(context)]


def folded_lines(context, width: int) -> List[Line]:
    """The report's lines, printable, masked and folded to `width` (a terminal's, a rich console's)."""
    from envdoctor.report import redactor_for
    from envdoctor.report.wrap import wrap_lines

    # Masked piece by piece before the fold: a token cut in two by it would match no pattern
    # when the whole report is masked afterwards.
    mask = redactor_for(context).text
    return wrap_lines([[(mask(text), style) for text, style in line] for line in _printable_lines(context)], width)


def render_text(context) -> str:
    if context.width or context.color:
        lines = folded_lines(context, context.width or WIDTH)
    else:
        lines = _printable_lines(context)
    if not context.color:
        return "".join("".join(text for text, _ in line) + "\n" for line in lines)
    import io

    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=max(context.width or WIDTH, 20), highlight=False)
    for line in lines:
        console.print(Text.assemble(*line), soft_wrap=True)  # folded above; rich only styles
    return buffer.getvalue()
