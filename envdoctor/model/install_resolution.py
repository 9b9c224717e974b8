"""What an installer's dry run says an install would do to a target: the input of `check --with`.

Built by envdoctor/preflight/dry_run.py, read by preflight/overlay.py (the facts as they would be)
and by the PRE001 check (a resolution that fails).  Data only.
"""

from __future__ import annotations

from typing import Optional, Tuple

from envdoctor.model.record import Record, record


@record
class PlannedDistribution(Record):
    """A distribution the install would add or put in place of the installed copy, with the
    metadata the resolver read from the wheel it picked (pip's report: `metadata`; uv's dry run
    names only the name and version, so the rest stays empty)."""

    name: str
    version: str
    requires_dist: Tuple[str, ...] = ()
    requires_python: Optional[str] = None
    provides_extra: Tuple[str, ...] = ()
    metadata_version: Optional[str] = None


@record
class InstallResolution(Record):
    """The requested install as the target's installer resolved it, without carrying it out."""

    requested: Tuple[str, ...]  # as the user gave it: "vllm==0.11.0", "-r requirements.txt"
    installer: str  # pip | uv
    command: str  # the dry run as it was run
    resolved: bool
    message: str = ""  # the resolver's own words when it could not resolve
    installs: Tuple[PlannedDistribution, ...] = ()
