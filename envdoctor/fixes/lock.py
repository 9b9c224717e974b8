"""One fix or undo at a time per target: an exclusive lock on the journal folder.

`flock` on the folder itself, taken without waiting: a second `envdoctor fix` or `undo` on the
same environment is refused with a message, never run alongside (two pip runs into one
site-packages, or an undo under a running fix, leave a mix of both).  The lock goes with the open
file description, so the kernel drops it when its holder dies, `kill -9` included; a step's
command inherits it (executor.py), so the lock also lasts as long as a pip that outlived a killed
envdoctor.  Where there is no `flock` (Windows) no lock is taken.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from envdoctor.errors import UsageError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class JournalBusy(UsageError):
    """Another fix or undo (or a step process one of them started) holds the journal's lock."""


class JournalLock:
    """`with JournalLock(folder) as lock:` holds the lock; `lock.fd` is what a child inherits to keep it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.fd: Optional[int] = None

    def __enter__(self) -> "JournalLock":
        if fcntl is None:
            return self
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise JournalBusy(
                f"another `envdoctor fix` or `envdoctor undo` is changing this environment (its journal "
                f"{self.folder} is locked), or a command such a fix started is still running; "
                "wait until it has finished, then run this again"
            ) from None
        self.fd = fd
        return self

    def __exit__(self, *exc_info) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor of the description releases the lock
            self.fd = None
