"""What the install would break, apart from what is broken already.

A finding of the run on the after-facts is *new* when the run on the target as it is has no
finding of the same identity (code and key) at its severity or a higher one, else *already
present* (it may read differently: another version is in the title).  A warning the install
turns into an error (torch +cu126 on a CUDA 12.2 driver, then +cu130) is new: the install
makes it worse.  The mark leads its title, so every report format shows it
without a field of its own.  Findings of the first run that the second lacks are the ones the
install would resolve.

The exit code is a CI preflight's: it fails (1) on a new error, since what is broken already
is not the dependency bump's doing; `--strict` fails on any warning or error the environment
would have afterwards, new or not.  A run that could not check exits 2 as `check` does.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Tuple

from envdoctor.engine import CheckRun
from envdoctor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from envdoctor.model.finding import Finding, Severity
from envdoctor.model.record import Record, record

NEW = "[new]"
ALREADY_PRESENT = "[already present]"


@record
class Comparison(Record):
    """The after-run with each finding marked, and what changed between the two runs."""

    run: CheckRun
    new: Tuple[Finding, ...]
    present: Tuple[Finding, ...]
    resolved: Tuple[Finding, ...]  # in the target now, gone after the install
    installs: Tuple[str, ...] = ()  # "name version" of what the install would put in place

    def exit_code(self, strict: bool) -> int:
        if self.run.could_not_check():
            return EXIT_USAGE
        counted = self.new + self.present if strict else self.new
        worst = Severity.WARNING.rank if strict else Severity.ERROR.rank
        return EXIT_FINDINGS if any(f.severity.rank >= worst for f in counted) else EXIT_OK


def compared(before: CheckRun, after: CheckRun, installs: Tuple[str, ...] = ()) -> Comparison:
    """The after-run's findings marked new or already present against the before-run's."""
    earlier: Dict[str, int] = {}
    for finding in before.findings:
        earlier[finding.identity] = max(finding.severity.rank, earlier.get(finding.identity, finding.severity.rank))
    later = {finding.identity for finding in after.findings}

    def is_new(finding: Finding) -> bool:
        return finding.severity.rank > earlier.get(finding.identity, -1)

    new = tuple(f for f in after.findings if is_new(f))
    present = tuple(f for f in after.findings if not is_new(f))
    marked = tuple(_marked(f, NEW if is_new(f) else ALREADY_PRESENT) for f in after.findings)
    resolved = tuple(f for f in before.findings if f.identity not in later)
    return Comparison(dataclasses.replace(after, findings=marked), new, present, resolved, installs)


def _marked(finding: Finding, mark: str) -> Finding:
    return dataclasses.replace(finding, title=f"{mark} {finding.title}")
