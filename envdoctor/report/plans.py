"""Fix plans as a person reads them: what `envdoctor fix` shows before it changes anything,
and the one line per step it says while applying.

A written file is shown as a diff against what is on disk now (a new file by its first
lines and its size), so reading a plan looks at the target's files: the plan itself
(model/plan.py) stays data.
"""

from __future__ import annotations

import difflib
import os
import shlex
from typing import List, Optional, Sequence

from envdoctor.model.plan import Action, FixPlan, RemovePath, RunCommand, WriteFile
from envdoctor.report.escape import escape_controls

NEW_FILE_PREVIEW = 10  # lines of a new file shown in the plan


def describe(action: Action) -> List[str]:
    """The action's headline (`headline`), then why, then (for a written file) the diff."""
    lines = [headline(action), f"      ({action.purpose})"]
    if isinstance(action, WriteFile):
        lines.extend("      " + line for line in _diff(action))
    return lines


def headline(action: Action) -> str:
    if isinstance(action, RunCommand):
        return f"run   {shlex.join(action.argv)}"
    if isinstance(action, WriteFile):
        return f"write {action.path}"
    if isinstance(action, RemovePath):
        what = "folder" if os.path.isdir(action.path) else "file"
        return f"remove {what} {action.path}"
    raise TypeError(f"unknown action {action!r}")


def _diff(action: WriteFile) -> List[str]:
    old = _read(action.path)
    new = action.text.splitlines(keepends=True)
    diff = [line.rstrip("\n") for line in difflib.unified_diff(
        old.splitlines(keepends=True) if old is not None else [], new, "/dev/null" if old is None else action.path, action.path)]
    if old is None and len(diff) > NEW_FILE_PREVIEW + 3:
        # A whole new file (a shim's source) says little line by line: its start and its size.
        hidden = len(diff) - 3 - NEW_FILE_PREVIEW
        diff = diff[: 3 + NEW_FILE_PREVIEW] + [f"+... ({hidden} more lines, all kept in the journal entry)"]
    return diff


def render_plans(plans: Sequence[FixPlan], unfixable: Sequence, conflict: str = "") -> str:
    """The numbered plans, then the findings (model/finding.py) no fixer can repair, and why an
    install could not be planned (the installer's resolution failed)."""
    lines: List[str] = []
    for number, plan in enumerate(plans, 1):
        safety = "safe" if plan.safe else "UNSAFE: changes installed code; needs --unsafe or a yes"
        lines.append(f"{number}. {plan.code} {plan.finding_title}")
        lines.append(f"   fix ({plan.kind}, {plan.fixer}; {safety}): {plan.summary}")
        if not plan.actions:
            lines.append("")
            continue
        for action in plan.actions:
            lines.extend("     " + line for line in describe(action))
        lines.extend(f"   note: {note}" for note in plan.notes)
        lines.append("")
    if conflict:
        lines.append(f"Not planned: {conflict}")
        lines.append("")
    if unfixable:
        lines.append("No automatic fix for:")
        lines.extend(f"  {f.code} {f.title}" + (f"  (by hand: {f.fix.summary})" if f.fix else "") for f in unfixable)
        lines.append("")
    if not plans and not unfixable and not conflict:
        lines.append("No problems found.")
    elif not plans:
        lines.append("Nothing envdoctor can fix automatically: the findings above need a change by hand.")
    return escape_controls("\n".join(lines).rstrip() + "\n")  # titles and diffs hold the target's text


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None
