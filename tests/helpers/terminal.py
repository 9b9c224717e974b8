"""A command run on a real pseudo-terminal: what a person would see, colour and layout included."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path
from typing import Dict, Optional, Tuple


def on_a_terminal(*argv, cwd: Path, env: Dict[str, str], size: Optional[Tuple[int, int]] = None,
                  timeout: float = 120) -> str:
    """stdout and stderr of `argv` on one pseudo-terminal, decoded; the command must exit 0 or 1.

    `size` (rows, columns) is set on the terminal and given as LINES/COLUMNS too: the width a size
    query answers first (pytest-xdist's workers set COLUMNS)."""
    controller, terminal = pty.openpty()
    if size is not None:
        rows, columns = size
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**env, "COLUMNS": str(columns), "LINES": str(rows)}
    process = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
                               cwd=cwd, env=env)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=timeout) in (0, 1)
    return shown.decode("utf-8", "replace")
