"""The fix journal: one folder per `envdoctor fix` run, inside the target environment.

    <prefix>/.envdoctor/journal/<id>/
        entry.json     plans, status, each step's state and exit code, versions before/after
        snapshot/      the folders the plans may change, as they were (see snapshot.py)
        step-N.log     everything step N printed, never thrown away

entry.json is rewritten atomically at every state change, before the change it
announces, so that after a crash or `kill -9` it says how far the fix got and
`envdoctor undo` can put the environment back from the snapshot.

Both files leave the process, so both are redacted (envdoctor/redaction.py): entry.json at
every save (the entry in memory keeps the real values), a step's log once the step is over.

"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from envdoctor.errors import UsageError
from envdoctor.fixes import backup
from envdoctor.model.plan import FixPlan
from envdoctor.redaction import redact_document, redact_text

JOURNAL_FOLDER = os.path.join(".envdoctor", "journal")
# Statuses, in order: snapshotting -> applying -> applied -> verified | rolled-back; undone;
# abandoned (stopped while snapshotting, nothing changed).
UNFINISHED = ("snapshotting", "applying", "applied")  # a crash or kill left it: undo before fixing again
CLOSED = ("rolled-back", "undone", "abandoned")  # nothing of it is left in the environment


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
        return self.path / f"step-{step}.log"

    def save(self) -> None:
        temporary = self.path / "entry.json.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(redact_document(self.data), handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path / "entry.json")

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

    def undoable(self) -> bool:
        return self.status not in CLOSED and backup.is_complete(self.snapshot_dir)


class Journal:
    def __init__(self, prefix: str):
        self.root = Path(prefix) / JOURNAL_FOLDER

    def create(self, target_python: str, plans: List[FixPlan], versions_before: Dict[str, str]) -> Entry:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write the fix journal in {self.root}: {exc.strerror or exc}") from exc
        entry_id = time.strftime("%Y%m%d-%H%M%S") + "-" + os.urandom(2).hex()
        path = self.root / entry_id
        path.mkdir()
        data = {
            "id": entry_id,
            "created": _now(),
            "updated": _now(),
            "target_python": target_python,
            "status": "snapshotting",
            "plans": [plan.to_dict() for plan in plans],
            "roots": list(dict.fromkeys(root for plan in plans for root in plan.roots())),
            "steps": [],
            "versions_before": versions_before,
            "versions_after": None,
            "verification": None,
        }
        entry = Entry(path, data)
        entry.save()
        return entry

    def entries(self) -> List[Entry]:
        found = []
        if not self.root.is_dir():
            return found
        for path in sorted(self.root.iterdir()):
            try:
                data = json.loads((path / "entry.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a folder being created, or not ours
            found.append(Entry(path, data))
        return found

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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
