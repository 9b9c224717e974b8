"""A hard-link copy of the folders a plan may change, and putting them back exactly.

Why hard links for folders: pip and uv never write into an installed file;
they unlink it (or move it to a stash) and create a new one.  A hard link taken before the
command therefore keeps the old content at no cost in disk space or time,
even for torch's 15,000 files.  Where a link is impossible (another file
system, a file system without links) the file is copied.

`restore` makes each root what it was: files and links that appeared are
removed, changed or missing ones come back from the snapshot, folders that
appeared are removed and vanished ones recreated.
"""

from __future__ import annotations

import errno
import filecmp
import json
import os
import shutil
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

MANIFEST = "manifest.json"


def _link_or_copy(source: str, dest: str) -> None:
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
        shutil.copy2(source, dest, follow_symlinks=False)


def _walk(root: str) -> Dict[str, str]:
    """relative path -> "dir" | "file" | "link:<target>", the root itself excluded."""
    found: Dict[str, str] = {}
    for directory, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        for name in dirnames + filenames:
            full = os.path.join(directory, name)
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            if os.path.islink(full):
                found[rel] = "link:" + os.readlink(full)
            elif name in dirnames:
                found[rel] = "dir"
            else:
                found[rel] = "file"
        # os.walk does not descend into symlinked folders by default; they were recorded as links.
    return found


def take(roots: Sequence[str], into: Path) -> None:
    """Snapshot every root (a folder, a file, or a path that does not exist yet) under `into`."""
    into.mkdir(parents=True)
    records: List[dict] = []
    for index, root in enumerate(roots):
        copy = into / str(index)
        if os.path.islink(root):
            records.append({"root": root, "kind": "link", "target": os.readlink(root)})
        elif os.path.isdir(root):
            entries = _walk(root)
            copy.mkdir()
            for rel, what in sorted(entries.items()):
                source, dest = os.path.join(root, rel), os.path.join(copy, rel)
                if what == "dir":
                    os.makedirs(dest, exist_ok=True)
                elif what == "file":
                    _link_or_copy(source, dest)
            records.append({"root": root, "kind": "dir", "entries": entries})
        elif os.path.exists(root):
            # A single file (what a write or patch action changes) is copied, not linked: an
            # editor or tool may rewrite it in place, which a hard link would follow.
            shutil.copy2(root, str(copy))
            records.append({"root": root, "kind": "file"})
        else:
            records.append({"root": root, "kind": "absent"})
    # Written last: a snapshot without its manifest is incomplete, and nothing was changed yet.
    (into / MANIFEST).write_text(json.dumps(records, indent=1), encoding="utf-8")


def is_complete(into: Path) -> bool:
    return (into / MANIFEST).is_file()


def _remove(path: str) -> None:
    if os.path.islink(path) or not os.path.isdir(path):
        if os.path.lexists(path):
            os.unlink(path)
    else:
        shutil.rmtree(path)


def _same_file(a: str, b: str) -> bool:
    try:
        if os.path.samefile(a, b):
            return True
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _put_back(source: str, dest: str) -> None:
    if os.path.lexists(dest) and not os.path.islink(dest) and not os.path.isdir(dest) and _same_file(source, dest):
        return
    _remove(dest)
    _link_or_copy(source, dest)


def restore(into: Path) -> List[Tuple[str, str]]:
    """Put every root back as it was; returns ("removed" | "restored", path) for each change."""
    records = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    changed: List[Tuple[str, str]] = []
    for index, record in enumerate(records):
        root, kind, copy = record["root"], record["kind"], str(into / str(index))
        if kind == "absent":
            if os.path.lexists(root):
                _remove(root)
                changed.append(("removed", root))
        elif kind == "link":
            if not os.path.islink(root) or os.readlink(root) != record["target"]:
                _remove(root)
                os.symlink(record["target"], root)
                changed.append(("restored", root))
        elif kind == "file":
            if not (os.path.isfile(root) and not os.path.islink(root) and _same_file(copy, root)):
                os.makedirs(os.path.dirname(root), exist_ok=True)
                _put_back(copy, root)
                changed.append(("restored", root))
        else:
            changed.extend(_restore_dir(root, record["entries"], copy))
    return changed


def _restore_dir(root: str, entries: Dict[str, str], copy: str) -> List[Tuple[str, str]]:
    changed: List[Tuple[str, str]] = []
    if not os.path.isdir(root) or os.path.islink(root):
        if os.path.lexists(root):
            _remove(root)
        os.makedirs(root)
    now = _walk(root)
    # Remove what appeared (deepest first, so folders are empty when their turn comes).
    for rel in sorted(set(now) - set(entries), key=lambda r: r.count(os.sep), reverse=True):
        full = os.path.join(root, rel)
        if os.path.lexists(full):
            _remove(full)
            changed.append(("removed", full))
    for rel, what in sorted(entries.items(), key=lambda item: item[0].count(os.sep)):
        full = os.path.join(root, rel)
        current = now.get(rel)
        if what == "dir":
            if current != "dir":
                if current is not None:
                    _remove(full)
                os.makedirs(full, exist_ok=True)
                changed.append(("restored", full))
        elif what.startswith("link:"):
            if current != what:
                if os.path.lexists(full):
                    _remove(full)
                os.symlink(what[len("link:"):], full)
                changed.append(("restored", full))
        else:
            source = os.path.join(copy, rel)
            if current != "file" or not _same_file(source, full):
                if os.path.lexists(full):
                    _remove(full)
                _link_or_copy(source, full)
                changed.append(("restored", full))
    return changed
