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
import hashlib
import json
import os
import shutil
from pathlib import Path
from stat import S_ISDIR
from typing import Dict, List, Optional, Sequence, Tuple

from envdoctor.errors import UsageError

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


# One change undo makes: ("removed" | "restored", path, the state wanted, where a file's content is).
Change = Tuple[str, str, Optional[str], Optional[str]]


class BackupDamaged(UsageError):
    """The backup is not complete or not what envdoctor wrote: undo changes nothing."""


def plan_restore(into: Path) -> List[Change]:
    """Every change `restore` would make, in order; nothing is touched.  The whole backup is
    validated first (BackupDamaged): a change is only made when every change can be made."""
    changes: List[Change] = []
    for index, record in enumerate(_records(into)):
        root, wanted, copy = record["root"], record["state"], str(into / str(index))
        current = _state(root)
        if wanted is None:
            if current is not None:
                changes.append(("removed", root, None, None))
            continue
        if _differs(root, wanted, copy, current):
            changes.append(("restored", root, wanted, copy))
        if wanted == "dir":
            changes.extend(_entry_changes(root, record["entries"], copy, _walk(root) if current == "dir" else {}))
    return changes


def _entry_changes(root: str, entries: Dict[str, str], copy: str, now: Dict[str, str]) -> List[Change]:
    # Remove what appeared (deepest first, so folders are empty when their turn comes).
    changes: List[Change] = [("removed", os.path.join(root, rel), None, None)
                             for rel in sorted(set(now) - set(entries), key=lambda r: r.count(os.sep), reverse=True)]
    # Then put back what changed or vanished, parents before children.
    for rel, wanted in sorted(entries.items(), key=lambda item: item[0].count(os.sep)):
        full, source = os.path.join(root, rel), os.path.join(copy, rel)
        if _differs(full, wanted, source, now.get(rel)):
            changes.append(("restored", full, wanted, source))
    return changes


def _differs(path: str, wanted: str, source: str, current: Optional[str]) -> bool:
    return current != wanted or (wanted == "file" and not _same_file(source, path))


def restore(into: Path) -> List[Tuple[str, str]]:
    """Put every root back as it was; returns ("removed" | "restored", path) for each change."""
    changes = plan_restore(into)
    for what, path, wanted, source in changes:
        if what == "removed":
            remove_path(path)
        else:
            _put(path, wanted, source)
    return [(what, path) for what, path, _, _ in changes]


def _put(path: str, wanted: str, source: str) -> None:
    """Make `path` what `wanted` says; a file or link replaces what is there in one rename, so a
    crash leaves either the old or the backed-up content, never no file."""
    if wanted == "dir":
        if os.path.lexists(path):
            remove_path(path)  # a file or link where the folder belongs (a folder there needs no change)
        os.makedirs(path)
        return
    parent, name = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    if _state(path) == "dir":
        remove_path(path)  # a folder where a file belongs: no rename can replace it
    temporary = os.path.join(parent, f".{name}.envdoctor-undo")
    remove_path(temporary)  # left by an undo that was killed
    if wanted.startswith("link:"):
        os.symlink(wanted[len("link:"):], temporary)
    else:
        _link_or_copy(source, temporary)
    os.replace(temporary, path)


# --- validation: a manifest is trusted only when every record and every backed-up file checks out

def _records(into: Path) -> List[dict]:
    manifest = into / MANIFEST
    try:
        records = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _damaged(into, f"{manifest} is missing (the backup was never finished, or was deleted)") from None
    except (OSError, ValueError) as exc:
        raise _damaged(into, f"{manifest} cannot be read as JSON ({exc})") from None
    if not isinstance(records, list):
        raise _damaged(into, f"{manifest} is not a list of roots")
    for index, record in enumerate(records):
        reason = _record_problem(record, into / str(index))
        if reason is not None:
            raise _damaged(into, f"root {index}: {reason}")
    return records


def _record_problem(record, copy: Path) -> Optional[str]:
    if not isinstance(record, dict) or not isinstance(record.get("root"), str) or not os.path.isabs(record["root"]):
        return "not a record with an absolute 'root' path"
    state = record.get("state")
    if state is not None and not _is_state(state):
        return f"unknown state {state!r} of {record['root']}"
    if state == "file" and not _is_backed_up_file(str(copy)):
        return f"the backup copy {copy} of {record['root']} is missing"
    if state != "dir":
        return None
    entries = record.get("entries")
    if not isinstance(entries, dict):
        return f"no 'entries' listing for the folder {record['root']}"
    for rel, what in entries.items():
        if not isinstance(rel, str) or os.path.isabs(rel) or ".." in rel.split(os.sep) or not _is_state(what):
            return f"a bad entry {rel!r}: {what!r} under {record['root']}"
        if what == "file" and not _is_backed_up_file(os.path.join(copy, rel)):
            return f"the backup copy of {os.path.join(record['root'], rel)} is missing ({os.path.join(copy, rel)})"
    return None


def _is_state(value) -> bool:
    return value in ("dir", "file") or (isinstance(value, str) and value.startswith("link:"))


def _is_backed_up_file(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def _damaged(into: Path, reason: str) -> BackupDamaged:
    return BackupDamaged(f"the backup in {into} is damaged: {reason}. Nothing was put back, and nothing was changed")


# --- what the environment looks like after a fix, for undo to notice later changes

def fingerprint(into: Path) -> Dict[str, object]:
    """The distributions in the backed-up folders, and a digest of every path that differs from the
    backup (what undo would change) with its size, mtime and inode.  Equal fingerprints at the end
    of a fix and at undo mean nobody changed these folders in between; byte caches (__pycache__),
    which merely running Python writes, are left out."""
    digest = hashlib.sha256()
    for path in sorted(change[1] for change in plan_restore(into)):
        if "__pycache__" not in path.split(os.sep):
            digest.update(repr((path, _signature(path))).encode())  # repr escapes what is not UTF-8
    return {"changes": digest.hexdigest(), "distributions": distributions(into)}


def distributions(into: Path) -> List[str]:
    """The *.dist-info / *.egg-info names now in the backed-up folders."""
    names: List[str] = []
    for record in _records(into):
        if record["state"] == "dir" and os.path.isdir(record["root"]):
            names += [name for name in os.listdir(record["root"]) if name.endswith((".dist-info", ".egg-info"))]
    return sorted(names)


def _signature(path: str) -> Optional[Tuple[int, ...]]:
    try:
        stat = os.lstat(path)
    except OSError:
        return None
    if S_ISDIR(stat.st_mode):
        return (stat.st_mode,)  # not its time: that changes when Python writes a byte cache into it
    return (stat.st_mode, stat.st_size, stat.st_mtime_ns, stat.st_ino)
