"""What envdoctor shows and asks on a terminal: colour, progress of slow steps, the fix prompt.

Nothing here happens where stdout/stderr is not a terminal.  Progress (envdoctor/progress.py)
is drawn by TerminalProgress, installed for one command by `progress_shown(quiet)`: a status
line on stderr that counts the seconds waited, and the lines of a fix step's pip output,
indented.  collect.py also takes a *scope* (`scope("deep probes")` is a context manager giving
a function that takes one line of text, or None); fixes/flow.py takes a `confirm` function.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, Optional, Sequence

from envdoctor import progress

CLEAR_LINE = "\r\033[K"
TOOL_OUTPUT_INDENT = "    │ "


class TerminalProgress:
    """progress.Display on a terminal's stderr.  Every text is masked and made safe to print
    (a pip line may quote an index URL with its password, or a control character)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.lock = threading.Lock()
        self.text = ""
        self.since = 0.0
        self.closed = threading.Event()
        self.ticker: Optional[threading.Thread] = None

    def status(self, step: str, text: str) -> None:
        with self.lock:
            self.text, self.since = f"envdoctor: {step}: {_safe(text)}", time.monotonic()
            self._draw()
        if self.ticker is None:  # the seconds waited keep counting while a step is silent (a hanging .pth)
            self.ticker = threading.Thread(target=self._tick, name="envdoctor-progress", daemon=True)
            self.ticker.start()

    def line(self, step: str, text: str) -> None:
        with self.lock:
            self.stream.write(CLEAR_LINE + TOOL_OUTPUT_INDENT + _safe(text) + "\n")
            self._draw()

    def close(self) -> None:
        self.closed.set()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            if self.text:
                self.stream.write(CLEAR_LINE)
                self.stream.flush()
            self.text = ""

    def _draw(self) -> None:  # with the lock held
        if not self.text:
            self.stream.flush()
            return
        waited = time.monotonic() - self.since
        seconds = f" ({waited:.0f} s)" if waited >= 1 else ""
        width = max(shutil.get_terminal_size((80, 24)).columns - 1, 20)
        text = self.text if len(self.text) + len(seconds) <= width else self.text[:width - len(seconds) - 1] + "…"
        self.stream.write(CLEAR_LINE + text + seconds)  # one line, or "\r" cannot take it back
        self.stream.flush()

    def _tick(self) -> None:
        while not self.closed.wait(1.0):
            with self.lock:
                self._draw()


def _safe(text: str) -> str:
    from envdoctor.redaction import redact_text
    from envdoctor.report.escape import escape_controls

    return escape_controls(redact_text(text), one_line=True)


def progress_shown(quiet: bool):
    """The progress display for one command: on stderr where it is a terminal, unless --quiet."""
    wanted = not quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
    return progress.showing(TerminalProgress() if wanted else None)


@contextmanager
def terminal_scope(what: str):
    """collect.py's scope for --deep: each line it gets becomes the progress status."""
    yield (lambda text: progress.say("deep", f"{what}: {text}")) if progress.active() else None


def terminal_width() -> int:
    """stdout's width where it is a terminal that says (the text report folds to it); 0 elsewhere."""
    if not sys.stdout.isatty():
        return 0
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except OSError:
        return 0


def color_wanted() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def terminal_confirm() -> Optional[Callable[[Sequence], bool]]:
    """`fix`'s question before it changes anything, where a person can answer it (stdin and stderr
    are a terminal); None elsewhere, so the flow prints the plan and changes nothing."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    return _ask_to_apply


def _ask_to_apply(plans: Sequence) -> bool:
    progress.done()
    unsafe_plans = [plan for plan in plans if not plan.safe]
    question = f"Apply {len(plans)} fix(es)"
    if unsafe_plans:
        question += f", {len(unsafe_plans)} of them changing installed code"
    sys.stderr.write(question + "? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")
