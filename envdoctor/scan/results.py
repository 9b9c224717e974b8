"""A cache of whole scan results: a warm run with nothing changed re-reads one file.

A result depends on (1) the target as the facts describe it: interpreter traits,
sys.path, distributions, the probe's module resolutions, and what was asked for; they
form the key.  And (2) the files and folders the scan read: every source summarised,
every folder listed (its mtime changes when a file is added or removed), every RECORD.
Those are stored with the result and compared again before it is reused; one that
differs means a full scan (which itself mostly hits the per-file summary cache).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

from envdoctor.model.facts import Facts, ImportProblem, ImportScan, ScannedCode
from envdoctor.scan.summary import scanner_fingerprint

RESULT_VERSION = 1

_PROBLEM_FIELDS = tuple(ImportProblem.__dataclass_fields__)
_SCANNED_FIELDS = tuple(ScannedCode.__dataclass_fields__)


def result_key(facts: Facts, items: Sequence[str], include_stack: bool) -> str:
    interpreter = facts.interpreter
    distributions = sorted(
        (d.name, d.version, d.location, d.metadata_path, d.top_level, d.record_modules, d.record, d.editable, d.requires_dist)
        for d in facts.active_distributions().values()
    )
    modules = sorted(
        (name, m.found, m.origin, m.namespace, m.locations) for name, m in (facts.modules or {}).items()
    )
    material = repr(
        (
            RESULT_VERSION, scanner_fingerprint(), sys.version_info[:2],
            interpreter.version_info, interpreter.platform, interpreter.cwd, facts.markers,
            interpreter.extension_suffixes, interpreter.builtin_modules,
            [(e.path, e.origin, e.kind) for e in facts.sys_path or ()],
            distributions, modules, tuple(items), include_stack,
            facts.import_system.stubbed_modules if facts.import_system else (),
        )
    )
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _path(cache_dir: Optional[Path], key: str) -> Optional[Path]:
    return None if cache_dir is None else cache_dir / "results" / f"{key}.marshal"


def load(cache_dir: Optional[Path], key: str) -> Optional[ImportScan]:
    path = _path(cache_dir, key)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            data = marshal.load(handle)
        if data["version"] != RESULT_VERSION or not _unchanged(data["folders"], data["files"]):
            return None
        return ImportScan(
            # Nothing was parsed for this run: every file came from the cache.
            scanned=tuple(ScannedCode(**{**dict(zip(_SCANNED_FIELDS, row)), "parsed": 0}) for row in data["scanned"]),
            problems=tuple(ImportProblem(*row) for row in data["problems"]),
            imports=data["imports"],
        )
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None  # missing, unreadable or from another envdoctor: scan again


def _unchanged(folders: Dict[str, int], files: Dict[str, Tuple[int, int]]) -> bool:
    stat = os.stat
    for folder, mtime in folders.items():
        try:
            if stat(folder).st_mtime_ns != mtime:
                return False
        except OSError:
            if mtime != -1:
                return False
    for file, (size, mtime) in files.items():
        try:
            info = stat(file)
        except OSError:
            return False
        if info.st_mtime_ns != mtime or info.st_size != size:
            return False
    return True


def save(cache_dir: Optional[Path], key: str, scan: ImportScan, folders: Dict[str, int], files: Dict[str, Tuple[int, int]]) -> None:
    path = _path(cache_dir, key)
    if path is None:
        return
    data = {
        "version": RESULT_VERSION,
        "folders": folders,
        "files": files,
        "scanned": [tuple(getattr(s, f) for f in _SCANNED_FIELDS) for s in scan.scanned],
        "problems": [tuple(getattr(p, f) for f in _PROBLEM_FIELDS) for p in scan.problems],
        "imports": scan.imports,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            marshal.dump(data, handle)
        os.replace(temporary, path)
    except (OSError, ValueError):
        return  # a cache that cannot be written only costs the next run time
