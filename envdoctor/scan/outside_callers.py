"""The functions a distribution's entry points name: something outside its code calls them.

A console script (`liba = liba.cli:_main`), a GUI script, or any other group (a plugin that
another distribution's loader calls) runs `module:function` directly, whatever the package's
own code does with it: such a function is never "called by nothing" (scan/calls.py).  Read
from the metadata folder's entry_points.txt (an INI file: `name = module:attr.attr [extras]`).
"""

from __future__ import annotations

import configparser
import os
from typing import FrozenSet, Optional, Tuple


def entry_point_functions(metadata_path: Optional[str]) -> FrozenSet[Tuple[str, str]]:
    """(module, module-level name) for every entry point of the distribution at `metadata_path`."""
    if not metadata_path:
        return frozenset()
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # entry point names are case-sensitive
    try:
        parser.read(os.path.join(metadata_path, "entry_points.txt"), encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
        return frozenset()  # unreadable: no function is kept alive by it, as before
    targets = set()
    for section in parser.sections():
        for value in parser[section].values():
            module, _, attribute = value.partition("[")[0].partition(":")
            if attribute.strip():
                # `module:Class.method` is called through the module-level `Class`.
                targets.add((module.strip(), attribute.strip().partition(".")[0]))
    return frozenset(targets)
