"""The fix vocabulary, as data: what a fix may be, what an installer is asked to do, and what
a fix plan will do to the target.

A check proposes a fix (model/finding.py FixProposal, which names a fix kind from FIX_KINDS
and may carry an InstallRequest); a fixer answers with a FixPlan of actions; the executor
performs the actions; report/plans.py renders them; the journal stores `to_dict()`.

Three kinds of action cover every fixer: run a command (pip/uv), write a file, remove a
path.  Each names the paths it may change (`roots`): the executor backs up exactly those
before the first action, and undo puts them back.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Dict, List, Optional, Tuple, Union

from envdoctor.model.record import Record, record

MANUAL = "manual"  # a person has to do it: no fixer plans it
# Every kind a FixProposal may name; fixers exist for all but MANUAL.
FIX_KINDS = ("reinstall", "stub", "shim", "patch", MANUAL)
FIXER_KINDS = tuple(kind for kind in FIX_KINDS if kind != MANUAL)


@record
class InstallRequest(Record):
    """An install (or uninstall) in words both pip and uv take, not yet tied to either.

    vocabulary/installer.py turns it into the command for one target: the same request is
    `<python> -m pip install ...` where the target has pip, `uv pip install --python ...`
    where it has not, so what a report shows is what `envdoctor fix` runs.
    """

    requirements: Tuple[str, ...]  # requirement specifiers or names; with `editable`, source folders
    reinstall: bool = False  # --force-reinstall: put the files back even if the version is installed
    no_deps: bool = False  # --no-deps: nothing else moves
    editable: bool = False  # -e: install the source folders in `requirements` as editable
    config_settings: Tuple[str, ...] = ()  # KEY=VALUE items for the build backend, passed on as written
    index_url: Optional[str] = None  # where the requirements come from, when not the default index
    uninstall: bool = False  # remove `requirements` instead (the other fields do not apply)


@record
class RunCommand(Record):
    argv: Tuple[str, ...]
    purpose: str
    roots: Tuple[str, ...]  # what the command may change (the target's site-packages and scripts)
    # The install it carries out, when it is one: fix runs plan all installs of a run together
    # (fixes/combined.py), which needs the request, not its command line.
    request: Optional[InstallRequest] = None

    kind = "command"  # not a field: the journal's tag for this action type


@record
class WriteFile(Record):
    path: str
    text: str
    purpose: str

    kind = "write"

    @property
    def roots(self) -> Tuple[str, ...]:
        return (self.path,)


@record
class RemovePath(Record):
    path: str
    purpose: str

    kind = "remove"

    @property
    def roots(self) -> Tuple[str, ...]:
        return (self.path,)


Action = Union[RunCommand, WriteFile, RemovePath]
_ACTION_TYPES = {action_type.kind: action_type for action_type in (RunCommand, WriteFile, RemovePath)}


@record
class FixPlan(Record):
    """The actions that repair one finding.

    A fixer returns `FixPlan(summary, actions, safe=..., notes=...)`; `envdoctor fix` then
    stamps which finding and fixer it is for (`for_finding`), as the engine stamps a
    finding's code: a fixer cannot plan under another fixer's name.
    """

    summary: str
    actions: Tuple[Action, ...]
    safe: bool = True  # False: needs --unsafe or an explicit answer (it edits or adds code in the target)
    notes: Tuple[str, ...] = ()  # said in the plan: which installer, what pip will choose
    code: str = ""  # the finding's code, subject and title
    subject: str = ""
    finding_title: str = ""
    fixer: str = ""  # the fixer's name, e.g. reinstall-incomplete
    kind: str = ""  # one of FIXER_KINDS

    def for_finding(self, finding, fixer: str, kind: str) -> "FixPlan":
        return FixPlan(self.summary, tuple(self.actions), self.safe, tuple(self.notes), code=finding.code,
                       subject=finding.subject, finding_title=finding.title, fixer=fixer, kind=kind)

    def roots(self) -> List[str]:
        return list(dict.fromkeys(root for action in self.actions for root in action.roots))

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["actions"] = [{**asdict(action), "kind": action.kind} for action in self.actions]
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
            if item.get("request"):
                request = dict(item["request"])
                for key in ("requirements", "config_settings"):
                    request[key] = tuple(request.get(key, ()))
                item["request"] = InstallRequest(**request)
            actions.append(action_type(**item))
        return cls(**{**data, "actions": tuple(actions), "notes": tuple(data.get("notes", ()))})
