"""Small helpers several check families share.  Pure functions of facts."""

from __future__ import annotations

import functools
import os
import shlex
from typing import Callable, Optional, Sequence, TypeVar

from envdoctor.model.facts import Distribution, Facts, SysPathEntry

T = TypeVar("T")


def per_facts(derive: Callable[[Facts], T]) -> Callable[[Facts], T]:
    """Compute a view of the facts once for all the checks of a run that share it.

    Keeps the result for the last Facts object seen (by identity): a run checks one
    Facts, and a new run's Facts replaces it.
    """
    last: list = [None, None]

    @functools.wraps(derive)
    def cached(facts: Facts) -> T:
        if last[0] is not facts:
            last[1] = derive(facts)
            last[0] = facts
        return last[1]

    return cached


ORIGIN_LABELS = {
    "cwd": "the working directory",
    "pythonpath": "from PYTHONPATH",
    "site-packages": "site-packages",
    "user-site": "the user site directory",
    "pth": "added by a .pth file",
    "stdlib": "the standard library",
    "unknown": "added at start-up by code (sitecustomize or a .pth import line)",
}


def describe_entry(entry: Optional[SysPathEntry]) -> str:
    if entry is None:
        return "a location outside sys.path"
    label = ORIGIN_LABELS.get(entry.origin, entry.origin)
    if entry.origin == "pth" and entry.pth:
        label = f"added by {entry.pth[0]} line {entry.pth[1]}"
    return f"sys.path[{entry.index}] {entry.path} ({label})"


def pip_command(facts: Facts, *args: str) -> str:
    python = facts.interpreter.executable if facts.interpreter else facts.target.python
    return " ".join(shlex.quote(part) for part in (python, "-m", "pip", *args))


def owner_of(path: Optional[str], facts: Facts) -> Optional[Distribution]:
    """The installed distribution whose top-level module holds `path`, if any."""
    if not path:
        return None
    for dist in facts.active_distributions().values():
        prefix = dist.location.rstrip(os.sep) + os.sep
        if path.startswith(prefix):
            first = path[len(prefix) :].split(os.sep, 1)[0]
            stem = first.split(".", 1)[0]
            if stem in dist.record_modules or stem in dist.top_level or first in dist.record_modules:
                return dist
        if dist.editable_mapping and any(path.startswith(v.rstrip(os.sep)) for v in dist.editable_mapping.values()):
            return dist
    return None


def with_input(checks, code: str, options: Optional[dict]):
    """The checks with check `code` given `options` besides the facts (EXP001 the config's
    `require`, EXP002 a known-good snapshot); with no input (None) it is left out, since it
    would check nothing.  The bound function keeps its docstring (SARIF, explain)."""
    import dataclasses

    if options is None:
        return tuple(spec for spec in checks if spec.code != code)

    def bind(spec):
        function = spec.function

        def run(facts: Facts):
            return function(facts, **options)

        return dataclasses.replace(spec, function=functools.update_wrapper(run, function))

    return tuple(bind(spec) if spec.code == code else spec for spec in checks)


def first_lines(items: Sequence[str], limit: int = 5) -> list:
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"... and {len(items) - limit} more")
    return shown
