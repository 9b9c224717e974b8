"""Start the probe: the light half of envdoctor.probe, importable before anything heavy.

launch.py uses it to start the target interpreter before typer, rich and
packaging are imported, so the probe and envdoctor's own start-up overlap.
"""

from __future__ import annotations

import os

# Imported by launch.py before the probe starts: no typing or dataclasses at run time
# (together ~25 ms), so the target interpreter starts that much sooner.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional

from envdoctor.probe.process import Running
from envdoctor.target import Target

DEFAULT_TIMEOUT = 60.0


# Each program is sent as source: its parts joined, the last one runs main().
PAYLOAD_PARTS = ("_finders.py", "_stack.py", "_payload.py")
DEEP_PARTS = ("_finders.py", "_deep.py")
_SOURCES: dict = {}


def program_source(parts=PAYLOAD_PARTS) -> str:
    if parts not in _SOURCES:
        texts = []
        for part in parts:
            with open(os.path.join(os.path.dirname(__file__), part), encoding="utf-8") as handle:
                texts.append(handle.read())
        _SOURCES[parts] = "\n".join(texts)
    return _SOURCES[parts]


def payload_source() -> str:
    return program_source(PAYLOAD_PARTS)


def new_nonce() -> str:
    return os.urandom(8).hex()


def payload_argv(python: str, mode: str, nonce: str, options: Optional[Dict[str, Any]] = None, no_site: bool = False):
    flags = ["-B", "-S"] if no_site else ["-B"]
    return [python, *flags, "-c", payload_source(), mode, nonce, _encode(options)]


def _encode(options: Optional[Dict[str, Any]]) -> str:
    if not options:
        return "{}"  # the early start has none: no json import before the probe starts
    import json

    return json.dumps(options)


def start_probe(target: Target, timeout: float = DEFAULT_TIMEOUT) -> "StartedProbe":
    nonce = new_nonce()
    return StartedProbe(target, timeout, nonce, Running(payload_argv(target.python, "facts", nonce), target.cwd, timeout))


class StartedProbe:
    """A probe already running (started before envdoctor's heavier imports, see launch.py)."""

    def __init__(self, target: Target, timeout: float, nonce: str, running: Running):
        self.target, self.timeout, self.nonce, self.running = target, timeout, nonce, running

    def matches(self, target: Target, timeout: float) -> bool:
        return (self.target, self.timeout) == (target, timeout)


