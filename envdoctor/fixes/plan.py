"""What a fix will do, as data: shown before anything runs, journaled, replayed by undo.

Three kinds of action cover every fixer: run a command (pip/uv), write a file,
remove a path.  Each names the folders it may change (`roots`): the executor
snapshots exactly those before the first action, and undo puts them back.
"""

from __future__ import annotations

import difflib
import os
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

NEW_FILE_PREVIEW = 10  # lines of a new file shown in the plan


@dataclass(frozen=True)
class RunCommand:
    argv: Tuple[str, ...]
    purpose: str
    roots: Tuple[str, ...]  # what the command may change (the target's site-packages and scripts)
    kind: str = field(default="command", init=False)

    def describe(self) -> List[str]:
        return [f"run   {shlex.join(self.argv)}", f"      ({self.purpose})"]


@dataclass(frozen=True)
class WriteFile:
    path: str
    text: str
    purpose: str
    kind: str = field(default="write", init=False)

    @property
    def roots(self) -> Tuple[str, ...]:
        return (self.path,)

    def describe(self) -> List[str]:
        lines = [f"write {self.path}", f"      ({self.purpose})"]
        old = _read(self.path)
        new = self.text.splitlines(keepends=True)
        diff = [line.rstrip("\n") for line in difflib.unified_diff(
            old.splitlines(keepends=True) if old is not None else [], new, "/dev/null" if old is None else self.path, self.path)]
        if old is None and len(diff) > NEW_FILE_PREVIEW + 3:
            # A whole new file (a shim's source) says little line by line: its start and its size.
            hidden = len(diff) - 3 - NEW_FILE_PREVIEW
            diff = diff[: 3 + NEW_FILE_PREVIEW] + [f"+... ({hidden} more lines, all kept in the journal entry)"]
        lines.extend("      " + line for line in diff)
        return lines


@dataclass(frozen=True)
class RemovePath:
    path: str
    purpose: str
    kind: str = field(default="remove", init=False)

    @property
    def roots(self) -> Tuple[str, ...]:
        return (self.path,)

    def describe(self) -> List[str]:
        what = "folder" if os.path.isdir(self.path) else "file"
        return [f"remove {what} {self.path}", f"      ({self.purpose})"]


Action = Union[RunCommand, WriteFile, RemovePath]
_ACTION_TYPES = {"command": RunCommand, "write": WriteFile, "remove": RemovePath}


@dataclass(frozen=True)
class FixPlan:
    """The actions that repair one finding."""

    code: str
    subject: str
    finding_title: str
    fixer: str  # the fixer's name, e.g. reinstall-incomplete
    kind: str  # reinstall | shim | stub | patch
    summary: str
    safe: bool  # False: needs --unsafe or an explicit answer (it edits or adds code in the target)
    actions: Tuple[Action, ...]
    notes: Tuple[str, ...] = ()  # said in the plan: which installer, what pip will choose

    def roots(self) -> List[str]:
        return list(dict.fromkeys(root for action in self.actions for root in action.roots))

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["actions"] = [asdict(action) for action in self.actions]
        return data

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "FixPlan":
        actions = []
        for item in data["actions"]:
            item = dict(item)
            action_type = _ACTION_TYPES[item.pop("kind")]
            for key in ("argv", "roots"):
                if key in item:
                    item[key] = tuple(item[key])
            actions.append(action_type(**item))
        return cls(**{**data, "actions": tuple(actions), "notes": tuple(data.get("notes", ()))})


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None
