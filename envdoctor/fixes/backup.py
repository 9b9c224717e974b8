"""The journal's backup: a hard-link copy of the folders a plan may change, and putting them back exactly.

(Called "backup", not "snapshot": a snapshot is a facts document, `envdoctor snapshot`.
The backup lives in the journal entry's `snapshot/` folder, a name kept for entries
written by earlier versions.)

Why hard links for folders: pip and uv never write into an installed file;
they unlink it (or move it to a stash) and create a new one.  A hard link taken before the
command therefore keeps the old content at no cost in disk space or time,
even for torch's 15,000 files.  Where a link is impossible (another file
system, a file system without links) the file is copied.

`restore` makes each root what it was: files and links that appeared are
removed, changed or missing ones come back from the backup, folders that
appeared are removed and vanished ones recreated.
"""

from __future__ import annotations

import errno
import filecmp
import json
import os
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

MANIFEST = "manifest.json"


def _link_or_copy(source: str, dest: str) -> None:
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
        shutil.copy2(source, dest, follow_symlinks=False)


def _state(path: str) -> Optional[str]:
    """"dir" | "file" | "link:<target>", or None when nothing is there: one vocabulary for roots
    and for the entries under them."""
    if os.path.islink(path):
        return "link:" + os.readlink(path)
    if os.path.isdir(path):
        return "dir"
    return "file" if os.path.exists(path) else None


def _walk(root: str) -> Dict[str, str]:
    """relative path -> _state() of everything under root, the root itself excluded."""
    found: Dict[str, str] = {}
    for directory, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        for name in dirnames + filenames:
            full = os.path.join(directory, name)
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            # From the listing, not a stat per file (torch has 15,000); os.walk does not
            # descend into symlinked folders, which are recorded as links.
            if os.path.islink(full):
                found[rel] = "link:" + os.readlink(full)
            else:
                found[rel] = "dir" if name in dirnames else "file"
    return found


def take(roots: Sequence[str], into: Path) -> None:
    """Back up every root (a folder, a file, a link, or a path that does not exist yet) under `into`."""
    into.mkdir(parents=True)
    records: List[dict] = []
    for index, root in enumerate(roots):
        copy = into / str(index)
        state = _state(root)
        record = {"root": root, "state": state}
        if state == "dir":
            record["entries"] = entries = _walk(root)
            copy.mkdir()
            for rel, what in sorted(entries.items()):
                source, dest = os.path.join(root, rel), os.path.join(copy, rel)
                if what == "dir":
                    os.makedirs(dest, exist_ok=True)
                elif what == "file":
                    _link_or_copy(source, dest)
        elif state == "file":
            # A single file (what a write or patch action changes) is copied, not linked: an
            # editor or tool may rewrite it in place, which a hard link would follow.
            shutil.copy2(root, str(copy))
        records.append(record)
    # Written last: a backup without its manifest is incomplete, and nothing was changed yet.
    (into / MANIFEST).write_text(json.dumps(records, indent=1), encoding="utf-8")


def is_complete(into: Path) -> bool:
    return (into / MANIFEST).is_file()


def remove_path(path: str) -> None:
    """Remove a file, a link or a whole folder; nothing there is fine."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _put(path: str, wanted: str, source: str, current: Optional[str]) -> bool:
    """Make `path` what `wanted` says (a file's content comes from `source`); False if it already was."""
    if current == wanted and (wanted != "file" or _same_file(source, path)):
        return False
    if current is not None:
        remove_path(path)
    if wanted == "dir":
        os.makedirs(path)
    elif wanted.startswith("link:"):
        os.symlink(wanted[len("link:"):], path)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _link_or_copy(source, path)
    return True


def restore(into: Path) -> List[Tuple[str, str]]:
    """Put every root back as it was; returns ("removed" | "restored", path) for each change."""
    records = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    changed: List[Tuple[str, str]] = []
    for index, record in enumerate(records):
        root, wanted, copy = record["root"], record["state"], str(into / str(index))
        current = _state(root)
        if wanted is None:
            if current is not None:
                remove_path(root)
                changed.append(("removed", root))
            continue
        if _put(root, wanted, copy, current):
            changed.append(("restored", root))
        if wanted == "dir":
            changed.extend(_restore_entries(root, record["entries"], copy))
    return changed


def _restore_entries(root: str, entries: Dict[str, str], copy: str) -> List[Tuple[str, str]]:
    changed: List[Tuple[str, str]] = []
    now = _walk(root)
    # Remove what appeared (deepest first, so folders are empty when their turn comes).
    for rel in sorted(set(now) - set(entries), key=lambda r: r.count(os.sep), reverse=True):
        full = os.path.join(root, rel)
        if os.path.lexists(full):
            remove_path(full)
            changed.append(("removed", full))
    # Then put back what changed or vanished, parents before children.
    for rel, wanted in sorted(entries.items(), key=lambda item: item[0].count(os.sep)):
        full = os.path.join(root, rel)
        if _put(full, wanted, os.path.join(copy, rel), now.get(rel)):
            changed.append(("restored", full))
    return changed
