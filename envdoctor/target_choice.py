"""Choose the target: which interpreter to inspect, and from which working directory.

Order: --python PATH (an interpreter, or a venv/conda prefix), else an active
VIRTUAL_ENV, else CONDA_PREFIX, else the `python3` on PATH (what the user would run
from this shell), else the interpreter envdoctor runs in.  The path is made absolute
but never resolved through symlinks: a venv's bin/python is a symlink to the base
interpreter, and resolving it would inspect the wrong environment.  A pyenv or asdf
shim (a shell script that asks the manager which Python to run) is resolved to that
Python, as the shim itself would from the working directory, and the choice says so.

launch.py chooses before the probe starts, so `choose_target` gives plain strings and
imports nothing heavy; `resolve_target` builds the Target record from them.  The command
line chooses once: launch.py's early choice (`choose_early`) is what `resolve_target` gives
for the same --python and --cwd, so a shim's manager (a subprocess) is not asked twice.
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


# The source of a target found on PATH because no environment was named.
FROM_PATH = "python3 on PATH"


def _interpreter(path: str, described_as: str) -> str:
    if os.sep not in path and not os.path.exists(path):
        import shutil

        on_path = shutil.which(path)  # `--python python3.12`, as a shell would find it
        if on_path:
            return on_path
        raise TargetError(f"{described_as} {path}: not on PATH (and no file of that name in {os.getcwd()})")
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


def _shim_manager(path: str) -> Optional[Tuple[str, str]]:
    """(manager name, the command its shim execs) when `path` is a pyenv or asdf shim: a short
    shell script ending in `exec ".../pyenv" exec "$program"` (asdf: `exec .../asdf exec ...`)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(2048)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    import re

    found = re.search(rb'exec "?([^"\s]*\b(pyenv|asdf))"? exec ', head)
    return (found.group(2).decode(), os.fsdecode(found.group(1))) if found else None


def _through_shim(path: str, workdir: str, described_as: str) -> Tuple[str, str]:
    """The interpreter a version manager's shim runs from `workdir`, and how the choice reads;
    a shim that runs nothing there is a TargetError quoting the manager's whole answer."""
    shim = _shim_manager(path)
    if shim is None:
        return path, ""
    manager, command = shim
    import subprocess

    program = os.path.basename(path)
    try:
        answer = subprocess.run([command, "which", program], cwd=workdir, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise TargetError(f"{described_as} {path} is a {manager} shim, and `{manager} which {program}` failed: {exc}") from None
    resolved = answer.stdout.strip().splitlines()[-1] if answer.stdout.strip() else ""
    if answer.returncode != 0 or not os.path.isfile(resolved):
        said = "\n".join("  " + line for line in (answer.stderr or answer.stdout).strip().splitlines())
        raise TargetError(f"{described_as} {path} is a {manager} shim that runs no Python from {workdir}; "
                          f"{manager} says:\n{said}")
    return resolved, f"{manager} shim {path}"


def choose_target(python: Optional[str], cwd: Optional[str], environ: Mapping[str, str] = os.environ) -> Tuple[str, str, str]:
    """(interpreter, working directory, how it was chosen), as plain strings."""
    workdir = os.path.abspath(os.path.expanduser(cwd)) if cwd else os.getcwd()
    if not os.path.isdir(workdir):
        raise UsageError(f"--cwd {workdir}: not a directory")
    if python is not None:
        if not python.strip():
            raise UsageError("--python is empty: give an interpreter (python3.12, /path/to/python) or an environment prefix")
        return _shim_resolved(_interpreter(python, "--python"), workdir, "--python")
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = environ.get(variable)
        if prefix:
            return _interpreter(prefix, f"${variable}"), workdir, variable
    import shutil

    on_path = shutil.which("python3", path=environ.get("PATH"))
    if on_path:  # what `python3` would run from this shell: envdoctor's own venv is rarely the question
        return _shim_resolved(os.path.abspath(on_path), workdir, FROM_PATH)
    return sys.executable, workdir, "envdoctor"


def _shim_resolved(path: str, workdir: str, source: str) -> Tuple[str, str, str]:
    resolved, via = _through_shim(path, workdir, source)
    return resolved, workdir, f"{source}, {via}" if via else source


# launch.py's choice for this command line: ((python, cwd), choose_target's answer), or None.
_early_choice = None


def choose_early(python: Optional[str], cwd: Optional[str]) -> Tuple[str, str, str]:
    """choose_target for launch.py's early probe, kept for the command's own resolve_target."""
    global _early_choice
    chosen = choose_target(python, cwd)
    _early_choice = ((python, cwd), chosen)
    return chosen


def resolve_target(python: Optional[str], cwd: Optional[str], environ: Mapping[str, str] = os.environ) -> Target:
    # Imported here, not above: a record imports dataclasses, which launch.py's early
    # start (choose_target) must not pay for before the probe starts.
    from envdoctor.model.target import Target

    if _early_choice is not None and _early_choice[0] == (python, cwd) and environ is os.environ:
        chosen, workdir, source = _early_choice[1]
    else:
        chosen, workdir, source = choose_target(python, cwd, environ)
    return Target(python=chosen, cwd=workdir, source=source)
