"""Which installer a reinstall plan runs: the target's own pip, else uv pointed at the target.

uv creates virtual environments without pip; such a target is served by
`uv pip --python <target>`.  The plan says which one it chose and why.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import List, Optional, Tuple

from envdoctor.errors import UsageError
from envdoctor.model.facts import Facts


@dataclass(frozen=True)
class Installer:
    name: str  # "pip" | "uv"
    install_argv: Tuple[str, ...]  # `... install` pointed at the target, before the requirements
    reason: str

    def install(self, *args: str) -> Tuple[str, ...]:
        return (*self.install_argv, *args)


def choose_installer(facts: Facts, uv: Optional[str] = None) -> Installer:
    python = facts.target.python
    if "pip" in facts.active_distributions():
        return Installer("pip", (python, "-m", "pip", "--disable-pip-version-check", "install"),
                         "pip is installed in the target")
    uv = uv or shutil.which("uv")
    if uv:
        return Installer("uv", (uv, "pip", "install", "--python", python), f"the target has no pip; using {uv} with --python")
    raise UsageError(
        f"the target {python} has no pip and uv is not on PATH: install one of them "
        f"({python} -m ensurepip, or https://docs.astral.sh/uv/) and run envdoctor fix again"
    )


def install_roots(facts: Facts) -> List[str]:
    """Folders an install into the target may change: its site-packages and scripts folder."""
    interpreter = facts.interpreter
    roots = list(interpreter.site_packages)
    scripts = _scripts_dir(interpreter.prefix, interpreter.platform)
    if scripts:
        roots.append(scripts)
    return list(dict.fromkeys(roots))


def _scripts_dir(prefix: str, platform: str) -> str:
    return os.path.join(prefix, "Scripts" if platform.startswith("win") else "bin")
