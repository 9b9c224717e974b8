"""The only code that writes to a target environment: apply a journal entry's plans, or put them back.

Order of events for one entry, each recorded in entry.json before it happens:
snapshot every root the plans may change -> status "applying" -> for each
action: step "started", run it (output to step-N.log), step "done"/"failed"
-> status "applied".  `restore` puts the snapshot back; after a crash it is
what `envdoctor undo` runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Callable, List, Optional, Tuple

from envdoctor.errors import EnvdoctorError
from envdoctor.fixes import snapshot
from envdoctor.fixes.journal import Entry
from envdoctor.fixes.plan import Action, RemovePath, RunCommand, WriteFile

# Test hook (tests/e2e/test_fix.py): stop after step N, as if the process were killed there.
PAUSE_AFTER_STEP = "ENVDOCTOR_TEST_PAUSE_AFTER_STEP"
PAUSE_MARKER = "ENVDOCTOR_TEST_PAUSE_MARKER"


class StepFailed(EnvdoctorError):
    """A command exited non-zero; fix rolls the entry back."""


def apply(entry: Entry, say: Callable[[str], None]) -> None:
    say(f"snapshot of {len(entry.data['roots'])} path(s) into {entry.snapshot_dir}")
    snapshot.take(entry.data["roots"], entry.snapshot_dir)
    entry.update(status="applying")
    index = 0
    for plan in entry.plans:
        for action in plan.actions:
            entry.step(index, code=plan.code, subject=plan.subject, action=action.kind, status="started")
            say(f"[{index + 1}] {action.describe()[0]}")
            returncode = _run(action, str(entry.log_path(index)))
            entry.step(index, status="done" if returncode == 0 else "failed", returncode=returncode)
            if returncode != 0:
                raise StepFailed(f"step {index + 1} failed (exit {returncode}); its output: {entry.log_path(index)}\n"
                                 + _tail(entry.log_path(index)))
            _maybe_pause(index)
            index += 1
    entry.update(status="applied")


def restore(entry: Entry) -> List[Tuple[str, str]]:
    """Put every snapshotted path back; ("removed" | "restored", path) for each change."""
    return snapshot.restore(entry.snapshot_dir)


def _run(action: Action, log_path: str) -> int:
    with open(log_path, "w", encoding="utf-8") as log:
        if isinstance(action, RunCommand):
            log.write(f"$ {' '.join(action.argv)}\n")
            log.flush()
            try:
                return subprocess.run(list(action.argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
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
            snapshot.remove_path(action.path)
            log.write(f"removed {action.path}\n")
            return 0
    raise TypeError(f"unknown action {action!r}")


def _tail(path, lines: int = 15) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:]).rstrip()
    except OSError:
        return ""


def _maybe_pause(index: int) -> None:
    wanted: Optional[str] = os.environ.get(PAUSE_AFTER_STEP)
    if wanted is None or int(wanted) != index:
        return
    marker = os.environ.get(PAUSE_MARKER)
    if marker:
        with open(marker, "w") as handle:
            handle.write(str(os.getpid()))
    sys.stderr.write(f"envdoctor: paused after step {index + 1} ({PAUSE_AFTER_STEP})\n")
    sys.stderr.flush()
    while True:
        time.sleep(60)
