"""Which copy of a distribution installed twice owns the files on disk: its RECORD's hashes.

When two metadata folders of one project sit in one site directory (an interrupted upgrade,
a copied dist-info), importlib.metadata answers with whichever it lists first, while the
code on disk belongs to one of them.  Each copy's RECORD says, per file, the sha256 pip wrote
(`path,sha256=<urlsafe base64, no padding>,size`); the copy whose hashes match the files is
the one the code belongs to, and a fix must keep that one.  Only duplicates are hashed, so a
normal environment pays nothing.
"""

import os

from .filesystem import read_text

# base64, csv, hashlib and io are imported when a duplicate is found: hashlib alone loads
# OpenSSL, a cost every probe run would otherwise pay for the rare environment that needs it.

MAX_HASHED_FILES = 5000  # per copy: enough for any package a person copies by hand


def _digest(path):
    import base64
    import hashlib

    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return base64.urlsafe_b64encode(sha.digest()).rstrip(b"=").decode("ascii")


def record_matches(dist):
    """True when every hashed RECORD entry of the copy that exists matches; False when one
    differs; None when the copy has no readable RECORD with hashes."""
    import csv
    import io

    record = os.path.join(dist["metadata_path"], "RECORD")
    try:
        rows = list(csv.reader(io.StringIO(read_text(record))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    checked = 0
    for row in rows:
        if len(row) < 2 or not row[1].startswith("sha256="):
            continue
        path = os.path.normpath(os.path.join(dist["location"], row[0]))
        if not os.path.isfile(path):
            continue  # a missing file is INT001's; it says nothing about ownership
        try:
            if _digest(path) != row[1][len("sha256="):]:
                return False
        except OSError:
            continue
        checked += 1
        if checked >= MAX_HASHED_FILES:
            break
    return True if checked else None


def mark_record_hashes(dists):
    """Set `record_hashes_match` on every copy of a project installed more than once in one
    folder; the metadata paths of those (compact() re-sorts their keys)."""
    groups = {}
    for dist in dists:
        if dist.get("kind") == "dist-info" and dist.get("name"):
            key = (dist["location"], dist["name"].lower().replace("_", "-").replace(".", "-"))
            groups.setdefault(key, []).append(dist)
    marked = set()
    for copies in groups.values():
        if len(copies) > 1:
            for dist in copies:
                dist["record_hashes_match"] = record_matches(dist)
                marked.add(dist["metadata_path"])
    return marked
