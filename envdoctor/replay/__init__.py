"""A warm check's report, printed again when nothing it was made from has changed.

`envdoctor check` run again on an environment nobody touched spends most of its time making
the same report again: the facts, the scans' verdicts, ~2,000 requirements, every check, the
rendering.  The probe still runs every time (it is what sees the environment as it is now);
when its document is the one a stored report was made from, and nothing else that report was
made from has changed, the stored report is printed instead.

A report is a function of:

- the probe's document (interpreter, sys.path, .pth files, distributions, modules, the
  environment variables, stack, toolchain): its digest is part of the key.  Two things in it
  change from run to run without meaning anything, and are left out of the digest: objects'
  addresses in reprs (`<... object at 0x7f...>`) and the probe's timings (`"seconds":`).  So
  is its `dist_cache` section (which distributions it read afresh: its cache's business),
  all but the digest of the stamps the probe held true there (below).  The probe's stderr
  (site's .pth errors) is part of the digest.
- the command line, the working directory, envdoctor's and the host interpreter's versions
  and flags, every environment variable of envdoctor's own process (redaction masks their
  secret values; NO_COLOR, TERM), the terminal's width and colour, stdout's encoding: the key.
- every file and folder the host read besides (recorded_reads.py): the import and legacy scans'
  sources and folders, the native linkage's objects and the linker cache, the NumPy builds'
  extensions, the config, the plugins' metadata, the rule files; and the file of every module
  imported by the end of the run (envdoctor's, a plugin's, the standard library's).  That is
  the proof, stored with the report as one stamp per path: mtime, ctime, size, inode, device
  and mode, or the error stat gave.  Left out of it: the paths the probe stamped for its cache of
  distributions (the folders its RECORDs name, their metadata files).  It stamps them on every
  run, after the target's start-up code ran, and a stored report is looked up only when it
  found every one as its cache file has it; the digest of those stamps is part of the key, so
  a cache file that another run rewrote since does not count.

A stored report is printed only when its key matches and every stamp of its proof is equal;
the run time in it is the replay's own.

Nothing is stored for a run whose recording was spoiled (a subprocess ran, the network was
used, a native library was loaded, a folder was a file descriptor), nor when a path of the
proof changed within MARGIN_NS before the run's start or later (it may have changed while it
was read; the next run stores).  The files of envdoctor's own caches (OWN_CACHES) are left out
of the proof: they are derived data, proven by what they were derived from.  The .pth files of
envdoctor's own import path are added (site ran them before anything was recorded).

Only a plain check replays, and only one launch.py dispatches itself (every option one its
scan knows; an unusual command line goes through typer, whose probe starts inside the
recording and spoils it): not --deep (it imports and runs the stack), --with, --facts,
--output, --baseline (the date decides expiry) or --write-baseline, and only the text, json,
sarif and markdown formats.  ENVDOCTOR_NO_REPLAY=1 turns it off.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from contextlib import contextmanager
from stat import S_IFMT, S_ISLNK
from typing import AbstractSet, Iterator, List, Optional, Protocol, Tuple

from envdoctor.replay.recorded_reads import LSTAT, STAT, Recording, recording
from envdoctor.vocabulary.cache_files import cache_folder, read_marshal, write_marshal

REPLAY_FORMAT = 1
# A stamp this close to the run's start, or later, may belong to a change made while the run
# read that path (coarse file system clocks included): such a run stores nothing.
MARGIN_NS = 2_000_000_000
KEPT_REPORTS = 64  # the newest stored reports kept (one per command line and environment)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_TIMING = re.compile(r'"seconds":-?[0-9][0-9.eE+-]*')
_VARYING_FROM = ',"import_system":'  # the first section that holds reprs or timings
# envdoctor's own caches (vocabulary/cache_files.py; check_manifest.py's "plugins"): derived data,
# left out of a proof.  Not their parent folder: ENVDOCTOR_CACHE_DIR may name a broad one
# (/tmp, a CI workspace) that holds what the report is made from.
OWN_CACHES = ("replay", "probe", "scan", "linkage", "rules", "bytecode", "plugins")


class Replayed(Exception):
    """Raised by the probe's document hook when a stored report holds: the check ends there."""

    def __init__(self, report: str, exit_code: int) -> None:
        super().__init__("a stored report holds")
        self.report = report
        self.exit_code = exit_code


def enabled() -> bool:
    return os.environ.get("ENVDOCTOR_NO_REPLAY", "") in ("", "0")


