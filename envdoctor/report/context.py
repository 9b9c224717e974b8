"""Everything a reporter may show, in one frozen object."""

from __future__ import annotations

from typing import Optional

from envdoctor.engine import CheckRun
from envdoctor.model.facts import Facts
from envdoctor.model.record import Record, record


@record
class ReportContext(Record):
    facts: Facts
    run: CheckRun
    strict: bool = False
    verbose: bool = False
    elapsed: float = 0.0
    color: bool = False
    checks: tuple = ()  # the CheckSpecs selected for the run (SARIF rules, JUnit test cases)
    width: int = 0  # the text report's line length on a terminal; 0: lines are never folded
    # The verdict when it is not the run's own: check --with fails only on what the install adds.
    failed: Optional[bool] = None
