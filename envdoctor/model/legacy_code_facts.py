"""Facts about installed code that a newer Python (or setuptools) no longer supports.

Collected by scan/legacy_scan.py from every installed distribution's Python files, decided
against the target's own standard library and sys.path; the PYU and HOOK002 checks weigh them.
"""

from __future__ import annotations

from typing import Optional, Tuple

from envdoctor.model.record import Record, record


@record
class LegacyUse(Record):
    """One module-level use, in installed code, of something the target does not have."""

    kind: str  # "module" (import imp), "name" (collections.Mapping), "pkg_resources"
    what: str  # "imp", "collections.Mapping", "pkg_resources"
    distribution: str
    version: Optional[str]
    file: str
    line: int


@record
class LegacyFinderSite(Record):
    """A find_module()-only finder class that code of the same distribution puts on sys.meta_path at import."""

    distribution: str
    version: Optional[str]
    finder: str  # module.Class
    class_file: str
    class_line: int
    insert_file: str
    insert_line: int


@record
class LegacyCode(Record):
    # SETUPTOOLS_USE_DISTUTILS as the target saw it (the probe reads it; None: unset).
    setuptools_use_distutils: Optional[str] = None
    uses: Tuple[LegacyUse, ...] = ()
    finders: Tuple[LegacyFinderSite, ...] = ()
    distributions: int = 0  # distributions whose files were looked at
    files: int = 0  # Python files looked at
    parsed: int = 0  # of which parsed in this run (not from the per-file cache)
    seconds: float = 0.0
