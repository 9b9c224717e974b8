"""Summaries of source files, cached per file and parsed in parallel when many are new.

A file's summary is reused while its (size, mtime) is unchanged.  The cache is one
`marshal` file per root folder (a site-packages directory, a source folder, the standard
library) under the user cache directory, so a warm run reads a handful of files and
parses nothing.  The host interpreter's version is part of the key: `ast` of another
Python version may parse a file differently.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from envdoctor.scan.summary import scanner_fingerprint, summarize_source
from envdoctor.vocabulary.cache_files import cache_folder, read_marshal, write_marshal

# Below this many new files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 150


def default_cache_dir() -> Path:
    return Path(cache_folder("scan"))


def summarize_file(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError as exc:
        summary = summarize_source(b"")
        summary["error"] = f"unreadable: {exc.strerror or exc}"
        return summary
    return summarize_source(source)


def _summarize_chunk(paths: Sequence[str]) -> List[dict]:
    # ast.parse allocates millions of objects that die young; the cyclic collector would
    # walk them again and again for nothing (about 20% of the parse time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return [summarize_file(path) for path in paths]
    finally:
        if was_enabled:
            gc.enable()


class SummaryStore:
    """Summaries by absolute path, with the per-root cache files loaded on first use."""

    def __init__(self, cache_dir: Optional[Path] = None, workers: Optional[int] = None):
        self.cache_dir = cache_dir
        self.workers = workers or os.cpu_count() or 1
        self._buckets: Dict[str, Dict[str, tuple]] = {}  # root -> relpath -> (size, mtime_ns, summary)
        self._dirty: set = set()
        self.parsed = 0  # files parsed in this run (not from the cache)
        self.cached = 0
        self.touched: Dict[str, Tuple[int, int]] = {}  # every file served: path -> (size, mtime_ns)
        self._fingerprint: Optional[str] = None

    # -- reading ---------------------------------------------------------------------
    def get(self, root: str, path: str) -> Optional[dict]:
        """One file's summary (parsed now if not cached); None if the file is gone."""
        return self.prefetch(root, [path]).get(path)

    def prefetch(self, root: str, paths: Iterable[str]) -> Dict[str, dict]:
        """Summaries of many files under one root; the new ones are parsed in parallel."""
        bucket = self._bucket(root)
        found: Dict[str, dict] = {}
        stale: List[Tuple[str, str, int, int]] = []
        prefix = os.path.join(root, "")
        for path in paths:
            relative = path[len(prefix) :] if path.startswith(prefix) else path
            try:
                stat = os.stat(path)
            except OSError:
                continue  # gone: nothing to summarise (INT001 reports files missing from a RECORD)
            size, mtime = stat.st_size, stat.st_mtime_ns
            self.touched[path] = (size, mtime)
            entry = bucket.get(relative)
            if entry is not None and entry[0] == size and entry[1] == mtime:
                found[path] = entry[2]
                self.cached += 1
            else:
                stale.append((path, relative, size, mtime))
        if stale:
            summaries = self._summarize([item[0] for item in stale])
            for (path, relative, size, mtime), summary in zip(stale, summaries):
                bucket[relative] = (size, mtime, summary)
                found[path] = summary
            self.parsed += len(stale)
            self._dirty.add(root)
        return found

    def _summarize(self, paths: List[str]) -> List[dict]:
        if len(paths) < PARALLEL_THRESHOLD or self.workers < 2:
            return _summarize_chunk(paths)
        # Big files first, dealt round-robin, so no worker is left with the slowest tail.
        order = sorted(range(len(paths)), key=lambda i: -_size(paths[i]))
        chunk_count = self.workers * 8
        chunks = [order[start::chunk_count] for start in range(chunk_count)]
        from concurrent.futures import ProcessPoolExecutor  # only now: its import costs ~20 ms

        results: List[Optional[dict]] = [None] * len(paths)
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=_fork_context()) as pool:
            for chunk, summaries in zip(chunks, pool.map(_summarize_chunk, [[paths[i] for i in c] for c in chunks])):
                for index, summary in zip(chunk, summaries):
                    results[index] = summary
        return results  # type: ignore[return-value]

    # -- the cache files ----------------------------------------------------------------
    def _cache_file(self, root: str) -> Optional[Path]:
        if self.cache_dir is None:
            return None
        if self._fingerprint is None:
            self._fingerprint = scanner_fingerprint()
        key = f"{self._fingerprint}|{sys.version_info[0]}.{sys.version_info[1]}|{os.path.realpath(root)}"
        return self.cache_dir / (hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".marshal")

    def _bucket(self, root: str) -> Dict[str, tuple]:
        bucket = self._buckets.get(root)
        if bucket is None:
            bucket = self._buckets[root] = self._load(root)
        return bucket

    def _load(self, root: str) -> Dict[str, tuple]:
        return read_entries(self._cache_file(root), root)

    def save(self) -> None:
        """Write the roots that gained summaries; a cache that cannot be written is skipped."""
        for root in sorted(self._dirty):
            write_entries(self._cache_file(root), root, self._buckets[root])
        self._dirty.clear()


def read_entries(path: Optional[Path], root: str) -> dict:
    """A cache file's entries for `root` (the file names the folder it describes); {} when there
    is none or it cannot be read: the caller computes again, never fails a check over a cache."""
    data = read_marshal(str(path)) if path is not None else None
    if not isinstance(data, dict) or data.get("root") != root or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def write_entries(path: Optional[Path], root: str, entries: dict) -> None:
    """Write a cache file whole; one that cannot be written is skipped."""
    if path is not None:
        write_marshal(str(path), {"root": root, "entries": entries})


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _fork_context():
    """fork where it exists (Linux: workers start in milliseconds); the platform default elsewhere."""
    import multiprocessing

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return None
