"""Start the facts probe: the target interpreter running the facts program, not yet waited for.

launch.py uses it to start the target interpreter before typer, rich and packaging are
imported, so the probe and envdoctor's own start-up overlap.  It takes plain strings
(the interpreter and its working directory): the Target record, and the dataclasses
machinery behind it, come later.

--timeout bounds a whole collection of facts, from the probe's start (`StartedProbe.deadline`).
The probe gets the first half (`probe_seconds`).  When it gives no answer, probe.diagnosis
traces the start-up with as long again, so that a .pth line is called a hang only after
the trace, too, was held there for as long as the probe was; a start-up that is only slow
is "could not check within --timeout", never a hang.  See docs/reference/cli.md.
"""

from __future__ import annotations

import time

# Imported by launch.py before the probe starts: no typing or dataclasses at run time
# (together ~25 ms), so the target interpreter starts that much sooner.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterator, Optional

    from envdoctor.probe.process import Completed

    from envdoctor.model.target import Target

from envdoctor.probe.command import new_nonce, payload_argv
from envdoctor.probe.process import Running

DEFAULT_TIMEOUT = 60.0
# A day: a bound far above any real wait, and below what the OS's timers accept.
MAX_TIMEOUT = 86400.0
# The probe's share of --timeout; the start-up trace, when one is needed, gets as much again.
PROBE_SHARE = 0.5


def timeout_problem(seconds: float) -> Optional[str]:
    """Why `seconds` cannot be a --timeout, or None (NaN fails every comparison, so it fails here)."""
    if not 0 < seconds <= MAX_TIMEOUT:
        return f"{seconds:g}: expected seconds above 0 and at most {MAX_TIMEOUT:g}"
    return None


def start_probe(python: str, cwd: str, timeout: float = DEFAULT_TIMEOUT) -> "StartedProbe":
    nonce = new_nonce()
    now = time.monotonic()
    probe_seconds = timeout * PROBE_SHARE
    running = Running(payload_argv(python, "facts", nonce), cwd, now + probe_seconds)
    return StartedProbe(python, cwd, timeout, nonce, running, now + timeout, probe_seconds)


class StartedProbe:
    """A facts probe already running (perhaps started before envdoctor's heavier imports, see launch.py).
    `deadline` (time.monotonic()) ends the whole collection it begins; the probe itself was
    given `probe_seconds` of it.

    A plain class, not a record: it holds a running process, and launch.py creates it before
    the dataclasses machinery is imported."""

    def __init__(self, python: str, cwd: str, timeout: float, nonce: str, running: Running, deadline: float,
                 probe_seconds: float):
        self.python, self.cwd, self.timeout, self.nonce, self.running = python, cwd, timeout, nonce, running
        self.deadline, self.probe_seconds = deadline, probe_seconds

    def matches(self, target: Target, timeout: float) -> bool:
        return (self.python, self.cwd, self.timeout) == (target.python, target.cwd, timeout)


# When the target has given no answer for this long (a quarter of a short --timeout), the
# user is told why they wait.
WAITING_NOTICE_AFTER = 10.0
WAITING_NOTICE_FIRST = 2.0


def answer(started: StartedProbe, notice: Optional[Callable[[str], None]] = None,
           idle: Optional[Iterator[None]] = None) -> Completed:
    """The probe's output, waited for (once: a second call returns the same).  `notice` gets one
    line when the target keeps envdoctor waiting; `idle` is work to do while it does."""
    from envdoctor.probe.frame import end_marker  # not at module level: launch.py imports this module

    def waiting(seconds: float) -> None:
        notice(f"probe: no answer after {seconds:.0f} s, waiting up to {started.probe_seconds:g} s"
               f" (half of --timeout {started.timeout:g}) — a .pth or sitecustomize may hang")

    notice_after = max(WAITING_NOTICE_FIRST, min(WAITING_NOTICE_AFTER, started.timeout / 4))
    return started.running.wait(end_marker(started.nonce), waiting if notice else None, notice_after, idle=idle)
