"""Where envdoctor keeps its caches, and how a cache file is written: one answer for every cache.

Every cache lives under the user's cache folder, never in the environment it describes:
ENVDOCTOR_CACHE_DIR when set, else $XDG_CACHE_HOME/envdoctor (~/.cache/envdoctor).  Light:
probe/command.py names the probe's cache file before launch.py starts the probe.
"""

from __future__ import annotations

import marshal
import os

# marshal's format 4 is read by every Python the probe runs in (3.8 and newer), whichever
# Python wrote it: the host writes the probe's cache, the target reads it.
MARSHAL_VERSION = 4


def cache_folder(kind: str) -> str:
    """The folder of one kind of cache ("scan", "probe")."""
    configured = os.environ.get("ENVDOCTOR_CACHE_DIR")
    if configured:
        return os.path.join(configured, kind)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "envdoctor", kind)


def write_marshal(path: str, data: object) -> None:
    """Write a cache file whole (a temporary file renamed over it, so a reader never sees half
    of one); a cache that cannot be written is skipped: it only saves time."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as handle:
            marshal.dump(data, handle, MARSHAL_VERSION)
        os.replace(temporary, path)
    except (OSError, ValueError):  # ValueError: a value marshal cannot write (a TOML datetime)
        try:
            os.unlink(temporary)
        except OSError:
            pass


def read_marshal(path: str) -> object:
    """A cache file's content; None when there is none or it cannot be read."""
    try:
        with open(path, "rb") as handle:  # loads of the bytes: load() from a file object is 10x slower
            return marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
