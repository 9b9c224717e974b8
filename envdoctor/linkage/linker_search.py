"""Where ld.so looks for a needed library, in its order (ld.so(8), glibc's _dl_map_object).

For a DT_NEEDED name without a slash, the first readable file of the right ELF class and
machine in:

1. DT_RPATH of the object that needs it, then of each object that loaded that one, then of
   the executable -- only when the needing object has no DT_RUNPATH;
2. LD_LIBRARY_PATH (the target's, as the probe saw it);
3. DT_RUNPATH of the needing object alone: it is not applied to indirect dependencies;
4. /etc/ld.so.cache;
5. the default directories.

$ORIGIN (the folder of the object whose path it is in), $LIB and $PLATFORM are expanded in
each path, braced or not.  A name that is already loaded is not searched at all: the
caller (resolution.py) asks here only for names not loaded yet.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Dict, Iterator, List, Sequence, Tuple

from envdoctor.model.record import Record, record

# How each step of the search is named in a finding.
VIA_PATH = "path in DT_NEEDED"
VIA_RPATH = "DT_RPATH"
VIA_LD_LIBRARY_PATH = "LD_LIBRARY_PATH"
VIA_RUNPATH = "DT_RUNPATH"
VIA_CACHE = "ld.so.cache"
VIA_DEFAULT = "default directories"

_TOKEN = re.compile(r"\$(\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)\b)")


@record
class SearchPlaces(Record):
    """What the search depends on besides the objects: the target's LD_LIBRARY_PATH folders,
    the linker cache (soname -> paths, in the cache's order), the default folders, and what
    $LIB and $PLATFORM expand to on this system."""

    ld_library_path: Tuple[str, ...]
    cache: Dict[str, Tuple[str, ...]]
    default_dirs: Tuple[str, ...]
    lib: str
    platform: str


def search_places(ld_library_path: str, executable_dir: str) -> SearchPlaces:
    """The search places of this machine, with the target's LD_LIBRARY_PATH value."""
    cache = linker_cache()
    libc = next(iter(cache.get("libc.so.6", ())), "/lib64/libc.so.6")
    lib = os.path.relpath(os.path.dirname(libc), "/") if "-linux-gnu" in libc else ("lib64" if "lib64" in libc else "lib")
    multiarch = [os.path.dirname(path) for path in cache.get("libc.so.6", ())]
    defaults = [*multiarch, "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    platform = os.uname().machine
    # Empty entries of LD_LIBRARY_PATH mean the working directory, as they do to ld.so.
    folders = tuple(_expand(entry or ".", executable_dir, lib, platform) for entry in ld_library_path.split(":")) if ld_library_path else ()
    return SearchPlaces(ld_library_path=folders, cache=cache, default_dirs=tuple(dict.fromkeys(defaults)), lib=lib,
                        platform=platform)


def linker_cache() -> Dict[str, Tuple[str, ...]]:
    """soname -> paths from `ldconfig -p` (run once; read-only), or {} without ldconfig."""
    program = shutil.which("ldconfig") or next((p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.path.exists(p)), None)
    if program is None:
        return {}
    try:
        listing = subprocess.run([program, "-p"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    cache: Dict[str, List[str]] = {}
    for line in listing.splitlines()[1:]:
        name, _, path = line.strip().partition(" => ")
        if path:
            cache.setdefault(name.split(" (", 1)[0], []).append(path)
    return {name: tuple(paths) for name, paths in cache.items()}


def _expand(path: str, origin: str, lib: str, platform: str) -> str:
    values = {"ORIGIN": origin, "LIB": lib, "PLATFORM": platform}
    return _TOKEN.sub(lambda match: values[match.group(2) or match.group(3)], path)


def candidates(name: str, requester, loaders: Sequence, executable, places: SearchPlaces) -> Iterator[Tuple[str, str]]:
    """(path, how it was found) for each file ld.so would try for `name` needed by `requester`,
    in order.  `loaders` are the objects that brought `requester` in, nearest first."""
    if "/" in name:
        yield _expand(name, os.path.dirname(requester.path), places.lib, places.platform), VIA_PATH
        return
    if not requester.has_runpath:
        chain = [requester, *loaders, *([executable] if executable is not None else [])]
        for position, obj in enumerate(chain):
            if obj.has_runpath or any(obj.path == earlier.path for earlier in chain[:position]):
                continue
            for folder in obj.rpath:
                yield os.path.join(_expand(folder, os.path.dirname(obj.path), places.lib, places.platform), name), f"{VIA_RPATH} of {os.path.basename(obj.path)}"
    for folder in places.ld_library_path:
        yield os.path.join(folder, name), VIA_LD_LIBRARY_PATH
    for folder in requester.runpath:
        yield os.path.join(_expand(folder, os.path.dirname(requester.path), places.lib, places.platform), name), f"{VIA_RUNPATH} of {os.path.basename(requester.path)}"
    for path in places.cache.get(name, ()):
        yield path, VIA_CACHE
    for folder in places.default_dirs:
        yield os.path.join(folder, name), VIA_DEFAULT
