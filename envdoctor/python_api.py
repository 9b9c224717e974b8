"""envdoctor from Python: `envdoctor.check()` returns a Report (findings, facts, summary).

    >>> import envdoctor
    >>> report = envdoctor.check()            # the python3 on PATH, or the active venv
    >>> report.ok, report.summary["errors"]
    >>> report                                # a notebook shows the report as HTML

The same selection, probe and checks as `envdoctor check` (collect.checked); nothing here
prints.  A target that cannot be checked raises envdoctor.errors.EnvdoctorError (TargetError,
ProbeError, UsageError) with the message the CLI would print.  (envdoctor/api.py is the API
for *plugins*: checks and rules; this module is for people.)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterable, Optional, Tuple

from envdoctor.collect import Request, checked
from envdoctor.probe.start import DEFAULT_TIMEOUT
from envdoctor.report.context import ReportContext


@dataclasses.dataclass(frozen=True)
class Report:
    """The result of one check: the findings (model/finding.py's Finding), the facts they were
    drawn from (model/facts.py's Facts), and a summary."""

    context: ReportContext

    @property
    def findings(self) -> Tuple[Any, ...]:
        return tuple(self.context.run.findings)

    @property
    def facts(self):
        return self.context.facts

    @property
    def ok(self) -> bool:
        """True when the CLI would exit 0: no error (no warning either, with strict)."""
        return self.context.run.exit_code(self.context.strict) == 0

    @property
    def summary(self) -> Dict[str, Any]:
        run = self.context.run
        counts = run.counts()
        return {
            "ok": self.ok,
            "errors": counts["error"], "warnings": counts["warning"], "info": counts["info"],
            "checks_run": len(run.ran), "skipped": [item.code for item in run.skipped],
            "python": self.context.facts.target.python, "seconds": round(self.context.elapsed, 3),
        }

    def text(self, width: int = 0) -> str:
        """The text report, as `envdoctor check` prints it to a file (folded to `width` if given)."""
        from envdoctor.report import redacted
        from envdoctor.report.text import render_text

        context = dataclasses.replace(self.context, color=False, width=width)
        return redacted(render_text(context), context)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        s = self.summary
        return (f"<envdoctor Report {'OK' if s['ok'] else 'FAILED'}: {s['errors']} errors, {s['warnings']} warnings, "
                f"{s['info']} info on {s['python']}>")

    def _repr_html_(self) -> str:
        """Jupyter, VS Code and Colab show this for a cell's last value."""
        from envdoctor.report.html import render_html

        return render_html(self.context)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        """IPython in a terminal: the text report."""
        printer.text(self.text())

    def __rich_console__(self, console, options):
        """rich.print(report): the coloured report, folded to the console's width."""
        from rich.text import Text

        from envdoctor.report.text import folded_lines

        for line in folded_lines(self.context, options.max_width):
            yield Text.assemble(*line)


def check(
    python: Optional[str] = None,
    deep: bool = False,
    *,
    cwd: Optional[str] = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    scan: Iterable[str] = (),
    no_scan: bool = False,
    strict: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    config: Optional[str] = None,
    facts_file: Optional[str] = None,
) -> Report:
    """Check an environment as `envdoctor check` does and return the Report.

    python: an interpreter or environment prefix (as --python); None: $VIRTUAL_ENV, $CONDA_PREFIX,
    else the python3 on PATH.  deep: also import the stack in subprocesses (--deep).  The other
    arguments are the CLI's options of the same names; facts_file checks a snapshot instead.
    """
    request = Request(python=python, cwd=cwd, timeout=timeout, facts_file=facts_file, select=tuple(select),
                      ignore=tuple(ignore), strict=strict, scan=tuple(scan), no_scan=no_scan, deep=deep,
                      config=config)
    outcome = checked(request)
    return Report(ReportContext(facts=outcome.facts, run=outcome.run, strict=outcome.strict, elapsed=outcome.elapsed,
                                checks=tuple(outcome.checks)))
