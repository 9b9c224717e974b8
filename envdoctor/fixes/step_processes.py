"""The processes a fix starts: they die with envdoctor, and undo can tell whether one still runs.

A step's command (pip, uv) runs in a process group of its own, which envdoctor kills when the
step ends in any way but a normal exit (an exception, Ctrl-C): nothing it started keeps writing
into the environment after envdoctor has rolled back.  A `kill -9` of envdoctor runs no cleanup,
so on Linux the child also asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG);
elsewhere that request is skipped, and undo's check below is the guard.

The journal records each step process's pid and its start time (field 22 of /proc/PID/stat):
a pid alone may have been reused by an unrelated process once the step's process is gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from typing import Callable, Optional

from envdoctor.processes import kill_group

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent() -> Optional[Callable[[], None]]:
    """A preexec_fn that makes the child get SIGKILL when envdoctor dies; None where unsupported.

    Built in the parent (loading libc after fork is not safe); the child then compares its
    parent with the one that forked it, since envdoctor may have died before the request.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # envdoctor is already gone: do not start the step at all
            os._exit(137)

    return in_child


def start_time(pid: int) -> Optional[str]:
    """The process's start time in clock ticks since boot, as /proc says it; None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def is_running(pid: int, started: Optional[str]) -> bool:
    """Whether the process recorded as (pid, start time) is still alive (a zombie counts as gone)."""
    if started is not None and os.path.isdir("/proc"):
        now = start_time(pid)
        return now == started and not _is_zombie(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    return True


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2:][:1] in ("Z", "X")


def end_group(process: subprocess.Popen) -> None:
    """Kill the step's whole process group (the command and anything it started) and reap it."""
    kill_group(process.pid)
    process.wait()
