"""What a project's settings do to a run's findings: severity overrides and the baseline.

Both act after the checks ran, on the CheckRun, so every reporter and the exit
code see the same result.

A baseline file records findings a team has accepted (`check --write-baseline
FILE`), each by code and key (the finding's stable identity, not its wording),
optionally with a reason and an expiry date; `check --baseline FILE` then
reports only findings not in it.  An expired entry no longer suppresses, so an
accepted problem comes back when its time is up.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Dict, List, NamedTuple, Optional, Tuple

from envdoctor import __version__
from envdoctor.data_files import read_json
from envdoctor.engine import CheckRun
from envdoctor.errors import UsageError
from envdoctor.model.finding import Finding, Severity
from envdoctor.model.record import Record, record
from envdoctor.redaction import redacted_json

BASELINE_FORMAT = 1


def override_severities(run: CheckRun, overrides: Dict[str, str]) -> CheckRun:
    """`severity = {IMP003 = "error"}`: findings of a code (or code prefix) at another severity."""
    if not overrides:
        return run

    def level(finding: Finding) -> Severity:
        for code in (finding.code, finding.code.rstrip("0123456789")):
            if code in overrides:
                return Severity(overrides[code])
        return finding.severity

    findings = [dataclasses.replace(f, severity=level(f)) for f in run.findings]
    return dataclasses.replace(run, findings=tuple(sorted(findings, key=lambda f: f.sort_key)))


@record
class BaselineEntry(Record):
    code: str
    key: str
    title: str = ""
    reason: str = ""
    expires: Optional[datetime.date] = None

    def active(self, today: datetime.date) -> bool:
        return self.expires is None or today <= self.expires


def _identity(finding: Finding) -> Tuple[str, str]:
    return finding.code, finding.key or finding.subject


def write_baseline(run: CheckRun, reason: str = "", keep_from: Optional[str] = None) -> Tuple[str, int]:
    """(the baseline file's text, its number of entries) for the run's findings; reasons and
    expiry dates of entries already in `keep_from` are kept."""
    kept = {(e.code, e.key): e for e in (load_baseline(keep_from) if keep_from else ())}
    entries = []
    for finding in run.findings:
        old = kept.get(_identity(finding))
        entry = {"code": finding.code, "key": _identity(finding)[1], "title": finding.title,
                 "reason": old.reason if old and old.reason else reason}
        if old and old.expires:
            entry["expires"] = old.expires.isoformat()
        entries.append(entry)
    document = {"envdoctor_baseline": BASELINE_FORMAT, "envdoctor": __version__, "findings": entries}
    return redacted_json(document, indent=2), len(entries)  # a baseline is committed to the project's repository


def load_baseline(path: str) -> List[BaselineEntry]:
    where = f"baseline {path}"
    data = read_json(path, "baseline")
    if not isinstance(data, dict) or data.get("envdoctor_baseline") != BASELINE_FORMAT or not isinstance(data.get("findings"), list):
        raise UsageError(f"{where}: not an envdoctor baseline (format {BASELINE_FORMAT}; write one with --write-baseline)")
    entries = []
    for number, item in enumerate(data["findings"], 1):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str) or not isinstance(item.get("key"), str):
            raise UsageError(f"{where}: entry {number} needs a 'code' and a 'key'")
        expires = item.get("expires")
        if expires is not None:
            try:
                expires = datetime.date.fromisoformat(str(expires))
            except ValueError:
                raise UsageError(f"{where}: entry {number} ({item['code']}): 'expires' must be a date like 2027-01-31") from None
        entries.append(BaselineEntry(item["code"], item["key"], str(item.get("title", "")), str(item.get("reason", "")), expires))
    return entries


# A tuple by contract: callers unpack it (`run, suppressed, expired = apply_baseline(...)` in cli.py).
class Suppressed(NamedTuple):
    run: CheckRun
    suppressed: int
    expired: int


def apply_baseline(run: CheckRun, entries: List[BaselineEntry], today: Optional[datetime.date] = None) -> Suppressed:
    today = today or datetime.date.today()
    active = {(e.code, e.key) for e in entries if e.active(today)}
    expired = {(e.code, e.key) for e in entries if not e.active(today)}
    kept = [f for f in run.findings if _identity(f) not in active]
    return Suppressed(
        dataclasses.replace(run, findings=tuple(kept)),
        suppressed=len(run.findings) - len(kept),
        expired=sum(1 for f in kept if _identity(f) in expired),
    )
