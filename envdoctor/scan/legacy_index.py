"""The installed source index: every installed distribution's Python files, summarised once.

Two cache files per install folder (a site-packages directory), next to the import scan's:

  per file          each file's legacy summary (scan/legacy_uses.py) under its (size, mtime):
                    read only when some file of a distribution changed, to summarise just those
  per content       (one table for all folders) each summary under a hash of the file's bytes:
                    a file met again in another environment is hashed, not parsed
  per distribution  its file list (kept while its RECORD's size and mtime are unchanged), a
                    stamp of every file's (path, size, mtime), the summaries that hold
                    anything, and values derived from them (its eager modules); and a stamp
                    of the folders that hold its files, with the (size, mtime) of the files
                    whose summaries hold anything

A warm run of a distribution installed from a RECORD stats its RECORD and its folders, not its
files (`proven`): a file added, deleted or replaced (pip, uv, envdoctor's own fixes and most
editors write a new file and rename it) changes its folder's mtime, and then every file is
stat'ed as before.  A file edited in place changes only its own mtime: that is seen for the
files whose summaries hold anything (they are stat'ed on every run, so an edit that removes a
use is never missed), not for the others until their folder or RECORD changes
(docs/explanation/probe-cache.md).  An editable install's files are always stat'ed: they are
edited in place all the time.  A cold run reads every file once and parses only those the
byte-level prefilter lets through.  Nothing is imported.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from envdoctor.scan.cache import read_entries, write_entries
from envdoctor.scan.legacy_uses import LEGACY_SUMMARY_VERSION, summarize_legacy
from envdoctor.scan.sources import SourceFile
from envdoctor.scan.summary import scanner_fingerprint

# The cache kind keyed by a hash of a file's bytes (shared by every install folder).
CONTENT = "content"
# The layout of the per-distribution entries: part of the cache files' key.
ENTRY_FORMAT = 2
# A folder changed this close to the scan's start is not vouched for by its stamp: a change
# made during the scan, or within one tick of a coarse clock, could leave the same mtime.
MARGIN_NS = 2 * 10 ** 9


class LegacyIndex:
    def __init__(self, cache_dir: Optional[Path]):
        self.cache_dir = cache_dir
        self._caches: Dict[Tuple[str, str], dict] = {}  # (kind, root) -> loaded cache
        self._dirty: set = set()
        self._fingerprint: Optional[str] = None
        self.files = 0
        self.parsed = 0  # read in this run, not served from the cache
        self.started_ns = time.time_ns()
        self._folder_lines: Dict[str, Optional[str]] = {}  # folder -> its stamp line, in this run

    def files_of(self, root: str, key: str, record_stamp: str, listed: Callable[[], List[SourceFile]]) -> List[SourceFile]:
        """A distribution's files, listed again only when its RECORD changed."""
        entry = self._entry(root, key)
        prefix = os.path.join(root, "")
        if entry.get("record") != record_stamp or "files" not in entry:
            rows = [(f.path[len(prefix):], f.module, f.is_package) for f in listed() if f.path.startswith(prefix)]
            entry.clear()
            entry.update(record=record_stamp, files="\n".join(f"{r}\t{m}\t{int(p)}" for r, m, p in rows))
            self._dirty.add(("dists", root))
        files = []
        for row in entry["files"].split("\n") if entry["files"] else ():
            relative, module, package = row.split("\t")
            files.append(SourceFile(prefix + relative, module, package == "1"))
        return files

    def summaries(self, root: str, key: str, files: List[SourceFile]) -> List[Tuple[SourceFile, dict]]:
        """(file, summary) for each file that holds anything of interest; files are summarised
        again only when the stamp of every file's (path, size, mtime) moved."""
        prefix = os.path.join(root, "")
        stamp = hashlib.sha256()
        present: Dict[str, Tuple[SourceFile, int, int]] = {}
        for source in files:
            try:
                stat = os.stat(source.path)
            except OSError:
                continue  # gone: INT001 reports files missing from a RECORD
            relative = source.path[len(prefix):] if source.path.startswith(prefix) else source.path
            present[relative] = (source, stat.st_size, stat.st_mtime_ns)
            stamp.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        self.files += len(present)
        digest = stamp.hexdigest()
        entry = self._entry(root, key)
        if entry.get("stamp") != digest:
            entry.update(stamp=digest, found=self._summarised(root, present), derived={})
            self._dirty.add(("dists", root))
        if self._remember_folders(root, entry, present):
            self._dirty.add(("dists", root))
        return [(present[relative][0], summary) for relative, summary in entry["found"] if relative in present]

    def proven(self, root: str, key: str, record_stamp: str,
               files: Callable[[], List[SourceFile]]) -> Optional[List[Tuple[SourceFile, dict]]]:
        """What `summaries` would answer, when the RECORD and the stamp of every folder that holds
        the distribution's files are unchanged and so is each file whose summary holds anything;
        None otherwise (then `summaries` stats every file)."""
        entry = self._entry(root, key)
        if entry.get("record") != record_stamp or not entry.get("folder_stamp") or "found" not in entry:
            return None
        if self._folder_stamp(root, entry["folders"]) != entry["folder_stamp"]:
            return None
        prefix = os.path.join(root, "")
        for relative, size, mtime in entry["found_stats"]:
            try:
                stat = os.stat(prefix + relative)
            except OSError:
                return None
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                return None
        self.files += entry["count"]
        if not entry["found"]:
            return []
        by_relative = {source.path[len(prefix):]: source for source in files() if source.path.startswith(prefix)}
        return [(by_relative[relative], summary) for relative, summary in entry["found"] if relative in by_relative]

    def _folder_stamp(self, root: str, folders: List[str]) -> Optional[str]:
        """A digest of the folders' stamps; None when one changed within MARGIN_NS of the scan's start."""
        lines = []
        for folder in folders:
            path = os.path.join(root, folder)
            if path not in self._folder_lines:
                self._folder_lines[path] = _folder_line(path, self.started_ns - MARGIN_NS)
            line = self._folder_lines[path]
            if line is None:
                return None
            lines.append(line)
        return hashlib.blake2b("\n".join(lines).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()

    def _remember_folders(self, root: str, entry: dict, present: Dict[str, Tuple[SourceFile, int, int]]) -> bool:
        """Keep what `proven` needs: the folders of the files, their stamp, the files that hold
        anything.  True when that changed."""
        folders = sorted({os.path.dirname(relative) for relative in present})
        known = dict(folders=folders, folder_stamp=self._folder_stamp(root, folders), count=len(present),
                     found_stats=[(relative, present[relative][1], present[relative][2])
                                  for relative, _ in entry["found"] if relative in present])
        if all(entry.get(name) == value for name, value in known.items()):
            return False
        entry.update(known)
        return True

    def derived(self, root: str, key: str, name: str, compute: Callable[[], Any]) -> Any:
        """A value computed from a distribution's files, kept until one of them changes."""
        derived = self._entry(root, key).setdefault("derived", {})
        if name not in derived:
            derived[name] = compute()
            self._dirty.add(("dists", root))
        return derived[name]

    def _summarised(self, root: str, present: Dict[str, Tuple[SourceFile, int, int]]) -> List[Tuple[str, dict]]:
        table = self._cache("files", root)
        found = []
        for relative, (source, size, mtime) in present.items():
            entry = table.get(relative)
            if entry is None or entry[0] != size or entry[1] != mtime:
                entry = table[relative] = (size, mtime, self._summary_of(source.path))
                self.parsed += 1
                self._dirty.add(("files", root))
            if entry[2] is not None:
                found.append((relative, entry[2]))
        return found

    def _summary_of(self, path: str) -> Optional[dict]:
        """The summary of the file's content: looked up by a hash of its bytes first, so that the
        same file in another environment (every venv's pip and setuptools, the same wheel in
        two venvs, a test suite's hundred venvs) is read and hashed but not parsed again.  The
        key is the content itself, so an edited file can never get another file's summary."""
        try:
            with open(path, "rb") as handle:
                source = handle.read()
        except OSError:
            return None
        digest = hashlib.blake2b(source, digest_size=16).digest()
        table = self._cache(CONTENT, "")
        if digest in table:
            return table[digest]
        summary = _summary_from(source)
        table[digest] = summary
        self._dirty.add((CONTENT, ""))
        return summary

    def _entry(self, root: str, key: str) -> dict:
        return self._cache("dists", root).setdefault(key, {})

    # -- the cache files ----------------------------------------------------------------
    def _cache(self, kind: str, root: str) -> dict:
        loaded = self._caches.get((kind, root))
        if loaded is None:
            loaded = self._caches[(kind, root)] = self._load(kind, root)
        return loaded

    def _load(self, kind: str, root: str) -> dict:
        return read_entries(self._cache_file(kind, root), root)

    def save(self) -> None:
        """Write the caches that changed; a cache that cannot be written is skipped."""
        for kind, root in sorted(self._dirty):
            write_entries(self._cache_file(kind, root), root, self._caches[(kind, root)])
        self._dirty.clear()

    def _cache_file(self, kind: str, root: str) -> Optional[Path]:
        if self.cache_dir is None:
            return None
        if self._fingerprint is None:
            # The scanner's own files are in the fingerprint: an edited scanner never reuses old summaries.
            self._fingerprint = f"legacy {LEGACY_SUMMARY_VERSION}.{ENTRY_FORMAT}|{scanner_fingerprint()}"
        folder = "" if kind == CONTENT else os.path.realpath(root)  # one content table for every folder
        key = f"{self._fingerprint}|{sys.version_info[0]}.{sys.version_info[1]}|{folder}"
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return self.cache_dir / f"legacy-{kind}-{digest}.marshal"


def _summary_from(source: bytes) -> Optional[dict]:
    """The file's summary; None when it holds nothing of interest (most files: a small cache)."""
    summary = summarize_legacy(source)
    if summary["imports"] or summary["attributes"] or summary["classes"] or summary["insertions"]:
        return summary
    return None


def _folder_line(path: str, newest_ns: int) -> Optional[str]:
    """One folder's stamp (mtime, ctime, inode, device, mode); "-" when it is gone; None when it
    changed after `newest_ns`: too recent to vouch for anything."""
    try:
        stat = os.stat(path)
    except OSError:
        return "-"
    if max(stat.st_mtime_ns, stat.st_ctime_ns) >= newest_ns:
        return None
    return f"{stat.st_mtime_ns} {stat.st_ctime_ns} {stat.st_ino} {stat.st_dev} {stat.st_mode}"
