"""Start the facts probe: the target interpreter running the facts program, not yet waited for.

launch.py uses it to start the target interpreter before typer, rich and packaging are
imported, so the probe and envdoctor's own start-up overlap.  It takes plain strings
(the interpreter and its working directory): the Target record, and the dataclasses
machinery behind it, come later.
"""

from __future__ import annotations

# Imported by launch.py before the probe starts: no typing or dataclasses at run time
# (together ~25 ms), so the target interpreter starts that much sooner.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from envdoctor.model.target import Target

from envdoctor.probe.command import new_nonce, payload_argv
from envdoctor.probe.process import Running

DEFAULT_TIMEOUT = 60.0


def start_probe(python: str, cwd: str, timeout: float = DEFAULT_TIMEOUT) -> "StartedProbe":
    nonce = new_nonce()
    return StartedProbe(python, cwd, timeout, nonce, Running(payload_argv(python, "facts", nonce), cwd, timeout))


class StartedProbe:
    """A facts probe already running (perhaps started before envdoctor's heavier imports, see launch.py).

    A plain class, not a record: it holds a running process, and launch.py creates it before
    the dataclasses machinery is imported."""

    def __init__(self, python: str, cwd: str, timeout: float, nonce: str, running: Running):
        self.python, self.cwd, self.timeout, self.nonce, self.running = python, cwd, timeout, nonce, running

    def matches(self, target: Target, timeout: float) -> bool:
        return (self.python, self.cwd, self.timeout) == (target.python, target.cwd, timeout)
