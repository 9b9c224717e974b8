"""Findings: what a check reports, as frozen data that reporters render."""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Tuple

from envdoctor.model.plan import InstallRequest
from envdoctor.model.record import Record, record


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@record
class Location(Record):
    """Where a finding points: a file (and line), a distribution, a module."""

    path: Optional[str] = None
    line: Optional[int] = None
    distribution: Optional[str] = None
    module: Optional[str] = None


@record
class FixProposal(Record):
    """What would repair it, as data: the fix kind (model/plan.py FIX_KINDS), and what a fixer
    or a person needs to do it.  Nothing here is a string to be split again."""

    kind: str
    summary: str
    safe: bool = True
    # A command written out by hand (a knowledge-base rule's, a third-party check's), shown as is.
    command: Optional[str] = None
    # What the fixer needs, typed, so it never parses titles: {"requirement": "idna<4,>=2.5"},
    # {"moves": {"name": "new.home"}, "line": 12}; "fixer" names a fixer when the code does not.
    parameters: Optional[Dict[str, Any]] = None
    # The install that repairs it; reporters render it for the target's installer (pip or uv).
    install: Optional[InstallRequest] = None


@record
class Finding(Record):
    code: str
    name: str
    severity: Severity
    title: str  # one line, with the specifics in it
    subject: str  # the distribution, module or path it is about
    message: str = ""  # why it breaks
    evidence: Tuple[str, ...] = ()
    location: Optional[Location] = None
    references: Tuple[str, ...] = ()
    fix: Optional[FixProposal] = None
    # What makes this finding the same one from run to run, within its code:
    # "sglang->flashinfer-python". Defaults to the subject.
    key: str = ""
    # "CODE:key" of generic findings this one says better, which the engine then drops
    # (TOR001 on torch's triton pin replaces REQ002's "torch requires triton==3.6.0").
    replaces: Tuple[str, ...] = ()

    @property
    def identity(self) -> str:
        return f"{self.code}:{self.key or self.subject}"

    @property
    def sort_key(self):
        return (-self.severity.rank, self.code, self.subject, self.title)


@record
class Skipped(Record):
    """A check that could not run: never to be mistaken for 'checked, all fine'."""

    code: str
    name: str
    reason: str
