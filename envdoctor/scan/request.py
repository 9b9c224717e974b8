"""What the user asked the import scan for: `--scan` items, and whether the stack defaults apply."""

from typing import NamedTuple, Sequence


# A named tuple, not a record, for now: cli.py derives a changed copy with `_replace`.
class ScanRequest(NamedTuple):
    items: Sequence[str] = ()
    include_stack: bool = True
    enabled: bool = True
