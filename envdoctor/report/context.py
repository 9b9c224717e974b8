"""Everything a reporter may show, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass

from envdoctor.engine import CheckRun
from envdoctor.model.facts import Facts


@dataclass(frozen=True)
class ReportContext:
    facts: Facts
    run: CheckRun
    strict: bool = False
    verbose: bool = False
    elapsed: float = 0.0
    color: bool = False
    checks: tuple = ()  # the CheckSpecs selected for the run (SARIF rules, JUnit test cases)
