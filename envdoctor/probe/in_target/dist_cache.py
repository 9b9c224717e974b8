# Distributions proven unchanged since an earlier run: their facts are taken from the cache
# instead of read again (docs/explanation/probe-cache.md).
#
# One distribution's facts are a function of the folders listed and the files read while
# they were made (filesystem.Watch), of this interpreter (its loader suffixes decide which
# RECORD paths are modules) and of the probe's own code.  So each cached distribution keeps
# a stamp of every such folder and file (os.stat: mtime, ctime, size, inode, device, mode,
# owner), and is reused only while every stamp is equal: a file added to or removed from a
# folder changes that folder's stamp, a file edited in place its own.  Listing torch's
# ~1,000 RECORD folders is replaced by ~1,000 stats of them.
#
# A stamp taken within MARGIN_NS of this run's start is not stored: a change made during the
# run, or within one tick of a coarse file-system clock, could leave the same stamp on other
# content (git's "racy" index entries, the same problem).
#
# The probe writes nothing (see __init__.py): it reads the host's cache file, and its document
# tells the host what to store (dist_cache section); probe/dist_cache_file.py writes it.
#
# The section also carries a digest of every stamp this run holds to be true (stamps_digest: the
# distributions served and those stored afresh): those paths were stat'ed here, after the
# target's start-up code ran, so the host's stored report (replay/) need not stamp them again
# while the digest is the same.  probe/dist_cache_file.py computes the same digest from the file.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import marshal
import os
import sys
import time

from .filesystem import Watch, watching
from .module_names import module_suffixes

MARGIN_NS = 2 * 10 ** 9
# A POSIX path is absolute when it starts with "/" (what posixpath.isabs tests): stamps() tests
# it so, elsewhere it asks os.path.isabs.
_POSIX = os.sep == "/" and os.altsep is None


def stamps(base, paths, seen=None):
    """(stamp text, newest mtime or ctime) of `paths` (relative to `base`, or absolute): one
    line per path of what changes when that file or folder changes (mtime, ctime, size, inode,
    device, mode, owner; "-" when it cannot be stat'ed).  One string per distribution: the
    cache file loads fast and a stamp is compared in one step.  `seen` keeps the lines of
    this run: the folders that distributions share (site-packages, bin) are stat'ed once."""
    lines = []
    newest = 0
    # os.path.join(base, path), made by hand: join and isabs cost 2 us of the ~6 us a path costs here.
    prefix = os.path.join(base, "")
    stat = os.stat
    for path in paths:
        full = path if (path[:1] == "/" if _POSIX else os.path.isabs(path)) else prefix + path
        line = seen.get(full) if seen is not None else None
        if line is None:
            try:
                st = stat(full)
            except (OSError, ValueError):
                st = None
            line = "-" if st is None else "%d %d %d %d %d %d %d %d" % (
                st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev, st.st_mode, st.st_uid, st.st_gid)
            if seen is not None:
                seen[full] = line
            if st is not None:
                newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        lines.append(line)
    return "\n".join(lines), newest


def _relative(base, path):
    """`path` relative to `base` where it lies inside it (shorter cache files), else as it is."""
    if path == base:
        return "."
    return path[len(base) + 1:] if path.startswith(base + os.sep) else path


def fingerprint():
    """What every cached distribution also depends on: this interpreter and the probe's code."""
    package = __name__.rpartition(".")[0]
    files = sorted(getattr(module, "__file__", None) or "" for name, module in list(sys.modules.items())
                   if name.startswith(package + "."))
    return [sys.executable, sys.version, sorted(module_suffixes()), files, stamps("", [sys.executable] + files)[0]]


def _load(path, expected):
    """The cached entries {metadata folder: [paths, stamp text, facts]}; {} without a usable file."""
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:  # loads of the bytes: load() from a file object is 10x slower
            data = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != expected or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


class DistCache(object):
    """The cache file's distributions, and what this run proved for the host to store."""

    def __init__(self, path):
        self.started_ns = time.time_ns()
        self.fingerprint = fingerprint()
        self.entries = _load(path, self.fingerprint)
        self.fresh = {}  # metadata folder -> stamps, for the facts read in this run
        self.dropped = []  # read in this run, but too recently changed to be stored
        self.reused = 0
        self.settled = set()  # metadata folders served with the keys they were stored with, in order
        self.seen = {}  # path -> its stamp line, in this run
        self.proven = []  # (metadata folder, paths, stamp text) of every entry served or stored

    def cached(self, meta_dir):
        """A copy of the distribution's cached facts when every stamp is unchanged, else None."""
        entry = self.entries.pop(meta_dir, None)
        if entry is None:
            return None
        try:
            if stamps(os.path.dirname(meta_dir), entry[0].split("\0"), self.seen)[0] != entry[1]:
                return None
            dist = dict(entry[2])
        except (TypeError, ValueError, IndexError, AttributeError):  # not an entry this code wrote
            return None
        self.reused += 1
        self.proven.append((meta_dir, entry[0], entry[1]))
        if "path_index" in dist:  # stored compact and sorted, with the key the caller sets again
            self.settled.add(meta_dir)
        return dist

    def start(self):
        """Watch the reads of one distribution's facts."""
        watch = Watch()
        watching(watch)
        return watch

    def finish(self, meta_dir, watch):
        """Stop watching; keep the stamps of what was read when they may be stored."""
        watching(None)
        base = os.path.dirname(meta_dir)
        paths = sorted(set(_relative(base, path) for path in watch.folders | watch.files | {meta_dir}))
        text, newest = stamps(base, paths)
        if newest < self.started_ns - MARGIN_NS:
            self.fresh[meta_dir] = ["\0".join(paths), text]
            self.proven.append((meta_dir, self.fresh[meta_dir][0], text))
        else:
            self.dropped.append(meta_dir)

    def section(self):
        """The document's dist_cache section: what the host must store or forget."""
        return {"fingerprint": self.fingerprint, "fresh": self.fresh, "dropped": self.dropped,
                "unused": len(self.entries), "reused": self.reused, "stamps_digest": stamps_digest(self.proven)}


def stamps_digest(proven):
    """A digest of (metadata folder, paths, stamp text) triples, in sorted order, each field
    prefixed by its length (a folder name may hold any separator); None where this Python has
    no blake2b (built without it, or FIPS mode): the host then leaves every path in its proof.
    The host's dist_cache_file.stamps_digest is the same function: a test holds the two to one
    answer."""
    try:
        try:
            from _blake2 import blake2b  # a small extension: hashlib would load OpenSSL (~3 ms)
        except ImportError:
            from hashlib import blake2b
        digest = blake2b(digest_size=20)
        for triple in sorted(proven):
            digest.update("".join("%d:%s" % (len(field), field) for field in triple).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()
    except Exception:  # noqa - no digest is the safe answer: nothing is left out of the host's proof
        return None
