"""The only code that writes to a target environment: apply a journal entry's plans, or put them back.

Order of events for one entry, each recorded in entry.json before it happens:
back up every root the plans may change -> status "applying" -> for each
action: step "started", run it (output to step-N.log), step "done"/"failed"
-> status "applied".  `restore` puts the backup back; after a crash it is
what `envdoctor undo` runs.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from typing import Callable, List, Optional, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.fixes import backup
from envdoctor.fixes.journal import Entry
from envdoctor.model.plan import Action, RemovePath, RunCommand, WriteFile
from envdoctor.redaction import redact_text
from envdoctor.report.plans import headline

# Commands run as shown in the plan and the reports; pip's "new version available" notice
# is switched off through the environment instead of an option the shown command lacks.
COMMAND_ENVIRONMENT = {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}


class StepFailed(EnvdoctorError):
    """A command exited non-zero; fix rolls the entry back."""


def apply(entry: Entry, say: Callable[[str], None], after_step: Optional[Callable[[int], None]] = None) -> None:
    """Run every action of the entry's plans in order; `after_step(index)` is called after each
    step that succeeded (tests stop there, as if the process were killed)."""
    say(f"backup of {len(entry.data['roots'])} path(s) into {entry.snapshot_dir}")
    backup.take(entry.data["roots"], entry.snapshot_dir)
    entry.update(status="applying")
    index = 0
    for plan in entry.plans:
        for action in plan.actions:
            entry.step(index, code=plan.code, subject=plan.subject, action=action.kind, status="started")
            say(f"[{index + 1}] {headline(action)}")
            returncode = _run(action, str(entry.log_path(index)))
            entry.step(index, status="done" if returncode == 0 else "failed", returncode=returncode)
            if returncode != 0:
                raise StepFailed(f"step {index + 1} failed (exit {returncode}); its output: {entry.log_path(index)}\n"
                                 + _tail(entry.log_path(index)))
            if after_step is not None:
                after_step(index)
            index += 1
    entry.update(status="applied")


def restore(entry: Entry) -> List[Tuple[str, str]]:
    """Put every backed-up path back; ("removed" | "restored", path) for each change."""
    return backup.restore(entry.snapshot_dir)


def _run(action: Action, log_path: str) -> int:
    with open(log_path, "w", encoding="utf-8") as log:
        if isinstance(action, RunCommand):
            # Masked now, not only when the step ends: a kill while the command runs leaves the log as is.
            log.write(f"$ {redact_text(shlex.join(action.argv))}\n")
            log.flush()
            try:
                return subprocess.run(list(action.argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env={**os.environ, **COMMAND_ENVIRONMENT}).returncode
            except OSError as exc:
                log.write(f"cannot run {action.argv[0]}: {exc}\n")
                return 127
        if isinstance(action, WriteFile):
            os.makedirs(os.path.dirname(action.path), exist_ok=True)
            temporary = action.path + ".envdoctor-tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(action.text)
            os.replace(temporary, action.path)
            log.write(f"wrote {action.path} ({len(action.text)} characters)\n")
            return 0
        if isinstance(action, RemovePath):
            backup.remove_path(action.path)
            log.write(f"removed {action.path}\n")
            return 0
    raise TypeError(f"unknown action {action!r}")


def _tail(path, lines: int = 15) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:]).rstrip()
    except OSError:
        return ""

