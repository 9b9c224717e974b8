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


# Each program is a list of stdlib-only files run in order in one namespace; the last one runs main().
PAYLOAD_PARTS = ("_finders.py", "_stack.py", "_payload.py")
DEEP_PARTS = ("_finders.py", "_deep.py")
HERE = os.path.dirname(os.path.abspath(__file__))

# The command line the target runs (`python -B -c BOOTSTRAP ...`).  It loads each part
# through the import system's own SourceFileLoader, which takes the part's bytecode from
# envdoctor's __pycache__ when that was compiled for the target's Python version (pip
# compiles it at install) and compiles the source otherwise: compiling the ~60 kB probe
# cost the target 20-30 ms on every run.  The loader checks the bytecode's magic number and
# the source's size and mtime, and writes nothing under -B.  It is taken from
# sys.modules, never imported: a cwd that holds an `importlib` must not change the probe.
BOOTSTRAP = (
    "import sys\n"
    "_envdoctor_loader = sys.modules['_frozen_importlib_external'].SourceFileLoader\n"
    "for _envdoctor_part in %r:\n"
    "    exec(_envdoctor_loader('__main__', _envdoctor_part).get_code('__main__'))\n"
)


def program_source(parts=PAYLOAD_PARTS) -> str:
    """The -c program that runs these parts inside the target interpreter."""
    return BOOTSTRAP % (tuple(os.path.join(HERE, part) for part in parts),)


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


