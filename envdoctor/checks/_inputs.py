"""Checks that take an input besides the facts (EXP001 the config's `require`, EXP002 a
known-good snapshot): the selected checks with that input bound, or without the check."""

from __future__ import annotations

import dataclasses
import functools
from typing import Optional

from envdoctor.model.facts import Facts


def with_input(checks, code: str, options: Optional[dict]):
    """The checks with check `code` given `options` besides the facts; with no input (None)
    it is left out, since it would check nothing.  The bound function keeps its docstring
    (SARIF, explain)."""
    if options is None:
        return tuple(spec for spec in checks if spec.code != code)

    def bind(spec):
        function = spec.function

        def run(facts: Facts):
            return function(facts, **options)

        return dataclasses.replace(spec, function=functools.update_wrapper(run, function))

    return tuple(bind(spec) if spec.code == code else spec for spec in checks)