def request_key(options: dict) -> str:
    """What decides a report besides the target and what the host reads: the command line's
    options (with the format, width and colour), the working directory, envdoctor's and the
    host interpreter's versions, flags and import path, every variable of envdoctor's
    environment, and stdout's encoding and whether it is a terminal.  OSError when the working
    directory is gone (nothing is replayed then)."""
    from envdoctor import __version__

    stdout = sys.stdout
    material = repr((REPLAY_FORMAT, __version__, sys.executable, sys.version, tuple(sys.flags),
                     # envdoctor's own import path: a folder that site added (a .pth line's folder
                     # created since, a user site-packages) may hold a plugin
                     sys.prefix, sys.base_prefix, sys.path,
                     sorted(options.items(), key=lambda item: item[0]), os.getcwd(), sorted(os.environ.items()),
                     # the text report's symbols fall back to ASCII where stdout cannot encode them
                     getattr(stdout, "encoding", None), getattr(stdout, "errors", None), stdout.isatty()))
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


def document_digest(text: str, stderr: str, stamps_digest: Optional[str] = None) -> str:
    """The probe's document (its text without the dist_cache section: probe/frame.split_last_section)
    without what changes from run to run and means nothing (see above).

    Addresses and timings are looked for from the import_system section on (import_system,
    modules, legacy_code, stack, toolchain, network: where finders' reprs and the probe's timings
    are); the distributions before it, most of a large document, are taken as they are (one there
    would only make each run's digest its own: a report made again, never a wrong one)."""
    start = max(text.find(_VARYING_FROM), 0)
    digest = hashlib.sha256(text[:start].encode("utf-8", "surrogateescape"))
    digest.update(_TIMING.sub('"seconds":0', _ADDRESS.sub(" at 0x", text[start:])).encode("utf-8", "surrogateescape"))
    digest.update(b"\0" + stderr.encode("utf-8", "surrogateescape"))
    if stamps_digest is not None:  # the probe's stamps (its dist_cache section): see Replay._proof
        digest.update(b"\0" + stamps_digest.encode("ascii", "replace"))
    return digest.hexdigest()


def stamp(path: str, follow: bool = True):
    """What a change to `path` changes: (mtime, ctime, size, inode, device, mode), or the error.

    A path read without following links (os.lstat: os.path.realpath on every part of a path,
    os.path.islink) is stamped for what those read of it: a symbolic link's target (and its
    ctime, which a new link has), or the kind of file that is not a link.  Not a folder's mtime:
    realpath's walk passes through /home and /tmp, which change whenever a sibling does."""
    try:
        status = STAT(path) if follow else LSTAT(path)
        if not follow:
            if S_ISLNK(status.st_mode):
                return ("link", os.readlink(path), status.st_ctime_ns)
            return ("not a link", S_IFMT(status.st_mode))
    except OSError as exc:
        return f"error {exc.errno}"
    return (status.st_mtime_ns, status.st_ctime_ns, status.st_size, status.st_ino, status.st_dev, status.st_mode)


class ProbeStamps(Protocol):
    """The stamps the probe held true in this run (probe/dist_cache_file.ProbeStamps is the one):
    `digest` is part of the document's digest, and `paths()` are left out of the proof."""

    digest: Optional[str]

    def paths(self, recent_ns: int) -> AbstractSet[str]: ...


def _report_file(request: str) -> str:
    return os.path.join(cache_folder("replay"), request[:40] + ".marshal")


_UNREAD = object()


