"""The functions a distribution's entry points name: something outside its code calls them.

A console script (`liba = liba.cli:_main`), a GUI script, or any other group (a plugin that
another distribution's loader calls) runs `module:function` directly, whatever the package's
own code does with it: such a function is never "called by nothing" (scan/calls.py).  Read
from the metadata folder's entry_points.txt (an INI file: `name = module:attr.attr [extras]`).
"""

from __future__ import annotations

import os
from typing import FrozenSet, Optional, Tuple

from envdoctor.entry_points import entry_point_sections


def entry_point_functions(metadata_path: Optional[str]) -> FrozenSet[Tuple[str, str]]:
    """(module, module-level name) for every entry point of the distribution at `metadata_path`."""
    if not metadata_path:
        return frozenset()
    try:
        with open(os.path.join(metadata_path, "entry_points.txt"), encoding="utf-8") as handle:
            sections = entry_point_sections(handle.read())
    except (UnicodeDecodeError, OSError):
        return frozenset()  # unreadable: no function is kept alive by it, as before
    targets = set()
    for points in sections.values():
        for _name, value in points:
            module, _, attribute = value.partition("[")[0].partition(":")
            if attribute.strip():
                # `module:Class.method` is called through the module-level `Class`.
                targets.add((module.strip(), attribute.strip().partition(".")[0]))
    return frozenset(targets)
