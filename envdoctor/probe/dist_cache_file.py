"""The probe's cache of distributions, on the host side: which file, and storing what the probe proved.

The probe reads the file (in_target/dist_cache.py) and writes nothing; its document's
`dist_cache` section says which distributions it read afresh, with the stamps of what they
were read from, which it read but may not store (changed too recently), and how many cached
entries no longer match a metadata folder on sys.path.  Only then is the file read and
written again here: an unchanged environment costs no write.  docs/explanation/probe-cache.md
says what is cached and what proves it.
"""

from __future__ import annotations

import os
import zlib

# probe/command.py imports this module before launch.py starts the probe: no typing at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Tuple

from envdoctor.vocabulary.cache_files import cache_folder, read_marshal, write_marshal

# The values the probe sets after reading a distribution (its marks), from the whole environment:
# never stored, set again on every run.  path_index is stored (its value is set again too), so that a served
# distribution's keys keep the order compact() gave them (in_target/distributions.py).
NOT_CACHED = ("os_package", "editable_source", "editable_mode", "record_hashes_match")


class ProbeStamps:
    """The stamps one probe run held to be true: the digest its `dist_cache` section gives
    (in_target/dist_cache.py), and the cache file that lists their paths.  The stored report
    (replay/) keys on the digest and leaves those paths out of its own proof: the probe stamped
    them after the target's start-up code ran, and stamps them again on every run."""

    __slots__ = ("python", "digest")

    def __init__(self, python: str, section: Optional[Dict[str, Any]]) -> None:
        self.python = python
        digest = section.get("stamps_digest") if isinstance(section, dict) else None
        self.digest = digest if isinstance(digest, str) else None

    def paths(self, recent_ns: int) -> FrozenSet[str]:
        """The paths the cache file lists, when it holds exactly what the probe stamped (the same
        digest: another run may have written it since); else none.  Not among them: a path the
        probe could not stat (its "-" is coarser than the host's stamp, which says which error),
        and one whose mtime or ctime is `recent_ns` or later (the host's own margin: the probe
        stamped it after the host may have read it, so it may have changed in between)."""
        if self.digest is None:
            return frozenset()
        data = read_marshal(dist_cache_path(self.python))
        entries = data.get("entries") if isinstance(data, dict) else None
        try:
            if not isinstance(entries, dict) or stamps_digest(
                    (meta_dir, entry[0], entry[1]) for meta_dir, entry in entries.items()) != self.digest:
                return frozenset()
            found = set()
            for meta_dir, entry in entries.items():
                prefix = os.path.join(os.path.dirname(meta_dir), "")
                for path, line in zip(entry[0].split("\0"), entry[1].split("\n")):
                    fields = line.split(" ", 2)
                    if len(fields) == 3 and int(fields[0]) < recent_ns and int(fields[1]) < recent_ns:
                        found.add(path if os.path.isabs(path) else prefix + path)
        except (TypeError, ValueError, IndexError, AttributeError):  # not a file this code wrote
            return frozenset()
        return frozenset(found)


def stamps_digest(proven: Iterable[Tuple[str, str, str]]) -> str:
    """The digest of (metadata folder, paths, stamp text) triples that in_target/dist_cache.py's
    stamps_digest gives: the same bytes (each field prefixed by its length), the same order."""
    import hashlib

    digest = hashlib.blake2b(digest_size=20)
    for triple in sorted(proven):
        digest.update("".join(f"{len(field)}:{field}" for field in triple).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def python_key(python: str) -> str:
    """A short name for a target interpreter's path as the user gave it (its cache files')."""
    data = os.fsencode(python)
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def dist_cache_path(python: str) -> str:
    """The cache file of one target interpreter, named by its path as the user gave it."""
    return os.path.join(cache_folder("probe"), f"dists-{python_key(python)}.marshal")


def cached_requirements(python: str) -> Iterator[Tuple[str, ...]]:
    """The Requires-Dist lines of every distribution in `python`'s cache file, as the facts hold them."""
    data = read_marshal(dist_cache_path(python))
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):  # none, or a file this code did not write
        return
    for entry in entries.values():
        dist = entry[-1] if isinstance(entry, list) and entry and isinstance(entry[-1], dict) else {}
        lines = dist.get("requires_dist")
        if isinstance(lines, (list, tuple)) and lines and all(isinstance(line, str) for line in lines):
            yield tuple(lines)


def has_news(section: Optional[Dict[str, Any]]) -> bool:
    """Whether the probe's `dist_cache` section asks for the file to change (else every cached
    distribution was proven unchanged, and none is gone), or brings code it compiled
    (probe_code_file.py)."""
    return bool(section) and bool(section.get("fresh") or section.get("dropped") or section.get("unused")
                                  or section.get("probe_code"))


def store(python: str, section: Optional[Dict[str, Any]], distributions: List[Dict[str, Any]]) -> None:
    """Update the cache file from the probe's `dist_cache` section and the distributions of its document."""
    if not has_news(section):
        return
    path = dist_cache_path(python)
    old = read_marshal(path)
    kept = old["entries"] if isinstance(old, dict) and old.get("fingerprint") == section["fingerprint"] else {}
    fresh, dropped = section["fresh"], set(section.get("dropped") or ())
    entries = {}
    for dist in distributions:
        meta_dir = dist.get("metadata_path")
        if meta_dir in fresh:
            entries[meta_dir] = [*fresh[meta_dir], {k: v for k, v in dist.items() if k not in NOT_CACHED}]
        elif meta_dir in kept and meta_dir not in dropped:
            entries[meta_dir] = kept[meta_dir]
    write_marshal(path, {"fingerprint": section["fingerprint"], "entries": entries})
