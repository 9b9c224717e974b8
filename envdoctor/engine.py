"""Run selected checks on facts: skipped when facts are missing, crashes become findings."""

from __future__ import annotations

import dataclasses
import traceback
from typing import Sequence, Tuple

from envdoctor.api import CheckSpec
from envdoctor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from envdoctor.model.facts import Facts
from envdoctor.model.finding import Finding, Severity, Skipped
from envdoctor.model.record import Record, record


# Codes whose findings say that part of the target could not be read: such a run is not
# "checked, with findings" but "could not check", and exits 2 whatever else it found.
COULD_NOT_CHECK = frozenset(("INT005",))


@record
class CheckRun(Record):
    findings: Tuple[Finding, ...]
    skipped: Tuple[Skipped, ...]
    ran: Tuple[str, ...]  # codes of the checks that ran

    def counts(self) -> dict:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts

    def failed(self, strict: bool) -> bool:
        worst = Severity.WARNING.rank if strict else Severity.ERROR.rank
        return any(f.severity.rank >= worst for f in self.findings)

    def could_not_check(self) -> bool:
        return any(f.code in COULD_NOT_CHECK for f in self.findings)

    def exit_code(self, strict: bool) -> int:
        if self.could_not_check():
            return EXIT_USAGE  # "could not check": the same code as a probe that gave no facts
        return EXIT_FINDINGS if self.failed(strict) else EXIT_OK


def _crash_finding(spec: CheckSpec, exc: BaseException) -> Finding:
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return Finding(
        code="EDR001",
        name="check-crashed",
        severity=Severity.ERROR,
        title=f"check {spec.code} ({spec.name}) crashed: {type(exc).__name__}: {exc}",
        subject=spec.code,
        message=(
            "The check raised instead of reporting; its result is unknown, so this run cannot say the "
            f"environment is clean. Report it to the check's provider ({spec.provider or 'unknown'})."
        ),
        evidence=tuple(line.rstrip() for line in "".join(frames[-3:]).splitlines()[-6:]),
    )


def run_checks(checks: Sequence[CheckSpec], facts: Facts) -> CheckRun:
    findings = []
    skipped = []
    ran = []
    for spec in checks:
        absent = [section for section in spec.needs if not facts.has(section)]
        if absent:
            skipped.append(Skipped(spec.code, spec.name, f"facts lack {', '.join(absent)}"))
            continue
        ran.append(spec.code)
        try:
            produced = list(spec.function(facts) or ())
        except Exception as exc:  # a crashing check is reported, never a traceback
            findings.append(_crash_finding(spec, exc))
            continue
        for finding in produced:
            findings.append(dataclasses.replace(finding, code=spec.code, name=spec.name))
    replaced = {identity for finding in findings for identity in finding.replaces}
    if replaced:  # a specific check said it better: drop the generic finding it names
        findings = [f for f in findings if f.identity not in replaced]
    findings.sort(key=lambda f: f.sort_key)
    return CheckRun(tuple(findings), tuple(skipped), tuple(ran))
