"""`envdoctor fix` and `envdoctor undo`: plan, confirm, apply, verify, roll back; list and revert entries.

Exit codes of fix: 0 every planned fix applied and verified and nothing else
fails; 1 something to fix was not applied (no --yes, dry run, declined, rolled
back) or unfixable findings remain; 2 usage or target errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from envdoctor.engine import CheckRun, run_checks
from envdoctor.errors import EnvdoctorError, UsageError
from envdoctor.fixes import executor
from envdoctor.fixes.api import FixContext
from envdoctor.fixes.journal import UNFINISHED, Journal
from envdoctor.fixes.plan import FixPlan
from envdoctor.fixes.registry import load_fixers
from envdoctor.model.facts import Facts
from envdoctor.model.finding import Finding, Severity


@dataclass(frozen=True)
class FixOptions:
    yes: bool
    dry_run: bool
    unsafe: bool
    interactive: bool  # stdin and stderr are a terminal: ask once


def _say(text: str) -> None:
    sys.stderr.write(f"envdoctor: {text}\n")
    sys.stderr.flush()


def build_plans(run: CheckRun, facts: Facts) -> Tuple[List[FixPlan], List[Finding]]:
    """(plans, findings without an automatic fix); identical plans for several findings appear once."""
    fixers = load_fixers()
    context = FixContext(facts)
    plans: List[FixPlan] = []
    seen_actions = set()
    unfixable = []
    for finding in run.findings:
        spec = fixers.for_finding(finding)
        proposal = spec.function(finding, context) if spec is not None else None
        if proposal is None:
            unfixable.append(finding)
            continue
        actions = tuple(proposal.actions)
        if actions in seen_actions:
            continue
        seen_actions.add(actions)
        plans.append(FixPlan(
            code=finding.code, subject=finding.subject, finding_title=finding.title, fixer=spec.name,
            kind=spec.kind, summary=proposal.summary, safe=proposal.safe, actions=actions, notes=tuple(proposal.notes),
        ))
    return plans, unfixable


def render_plans(plans: Sequence[FixPlan], unfixable: Sequence[Finding]) -> str:
    lines: List[str] = []
    for number, plan in enumerate(plans, 1):
        safety = "safe" if plan.safe else "UNSAFE: changes installed code; needs --unsafe or a yes"
        lines.append(f"{number}. {plan.code} {plan.finding_title}")
        lines.append(f"   fix ({plan.kind}, {plan.fixer}; {safety}): {plan.summary}")
        for action in plan.actions:
            lines.extend("     " + line for line in action.describe())
        lines.extend(f"   note: {note}" for note in plan.notes)
        lines.append("")
    if unfixable:
        lines.append("No automatic fix for:")
        lines.extend(f"  {f.code} {f.title}" + (f"  (by hand: {f.fix.summary})" if f.fix else "") for f in unfixable)
        lines.append("")
    if not plans:
        lines.append("Nothing envdoctor can fix automatically.")
    return "\n".join(lines).rstrip() + "\n"


def _confirm(plans: Sequence[FixPlan]) -> bool:
    unsafe = [p for p in plans if not p.safe]
    question = f"Apply {len(plans)} fix(es)"
    if unsafe:
        question += f", {len(unsafe)} of them changing installed code"
    sys.stderr.write(question + "? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def versions(facts: Facts) -> Dict[str, str]:
    return {d.name: d.version or "" for d in facts.active_distributions().values()}


def fix(
    options: FixOptions,
    probe: Callable[[], Facts],
    checks,
    write: Callable[[str], None],
) -> int:
    facts = probe()
    before = run_checks(checks, facts)
    plans, unfixable = build_plans(before, facts)
    journal = Journal(facts.interpreter.prefix)
    unfinished = [e for e in journal.entries() if e.status in UNFINISHED]
    if unfinished and not options.dry_run:
        # Whatever it left behind is part of what was just checked: undo it before anything else.
        raise UsageError(
            f"an earlier fix ({unfinished[-1].id}, status {unfinished[-1].status}) did not finish; "
            f"run `envdoctor undo {unfinished[-1].id} --python {facts.target.python}` first"
        )
    write(render_plans(plans, unfixable))
    if not plans:
        return 1 if before.failed(False) else 0
    if options.dry_run:
        _say("dry run: nothing was changed")
        return 1
    if options.yes:
        chosen = [p for p in plans if p.safe or options.unsafe]
        for plan in plans:
            if plan not in chosen:
                _say(f"not applying plan for {plan.code} {plan.subject}: it is unsafe; add --unsafe to apply it")
    elif options.interactive:
        chosen = plans if _confirm(plans) else []
    else:
        _say("not a terminal and no --yes: nothing was changed (run again with --yes to apply)")
        return 1
    if not chosen:
        _say("nothing applied")
        return 1

    entry = journal.create(facts.target.python, chosen, versions(facts))
    _say(f"journal entry {entry.id} ({entry.path})")
    try:
        executor.apply(entry, _say)
    except EnvdoctorError as exc:
        _say(str(exc))
        _roll_back(entry, "a step failed")
        return 1
    except KeyboardInterrupt:
        _roll_back(entry, "interrupted")
        raise

    try:
        after_facts = probe()
        after = run_checks(checks, after_facts)
    except BaseException as exc:  # the fix broke the interpreter, or the user gave up: put it back
        _say(f"verification could not run: {exc}")
        _roll_back(entry, "verification could not run")
        if isinstance(exc, EnvdoctorError):
            return 1
        raise
    remaining = {(f.code, f.subject) for f in after.findings}
    earlier = {(f.code, f.subject, f.title) for f in before.findings}
    still = [p for p in chosen if (p.code, p.subject) in remaining]
    new_errors = [f for f in after.findings
                  if f.severity is Severity.ERROR and (f.code, f.subject, f.title) not in earlier]
    entry.update(
        versions_after=versions(after_facts),
        verification={
            "still_present": [f"{p.code} {p.subject}" for p in still],
            "new_errors": [f"{f.code} {f.title}" for f in new_errors],
        },
    )
    if still or new_errors:
        for plan in still:
            _say(f"verification failed: {plan.code} {plan.finding_title} is still reported")
        for finding in new_errors:
            _say(f"verification failed: new error {finding.code} {finding.title}")
        _roll_back(entry, "verification failed")
        return 1
    entry.update(status="verified")
    for plan in chosen:
        _say(f"fixed: {plan.code} {plan.finding_title}")
    _say(f"undo with: envdoctor undo {entry.id} --python {facts.target.python}")
    return 1 if after.failed(False) else 0


def _roll_back(entry, why: str) -> None:
    changed = executor.restore(entry)
    entry.update(status="rolled-back", rolled_back_because=why)
    _say(f"rolled back ({why}): {len(changed)} path(s) restored from {entry.snapshot_dir}")


def target_prefix(python: str) -> str:
    """sys.prefix of the target without running its site (which may be what is broken)."""
    bin_dir = os.path.dirname(python)
    venv = os.path.dirname(bin_dir)
    if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        return venv
    try:
        out = subprocess.run([python, "-S", "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"cannot run {python} to find its prefix: {exc}") from exc
    if out.returncode != 0 or not out.stdout.strip():
        raise UsageError(f"cannot find the prefix of {python}: {out.stderr.strip()[-300:]}")
    return out.stdout.strip()


def undo(python: str, entry_id: Optional[str], list_only: bool, write: Callable[[str], None]) -> int:
    journal = Journal(target_prefix(python))
    if list_only:
        entries = journal.entries()
        if not entries:
            write(f"no journal entries in {journal.root}\n")
        for entry in entries:
            summary = "; ".join(p["summary"] for p in entry.data["plans"])
            write(f"{entry.id}  {entry.status:<12} {entry.data['created']}  {summary}\n")
        return 0
    entry = journal.find(entry_id)
    if entry.status == "snapshotting":
        # Killed before the first change: nothing to put back.
        journal.discard_snapshot(entry)
        entry.update(status="abandoned")
        _say(f"{entry.id} stopped before changing anything; marked abandoned")
        return 0
    if not entry.undoable():
        raise UsageError(f"journal entry {entry.id} is {entry.status}; there is nothing to undo")
    changed = executor.restore(entry)
    entry.update(status="undone")
    _say(f"undid {entry.id}: {len(changed)} path(s) put back as they were")
    for what, path in changed[:20]:
        write(f"  {what} {path}\n")
    if len(changed) > 20:
        write(f"  ... and {len(changed) - 20} more\n")
    return 0
