"""The fixer plugin API: what a fixer module (built-in or third-party) imports.

    from envdoctor.fixes.fixer_api import fixer, FixPlan, InstallRequest, WriteFile, RemovePath

    @fixer(name="my-fix", kind="reinstall", codes=("ABC001",))
    def my_fix(finding, context):
        '''One line: what it changes.'''
        request = InstallRequest(("foo==1.0",), reinstall=True)
        return FixPlan("reinstall foo 1.0", (context.install_command("put foo back", request),))

`context.install_command` runs the request through the target's installer, exactly as the
reports show it; a finding's own proposal may already carry one (`finding.fix.install`).

A fixer is a pure function of a finding and the facts (through `context`): it
returns a FixPlan, or None when it cannot repair this particular finding.  It
never writes anything itself: the executor applies the plan through the
journal.  Register the module under the entry-point group `envdoctor.fixers`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Tuple

from envdoctor.errors import UsageError
from envdoctor.model.facts import Facts
from envdoctor.model.finding import Finding
from envdoctor.model.plan import FixPlan, InstallRequest, RemovePath, RunCommand, WriteFile
from envdoctor.model.record import Record, record
from envdoctor.vocabulary.installer import UV, Installer, install_roots, installer_for

__all__ = ["fixer", "FixPlan", "FixContext", "FixerSpec", "InstallRequest", "RunCommand", "WriteFile", "RemovePath"]

FIXER_ATTRIBUTE = "__envdoctor_fixer__"


# Mutable on purpose: the installer is chosen (and uv looked up on PATH) on first use only,
# once for all the fixers of a run.
@dataclass
class FixContext:
    facts: Facts
    _installer: Optional[Installer] = field(default=None, repr=False)

    def installer(self) -> Installer:
        """The target's installer (vocabulary/installer.py), checked to be runnable here."""
        if self._installer is None:
            chosen = installer_for(self.facts)
            if chosen.name == UV and not shutil.which(UV):
                python = self.facts.target.python
                raise UsageError(
                    f"the target {python} has no pip and uv is not on PATH: install one of them "
                    f"({python} -m ensurepip, or https://docs.astral.sh/uv/) and run envdoctor fix again"
                )
            self._installer = chosen
        return self._installer

    def install_command(self, purpose: str, request: InstallRequest) -> RunCommand:
        """The command that carries out `request` in the target: exactly what a report shows for it."""
        return RunCommand(self.installer().argv(request), purpose, tuple(install_roots(self.facts)), request)

    def installer_note(self) -> str:
        installer = self.installer()
        return f"installer: {installer.name} ({installer.reason})"


@record
class FixerSpec(Record):
    name: str
    kind: str  # one of model/plan.py FIXER_KINDS
    codes: Tuple[str, ...]
    function: Callable[[Finding, FixContext], Optional[FixPlan]]
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
