"""The fix journal: one folder per `envdoctor fix` run, inside the target environment.

    <prefix>/.envdoctor/journal/<id>/
        entry.json     plans, status, each step's state and exit code, versions before/after
        snapshot/      the folders the plans may change, as they were (see snapshot.py)
        step-N.log     everything step N printed, never thrown away

entry.json is rewritten atomically (write a temporary file, fsync, rename) at every state
change, before the change it announces, so that after a crash or `kill -9` it says how far the
fix got and `envdoctor undo` can put the environment back from the snapshot.  An entry folder
appears whole: it is built under a dot-name and renamed into place.  Every entry read back is
validated (`problem`); a damaged or foreign one is an error naming its file and what to do,
never skipped (skipping it would hide an unfinished fix) and never half-used.
A disk that fills up while the journal is written is an error that says so (JournalWriteError).

Both files leave the process, so both are redacted (envdoctor/redaction.py): entry.json at
every save (the entry in memory keeps the real values), a step's log once the step is over.

"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from envdoctor.errors import UsageError
from envdoctor.fixes.lock import JournalLock
from envdoctor.model.plan import FixPlan
from envdoctor.redaction import redact_document, redact_text

JOURNAL_FOLDER = os.path.join(".envdoctor", "journal")
# Statuses, in order: snapshotting -> applying -> applied -> verified | rolled-back; undone;
# abandoned (stopped while snapshotting, nothing changed).
UNFINISHED = ("snapshotting", "applying", "applied")  # a crash or kill left it: undo before fixing again
CLOSED = ("rolled-back", "undone", "abandoned")  # nothing of it is left in the environment
STATUSES = UNFINISHED + ("verified",) + CLOSED
NEW_PREFIX = ".new-"  # an entry folder being built; renamed to its id once entry.json is in it


class JournalError(UsageError):
    """The journal, or one of its entries, is not what envdoctor wrote: damaged or foreign."""


class JournalWriteError(UsageError):
    """entry.json could not be written (a full disk, a read-only file system)."""


def write_error(path: Path, exc: OSError) -> JournalWriteError:
    if exc.errno == errno.ENOSPC:
        return JournalWriteError(f"no space left on the device holding {path}: free some space, then run this again")
    return JournalWriteError(f"cannot write {path}: {exc.strerror or exc}")


class Entry:
    def __init__(self, path: Path, data: Dict[str, Any]):
        self.path = path
        self.data = data

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def status(self) -> str:
        return self.data["status"]

    @property
    def plans(self) -> List[FixPlan]:
        return [FixPlan.from_dict(p) for p in self.data["plans"]]

    @property
    def snapshot_dir(self) -> Path:
        return self.path / "snapshot"

    def log_path(self, step: int) -> Path:
        """Step `step`'s log, named as messages count steps: from 1 (step 0 is "step 1", step-1.log)."""
        return self.path / f"step-{step + 1}.log"

    def save(self) -> None:
        temporary = self.path / "entry.json.tmp"
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(redact_document(self.data), handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path / "entry.json")
        except OSError as exc:
            temporary.unlink(missing_ok=True)  # the last complete entry.json stays as it was
            raise write_error(self.path / "entry.json", exc) from exc

    def update(self, **values: Any) -> None:
        self.data.update(values)
        self.data["updated"] = _now()
        self.save()

    def step(self, index: int, **values: Any) -> None:
        steps = self.data["steps"]
        while len(steps) <= index:
            steps.append({})
        steps[index].update(values)
        if values.get("status") in ("done", "failed"):
            self._redact_log(index)  # before the entry says the step is over, and before anyone shows its tail
        self.update()

    def redact_logs(self) -> None:
        """Mask every step's log: a step killed while running (kill -9, a reboot) never had its log
        masked at its end; `undo` calls this on the entry it handles."""
        for step in range(len(self.data["steps"])):
            self._redact_log(step)

    def _redact_log(self, step: int) -> None:
        """Mask the secrets a command printed into its step log (the command wrote it directly)."""
        path = self.log_path(step)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return  # no log: nothing was run
        masked = redact_text(text)
        if masked != text:
            temporary = path.with_name(path.name + ".tmp")
            temporary.write_text(masked, encoding="utf-8")
            os.replace(temporary, path)


