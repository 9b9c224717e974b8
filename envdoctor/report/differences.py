"""`envdoctor diff` output: text for people, JSON (docs/reference/diff.schema.json) for tools.

Both go through the same redaction as the findings reports: environment values are
compared, and a token in one must not reach a CI log.
"""

from __future__ import annotations

import json
from typing import List, NamedTuple, Optional, Sequence

from envdoctor import __version__
from envdoctor.vocabulary.facts_diff import AREAS, IMPACTS, Difference
from envdoctor.report import plural
from envdoctor.report.escape import escape_controls, without_surrogates

DIFF_SCHEMA_VERSION = 1
MARKS = {"high": "!!", "medium": "! ", "low": "· "}


class Side(NamedTuple):
    """One of the two environments compared: what the user named, and what it is."""

    label: str  # the snapshot file or the interpreter given
    python: Optional[str]
    python_version: Optional[str]
    environment: dict  # for redaction

    @classmethod
    def of(cls, label: str, facts) -> "Side":
        interpreter = facts.interpreter
        if interpreter is None:
            return cls(label, facts.target.python, None, {})
        return cls(label, interpreter.executable, interpreter.version.split()[0], interpreter.environment)


def summary_counts(differences: Sequence[Difference]) -> dict:
    counts = {impact: 0 for impact in IMPACTS}
    for item in differences:
        counts[item.impact] += 1
    return dict(counts, total=len(differences))


def render_diff_json(before: Side, after: Side, differences: Sequence[Difference]) -> str:
    side = lambda s: {"source": s.label, "python": s.python, "python_version": s.python_version}  # noqa: E731
    document = {
        "envdoctor": __version__,
        "schema_version": DIFF_SCHEMA_VERSION,
        "before": side(before),
        "after": side(after),
        "differences": [item.to_dict() for item in differences],
        "summary": summary_counts(differences),
    }
    return _redacted(json.dumps(without_surrogates(document), indent=2) + "\n", before, after)


def render_diff_text(before: Side, after: Side, differences: Sequence[Difference]) -> str:
    return escape_controls(_diff_text(before, after, differences))


def _diff_text(before: Side, after: Side, differences: Sequence[Difference]) -> str:
    lines: List[str] = [
        f"before: {before.label}" + (f"  (Python {before.python_version})" if before.python_version else ""),
        f"after:  {after.label}" + (f"  (Python {after.python_version})" if after.python_version else ""),
        "",
    ]
    if not differences:
        lines.append("no differences that matter")
        return _redacted("\n".join(lines) + "\n", before, after)
    area = None
    width = min(40, max(len(item.subject) for item in differences))
    for item in differences:
        if item.area != area:
            area = item.area
            lines.append(area)
        old = "(absent)" if item.before is None else item.before  # None only when added
        new = "(absent)" if item.after is None else item.after  # None only when removed
        note = f"  [{item.impact}{': ' + item.detail if item.detail else ''}]"
        lines.append(f"  {MARKS[item.impact]} {item.subject:<{width}}  {old} -> {new}{note}")
    counts = summary_counts(differences)
    parts = [f"{counts[impact]} {impact}" for impact in IMPACTS if counts[impact]]
    areas = sorted({item.area for item in differences}, key=AREAS.index)
    lines += ["", f"{plural(len(differences), 'difference')} ({', '.join(parts)}) in {', '.join(areas)}"]
    return _redacted("\n".join(lines) + "\n", before, after)


def _redacted(text: str, before: Side, after: Side) -> str:
    from envdoctor.redaction import redact_text

    return redact_text(text, before.environment, after.environment)
