"""Shadowing: a same-named file or folder wins over an installed distribution's module."""

from __future__ import annotations

import os
from typing import Iterator

from envdoctor.api import check, report
from envdoctor.checks._resolution import expectations, resolves_as_expected
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.labels import describe_entry


@check(
    code="SHD001",
    name="shadowed-module",
    summary="An installed distribution's top-level module is shadowed by another file or folder on sys.path.",
    needs=("distributions", "modules", "sys_path", "pth_files"),
    fix="manual",
)
def shadowed_module(facts: Facts) -> Iterator:
    """Find installed modules that `import` does not take from their distribution.

    What it detects
        A top-level module of an installed distribution (`torch`, `packaging`, ...) that
        resolves to a regular module or package somewhere else: a folder or `.py` file in the
        working directory (sys.path[0] of `python -c`/`-m`), in a PYTHONPATH entry, in a
        folder a `.pth` file adds, or served by a `sys.meta_path` finder ahead of the normal
        path search.

    Why it breaks
        `import torch` then runs the local `torch/` folder, or a `packaging.py` script next to
        your code, instead of the installed package: attribute errors, missing submodules and
        version checks that read the wrong `__version__` follow, and only in that directory.

        Severity: always an error: `import` runs other code than the installed
        distribution's whenever Python starts with this sys.path (for the working directory:
        when run from there).

    Example
        `packaging` resolves to /work/proj/packaging.py (sys.path[0], the working directory) instead of packaging 24.1

    Fix
        Rename or move the shadowing file or folder, or run from another directory; for a
        PYTHONPATH entry, remove it from the variable.

    References
        https://docs.python.org/3/library/sys_path_init.html
    """
    for expect, resolution in expectations(facts):
        if not expect.regular or resolution.namespace or resolves_as_expected(expect, resolution):
            continue
        winner = resolution.origin or resolution.loader or "an import hook"
        entry = facts.sys_path_entry(resolution.path_index)
        where = describe_entry(entry) if entry else f"served by {resolution.loader or 'an import hook'}"
        shadow, kind = _shadowing_path(winner)
        expected_at = expect.roots[0]
        # The shadowing path is named once, in the title; the rest refers to it.
        evidence = [f"expected: {expected_at} ({expect.how})"]
        losers = [c for c in resolution.candidates if c.path != winner and os.path.dirname(winner) != c.path]
        evidence += [f"candidate: {c.path} ({c.kind}, {describe_entry(facts.sys_path_entry(c.path_index))})" for c in losers]
        yield report(
            Severity.ERROR,
            f"`{expect.module}` resolves to the {kind} {shadow} ({where}) instead of {expect.dist.display}",
            subject=expect.module,
            message=(
                f"`import {expect.module}` runs that {kind}'s code, not the code {expect.dist.name} installed, whenever "
                "Python starts with this sys.path (for the working directory: only when run from there)."
            ),
            evidence=evidence,
            location=Location(path=winner if os.path.isabs(str(winner)) else None, distribution=expect.dist.name, module=expect.module),
            fix=FixProposal("manual", _advice(shadow, kind)),
        )


def _shadowing_path(winner: str):
    """(what to name, what it is): a package is its folder (`requests/`, not requests/__init__.py)."""
    if not os.path.isabs(str(winner)):
        return winner, "import hook"
    if os.path.basename(winner).startswith("__init__."):
        return os.path.dirname(winner), "folder"
    return winner, "file"


def _advice(shadow: str, kind: str) -> str:
    if kind == "import hook":
        return "remove the import hook that serves it, or run without it"
    return f"rename or move the {kind} {os.path.basename(shadow)}{'/' if kind == 'folder' else ''}, or run from another directory"
