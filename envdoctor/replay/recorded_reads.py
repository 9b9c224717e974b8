"""Every path the host reads during a check, noted for the proof of a stored report.

Inside `recording()`, every path read is noted, then read as always:
- opened (builtins.open, io.open, os.open, io.open_code, C code through Python's file
  objects), listed (os.listdir, os.scandir): seen through Python's audit events "open",
  "os.listdir" and "os.scandir" (sys.addaudithook), whichever reference to the function the
  caller holds;
- stat'ed (os.stat, os.lstat, os.access, os.readlink), which raise no audit event: those os
  functions are replaced for the block, and so is pathlib's accessor on Python 3.9 and 3.10,
  which holds its own references to them.  os.path, pathlib, shutil.which, glob, zipfile and
  importlib.metadata call them at run time.
So the scans, the native linkage, the config, the plugins and the rule files are all seen
without each of them having to declare what it read (a reader that forgot one would replay a
stale report).

What a stamp cannot prove spoils the recording, and nothing is stored: a subprocess (its
output is no file's stamp; ldconfig -p, run when the linkage cache misses), the network (a
third party's check asking a server), a native library loaded through ctypes (a GPU's driver
asked for its state), the host's name, all seen through their audit events; a read under
/sys (live kernel state: a file's stamp does not change with its content); a folder given as
a file descriptor (os.stat, os.listdir, os.scandir of one); a working directory that is gone.

os.scandir's entries are noted when their stat() is called (DirEntry answers it without
os.stat); their names and types are the listed folder's, whose stamp changes when an entry
is added, removed or replaced.

os.makedirs's stats of the parents of a cache folder it creates are not noted: they are part
of a write of envdoctor's own, and the parents change whenever a sibling does.  /proc is not
noted: the host reads it only to follow its own subprocesses (processes.py), whose pids
differ on every run.  The environment's facts from /proc are the probe's, in its document.

Imports are noted through "open" (io.open_code) as well; replay/ also stamps the file of every
module imported by the end of the run.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator, Optional, Set, Tuple

# The originals, for stamping outside the recording (and for the patched functions themselves).
STAT = os.stat
LSTAT = os.lstat
PROC = "/proc"
LIVE = "/sys/"


class Recording:
    """The paths one check run read: followed (stat, open, listdir) or not (lstat, readlink)."""

    def __init__(self) -> None:
        self.followed: Set[str] = set()
        self.not_followed: Set[str] = set()
        self.spoiled: Optional[str] = None  # why the run's report may not be replayed
        self.writing = 0  # inside os.makedirs: its stats of the parents are no read of the report's

    def note(self, path, follow: bool = True) -> None:
        if self.writing:
            return
        if isinstance(path, int):
            self.spoil("a folder given as a file descriptor")
            return
        try:
            text = os.fsdecode(path)
            # Joined, not normalised: "a/link/../f" is not "a/f" when link is a symbolic link.
            text = text if os.path.isabs(text) else os.path.join(os.getcwd(), text)
        except TypeError:
            return  # not a path: the call itself raises
        except OSError:  # a relative path, and the working directory is gone
            self.spoil("the working directory is gone")
            return
        if text.startswith(LIVE):
            self.spoil("live kernel state was read (/sys)")  # its files' stamps do not change with their content
        elif text != PROC and not text.startswith(PROC + "/"):
            (self.followed if follow else self.not_followed).add(text)

    def spoil(self, why: str) -> None:
        if self.spoiled is None:
            self.spoiled = why

    def paths(self) -> Iterator[Tuple[str, bool]]:
        for path in self.followed:
            yield path, True
        for path in self.not_followed:
            yield path, False


def _noting(recording: Recording, function, follow: bool = True):
    def noted(path=".", *args, **kwargs):
        if kwargs.get("dir_fd") is not None:
            recording.spoil("a path relative to a folder's file descriptor")
        recording.note(path, follow=follow and kwargs.get("follow_symlinks", True))
        return function(path, *args, **kwargs)

    noted.__wrapped__ = function
    return noted


def _not_noting(recording: Recording, function):
    """os.makedirs: it stats each parent of a cache folder it creates; those are no reads of the report's."""
    def not_noted(*args, **kwargs):
        recording.writing += 1
        try:
            return function(*args, **kwargs)
        finally:
            recording.writing -= 1

    not_noted.__wrapped__ = function
    return not_noted


