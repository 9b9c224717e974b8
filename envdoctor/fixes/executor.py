"""The only code that writes to a target environment: apply a journal entry's plans, or put them back.

Order of events for one entry, each recorded in entry.json before it happens:
back up every root the plans may change -> status "applying" -> for each
action: step "started", run it (output to step-N.log), step "done"/"failed"
-> status "applied".  `restore` puts the backup back; after a crash it is
what `envdoctor undo` runs.

A command step runs in its own process group, which is killed whenever the step ends by an
exception (Ctrl-C included), and on Linux the command is killed by the kernel when envdoctor
dies (step_processes.py).  Its pid and start time are in the journal from the moment it runs, so
that undo refuses while it is alive; it also inherits the journal's lock (lock.py), so no other
fix or undo starts before it has ended.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import subprocess
from typing import Callable, List, Optional, Tuple

from envdoctor.errors import EnvdoctorError, UsageError
from envdoctor import progress
from envdoctor.fixes import backup, step_processes
from envdoctor.fixes.journal import Entry
from envdoctor.model.plan import Action, RemovePath, RunCommand, WriteFile
from envdoctor.redaction import redact_text
from envdoctor.report.plans import headline

# Commands run as shown in the plan and the reports; pip's "new version available" notice
# is switched off through the environment instead of an option the shown command lacks.
COMMAND_ENVIRONMENT = {"PIP_DISABLE_PIP_VERSION_CHECK": "1"}


class StepFailed(EnvdoctorError):
    """A command exited non-zero; fix rolls the entry back."""


class BackupFailed(UsageError):
    """The backup could not be taken (a full disk): the entry is abandoned, nothing was changed."""


def apply(entry: Entry, say: Callable[[str], None], after_step: Optional[Callable[[int], None]] = None,
          lock_fd: Optional[int] = None) -> None:
    """Run every action of the entry's plans in order; `after_step(index)` is called after each
    step that succeeded (tests stop there, as if the process were killed); `lock_fd`, the
    journal lock's descriptor, is inherited by every command."""
    say(f"backup of {len(entry.data['roots'])} path(s) into {entry.snapshot_dir}")
    _take_backup(entry)
    entry.update(status="applying")
    index = 0
    for plan in entry.plans:
        for action in plan.actions:
            entry.step(index, code=plan.code, subject=plan.subject, action=action.kind, status="started")
            say(f"[{index + 1}] {headline(action)}")
            returncode = _run(action, str(entry.log_path(index)), _recorder(entry, index), lock_fd)
            entry.step(index, status="done" if returncode == 0 else "failed", returncode=returncode)
            if returncode != 0:
                raise StepFailed(f"step {index + 1} failed (exit {returncode}); its output: {entry.log_path(index)}\n"
                                 + _tail(entry.log_path(index)))
            if after_step is not None:
                after_step(index)
            index += 1
    entry.update(status="applied")


def _take_backup(entry: Entry) -> None:
    """Back up the roots, or leave no trace of the entry: a half-written backup, or an entry
    "snapshotting" that would block the next fix, is worse than none when nothing was changed."""
    try:
        backup.take(entry.data["roots"], entry.snapshot_dir)
    except OSError as exc:
        shutil.rmtree(entry.path, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            why = f"no space left on the device holding {entry.path}"
        else:
            why = f"{exc.strerror or exc} ({exc.filename})"
        raise BackupFailed(f"cannot back up what the fix would change: {why}. Nothing was changed; "
                           "free some space (the backup needs little: hard links), then run fix again") from exc


def _recorder(entry: Entry, index: int) -> Callable[[int], None]:
    """Writes a started command's pid and start time into its step, for undo to see it running."""
    def record(pid: int) -> None:
        entry.step(index, pid=pid, pid_started=step_processes.start_time(pid))
    return record


def restore(entry: Entry) -> List[Tuple[str, str]]:
    """Put every backed-up path back; ("removed" | "restored", path) for each change."""
    return backup.restore(entry.snapshot_dir)


def _run(action: Action, log_path: str, started: Callable[[int], None], lock_fd: Optional[int] = None) -> int:
    with open(log_path, "w", encoding="utf-8") as log:
        if isinstance(action, RunCommand):
            # Masked now, not only when the step ends: a kill while the command runs leaves the log as is.
            log.write(f"$ {redact_text(shlex.join(action.argv))}\n")
            log.flush()
            return _run_command(list(action.argv), log, started, lock_fd)
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


def _run_command(argv: List[str], log, started: Callable[[int], None], lock_fd: Optional[int]) -> int:
    try:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **COMMAND_ENVIRONMENT}, start_new_session=True,
                                   preexec_fn=step_processes.die_with_parent(),
                                   pass_fds=() if lock_fd is None else (lock_fd,))
    except OSError as exc:
        log.write(f"cannot run {argv[0]}: {exc}\n")
        return 127
    try:
        started(process.pid)
        return progress.follow_log(process, log.name, "fix")  # pip's output, streamed on a terminal; the log keeps it
    finally:
        step_processes.end_group(process)  # after an exception the command is still running; also its leftovers


def _tail(path, lines: int = 15) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:]).rstrip()
    except OSError:
        return ""

