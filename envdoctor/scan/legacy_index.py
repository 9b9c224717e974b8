"""The installed source index: every installed distribution's Python files, summarised once.

Each file's legacy summary (scan/legacy_uses.py) is cached under its (size, mtime), in one
`marshal` file per install folder (a site-packages directory, an editable project's source),
next to the import scan's caches.  A warm run stats each file and parses nothing; a cold run
reads every file once and parses only those the byte-level prefilter lets through.  The
file lists come from each distribution's RECORD (scan/sources.py), so nothing is imported.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from envdoctor.scan.legacy_uses import LEGACY_SUMMARY_VERSION, summarize_legacy
from envdoctor.scan.sources import SourceFile
from envdoctor.scan.summary import scanner_fingerprint


class LegacyIndex:
    """Legacy summaries by file, with the per-folder cache files loaded on first use."""

    def __init__(self, cache_dir: Optional[Path]):
        self.cache_dir = cache_dir
        self._buckets: Dict[str, Dict[str, tuple]] = {}  # root -> relative path -> (size, mtime_ns, summary)
        self._dirty: set = set()
        self._fingerprint: Optional[str] = None
        self.files = 0
        self.parsed = 0  # read in this run, not served from the cache

    def summaries(self, root: str, files: List[SourceFile]) -> Tuple[List[Tuple[SourceFile, dict]], str]:
        """(file, summary) for each file that exists and holds anything of interest, and a
        stamp of every file's (path, size, mtime): what a result derived from them keys on."""
        bucket = self._bucket(root)
        prefix = os.path.join(root, "")
        found = []
        stamp = hashlib.sha256()
        for source in files:
            relative = source.path[len(prefix):] if source.path.startswith(prefix) else source.path
            try:
                stat = os.stat(source.path)
            except OSError:
                continue  # gone: INT001 reports files missing from a RECORD
            self.files += 1
            stamp.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode("utf-8", "surrogateescape"))
            entry = bucket.get(relative)
            if entry is None or entry[0] != stat.st_size or entry[1] != stat.st_mtime_ns:
                entry = bucket[relative] = (stat.st_size, stat.st_mtime_ns, _summarize(source.path))
                self.parsed += 1
                self._dirty.add(root)
            if entry[2] is not None:
                found.append((source, entry[2]))
        return found, stamp.hexdigest()

    def derived(self, root: str, key: str, stamp: str, compute: Callable[[], Any]) -> Any:
        """A value computed from a distribution's files (its eager modules), kept in the same
        cache file while their stamp is unchanged."""
        bucket = self._bucket(root)
        entry = bucket.get(_DERIVED + key)
        if entry is not None and entry[0] == stamp:
            return entry[1]
        value = compute()
        bucket[_DERIVED + key] = (stamp, value)
        self._dirty.add(root)
        return value

    def save(self) -> None:
        """Write the folders that gained summaries; a cache that cannot be written is skipped."""
        for root in sorted(self._dirty):
            path = self._cache_file(root)
            if path is None:
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                with open(temporary, "wb") as handle:
                    marshal.dump({"root": root, "entries": self._buckets[root]}, handle)
                os.replace(temporary, path)
            except OSError:
                continue
        self._dirty.clear()

    def _bucket(self, root: str) -> Dict[str, tuple]:
        bucket = self._buckets.get(root)
        if bucket is None:
            bucket = self._buckets[root] = self._load(root)
        return bucket

    def _load(self, root: str) -> Dict[str, tuple]:
        path = self._cache_file(root)
        if path is None:
            return {}
        try:
            with open(path, "rb") as handle:
                data = marshal.load(handle)
        except (OSError, EOFError, ValueError, TypeError):
            return {}  # missing or unreadable: summarise again, never fail a check over a cache
        if not isinstance(data, dict) or data.get("root") != root or not isinstance(data.get("entries"), dict):
            return {}
        return data["entries"]

    def _cache_file(self, root: str) -> Optional[Path]:
        if self.cache_dir is None:
            return None
        if self._fingerprint is None:
            # The scanner's own files are in the fingerprint: an edited scanner never reuses old summaries.
            self._fingerprint = f"legacy {LEGACY_SUMMARY_VERSION}|{scanner_fingerprint()}"
        key = f"{self._fingerprint}|{sys.version_info[0]}.{sys.version_info[1]}|{os.path.realpath(root)}"
        return self.cache_dir / ("legacy-" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".marshal")


# Keys of derived values in a cache bucket; no relative file path starts with a NUL.
_DERIVED = "\0derived:"


def _summarize(path: str) -> Optional[dict]:
    """The file's summary; None when it holds nothing of interest (most files: a small cache)."""
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError:
        return None
    summary = summarize_legacy(source)
    if summary["imports"] or summary["attributes"] or summary["classes"] or summary["insertions"]:
        return summary
    return None
