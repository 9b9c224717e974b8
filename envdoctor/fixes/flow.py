"""`envdoctor fix` and `envdoctor undo`: plan, confirm, apply, verify, roll back; list and revert entries.

Exit codes of fix: 0 every planned fix applied and verified and nothing else
fails; 1 something to fix was not applied (no --yes, dry run, declined, rolled
back) or unfixable findings remain; 2 usage or target errors.

fix and undo change the environment only while they hold the journal's lock (lock.py): one at a
time per target.  undo refuses while a step process of the entry still runs, puts nothing back
from a damaged backup, and refuses (without --force) when the environment changed after the fix.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

from envdoctor import progress
from envdoctor.engine import CheckRun, run_checks
from envdoctor.errors import EnvdoctorError, UsageError
from envdoctor.fixes import backup, executor, step_processes
from envdoctor.fixes.combined import Combined, Planned, combine_installs
from envdoctor.fixes.fixer_api import FixContext
from envdoctor.fixes.fixer_registry import load_fixers
from envdoctor.fixes.journal import CLOSED, UNFINISHED, Entry, Journal
from envdoctor.model.facts import Facts, canonicalize
from envdoctor.model.finding import Severity
from envdoctor.model.plan import FixPlan, RunCommand
from envdoctor.model.record import Record, record
from envdoctor.redaction import redact_text
from envdoctor.report.plans import render_plans

# Asked once before applying, with the plans; True applies them all.  The CLI passes a prompt
# on a terminal and None elsewhere (then only --yes applies).
Confirm = Callable[[Sequence[FixPlan]], bool]


@record
class FixOptions(Record):
    yes: bool
    dry_run: bool
    unsafe: bool


def _say(text: str) -> None:
    """A progress line on stderr; masked like every output (a step's argv may hold an index URL's
    credentials, an exception's text a token)."""
    progress.done()  # a step's status line gives way to the line that stays
    sys.stderr.write(f"envdoctor: {redact_text(text)}\n")
    sys.stderr.flush()


def build_plans(run: CheckRun, facts: Facts) -> Combined:
    """The plans, the findings without an automatic fix, and why an install could not be planned.
    Identical plans for several findings appear once, and every plain install of the run is
    planned together (fixes/combined.py)."""
    fixers = load_fixers()
    context = FixContext(facts)
    planned: List[Planned] = []
    seen_actions = set()
    unfixable = []
    for finding in run.findings:
        spec = fixers.for_finding(finding)
        plan = spec.function(finding, context) if spec is not None else None
        if plan is None:
            unfixable.append(finding)
            continue
        plan = plan.for_finding(finding, spec.name, spec.kind)
        if plan.actions in seen_actions:
            continue
        seen_actions.add(plan.actions)
        planned.append(Planned(finding, plan))
    refused = _os_owned(planned, facts)
    planned = [item for item in planned if item not in refused]
    combined = combine_installs(planned, facts, context)
    unfixable += [item.finding for item in refused]
    conflict = "; ".join(filter(None, (_refusal(refused, facts), combined.conflict)))
    return dataclasses.replace(combined, unfixable=tuple(unfixable) + combined.unfixable, conflict=conflict)


def _os_owned(planned: List[Planned], facts: Facts) -> List[Planned]:
    """Plans that would change what the OS package manager owns: all of them on an externally
    managed prefix (PEP 668), else those that touch a dpkg-owned distribution's files."""
    if facts.interpreter.externally_managed:
        return list(planned)
    owned = {dist.canonical_name for dist in facts.distributions or () if dist.os_package}
    return [item for item in planned if item.finding.subject and canonicalize(item.finding.subject) in owned
            and item.plan.kind == "reinstall" and item.finding.code.startswith("INT")]


def _refusal(refused: List[Planned], facts: Facts) -> str:
    if not refused:
        return ""
    marker = facts.interpreter.externally_managed
    if marker:
        return (f"{facts.interpreter.prefix} is externally managed (PEP 668, {marker}): envdoctor changes "
                "nothing the OS package manager owns; install into a virtual environment "
                "(python3 -m venv --system-site-packages VENV) or use the OS package")
    names = ", ".join(sorted({item.finding.subject for item in refused}))
    return f"{names}: installed by the OS package manager; reinstall the OS package (apt-get install --reinstall ...) instead"


def versions(facts: Facts) -> Dict[str, str]:
    return {d.name: d.version or "" for d in facts.active_distributions().values()}


def fix(
    options: FixOptions,
    probe: Callable[[], Facts],
    checks,
    write: Callable[[str], None],
    confirm: Optional[Confirm] = None,
    after_step: Optional[Callable[[int], None]] = None,
) -> int:
    """Plan, show, choose, apply, verify; `after_step` goes to the executor (tests stop there)."""
    checked_at = time.time()
    facts = probe()
    before = run_checks(checks, facts)
    combined = build_plans(before, facts)
    plans = list(combined.plans)
    journal = Journal(facts.interpreter.prefix)
    if not options.dry_run:
        _refuse_after_unfinished(journal, facts)
    progress.done()
    write(render_plans(plans, combined.unfixable, combined.conflict))
    if not plans:
        return before.exit_code(False)  # 2 when it could not check (INT005), as for `check`
    chosen = _choose(plans, options, confirm)
    fixed: List[FixPlan] = []
    code = _apply(chosen, facts, journal, checked_at, before, probe, checks, after_step, fixed)
    progress.done()
    write(_tally(fixed, [p for p in plans if p not in chosen], options, len(combined.unfixable)))
    return code


def _apply(chosen, facts, journal, checked_at, before, probe, checks, after_step, fixed: List[FixPlan]) -> int:
    """Apply the chosen plans through a new journal entry and verify them; `fixed` receives the
    plans that verification confirmed."""
    if not chosen:
        return 1
    _refuse_unstartable(chosen, facts)
    with journal.locked() as lock:
        journal.discard_unborn()
        _refuse_after_unfinished(journal, facts, locked=True)  # again: another may have stopped half-way meanwhile
        _refuse_if_changed_meanwhile(journal, checked_at)
        entry = journal.create(facts.target.python, chosen, versions(facts))
        _say(f"journal entry {entry.id} ({entry.path})")
        try:
            executor.apply(entry, _say, after_step, lock.fd)
        except executor.BackupFailed:
            raise  # nothing was changed, and no entry is left
        except EnvdoctorError as exc:
            _say(str(exc))
            _roll_back(entry, "a step failed")
            return 1
        except KeyboardInterrupt:
            _roll_back(entry, "interrupted")
            raise
        code = _verify(entry, chosen, before, probe, checks)
        if entry.status == "verified":
            fixed.extend(chosen)
        return code


def _tally(fixed: List[FixPlan], left: List[FixPlan], options: FixOptions, manual: int) -> str:
    """The closing line: what was fixed, what waits for --unsafe (or a yes), what only a person can do."""
    # Only --yes leaves the unsafe plans out for want of --unsafe; otherwise a "no" (or no terminal) did.
    unsafe = [plan for plan in left if not plan.safe] if options.yes and not options.unsafe else []
    parts = [f"fixed {len(fixed)}"]
    if unsafe:
        parts.append(f"{len(unsafe)} need{'s' if len(unsafe) == 1 else ''} --unsafe")
    waiting = len(left) - len(unsafe)
    if waiting:
        parts.append(f"{waiting} not applied")
    if manual:
        parts.append(f"{manual} by hand only (see 'No automatic fix for' above)")
    return "Summary: " + " · ".join(parts) + "\n"


def _refuse_unstartable(chosen: List[FixPlan], facts: Facts) -> None:
    """pip runs through the target interpreter: when that dies at start-up (PTH003), every command
    step would fail with an exit status that names nothing; say what to repair first."""
    failure = facts.startup.failure if facts.startup is not None else None
    if failure is None or not any(isinstance(action, RunCommand) for plan in chosen for action in plan.actions):
        return
    place = f"line {failure.line} of {failure.file}" if failure.line is not None else f"{failure.file}"
    what = "hangs" if failure.kind == "hang" else "dies"
    raise UsageError(
        f"{facts.target.python} {what} at start-up in {place} (PTH003), and the fix would run pip through it; "
        "nothing was changed. Fix PTH003 first (remove or repair that line), then run fix again")


def _refuse_if_changed_meanwhile(journal: Journal, checked_at: float) -> None:
    """A fix or undo that ended while this one probed made its facts stale: its plans could undo
    or repeat that work.  (A file's time comes from a coarser clock, up to a tick behind: a last
    write that close to `checked_at` may be missed, harmlessly, since that fix's last change to
    the environment came before its verification and that last write.)"""
    for entry in journal.entries():
        if os.stat(entry.path / "entry.json").st_mtime >= checked_at:
            raise UsageError(f"another fix or undo ({entry.id}) changed this environment while this fix was "
                             "checking it; nothing was changed: run fix again to plan from what is there now")


def _refuse_after_unfinished(journal: Journal, facts: Facts, locked: bool = False) -> None:
    unfinished = [e for e in journal.entries() if e.status in UNFINISHED]
    if unfinished:
        if not locked:
            with journal.locked():  # JournalBusy when that fix is still running: then it is not a leftover
                pass
        # Whatever it left behind is part of what was just checked: undo it before anything else.
        raise UsageError(
            f"an earlier fix ({unfinished[-1].id}, status {unfinished[-1].status}) did not finish; "
            f"run `envdoctor undo {unfinished[-1].id} --python {facts.target.python}` first"
        )


def _choose(plans: List[FixPlan], options: FixOptions, confirm: Optional[Confirm]) -> List[FixPlan]:
    """The plans to apply: with --yes the safe ones (all with --unsafe), else what the prompt accepts."""
    if options.dry_run:
        _say("dry run: nothing was changed")
        return []
    if options.yes:
        chosen = [p for p in plans if p.safe or options.unsafe]
        for plan in plans:
            if plan not in chosen:
                _say(f"not applying plan for {plan.code} {plan.subject}: it is unsafe; add --unsafe to apply it")
    elif confirm is not None:
        chosen = plans if confirm(plans) else []
    else:
        _say("not a terminal and no --yes: nothing was changed (run again with --yes to apply)")
        return []
    if not chosen:
        _say("nothing applied")
    return chosen


def _verify(entry: Entry, chosen: List[FixPlan], before: CheckRun, probe: Callable[[], Facts], checks) -> int:
    """Check again: every chosen finding gone and no new error, else roll back."""
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
    # What undo compares with, to notice installs made after the fix.
    entry.update(status="verified", after_fix=backup.fingerprint(entry.snapshot_dir))
    for plan in chosen:
        _say(f"fixed: {plan.code} {plan.finding_title}")
    _say(f"undo with: envdoctor undo {entry.id} --python {after_facts.target.python}")
    return after.exit_code(False)


def _roll_back(entry, why: str) -> None:
    changed = executor.restore(entry)
    entry.update(status="rolled-back", rolled_back_because=why)
    _say(f"rolled back ({why}): {len(changed)} path(s) restored from the backup in {entry.snapshot_dir}")


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


def undo(python: str, entry_id: Optional[str], list_only: bool, write: Callable[[str], None],
         dry_run: bool = False, force: bool = False) -> int:
    journal = Journal(target_prefix(python))
    if list_only:
        entries = journal.entries()
        if not entries:
            write(f"no journal entries in {journal.root}\n")
        for entry in entries:
            summary = "; ".join(p["summary"] for p in entry.data["plans"])
            write(f"{entry.id}  {entry.status:<12} {entry.data['created']}  {summary}\n")
        return 0
    entry = journal.find(entry_id)  # before the lock: a journal that is not there is not created
    if dry_run:
        return _show_undo(entry, write)
    with journal.locked():
        entry = journal.find(entry_id)
        _refuse_while_a_step_runs(entry)
        entry.redact_logs()  # a step killed while it ran left its log as the command wrote it
        if entry.status == "snapshotting":
            # Killed before the first change: nothing to put back.
            journal.discard_snapshot(entry)
            entry.update(status="abandoned")
            _say(f"{entry.id} stopped before changing anything; marked abandoned")
            return 0
        if entry.status in CLOSED:
            raise UsageError(f"journal entry {entry.id} is {entry.status}; there is nothing to undo")
        changed_since = _changed_since_fix(entry)  # like restore, it validates the whole backup first
        if changed_since and not force:
            raise UsageError(f"{changed_since}; undo would revert that too. See what it would put back: "
                             f"envdoctor undo {entry.id} --dry-run --python {python}; undo anyway with --force")
        changed = executor.restore(entry)
        entry.update(status="undone")
    _say(f"undid {entry.id}: {len(changed)} path(s) put back as they were")
    _list_changes(changed, write)
    return 0


def _show_undo(entry: Entry, write: Callable[[str], None]) -> int:
    """undo --dry-run: what would be put back, and the warnings undo would stop at; changes nothing."""
    if entry.status in CLOSED or entry.status == "snapshotting":
        write(f"{entry.id} is {entry.status}: undo would put nothing back\n")
        return 0
    changes = backup.plan_restore(entry.snapshot_dir)
    write(f"undo {entry.id} would put back {len(changes)} path(s):\n")
    _list_changes([(what, path) for what, path, _, _ in changes], write, "would be ")
    running = _running_steps(entry)
    if running:
        _say(f"warning: {running}; undo waits for it")
    changed_since = _changed_since_fix(entry)
    if changed_since:
        _say(f"warning: {changed_since}; undo would revert that too (it asks for --force)")
    return 0


def _list_changes(changed, write: Callable[[str], None], tense: str = "") -> None:
    for what, path in changed[:20]:
        write(f"  {tense}{what} {path}\n")
    if len(changed) > 20:
        write(f"  ... and {len(changed) - 20} more\n")


def _running_steps(entry: Entry) -> str:
    """Which of the entry's step processes is still alive, in words; "" when none is."""
    for number, step in enumerate(entry.data["steps"], start=1):
        pid = step.get("pid")
        if isinstance(pid, int) and step_processes.is_running(pid, step.get("pid_started")):
            return f"step {number} of fix {entry.id} is still running (pid {pid})"
    return ""


def _refuse_while_a_step_runs(entry: Entry) -> None:
    """A step's pip that outlived a killed fix still writes: what undo put back, it would overwrite."""
    running = _running_steps(entry)
    if running:
        raise UsageError(f"{running}; undo now would be overwritten by it. Wait until it has ended "
                         "(or end it: kill PID), then run undo again")


def _changed_since_fix(entry: Entry) -> str:
    """How the backed-up folders changed after the fix ended, in words; "" when they did not (or
    the fix never ended: then everything there is the fix's own)."""
    recorded = entry.data.get("after_fix")
    if not isinstance(recorded, dict):
        return ""
    now = backup.fingerprint(entry.snapshot_dir)
    if now == recorded:
        return ""
    before = set(recorded.get("distributions") or ())
    added = sorted(set(now["distributions"]) - before)
    removed = sorted(before - set(now["distributions"]))
    parts = [f"installed since: {', '.join(added)}" if added else "",
             f"removed since: {', '.join(removed)}" if removed else ""]
    details = "; ".join(part for part in parts if part) or "files in the folders it changed were changed since"
    return f"the environment changed after fix {entry.id} ({details})"
