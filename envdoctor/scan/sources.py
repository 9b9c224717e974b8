"""What code to scan, and the module name of every file in it.

By default the stack distributions that are installed (sglang, vllm, flashinfer, ..., and
every package that joined the stack through its requirements: scan.default_scope);
`--scan NAME` adds a distribution, `--scan PATH` a source folder.  A distribution's
files come from its RECORD (exactly what pip installed); an editable install, or one
without RECORD, is read from where its top-level modules resolve.
"""

from __future__ import annotations

import csv
import os
from typing import FrozenSet, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

from envdoctor.errors import UsageError
from envdoctor.model.facts import Distribution, Facts, canonicalize
from envdoctor.scan.default_scope import default_scope
from envdoctor.scan.modules import StaticFinder, folder_mtime

# Folders never descended into when a source folder is scanned.
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "site-packages", "build", "dist"}


class SourceFile(NamedTuple):
    path: str
    module: str
    is_package: bool


class ScanUnit(NamedTuple):
    label: str
    root: str
    files: Tuple[SourceFile, ...]
    distribution: Optional[Distribution] = None
    # (path, mtime_ns) of what the file list was read from: the RECORD, the folders walked.
    inputs: Tuple[Tuple[str, int], ...] = ()
    # Top-level packages the distribution ships inside a folder no import can name
    # (tilelang/3rdparty/tvm/python/tvm): its code puts that folder on sys.path to import them.
    vendored_tops: FrozenSet[str] = frozenset()


class Requested(NamedTuple):
    """What a scan covers: source folders (as units already: they need no finder) and the
    installed distributions, which are turned into units once the finder exists."""

    folders: Tuple[ScanUnit, ...]
    distributions: Tuple[Distribution, ...]


def requested(facts: Facts, items: Sequence[str], include_stack: bool) -> Requested:
    """--scan items (folders first, then distribution names) and the installed stack packages."""
    active = facts.active_distributions()
    folders: List[ScanUnit] = []
    keys = list(default_scope(facts)) if include_stack else []
    for item in items:
        folder = _as_folder(item, facts)
        if folder is not None:
            if all(unit.label != folder for unit in folders):
                folders.append(folder_unit(folder))
            continue
        key = _distribution_key(item, active)
        if key is None:
            raise UsageError(f"--scan {item}: neither a folder nor a distribution installed in the target")
        keys.append(key)
    return Requested(tuple(folders), tuple(active[key] for key in dict.fromkeys(keys)))


def _distribution_key(item: str, active) -> Optional[str]:
    """The installed distribution `--scan ITEM` names: by its own name (`scikit-learn`), else
    by a top-level module it provides (`sklearn`, `yaml`), as a user who imports it knows it."""
    key = canonicalize(item)
    if key in active:
        return key
    for name, dist in active.items():
        if item in dist.top_level or item in dist.record_modules:
            return name
    return None


def _as_folder(item: str, facts: Facts) -> Optional[str]:
    cwd = facts.interpreter.cwd if facts.interpreter else os.getcwd()
    looks_like_path = os.sep in item or item.startswith(".") or bool(os.altsep and os.altsep in item)
    candidate = os.path.abspath(os.path.join(cwd, os.path.expanduser(item)))
    if os.path.isdir(candidate) and (looks_like_path or _distribution_key(item, facts.active_distributions()) is None):
        return candidate
    if looks_like_path:
        raise UsageError(f"--scan {item}: no such folder")
    return None


def folder_unit(folder: str) -> ScanUnit:
    """A source folder: module names count from the first parent that is not a package."""
    root = folder
    while os.path.isfile(os.path.join(root, "__init__.py")) and os.path.dirname(root) != root:
        root = os.path.dirname(root)
    walked: List[Tuple[str, int]] = []
    files = tuple(_folder_files(folder, root, walked))
    return ScanUnit(label=folder, root=root, files=files, inputs=tuple(walked))


def _folder_files(folder: str, root: str, walked: List[Tuple[str, int]]) -> Iterator[SourceFile]:
    for directory, subdirs, names in os.walk(folder):
        walked.append((directory, folder_mtime(directory)))
        subdirs[:] = sorted(
            d for d in subdirs
            if not d.startswith(".") and d not in _SKIPPED_FOLDERS and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))
        )
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield _source_file(path, root)


def _source_file(path: str, root: str) -> SourceFile:
    prefix = os.path.join(root, "")
    relative = (path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, root))[:-3]
    parts = relative.split(os.sep)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return SourceFile(path, ".".join(parts), is_package)


def distribution_unit(dist: Distribution, finder: StaticFinder) -> ScanUnit:
    vendored: Set[str] = set()
    files = None if dist.editable else _recorded_files(dist, vendored)
    root = dist.location
    inputs: Tuple[Tuple[str, int], ...] = ()
    if files is not None:
        record = os.path.join(dist.metadata_path, dist.record or "")
        inputs = ((record, folder_mtime(record)),)
    else:
        files = list(_resolved_files(dist, finder))
        # An editable install's code lives in its source tree: that is its cache bucket.
        found = [finder.find(top) for top in dist.top_level or dist.record_modules]
        root = next((info.root for info in found if info is not None and info.root), root)
    return ScanUnit(label=dist.display, root=root, files=tuple(files), distribution=dist, inputs=inputs,
                    vendored_tops=frozenset(vendored))


def _recorded_files(dist: Distribution, vendored: Set[str]) -> Optional[List[SourceFile]]:
    """The .py files RECORD lists inside the install location (scripts in bin/ are not modules);
    the top-level packages of trees vendored under unimportable folders go into `vendored`."""
    if dist.record == "RECORD":
        listing, base = os.path.join(dist.metadata_path, "RECORD"), dist.location
    elif dist.record == "installed-files.txt":
        listing, base = os.path.join(dist.metadata_path, "installed-files.txt"), dist.metadata_path
    else:
        return None
    try:
        with open(listing, "r", encoding="utf-8", errors="replace", newline="") as handle:
            rows = [row[0] for row in csv.reader(handle) if row] if dist.record == "RECORD" else handle.read().splitlines()
    except OSError:
        return None
    location = os.path.normpath(dist.location)
    files = []
    for row in rows:
        if not row.endswith(".py"):
            continue
        path = os.path.join(base, row)
        if ".." in row:
            path = os.path.normpath(path)
        if not path.startswith(location + os.sep):
            continue  # outside site-packages: scripts in bin/ are not modules
        source = _source_file(path, location)
        parts = source.module.split(".")
        if not all(part.isidentifier() for part in parts):
            # No import statement names tilelang/3rdparty/tvm/python/tvm/ir/type.py: such a tree
            # runs only after the package puts it on sys.path, under another module name, so
            # its relative imports would resolve against a name that does not exist.
            if source.is_package and parts[-1].isidentifier() and not os.path.isfile(
                    os.path.join(os.path.dirname(os.path.dirname(path)), "__init__.py")):
                vendored.add(parts[-1])  # a package whose parent folder is not one: a sys.path root's
            continue
        files.append(source)
    return files


def _resolved_files(dist: Distribution, finder: StaticFinder) -> Iterator[SourceFile]:
    for top in dist.top_level or dist.record_modules:
        info = finder.find(top)
        if info is None:
            continue
        if info.kind == "module" and info.path:
            yield SourceFile(info.path, top, False)
        elif info.kind in ("package", "namespace"):
            for name, path, is_package in finder.submodules(info):
                yield SourceFile(path, name, is_package)
