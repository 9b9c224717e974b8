"""Entry points of a group, as importlib.metadata finds them, with the distribution that provides each.

`entry_points(group)` answers what `importlib.metadata.entry_points(group=group)` answers
(the `importlib-metadata` backport on Python 3.9, whose standard library lacks `group=`
and `EntryPoint.dist`).  Importing importlib.metadata pulls in email, zipfile and csv:
36-58 ms of every envdoctor start against 1.3-1.9 ms for reading the `entry_points.txt`
files directly (15 runs each, CPython 3.11, after the modules a check run imports anyway;
docs/performance.md).  So, where the answer cannot differ, this module reads the files
itself: every search-path entry is a plain folder and the only distribution finder on
sys.meta_path is CPython's PathFinder.  Anything else (zip or egg files on the path, a
finder that provides distributions of its own) goes to the library.
tests/unit/test_entry_points.py holds both ways to identical answers.
"""

from __future__ import annotations

import importlib
import os
import sys
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from envdoctor.model.record import Record, record


@record
class EntryPoint(Record):
    name: str
    value: str  # "package.module" or "package.module:attribute"
    group: str
    provider: str  # "distribution version"

    @property
    def module(self) -> str:
        """The module the entry point names (without importing it)."""
        return self.value.partition(":")[0].strip()

    def load(self):
        attribute = self.value.partition(":")[2]
        loaded = importlib.import_module(self.module)
        for part in filter(None, attribute.strip().split(".")):
            loaded = getattr(loaded, part)
        return loaded


def entry_points(group: str) -> List[EntryPoint]:
    """The group's entry points on sys.path, the first distribution of a name winning."""
    folders = list(sys.path)
    if _plain(folders):
        return _read_files(group, folders)
    return _from_library(group)


def _plain(folders: List[str]) -> bool:
    """Whether reading the metadata folders directly gives importlib.metadata's answer."""
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return False  # a finder that provides distributions of its own
    # A zip or wheel file on the path, or an .egg folder (its metadata is in EGG-INFO/), is the library's.
    return all(not entry or (os.path.isdir(entry) and not entry.endswith(".egg")) or not os.path.exists(entry) for entry in folders)


def _from_library(group: str) -> List[EntryPoint]:
    if sys.version_info >= (3, 10):
        import importlib.metadata as metadata
    else:  # 3.9's importlib.metadata has neither entry_points(group=) nor EntryPoint.dist
        import importlib_metadata as metadata

    return [EntryPoint(ep.name, ep.value, group, f"{ep.dist.metadata['Name']} {ep.dist.version}")
            for ep in metadata.entry_points(group=group)]


def _normalized(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _read_files(group: str, folders: List[str]) -> List[EntryPoint]:
    return list(_every_group(_folders_as_they_are(folders)).get(group, ()))


def _folders_as_they_are(folders: List[str]) -> Tuple[Tuple[str, int], ...]:
    """The search path with each folder's mtime: a distribution added or removed changes its
    folder's mtime, so the entry points read for an unchanged path can be reused."""
    key = []
    for entry in folders:
        try:
            key.append((entry, os.stat(entry or os.getcwd()).st_mtime_ns))
        except OSError:
            key.append((entry, -1))
    return tuple(key)


def forget() -> None:
    """Read the metadata folders again at the next lookup: a check whose report may be stored
    (replay/) notes every file it reads from its start, the plugins' metadata included."""
    _every_group.cache_clear()


# One `check` asks for checks, rule providers and reporters (twice): the metadata folders are
# read once per unchanged search path, for every group at the same time.
@lru_cache(maxsize=4)
def _every_group(folders: Tuple[Tuple[str, int], ...]) -> Dict[str, Tuple[EntryPoint, ...]]:
    found: Dict[str, List[EntryPoint]] = {}
    seen_distributions = set()
    for entry, _ in folders:
        directory = entry or os.getcwd()
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for folder in names:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            distribution = _normalized(folder.split("-", 1)[0])
            if distribution in seen_distributions:
                continue  # an earlier sys.path entry has this distribution
            seen_distributions.add(distribution)
            meta_dir = os.path.join(directory, folder)
            try:
                with open(os.path.join(meta_dir, "entry_points.txt"), encoding="utf-8") as handle:
                    sections = entry_point_sections(handle.read())
            except (OSError, UnicodeDecodeError):
                continue
            provider = _provider(meta_dir, folder) if sections else ""
            for group, points in sections.items():
                found.setdefault(group, []).extend(EntryPoint(name, value, group, provider) for name, value in points)
    return {group: tuple(points) for group, points in found.items()}


def entry_point_sections(text: str) -> dict:
    """entry_points.txt's sections: {group: [(name, value), ...]} (the INI subset the spec allows)."""
    sections: dict = {}
    current: Optional[list] = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is not None and "=" in line:
            name, _, value = line.partition("=")
            current.append((name.strip(), value.strip()))
    return sections


def _provider(meta_dir: str, folder: str) -> str:
    """'Name version' from the METADATA/PKG-INFO headers, else from the folder name."""
    for header_file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(meta_dir, header_file), encoding="utf-8", errors="replace") as handle:
                name = version = None
                for line in handle:
                    if not line.strip():
                        break
                    key, _, value = line.partition(":")
                    if key.lower() == "name":
                        name = value.strip()
                    elif key.lower() == "version":
                        version = value.strip()
                if name:
                    return f"{name} {version or '?'}"
        except OSError:
            continue
    return folder.rsplit(".", 1)[0].replace("-", " ", 1)