def _noting_scandir(recording: Recording, function):
    """os.scandir whose entries' stat() is noted (the folder itself is noted by its audit event)."""
    def noted(path="."):
        listing = function(path)
        if isinstance(path, int):
            return listing
        return _NotedEntries(recording, listing)

    noted.__wrapped__ = function
    return noted


class _NotedEntries:
    """os.scandir's iterator (and context manager), noting each entry's path as it is yielded."""

    def __init__(self, recording: Recording, listing) -> None:
        self.recording, self.listing = recording, listing

    def __iter__(self):
        return self

    def __next__(self):
        return _NotedEntry(self.recording, next(self.listing))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.listing.close()

    def close(self) -> None:
        self.listing.close()


class _NotedEntry:
    """An os.DirEntry whose stat() is noted; everything else is the entry's own."""

    __slots__ = ("recording", "entry", "name", "path")

    def __init__(self, recording: Recording, entry) -> None:
        self.recording, self.entry, self.name, self.path = recording, entry, entry.name, entry.path

    def stat(self, *, follow_symlinks: bool = True):
        self.recording.note(self.path, follow=follow_symlinks)
        return self.entry.stat(follow_symlinks=follow_symlinks)

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        return self.entry.is_dir(follow_symlinks=follow_symlinks)

    def is_file(self, *, follow_symlinks: bool = True) -> bool:
        return self.entry.is_file(follow_symlinks=follow_symlinks)

    def is_symlink(self) -> bool:
        return self.entry.is_symlink()

    def inode(self) -> int:
        return self.entry.inode()

    def __fspath__(self) -> str:
        return self.path


# Audit events (docs.python.org/3/library/audit_events.html) after which no stamp proves the report.
SPOILING_EVENTS = {
    "subprocess.Popen": "a subprocess ran", "os.system": "a subprocess ran", "os.exec": "a subprocess ran",
    "os.posix_spawn": "a subprocess ran", "os.spawn": "a subprocess ran", "os.fork": "a subprocess ran",
    "os.forkpty": "a subprocess ran",
    "socket.connect": "the network was used", "socket.sendto": "the network was used",
    "socket.sendmsg": "the network was used", "socket.getaddrinfo": "the network was used",
    "socket.gethostbyname": "the network was used", "socket.gethostname": "the host's name was asked",
    "ctypes.dlopen": "a native library was loaded",
}
_recordings: list = []  # the recordings in progress (the audit hook is the process's for good)
_hooked: list = []


# Audit events that read a path: its first argument.
READING_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


def _audit(event: str, args) -> None:
    if not _recordings:
        return
    recording = _recordings[-1]
    if event in READING_EVENTS:
        path = args[0] if args else None
        if path is not None and not (event == "open" and isinstance(path, int)):  # open(fd): a pipe, a file opened already
            recording.note(path)
        return
    why = SPOILING_EVENTS.get(event)
    if why is not None:
        recording.spoil(why)


@contextmanager
def recording() -> Iterator[Recording]:
    """Note every path read inside the block; the functions are restored after it, whatever happens."""
    noted = Recording()
    if not _hooked:  # an audit hook cannot be removed: one for the process, idle outside a recording
        sys.addaudithook(_audit)
        _hooked.append(True)
    replaced = [
        (os, "stat", _noting(noted, os.stat)),
        (os, "lstat", _noting(noted, os.lstat, follow=False)),
        (os, "scandir", _noting_scandir(noted, os.scandir)),
        (os, "access", _noting(noted, os.access)),
        (os, "readlink", _noting(noted, os.readlink, follow=False)),
        (os, "makedirs", _not_noting(noted, os.makedirs)),
    ]
    accessor = getattr(sys.modules.get("pathlib"), "_NormalAccessor", None)  # Python 3.9 and 3.10
    if accessor is not None:
        replaced += [(accessor, "stat", staticmethod(_noting(noted, os.stat))),
                     (accessor, "lstat", staticmethod(_noting(noted, os.lstat, follow=False)))]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in replaced]
    for owner, name, function in replaced:
        setattr(owner, name, function)
    _recordings.append(noted)
    try:
        yield noted
    finally:
        _recordings.remove(noted)
        for owner, name, function in originals:
            setattr(owner, name, function)
