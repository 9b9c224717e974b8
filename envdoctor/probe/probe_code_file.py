"""The facts probe's own code, compiled by the target interpreter, kept for its next run.

The probe's modules (in_target/) run in the target interpreter.  The bytecode pip writes
beside them at install is for the Python envdoctor was installed with; a target of another
version (envdoctor from pipx or uvx on 3.12, a project venv on 3.10) compiled all of them on
every run: ~60 ms on CPython 3.12, more than the rest of a warm probe.

The probe writes nothing (in_target/__init__.py).  Its bootstrap (command.BOOTSTRAP) reads
this file and runs the code kept for every module whose source has the mtime and size kept with
it; the code of any other module it sends in its document's dist_cache section
(`probe_code`: the target's magic number, and per source path its mtime, size and marshalled
code in base64), and the host writes it here.  One file per target interpreter path, like the
probe's cache of distributions; a file of another magic number (the interpreter was upgraded)
is replaced.  It lies in the user's cache folder, as the deep probes' bytecode does
(bytecode_cache.py), and is trusted as that bytecode and Python's own __pycache__ are.
"""

from __future__ import annotations

import os

# probe/command.py imports this module before launch.py starts the probe: no typing at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional

from envdoctor.probe.dist_cache_file import python_key
from envdoctor.vocabulary.cache_files import cache_folder, read_marshal, write_marshal


def probe_code_path(python: str) -> str:
    """The code cache file of one target interpreter, named by its path as the user gave it."""
    return os.path.join(cache_folder("probe"), f"code-{python_key(python)}.marshal")


def store_probe_code(python: str, section: Optional[Dict[str, Any]], modules_folder: str) -> None:
    """Keep the code the probe compiled (its dist_cache section's `probe_code`), beside the code
    kept before for the same magic number; a section without any, or one this code cannot read,
    changes nothing.  Kept code of modules outside `modules_folder` (this envdoctor's in_target/)
    is dropped."""
    news = section.get("probe_code") if isinstance(section, dict) else None
    if not isinstance(news, dict):
        return
    import binascii

    try:
        magic = bytes.fromhex(news["magic"])
        parts = {path: [float(mtime), int(size), binascii.a2b_base64(code)]
                 for path, (mtime, size, code) in news["parts"].items()}
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        return
    path = probe_code_path(python)
    old = read_marshal(path)
    kept = old["parts"] if isinstance(old, dict) and old.get("magic") == magic and isinstance(old.get("parts"), dict) else {}
    # Only this envdoctor's modules: another install's (an upgrade into a new folder) would only
    # make the file every run reads larger.
    ours = os.path.join(modules_folder, "")
    kept = {part: entry for part, entry in kept.items() if isinstance(part, str) and part.startswith(ours)}
    write_marshal(path, {"magic": magic, "parts": {**kept, **parts}})
