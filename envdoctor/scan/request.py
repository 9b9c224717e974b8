"""What the user asked the import scan for: `--scan` items, and whether the stack defaults apply."""

from typing import NamedTuple, Sequence


# A named tuple, not a record, for now: cli.py derives a changed copy with `_replace`.
class ScanRequest(NamedTuple):
    items: Sequence[str] = ()
    include_stack: bool = True
    enabled: bool = True
    # The scan of every installed distribution for code a newer Python or setuptools removed
    # (scan/legacy_scan.py): on unless --no-scan, or no selected check reads it.
    legacy_code: bool = True
