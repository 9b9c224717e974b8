"""Progress on stderr for slow steps: a spinner where stderr is a terminal, nothing elsewhere.

collect.py takes a *scope* (`scope("deep probes")` is a context manager giving a function
that takes one line of text, or None): it never imports rich itself.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager, nullcontext


def terminal_scope(what: str):
    """A spinner with `what` and the latest line, where stderr is a terminal."""
    if not sys.stderr.isatty():
        return nullcontext()
    return _spinner(what)


@contextmanager
def _spinner(what: str):
    from rich.console import Console

    with Console(stderr=True).status(f"{what}: starting") as status:
        yield lambda text: status.update(f"{what}: {text}")
