"""A view of the facts computed once per run, for everyone who reads it."""

from __future__ import annotations

import functools
from typing import Callable, Optional, Sequence, TypeVar

from envdoctor.model.facts import Facts

T = TypeVar("T")


def per_facts(derive: Optional[Callable[[Facts], T]] = None, *, depends_on: Optional[Sequence[str]] = None):
    """Compute a view of the facts once for all the checks (and fixers) of a run that share it.

    Keeps the result for the last Facts object seen (by identity): a run checks one
    Facts, and a new run's Facts replaces it.  With `depends_on` (the names of the Facts
    fields the view reads), the result is kept while those fields are the same objects:
    collection adds sections with dataclasses.replace (the NumPy builds, the import scan,
    the legacy-code scan, the native linkage), which makes a new Facts around the same
    distributions; a view of the distributions alone need not be computed again for each
    (on 1,000 distributions the requirements in force cost ~40 ms a pass).
    """

    def decorate(function: Callable[[Facts], T]) -> Callable[[Facts], T]:
        last: list = [None, None]

        def key(facts: Facts):
            if depends_on is None:
                return (facts,)
            return tuple(getattr(facts, name) for name in depends_on)

        @functools.wraps(function)
        def cached(facts: Facts) -> T:
            current = key(facts)
            if last[0] is None or any(a is not b for a, b in zip(last[0], current)):
                last[1] = function(facts)
                last[0] = current
            return last[1]

        return cached

    return decorate(derive) if derive is not None else decorate
