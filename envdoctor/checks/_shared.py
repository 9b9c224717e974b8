"""Small pure helpers that several check families share and nothing outside checks/ needs.

Words other layers share too (labels, versions, what is installed) are in
envdoctor/vocabulary/.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

from envdoctor.model.facts import Distribution, Facts


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


def first_lines(items: Sequence[str], limit: int = 5) -> list:
    shown = list(items[:limit])
    if len(items) > limit:
        shown.append(f"... and {len(items) - limit} more")
    return shown


def is_macos(facts: Facts) -> bool:
    return (facts.markers or {}).get("sys_platform") == "darwin"


def environment(facts: Facts) -> dict:
    return facts.interpreter.environment if facts.interpreter else {}


def whole_number(value: str) -> Optional[int]:
    """The integer an environment variable's value is to `int()` (what torch and NCCL's readers
    accept: surrounding spaces, a sign), or None."""
    try:
        return int(value.strip())
    except ValueError:
        return None


def below_site_packages(path: str) -> str:
    """The path below site-packages (pyfiglet/__init__.py), for titles; evidence keeps it in full."""
    marker = "site-packages/"
    return path.split(marker, 1)[1] if marker in path else path
