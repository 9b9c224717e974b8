"""Which installer serves a target, and the command it runs for an InstallRequest.

One rule, used by the reporters (the command a finding shows) and by the fixers (the
command `envdoctor fix` runs), so the two cannot differ: the target's own pip when pip is
installed in it, else uv pointed at it (`uv pip ... --python <target>`; uv makes virtual
environments without pip).  Whether uv is on PATH is the fixers' question (fixes/fixer_api.py):
a report shows the uv command either way, which is what a person should run.
"""

from __future__ import annotations

import os
import shlex
from typing import List, Optional, Tuple

from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal
from envdoctor.model.plan import InstallRequest
from envdoctor.model.record import Record, record

PIP = "pip"
UV = "uv"


@record
class Installer(Record):
    name: str  # PIP | UV
    program: Tuple[str, ...]  # before the subcommand: (python, "-m", "pip") | ("uv", "pip")
    target: Tuple[str, ...]  # after the subcommand, pointing it at the target: () | ("--python", python)
    reason: str  # said in the plan

    def argv(self, request: InstallRequest) -> Tuple[str, ...]:
        if request.uninstall:
            return (*self.program, "uninstall", *self.target, "-y", *request.requirements)
        options: List[str] = []
        if request.reinstall:
            options.append("--force-reinstall")
        if request.no_deps:
            options.append("--no-deps")
        for setting in request.config_settings:
            options += ["--config-settings", setting]
        if request.editable:
            options.append("-e")
        index = ("--index-url", request.index_url) if request.index_url else ()
        return (*self.program, "install", *self.target, *options, *request.requirements, *index)

    def command(self, request: InstallRequest) -> str:
        return shlex.join(self.argv(request))

    def dry_run_argv(self, request: InstallRequest) -> Tuple[str, ...]:
        """The same install, resolved and reported but not carried out: pip (22.2 and later)
        writes its installation report as JSON on stdout; uv says what it would change."""
        if self.name == PIP:
            return (*self.argv(request), "--dry-run", "--quiet", "--report", "-")
        return (*self.argv(request), "--dry-run")


def installer_for(facts: Facts) -> Installer:
    python = facts.target.python
    if PIP in facts.active_distributions():
        return Installer(PIP, (python, "-m", PIP), (), "pip is installed in the target")
    return Installer(UV, (UV, PIP), ("--python", python), "the target has no pip; uv installs into it with --python")


def fix_command(fix: FixProposal, facts: Facts) -> Optional[str]:
    """The command a finding's fix shows: its install rendered for this target, else a command
    written out by hand, else None."""
    if fix.install is not None:
        return installer_for(facts).command(fix.install)
    return fix.command


def install_roots(facts: Facts) -> List[str]:
    """Folders an install into the target may change: its site-packages and scripts folder."""
    interpreter = facts.interpreter
    roots = list(interpreter.site_packages)
    scripts = os.path.join(interpreter.prefix, "Scripts" if interpreter.platform.startswith("win") else "bin")
    roots.append(scripts)
    return list(dict.fromkeys(roots))
