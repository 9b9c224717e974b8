"""A child started with os.posix_spawn: the part of subprocess.Popen that probe/process.py uses.

launch.py starts the facts probe before envdoctor's heavier imports, so that the target
interpreter and envdoctor's own start-up overlap.  Importing subprocess (and with it locale,
re, enum, signal, threading and selectors) cost ~15 ms on CPython 3.11 before that start,
every millisecond of it on a warm check's critical path; os.posix_spawn starts the child in
~0.5 ms with nothing imported, and subprocess comes later, while the probe runs.

`spawn_piped` gives the child Popen would, or None (the caller then uses Popen):

- stdin from /dev/null, stdout and stderr to pipes (Popen's DEVNULL, PIPE, PIPE);
- a session of its own (start_new_session; POSIX_SPAWN_SETSID, or None where it is missing);
- every inheritable descriptor above 2 closed (close_fds; descriptors Python opens are not
  inheritable, so only those envdoctor inherited from its parent are listed);
- SIGPIPE and SIGXFSZ back to their defaults (restore_signals: Python ignores them);
- a failed exec raised here, as the OSError Popen raises (glibc's posix_spawn reports it).

Only where that is all it takes: the working directory is this process's own (posix_spawn
has no chdir action that Python exposes), the program is named by a path (Popen searches
the PATH of the child's environment for a bare name), and the descriptors can be listed
(/proc/self/fd, /dev/fd).  Standard library only, and light: launch.py imports it.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Mapping, Optional, Sequence

# Where this process's open descriptors are listed (Linux, then macOS and the BSDs).
_FD_FOLDERS = ("/proc/self/fd", "/dev/fd")


class SpawnedChild:
    """pid, stdin/stdout/stderr, returncode, poll() and wait(timeout) as subprocess.Popen has them."""

    def __init__(self, pid: int, args: Sequence[str], stdout, stderr) -> None:
        self.pid, self.args = pid, list(args)
        self.stdin, self.stdout, self.stderr = None, stdout, stderr
        self.returncode: Optional[int] = None

    def poll(self) -> Optional[int]:
        if self.returncode is None:
            self._collect(os.WNOHANG)
        return self.returncode

    def wait(self, timeout: Optional[float] = None) -> int:
        if timeout is None:
            while self.returncode is None:
                self._collect(0)
            return self.returncode
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                import subprocess

                raise subprocess.TimeoutExpired(self.args, timeout)
            delay = min(delay * 2, remaining, 0.05)
            time.sleep(delay)
        return self.returncode

    def _collect(self, options: int) -> None:
        try:
            pid, status = os.waitpid(self.pid, options)
        except ChildProcessError:  # reaped by someone else: its status is lost (Popen says 0 too)
            self.returncode = 0
            return
        if pid == self.pid:
            self.returncode = os.waitstatus_to_exitcode(status)


def spawn_piped(argv: Sequence[str], env: Mapping[str, str], cwd: str) -> Optional[SpawnedChild]:
    """`argv` started as Popen(argv, env=env, cwd=cwd, stdin=DEVNULL, stdout=PIPE, stderr=PIPE,
    start_new_session=True) would start it; None where posix_spawn cannot do all of that here."""
    spawn = getattr(os, "posix_spawn", None)
    argv = [os.fspath(arg) for arg in argv]  # Popen takes path-like arguments too
    program = argv[0]
    if (spawn is None or not isinstance(program, str) or os.sep not in program or not _is_this_folder(cwd)
            or not _plain_names(env)):
        return None
    inherited = _inheritable_descriptors()
    if inherited is None:
        return None
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    ours = (out_read, out_write, err_read, err_write)
    if min(ours) <= 2:  # this process's own stdin, stdout or stderr was closed: Popen handles that
        _close(ours)
        return None
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, out_write, 1), (os.POSIX_SPAWN_DUP2, err_write, 2)]
    actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in inherited if fd > 2 and fd not in ours]
    try:
        pid = spawn(program, argv, dict(env), file_actions=actions, setsid=True,
                    setsigdef=_restored_signals())
    except NotImplementedError:  # no POSIX_SPAWN_SETSID on this platform
        _close(ours)
        return None
    except BaseException:
        _close(ours)
        raise
    _close((out_write, err_write))
    return SpawnedChild(pid, argv, open(out_read, "rb", buffering=0), open(err_read, "rb", buffering=0))


def _is_this_folder(cwd: Optional[str]) -> bool:
    """Whether the child's working directory is this process's, by name: Popen's chdir(cwd) gives
    the child the name it was given (a bind mount or a link of this folder is another name)."""
    if cwd is None:
        return True
    try:
        return os.fspath(cwd) == os.getcwd()
    except OSError:  # this process's working directory is gone: Popen says what that means
        return False


def _plain_names(env: Mapping[str, str]) -> bool:
    """Whether every variable name is one both starts accept alike: posix_spawn refuses an empty
    name (which Popen passes on) and passes one holding "=" (which Popen refuses)."""
    return all(name and ("=" not in name if isinstance(name, str) else b"=" not in name) for name in env)


def _inheritable_descriptors() -> Optional[List[int]]:
    for folder in _FD_FOLDERS:
        if folder == "/dev/fd" and not _lists_open_descriptors(folder):
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found = []
        for name in names:
            try:
                if os.get_inheritable(int(name)):
                    found.append(int(name))
            except (OSError, ValueError):  # the listing's own descriptor, closed by now
                continue
        return found
    return None


def _lists_open_descriptors(folder: str) -> bool:
    """Whether /dev/fd is a file system of its own (fdescfs, macOS's devfs entry) that lists this
    process's descriptors, not a static folder of /dev holding 0-2 (FreeBSD without fdescfs,
    NetBSD, OpenBSD): the test CPython's _posixsubprocess makes too."""
    try:
        return os.stat(folder).st_dev != os.stat(os.path.dirname(folder)).st_dev or sys.platform == "darwin"
    except OSError:
        return False


def _restored_signals() -> tuple:
    """The signals Popen's restore_signals puts back to their default: Python ignores SIGPIPE and
    SIGXFSZ (SIGXFZ on some platforms), and a child would inherit that.  _signal holds them as
    plain numbers; the signal module would import enum."""
    import _signal

    return tuple(getattr(_signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(_signal, name))


def _close(descriptors) -> None:
    for fd in descriptors:
        try:
            os.close(fd)
        except OSError:
            pass
