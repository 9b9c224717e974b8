"""The plugin API: what a check module (built-in or third-party) imports.

    from envdoctor.api import check, report, Severity

    @check(code="ABC001", name="my-problem", needs=("distributions",),
           summary="One line saying what it detects.")
    def my_problem(facts):
        '''What it detects ... (docstring with the sections in DOC_SECTIONS)'''
        yield report(Severity.ERROR, "specific title", subject="somedist", ...)

A check is a pure function of Facts: no printing, no subprocesses, no imports
of the target's packages.  Register the module under the entry-point group
`envdoctor.checks`; envdoctor's own checks are registered the same way.
"""

from __future__ import annotations

import re
import sys
from typing import Callable, Iterable, Optional, Sequence, Tuple

from envdoctor.model.finding import Finding, FixProposal, Location, Severity
from envdoctor.model.plan import FIX_KINDS, InstallRequest
from envdoctor.model.record import Record, record

__all__ = ["check", "report", "CheckSpec", "Finding", "FixProposal", "InstallRequest", "Location", "Severity",
           "DOC_SECTIONS", "FIX_KINDS"]

CODE_PATTERN = re.compile(r"^[A-Z]{2,4}[0-9]{3}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it detects", "Why it breaks", "Example", "Fix", "References")
# What a check's documentation says when python -OO stripped its docstring.
STRIPPED_DOC = "(documentation not available: Python runs with -OO, which strips docstrings; run envdoctor without it)"
CHECK_ATTRIBUTE = "__envdoctor_check__"


@record
class CheckSpec(Record):
    code: str
    name: str
    summary: str
    needs: Tuple[str, ...]
    function: Callable[..., Iterable[Finding]]
    fix: Optional[str] = None  # the fixer kind its findings propose, if any
    provider: str = ""  # "distribution version", filled in by the registry
    # Keyword arguments the check takes besides the facts (EXP001 "expectations", the config's
    # `require`; EXP002 "known_good"): a run without them leaves the check out.
    inputs: Tuple[str, ...] = ()

    @property
    def doc(self) -> str:
        import inspect

        if self.function.__doc__ is None and sys.flags.optimize >= 2:
            return STRIPPED_DOC
        return inspect.cleandoc(self.function.__doc__ or "")


def check(*, code: str, name: str, summary: str, needs: Sequence[str], fix: Optional[str] = None,
          inputs: Sequence[str] = ()):
    """Mark a function as a check.  Validation happens when the registry loads it."""

    def decorate(function):
        spec = CheckSpec(code=code, name=name, summary=summary, needs=tuple(needs), function=function, fix=fix,
                         inputs=tuple(inputs))
        setattr(function, CHECK_ATTRIBUTE, spec)
        return function

    return decorate


def report(
    severity: Severity,
    title: str,
    *,
    subject: str,
    message: str = "",
    evidence: Sequence[str] = (),
    location: Optional[Location] = None,
    references: Sequence[str] = (),
    fix: Optional[FixProposal] = None,
    key: str = "",
    replaces: Sequence[str] = (),
) -> Finding:
    """A finding from inside a check; the engine stamps the check's code and name on it."""
    return Finding(
        code="",
        name="",
        severity=severity,
        title=title,
        subject=subject,
        message=message,
        evidence=tuple(evidence),
        location=location,
        references=tuple(references),
        fix=fix,
        key=key,
        replaces=tuple(replaces),
    )
