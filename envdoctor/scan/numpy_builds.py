"""Which NumPy C-API each installed extension module was compiled against, read from its bytes.

A module that uses NumPy's C-API calls `import_array()`, which NumPy's header
`__multiarray_api.h` compiles into the module itself, with the name of the module it imports at
run time as a C string:

- NumPy 1.x headers import `numpy.core._multiarray_umath` (NumPy 1.16 to 1.26). Under NumPy 2
  that name is a stand-in whose `_ARRAY_API` raises: "A module that was compiled using NumPy 1.x
  cannot be run in NumPy 2", then `ImportError: numpy.core.multiarray failed to import`.
- NumPy 2 headers import `numpy._core._multiarray_umath`, falling back to the NumPy 1 name, and
  check at run time that the running NumPy has at least the C-API the module targets; that target
  is in their error message as "(NumPy 1.23)" (NPY_FEATURE_VERSION_STRING).

So the bytes say it without importing anything. Only distributions that declare a dependency on
numpy are read, and of them only extension modules (not the shared libraries that auditwheel
vendors under `<name>.libs/`). Each file's verdict is cached by (path, size, mtime): a second
`check` stats the files and reads none.
"""

from __future__ import annotations

import json
import mmap
import os
import re
from typing import Dict, List, Optional, Tuple

from envdoctor.model.facts import Distribution, Facts
from envdoctor.model.numpy_facts import NumpyBuild
from envdoctor.vocabulary.cache_files import cache_folder
from envdoctor.vocabulary.requires_dist import parse_requirement
from envdoctor.vocabulary.stack import NUMPY

_MODULE = b"_multiarray_umath"
_NUMPY_2_PREFIX = b"numpy._core."
_NUMPY_1_PREFIX = b"numpy.core."
_TARGET = re.compile(rb"compiled against NumPy C-API version 0x%x \(NumPy (\d+\.\d+)\)")
_VENDORED_FOLDERS = (".libs/", ".libs\\", ".dylibs/")  # auditwheel's <name>.libs (delvewheel's on Windows), delocate's
_LISTED = 10  # extension modules named per distribution and kind; the counts are complete

# Bump when a verdict would change for the same bytes: older cache entries are then ignored.
_CACHE_FORMAT = 2


def read_extension(path: str) -> Tuple[str, Optional[str]]:
    """("1" | "2" | "", target): the NumPy headers `path` was compiled with ("" when it does not
    use NumPy's C-API), and for NumPy 2 headers the C-API version they target."""
    with open(path, "rb") as handle:
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file
            return "", None
    with data:
        numpy_1 = False
        at = data.find(_MODULE)
        while at >= 0:
            if data[max(0, at - len(_NUMPY_2_PREFIX)):at] == _NUMPY_2_PREFIX:
                target = _TARGET.search(data)
                return "2", target.group(1).decode("ascii") if target else None
            numpy_1 = numpy_1 or data[max(0, at - len(_NUMPY_1_PREFIX)):at] == _NUMPY_1_PREFIX
            at = data.find(_MODULE, at + 1)
        # The header then asks that module for its C-API table: without that name the string is
        # a Python-level mention (a Cython `import`), which NumPy 2 still serves.
        numpy_1 = numpy_1 and (data.find(b"_ARRAY_API") >= 0 or data.find(b"_UFUNC_API") >= 0)
    return ("1" if numpy_1 else ""), None


def numpy_builds(facts: Facts, cache_file: Optional[str] = None) -> Tuple[NumpyBuild, ...]:
    """One NumpyBuild per active installed distribution (the copy import loads) that depends on
    numpy and has extension modules using its C-API; empty when there is none (checked, nothing found)."""
    suffixes = tuple((facts.interpreter.extension_suffixes if facts.interpreter else ()) or (".so", ".pyd"))
    cache = _VerdictCache(cache_file if cache_file is not None else _default_cache_file())
    builds = []
    # Only the copy import loads (the first on sys.path): a shadowed copy's bytes never run.
    for dist in facts.active_distributions().values() if facts.distributions else ():
        if dist.location and dist.compiled_files and _depends_on_numpy(dist):
            build = _build_of(dist, suffixes, cache)
            if build is not None:
                builds.append(build)
    cache.save()
    return tuple(builds)


def _default_cache_file() -> str:
    """Beside the import scanner's caches (vocabulary/cache_files.py, not scan/cache.py, whose
    module pulls in the scanner, ~70 ms, for a path)."""
    return os.path.join(cache_folder("scan"), "numpy-builds.json")


def _depends_on_numpy(dist: Distribution) -> bool:
    if dist.canonical_name == NUMPY:
        return False  # its own extensions are the C-API, not users of it
    for text in dist.requires_dist:
        if text[:5].lower() == NUMPY:  # cheap first: most requirements are about something else
            parsed = parse_requirement(text)
            if parsed is not None and parsed.key == NUMPY:
                return True
    return False


def _extension_modules(dist: Distribution, suffixes: Tuple[str, ...]) -> List[str]:
    """Its compiled files that the import system loads as modules: not the shared libraries that
    auditwheel and delocate vendor beside the package (`scipy.libs/libopenblas...so`)."""
    # Substring tests, not a split per path: a scientific stack lists ~250 extension modules.
    return [path for path in dist.compiled_files
            if path.endswith(suffixes) and not any(folder in path for folder in _VENDORED_FOLDERS)]


def _build_of(dist: Distribution, suffixes: Tuple[str, ...], cache: "_VerdictCache") -> Optional[NumpyBuild]:
    found: Dict[str, List[str]] = {"1": [], "2": []}
    targets, unreadable = [], []
    for relative in _extension_modules(dist, suffixes):
        try:
            kind, target = cache.verdict(dist.location + os.sep + relative)
        except OSError:
            unreadable.append(relative)
            continue
        if kind:
            found[kind].append(relative)
        if target:
            targets.append(target)
    if not found["1"] and not found["2"] and not unreadable:
        return None
    newest = max(targets, key=lambda text: tuple(int(part) for part in text.split("."))) if targets else None
    return NumpyBuild(distribution=dist.name, metadata_path=dist.metadata_path,
                      numpy_1=tuple(found["1"][:_LISTED]), numpy_1_count=len(found["1"]),
                      numpy_2=tuple(found["2"][:_LISTED]), numpy_2_count=len(found["2"]),
                      numpy_2_target=newest, unreadable=tuple(unreadable[:_LISTED]))


class _VerdictCache:
    """read_extension() answers by (path, size, mtime), in one JSON file; a cache that cannot be
    read or written is skipped, never a failed check."""

    def __init__(self, path: str):
        self.path = path
        self.entries: Optional[dict] = None  # loaded at the first question: most targets ask none
        self.dirty = False

    def verdict(self, path: str) -> Tuple[str, Optional[str]]:
        status = os.stat(path)
        key = [status.st_size, status.st_mtime_ns]
        if self.entries is None:
            self.entries = self._load()
        entry = self.entries.get(path)
        if entry and entry[:2] == key:
            return entry[2], entry[3]
        kind, target = read_extension(path)
        self.entries[path] = key + [kind, target]
        self.dirty = True
        return kind, target

    def _load(self) -> dict:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != _CACHE_FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]

    def save(self) -> None:
        if not self.dirty or self.entries is None:
            return
        # Only when something was read: forget files that are gone (removed venvs), so the cache
        # holds what exists rather than everything ever checked.
        self.entries = {path: entry for path, entry in self.entries.items() if os.path.exists(path)}
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump({"format": _CACHE_FORMAT, "files": self.entries}, handle)
            os.replace(temporary, self.path)
        except OSError:
            return
