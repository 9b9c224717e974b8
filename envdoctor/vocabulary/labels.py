"""How a sys.path entry is named to people: its origin in words, and the entry in one line.

Checks put these in findings; the text report labels its sys.path listing with them.
"""

from __future__ import annotations

from typing import Optional

from envdoctor.model.facts import SysPathEntry

# The provider the import scan names for a module of the standard library; the IMP checks weigh
# such an import by it.
STANDARD_LIBRARY = "the standard library"

ORIGIN_LABELS = {
    "cwd": "the working directory",
    "pythonpath": "from PYTHONPATH",
    "site-packages": "site-packages",
    "user-site": "the user site directory",
    "pth": "added by a .pth file",
    "stdlib": STANDARD_LIBRARY,
    "unknown": "added at start-up by code (sitecustomize or a .pth import line)",
}


def describe_entry(entry: Optional[SysPathEntry]) -> str:
    if entry is None:
        return "a location outside sys.path"
    label = ORIGIN_LABELS.get(entry.origin, entry.origin)
    if entry.origin == "pth" and entry.pth:
        label = f"added by {entry.pth[0]} line {entry.pth[1]}"
    return f"sys.path[{entry.index}] {entry.path} ({label})"
