"""A view of the facts computed once per run, for everyone who reads it."""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

from envdoctor.model.facts import Facts

T = TypeVar("T")


def per_facts(derive: Callable[[Facts], T]) -> Callable[[Facts], T]:
    """Compute a view of the facts once for all the checks (and fixers) of a run that share it.

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
