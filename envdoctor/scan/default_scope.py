"""What the import scan covers without being asked: the stack packages installed in the target."""

from __future__ import annotations

from typing import Tuple

from envdoctor.model.facts import Facts
from envdoctor.vocabulary.stack import SCAN_DEFAULTS
from envdoctor.vocabulary.stack_membership import joined_members


def default_scope(facts: Facts) -> Tuple[str, ...]:
    """Canonical names, in scan order: the installed SCAN_DEFAULTS, then every package that
    joined the stack through its requirements (vocabulary/stack_membership.py), since nobody
    has read its imports for this target."""
    if facts.distributions is None:
        return ()
    installed = facts.active_distributions()
    return tuple(dict.fromkeys([name for name in SCAN_DEFAULTS if name in installed] + list(joined_members(facts))))
