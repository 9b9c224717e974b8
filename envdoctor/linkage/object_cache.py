"""ELF objects read once per file version: keyed by (path, size, mtime).

In one run a library many extensions need (libc10.so, libc.so.6) is read once.  Across runs
the read objects are kept in one `pickle` file under the user cache directory, so a warm
`check` reads no ELF file that has not changed.  The key includes envdoctor's version: a
changed reader never reuses what an older one read.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

from envdoctor import __version__
from envdoctor.linkage.elf_objects import ElfObject, NotElf, read_elf
from envdoctor.vocabulary.cache_files import cache_folder

_Key = Tuple[str, int, int]


def default_cache_dir() -> Path:
    """Where the linkage caches live (vocabulary/cache_files.py, as every cache's)."""
    return Path(cache_folder("linkage"))


class ObjectCache:
    """read(path) -> ElfObject, or NotElf; remembers both answers per file version."""

    def __init__(self, cache_file: Path):
        self._file = cache_file
        self._objects: Optional[Dict[_Key, Union[ElfObject, str]]] = None  # loaded on the first read
        self._used: Dict[_Key, Union[ElfObject, str]] = {}
        self._changed = False

    def _load(self) -> Dict[_Key, Union[ElfObject, str]]:
        try:
            with open(self._file, "rb") as handle:
                version, objects = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            return {}
        return objects if version == __version__ else {}

    def read(self, path: str) -> ElfObject:
        status = os.stat(path)
        key = (path, status.st_size, status.st_mtime_ns)
        if self._objects is None:
            self._objects = self._load()
        found = self._objects.get(key)
        if found is None:
            try:
                found = read_elf(path)
            except NotElf as exc:
                found = str(exc)
            self._objects[key] = found
            self._changed = True
        self._used[key] = found
        if isinstance(found, str):
            raise NotElf(found)
        return found

    def used_paths(self) -> Tuple[str, ...]:
        return tuple(path for path, _, _ in self._used)

    def save(self) -> None:
        """Keep the objects this run used (files since removed or changed drop out)."""
        if self._objects is None or (not self._changed and len(self._used) == len(self._objects)):
            return
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._file.with_suffix(f".{os.getpid()}.tmp")
            with open(temporary, "wb") as handle:
                pickle.dump((__version__, self._used), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self._file)
        except OSError:
            pass  # a cache that cannot be written only costs the next run its time
