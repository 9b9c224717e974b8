"""What envdoctor shows and asks on a terminal: colour, a spinner for slow steps, the fix prompt.

Nothing here happens where stdout/stderr is not a terminal.  collect.py takes a *scope*
(`scope("deep probes")` is a context manager giving a function that takes one line of
text, or None), so it never imports rich itself; fixes/flow.py takes a `confirm` function.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager, nullcontext
from typing import Callable, Optional, Sequence


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
    unsafe_plans = [plan for plan in plans if not plan.safe]
    question = f"Apply {len(plans)} fix(es)"
    if unsafe_plans:
        question += f", {len(unsafe_plans)} of them changing installed code"
    sys.stderr.write(question + "? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")
