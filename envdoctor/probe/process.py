"""Run a target-interpreter subprocess with a timeout that really ends it.

The child gets its own process group: a .pth line that forks a helper
holding our pipes open must not make us wait past the timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import namedtuple

# Imported by launch.py before the probe starts: no typing or dataclasses at run time
# (together ~25 ms), so the target interpreter starts that much sooner.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional, Sequence

from envdoctor.errors import TargetError


# A named tuple, not a @record: launch.py imports this module before the probe starts,
# and a record needs the dataclasses module (13-16 ms to import, measured on CPython 3.11),
# which would delay the target's start by as much.  collections is loaded by subprocess anyway.
class Completed(namedtuple("Completed", "returncode stdout stderr timed_out")):
    """returncode is None when the process was killed at the timeout (timed_out True)."""

    __slots__ = ()


def probe_environment(base: Mapping[str, str] = os.environ) -> dict:
    env = dict(base)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # with -B: nothing written into the target
    env.pop("PYTHONINSPECT", None)  # would leave the child waiting at a prompt
    return env


class Running:
    """A started target subprocess; `wait` collects it, killing it at the deadline."""

    def __init__(self, argv: Sequence[str], cwd: str, timeout: float, extra_env: Optional[Mapping[str, str]] = None):
        self.argv = list(argv)
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        try:
            self.child = subprocess.Popen(
                self.argv,
                cwd=cwd,
                env={**probe_environment(), **(extra_env or {})},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise TargetError(f"{argv[0]}: cannot run it ({exc.strerror})") from exc
        except OSError as exc:  # ENOEXEC, EACCES: a file that is not a program
            raise TargetError(f"{argv[0]}: cannot run it ({exc.strerror or exc})") from exc

    def wait(self) -> Completed:
        child = self.child
        try:
            out, err = child.communicate(timeout=max(0.0, self.deadline - time.monotonic()))
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(child)
            out, err = child.communicate()
            timed_out = True
        except BaseException:  # Ctrl-C: never leave the target running behind us
            self.cancel()
            raise
        return Completed(
            returncode=None if timed_out else child.returncode,
            stdout=out.decode("utf-8", "replace"),
            stderr=err.decode("utf-8", "replace"),
            timed_out=timed_out,
        )

    def cancel(self) -> None:
        _kill_group(self.child)
        self.child.wait()


def run_target(argv: Sequence[str], cwd: str, timeout: float) -> Completed:
    return Running(argv, cwd, timeout).wait()


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        child.kill()


def describe_exit(result: Completed, timeout: float) -> str:
    if result.timed_out:
        return f"no result within {timeout:g} s (killed)"
    code = result.returncode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def stderr_tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
