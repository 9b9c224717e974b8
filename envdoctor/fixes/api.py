"""The fixer plugin API: what a fixer module (built-in or third-party) imports.

    from envdoctor.fixes.api import fixer, Proposal, RunCommand, WriteFile, RemovePath

    @fixer(name="my-fix", kind="reinstall", codes=("ABC001",))
    def my_fix(finding, context):
        '''One line: what it changes.'''
        return Proposal("reinstall foo 1.0", [RunCommand(...)])

A fixer is a pure function of a finding and the facts (through `context`): it
returns a Proposal, or None when it cannot repair this particular finding.  It
never writes anything itself: the executor applies the proposal through the
journal.  Register the module under the entry-point group `envdoctor.fixers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Tuple

from envdoctor.fixes.installer import Installer, choose_installer
from envdoctor.fixes.plan import Action, RemovePath, RunCommand, WriteFile
from envdoctor.model.facts import Facts
from envdoctor.model.finding import Finding

__all__ = ["fixer", "Proposal", "FixContext", "FixerSpec", "RunCommand", "WriteFile", "RemovePath"]

FIXER_ATTRIBUTE = "__envdoctor_fixer__"
FIXER_KINDS = ("reinstall", "stub", "shim", "patch")


@dataclass(frozen=True)
class Proposal:
    summary: str
    actions: Sequence[Action]
    safe: bool = True  # False for edits of installed code and stand-in modules: needs --unsafe
    notes: Sequence[str] = ()


@dataclass
class FixContext:
    facts: Facts
    _installer: Optional[Installer] = field(default=None, repr=False)

    def installer(self) -> Installer:
        if self._installer is None:
            self._installer = choose_installer(self.facts)
        return self._installer


@dataclass(frozen=True)
class FixerSpec:
    name: str
    kind: str
    codes: Tuple[str, ...]
    function: Callable[[Finding, FixContext], Optional[Proposal]]
    provider: str = ""

    @property
    def summary(self) -> str:
        return (self.function.__doc__ or "").strip().splitlines()[0] if self.function.__doc__ else ""


def fixer(*, name: str, kind: str, codes: Sequence[str]):
    """Mark a function as the fixer for findings of `codes`.  Validated when the registry loads it."""

    def decorate(function):
        setattr(function, FIXER_ATTRIBUTE, FixerSpec(name=name, kind=kind, codes=tuple(codes), function=function))
        return function

    return decorate
