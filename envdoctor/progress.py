"""Progress of the steps that can take more than a second, for a person watching a terminal.

A slow step says where it is with one call, wherever it runs:

    progress.say("import scan", f"reading sglang 0.5.23 (2 400 files)")   # the latest state, one line
    progress.follow_log(process, log_path, "fix")                   # a tool's own output, as it comes
    progress.done()                                                 # before writing anything else

Steps: "probe" (waiting for the target), "import scan", "deep" (--deep's imports),
"fix" (pip's or uv's output), "fleet" (collecting from many hosts).  Nothing is shown unless
the command line installed a display (`showing(display)`), which it does only where stderr
is a terminal and --quiet was not given: envdoctor.check() from Python, pipes and CI logs stay
silent, and this module costs them one lookup per call.

The display is a context variable, not a module-level object: set for one command, gone after.
It renders and masks (terminal.py); this module imports nothing of envdoctor, so that any
layer may call it.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Optional, Protocol


class Display(Protocol):
    def status(self, step: str, text: str) -> None:
        """Replace the status line."""

    def line(self, step: str, text: str) -> None:
        """Print one line that stays (a tool's output)."""

    def clear(self) -> None:
        """Remove the status line (before anything else is written)."""

    def close(self) -> None:
        """The command is done with progress: clear, and stop counting seconds."""


_display: ContextVar[Optional[Display]] = ContextVar("envdoctor_progress_display", default=None)


@contextmanager
def showing(display: Optional[Display]) -> Iterator[None]:
    """Progress goes to `display` inside the block (None: nowhere); the status line is cleared after."""
    token = _display.set(display)
    try:
        yield
    finally:
        _display.reset(token)
        if display is not None:
            display.close()


def say(step: str, text: str) -> None:
    display = _display.get()
    if display is not None:
        display.status(step, text)


def done() -> None:
    """The step is over: remove its status line, before a report, a question or a notice is written."""
    display = _display.get()
    if display is not None:
        display.clear()


def notice(text: str) -> None:
    """A line on stderr while the user waits on the target (stdout belongs to the report)."""
    done()
    sys.stderr.write(f"envdoctor: {text}\n")
    sys.stderr.flush()


def active() -> bool:
    return _display.get() is not None


POLL_SECONDS = 0.1


def follow_log(process, log_path: str, step: str) -> int:
    """Wait for `process`, which writes to `log_path`; with a display, show each line it writes
    there as it comes (pip's progress during a minutes-long torch install).  The log file stays
    what the process wrote: the journal keeps it whole."""
    display = _display.get()
    if display is None:
        return process.wait()
    with open(log_path, encoding="utf-8", errors="replace") as reader:
        pending = ""
        while True:
            done = process.poll() is not None
            pending += reader.read()
            *complete, pending = pending.split("\n")
            for text in complete:
                if text.strip():
                    display.line(step, text.rstrip("\r"))
            if done:
                if pending.strip():
                    display.line(step, pending)
                return process.returncode
            time.sleep(POLL_SECONDS)
