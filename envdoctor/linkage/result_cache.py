"""The whole native linkage result, reused while nothing it depends on has changed.

A warm `check` would otherwise load every ELF object it used from object_cache (libtorch_cpu.so
alone exports 74,000 names: ~0.3 s to unpickle).  The result is stored with what decides it:
the inputs (interpreter, LD_LIBRARY_PATH, LD_PRELOAD, the extension files, the linker cache's
mtime) as the key, and the (size, mtime) of every file read and the mtime of every folder a
library was looked for in.  A file added to a folder earlier in the search order changes
that folder's mtime, so a library that would now be found first is never missed.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Dict, Optional, Tuple

from envdoctor import __version__

LINKER_CACHE_FILE = "/etc/ld.so.cache"


def _stat(path: str) -> Optional[Tuple[int, int]]:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def validators(files, folders) -> Dict[str, Optional[Tuple[int, int]]]:
    """What the result was computed from: each file's and folder's (size, mtime), None when absent."""
    return {path: _stat(path) for path in (*files, *folders, LINKER_CACHE_FILE)}


def load(cache_file: Path, key: tuple):
    """The stored result for `key` when every validator still holds, else None."""
    try:
        with open(cache_file, "rb") as handle:
            version, stored_key, checks, result = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
        return None
    if version != __version__ or stored_key != key:
        return None
    if any(_stat(path) != expected for path, expected in checks.items()):
        return None
    return result


def store(cache_file: Path, key: tuple, checks: Dict[str, Optional[Tuple[int, int]]], result) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache_file.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            pickle.dump((__version__, key, checks, result), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cache_file)
    except OSError:
        pass  # only the next run's time is lost