class Replay:
    """One check run's side of replay: the lookup of the report stored for this command line and
    environment, the recording of what the host reads, and the storing of the report at the end.

    One report is kept per request key (the last environment state it was checked in): a changed
    environment replaces it."""

    def __init__(self, options: dict) -> None:
        self.request_key = request_key(options)
        self.fmt = options.get("fmt")
        self.path = _report_file(self.request_key)
        self.started_ns = time.time_ns()
        self.digest: Optional[str] = None  # the probe's document's, once looked up
        self.reads: Optional[Recording] = None
        self._data: object = _UNREAD  # the stored report's file, read once (_stored_data)
        self._proof_held: Optional[bool] = None  # its proof checked before the answer (proof_holds)
        self.stamps: Optional[ProbeStamps] = None  # what the probe stamped in this run (_proof)

    def stored(self) -> bool:
        """Whether a report is stored for this command line and environment (for some state)."""
        return os.path.exists(self.path)

    def lookup(self, text: str, stderr: str, stamps: Optional[ProbeStamps] = None) -> Optional[Tuple[str, int]]:
        """The stored report and its exit code, when it was made from this document (and these
        probe stamps) and every stamp of its proof still holds."""
        return self._lookup(self._digest(text, stderr, stamps))

    def _digest(self, text: str, stderr: str, stamps: Optional[ProbeStamps]) -> str:
        """The document's digest with the probe's stamps; the stamps are kept for store()."""
        self.stamps = stamps
        return document_digest(text, stderr, stamps.digest if stamps is not None else None)

    def _lookup(self, digest: str) -> Optional[Tuple[str, int]]:
        self.digest = digest
        data = self._stored_data()
        if data is None or data["digest"] != digest or self._proof_held is False:
            return None
        # Stamped again, after the answer, whatever an earlier check found: the probe ran the
        # target's start-up code (its .pth lines, sitecustomize), which may have changed a file
        # the report was made from while the probe ran.
        if not _stamps_hold(data["proof"]):
            return None
        return data["report"], data["exit_code"]

    def _stored_data(self) -> Optional[dict]:
        """The stored report's file for this key, read once; None when there is none this code wrote."""
        if self._data is _UNREAD:
            data = read_marshal(self.path)
            valid = (isinstance(data, dict) and data.get("format") == REPLAY_FORMAT and data.get("key") == self.request_key
                     and isinstance(data.get("digest"), str) and isinstance(data.get("report"), str)
                     and type(data.get("exit_code")) is int and isinstance(data.get("proof"), list))
            self._data = data if valid else None
        return self._data

    def proof_holds(self) -> bool:
        """Whether every stamp of the stored report's proof is unchanged now, decided once.
        check_command asks while the probe still runs (the host is idle then): a proof that no
        longer holds ends the lookup without waiting for the answer, and the run makes its report
        with the probe's wait for its idle work.  A proof that holds is stamped again after the
        answer (_lookup)."""
        if self._proof_held is None:
            data = self._stored_data()
            self._proof_held = data is not None and _stamps_hold(data["proof"])
        return self._proof_held

    @contextmanager
    def recording(self) -> Iterator[Recording]:
        with recording() as reads:
            self.reads = reads
            yield reads

    def document_arrived(self, text: str, stderr: str, stamps: Optional[ProbeStamps] = None) -> None:
        """The probe's hook: raises Replayed when the stored report holds for this document."""
        digest = self._digest(text, stderr, stamps)
        if digest == self.digest:
            return  # looked up already: launch.py's probe, read before the run began
        found = self._lookup(digest)
        if found is not None:
            raise Replayed(*found)

    def store(self, report: Optional[str], exit_code: int) -> None:
        """Keep `report` (rendered with the run-time stand-in) for the next run, when its proof is sound."""
        if report is None or self.digest is None or self.reads is None or self.reads.spoiled:
            return
        proof = self._proof()
        if proof is None:
            return
        write_marshal(self.path, {"format": REPLAY_FORMAT, "key": self.request_key, "digest": self.digest,
                                  "proof": proof, "report": report, "exit_code": exit_code})
        _prune(os.path.dirname(self.path))

    def _proof(self) -> Optional[List[tuple]]:
        """Every path the run read, with its stamp; None when one changed too recently.  Left out:
        envdoctor's own caches, and the paths the probe stamped after the target's start-up code
        ran (dist_cache_file.ProbeStamps): the digest of their stamps is part of the document's,
        and a lookup happens only when the probe found every one as its cache file has it."""
        own = tuple(os.path.join(os.path.abspath(cache_folder(kind)), "") for kind in OWN_CACHES)
        paths = set(self.reads.paths())
        recent = self.started_ns - MARGIN_NS
        if self.stamps is not None:
            paths.difference_update((path, True) for path in self.stamps.paths(recent))
        for module in list(sys.modules.values()):
            origin = getattr(module, "__file__", None)
            if isinstance(origin, str):
                paths.add((os.path.abspath(origin), True))
        paths.update((path, True) for path in _host_pth_files())
        proof = []
        for path, follow in sorted(paths):
            if path.startswith(own) or path + os.sep in own:
                continue
            found = stamp(path, follow)
            if any(time >= recent for time in _times(found)):
                return None  # changed while the run read it, or could have: the next run stores
            proof.append((path, follow, found))
        return proof


def _stamps_hold(proof: list) -> bool:
    try:
        for path, follow, expected in proof:
            if not isinstance(path, str) or stamp(path, follow) != expected:
                return False
    except (TypeError, ValueError):
        return False  # not a proof this code wrote
    return True


def _host_pth_files() -> List[str]:
    """The .pth files of envdoctor's own import path: site ran them at start-up (an import line
    may change what envdoctor loads), before anything was recorded."""
    found = []
    for folder in dict.fromkeys(sys.path):
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        found += [os.path.abspath(os.path.join(folder, name)) for name in names if name.endswith(".pth")]
    return found


def _times(found) -> tuple:
    """The modification and change times in a stamp (none in an error or a "not a link")."""
    if isinstance(found, tuple) and found[0] == "link":
        return (found[2],)
    if isinstance(found, tuple) and len(found) == 6:
        return found[:2]
    return ()


def _prune(folder: str) -> None:
    """Keep the KEPT_REPORTS newest reports: every environment state stores one."""
    try:
        names = [name for name in os.listdir(folder) if name.endswith(".marshal")]
        if len(names) <= KEPT_REPORTS:
            return
        dated = sorted(names, key=lambda name: STAT(os.path.join(folder, name)).st_mtime_ns)
        for name in dated[: len(names) - KEPT_REPORTS]:
            os.unlink(os.path.join(folder, name))
    except OSError:
        pass  # another run pruned first, or the folder is read-only: only disk space is at stake
