"""Choose the target: which interpreter to inspect, and from which working directory.

Order: --python PATH (an interpreter, or a venv/conda prefix), else an active
VIRTUAL_ENV, else CONDA_PREFIX, else the interpreter envdoctor runs in.  The
path is made absolute but never resolved through symlinks: a venv's
bin/python is a symlink to the base interpreter, and resolving it would
inspect the wrong environment.

launch.py chooses before the probe starts, so `choose_target` gives plain strings and
imports nothing heavy; `resolve_target` builds the Target record from them.
"""

from __future__ import annotations

import os
import sys

# Imported by launch.py before the probe starts: no typing or dataclasses at run time
# (together ~25 ms), so the target interpreter starts that much sooner.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional, Tuple

    from envdoctor.model.target import Target

from envdoctor.errors import TargetError, UsageError

INTERPRETER_NAMES = ("bin/python", "bin/python3", "Scripts/python.exe", "python.exe")


def interpreter_in_prefix(prefix: str) -> Optional[str]:
    for relative in INTERPRETER_NAMES:
        candidate = os.path.join(prefix, relative)
        if os.path.isfile(candidate):
            return candidate
    return None


def _interpreter(path: str, described_as: str) -> str:
    if os.sep not in path and not os.path.exists(path):
        import shutil

        on_path = shutil.which(path)  # `--python python3.12`, as a shell would find it
        if on_path:
            return on_path
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(path):
        found = interpreter_in_prefix(path)
        if found is None:
            raise TargetError(
                f"{described_as} {path} is a directory without bin/python: not a virtual environment or conda prefix"
            )
        return found
    if not os.path.exists(path):
        raise TargetError(f"{described_as} {path}: no such file or directory")
    if not os.access(path, os.X_OK):
        raise TargetError(f"{described_as} {path} is not executable")
    return path


def choose_target(python: Optional[str], cwd: Optional[str], environ: Mapping[str, str] = os.environ) -> Tuple[str, str, str]:
    """(interpreter, working directory, how it was chosen), as plain strings."""
    workdir = os.path.abspath(os.path.expanduser(cwd)) if cwd else os.getcwd()
    if not os.path.isdir(workdir):
        raise UsageError(f"--cwd {workdir}: not a directory")
    if python:
        return _interpreter(python, "--python"), workdir, "--python"
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = environ.get(variable)
        if prefix:
            return _interpreter(prefix, f"${variable}"), workdir, variable
    return sys.executable, workdir, "envdoctor"


def resolve_target(python: Optional[str], cwd: Optional[str], environ: Mapping[str, str] = os.environ) -> Target:
    # Imported here, not above: a record imports dataclasses, which launch.py's early
    # start (choose_target) must not pay for before the probe starts.
    from envdoctor.model.target import Target

    chosen, workdir, source = choose_target(python, cwd, environ)
    return Target(python=chosen, cwd=workdir, source=source)