class Journal:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.root = Path(prefix) / JOURNAL_FOLDER

    def locked(self) -> JournalLock:
        """The lock fix and undo hold while they read and change the journal and the environment."""
        self._check_root()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write the fix journal in {self.root}: {exc.strerror or exc}") from exc
        return JournalLock(self.root)

    def _check_root(self) -> None:
        if os.path.lexists(self.root) and not self.root.is_dir():
            raise JournalError(
                f"{self.root} is not a folder, so it is not envdoctor's fix journal; move it away "
                f"(mv {self.root} {self.root}.moved) and run this again")

    def create(self, target_python: str, plans: List[FixPlan], versions_before: Dict[str, str]) -> Entry:
        entry_id = time.strftime("%Y%m%d-%H%M%S") + "-" + os.urandom(2).hex()
        building = self.root / (NEW_PREFIX + entry_id)
        data = {
            "id": entry_id,
            "created": _now(),
            "updated": _now(),
            "target_python": target_python,
            "prefix": self.prefix,  # a copy of the environment carries the journal along: not its entry there
            "status": "snapshotting",
            "plans": [plan.to_dict() for plan in plans],
            "roots": list(dict.fromkeys(root for plan in plans for root in plan.roots())),
            "steps": [],
            "versions_before": versions_before,
            "versions_after": None,
            "verification": None,
        }
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write the fix journal in {self.root}: {exc.strerror or exc}") from exc
        entry = Entry(building, data)
        try:
            building.mkdir()
            entry.save()
            os.rename(building, self.root / entry_id)
        except (OSError, JournalWriteError) as exc:
            shutil.rmtree(building, ignore_errors=True)  # nothing was changed yet: leave no trace
            if isinstance(exc, OSError):
                raise write_error(building, exc) from exc
            raise
        entry.path = self.root / entry_id
        return entry

    def entries(self) -> List[Entry]:
        """Every entry, oldest first; JournalError on the first one that is not what envdoctor wrote."""
        self._check_root()
        found = []
        if not self.root.is_dir():
            return found
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(NEW_PREFIX):
                continue  # killed while it was built, before anything was changed
            found.append(Entry(path, _load(path, self.prefix)))
        return found

    def discard_unborn(self) -> None:
        """Remove entry folders a killed fix left half-built (they changed nothing); under the lock."""
        for path in self.root.glob(NEW_PREFIX + "*"):
            shutil.rmtree(path, ignore_errors=True)

    def find(self, entry_id: Optional[str]) -> Entry:
        entries = self.entries()
        if entry_id is None:
            candidates = [e for e in entries if e.status not in CLOSED]
            if not candidates:
                raise UsageError(f"nothing to undo: no applied fix in {self.root}")
            return candidates[-1]
        for entry in entries:
            if entry.id == entry_id:
                return entry
        known = ", ".join(e.id for e in entries) or "none"
        raise UsageError(f"no journal entry {entry_id!r} in {self.root} (entries: {known})")

    def discard_snapshot(self, entry: Entry) -> None:
        shutil.rmtree(entry.snapshot_dir, ignore_errors=True)


def _load(path: Path, prefix: str) -> Dict[str, Any]:
    file = path / "entry.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _damaged(path, f"{file} is missing") from None
    except OSError as exc:
        raise _damaged(path, f"{file} cannot be read ({exc.strerror or exc})") from exc
    except ValueError:
        raise _damaged(path, f"{file} is not complete JSON (truncated or half-written)") from None
    reason = problem(data, path.name)
    if reason is not None:
        raise _damaged(path, f"{file}: {reason}")
    recorded = data.get("prefix", prefix)  # entries of earlier versions do not say
    if not _same_environment(recorded, prefix):
        raise JournalError(
            f"the fix journal entry {path} belongs to another environment ({recorded}): it was copied along with "
            f"this one, and its backup would change that environment. Remove it here: rm -r {path}")
    return data


def _same_environment(recorded: Any, prefix: str) -> bool:
    """Whether an entry's recorded prefix is this environment's.  entry.json is saved redacted,
    so a prefix with a token in a folder name was written masked: compare it as it was written."""
    if not isinstance(recorded, str):
        return False
    here = os.path.realpath(prefix)
    return os.path.realpath(recorded) == here or recorded in (redact_text(prefix), redact_text(here))


def _damaged(path: Path, reason: str) -> JournalError:
    """One message for every damaged entry: what is wrong, and how to get going again."""
    aside = path.parent.parent / f"damaged-{path.name}"
    return JournalError(
        f"the fix journal entry {path} is damaged or not envdoctor's: {reason}. envdoctor cannot tell "
        f"what that fix changed, so it undoes nothing from it; check the environment (envdoctor check), "
        f"repair it by hand if needed, then move the entry out of the journal: mv {path} {aside}")


# What entry.json must hold for fix and undo to trust it: key -> the type of its value.
_FIELDS = {"id": str, "status": str, "created": str, "plans": list, "roots": list, "steps": list,
           "versions_before": dict}


def problem(data: Any, folder_name: str) -> Optional[str]:
    """Why `data` is not a journal entry envdoctor can act on, or None when it is."""
    if not isinstance(data, dict):
        return "not a JSON object"
    for key, kind in _FIELDS.items():
        if key not in data:
            return f"no {key!r}"
        if not isinstance(data[key], kind):
            return f"{key!r} is not a {kind.__name__}"
    if data["id"] != folder_name:
        return f"its id {data['id']!r} is not its folder's name"
    if data["status"] not in STATUSES:
        return f"unknown status {data['status']!r}"
    if not all(isinstance(root, str) for root in data["roots"]):
        return "'roots' holds something other than paths"
    if not all(isinstance(step, dict) for step in data["steps"]):
        return "'steps' holds something other than objects"
    try:
        [FixPlan.from_dict(plan) for plan in data["plans"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"a plan cannot be read ({type(exc).__name__}: {exc})"
    return None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
