"""Subprocesses that end with envdoctor, every descendant included.

Used for every subprocess of the target interpreter that probe/ starts (the facts probe,
the diagnosis of its start-up, the deep imports), and for the installer's dry run of
fixes/combined.py: they run code envdoctor does not trust.  A fix's steps have their own
guard (fixes/step_processes.py: a process group, PR_SET_PDEATHSIG, the pid in the journal);
flow.py's `python -S` prefix query runs no site code and needs neither.
A .pth line or a sitecustomize may fork a helper, and a helper that calls setsid()
leaves the process group that killing by group reaches.  Three mechanisms together end them all:

- each child starts in a session (and process group) of its own: one killpg ends the
  child and whatever stayed in its group;
- each child's environment carries a tag (`ENVDOCTOR_PROCESS_TAG`), which every
  descendant inherits unless it replaces its whole environment;
- on Linux envdoctor is a child subreaper (prctl PR_SET_CHILD_SUBREAPER): a descendant
  whose parent exits is re-parented to envdoctor rather than to init, so the tagged
  ones are found among envdoctor's own children, killed and reaped.

Elsewhere (macOS) only the group is killed.  When envdoctor itself is terminated (SIGTERM,
SIGHUP: a CI job cancelled, `timeout`, a closed terminal), `end_on_termination()`'s handler
kills every tree still running before envdoctor dies of the signal.  Standard library only,
and light: launch.py imports it before the early probe starts.  Use:

    tree = ProcessTree.start(argv, env=..., stdout=PIPE, ...)
    ...  # talk to tree.child, a subprocess.Popen (or spawned.SpawnedChild, from start_piped)
    tree.end()  # always, in a finally: kills what is left, reaps the child
"""

from __future__ import annotations

import os
import sys
import time

# Signal numbers and handlers as plain ints: the signal module would import enum (~5 ms before
# the early probe starts).  subprocess is imported where a child is started with Popen.
try:
    import _signal as signals
except ImportError:  # an implementation without CPython's _signal
    import signal as signals  # type: ignore[no-redef]

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess

    from envdoctor.spawned import SpawnedChild

TAG_VARIABLE = "ENVDOCTOR_PROCESS_TAG"
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
# A killed descendant may leave children of its own, re-parented to us in turn: a few rounds
# end a chain; the bound keeps a fork loop from holding envdoctor forever.
SWEEP_ROUNDS = 20
REAP_SECONDS = 2.0

_subreaper = None  # decided on first use
_adopting = False  # set by the command line's entry point only (adopt_orphans)
_running = set()  # the trees started and not yet ended, for the termination handler


def adopt_orphans() -> None:
    """Let this process become a child subreaper when it starts its first tree.

    Only envdoctor's own command-line process asks for it (launch.main): being a subreaper is
    a property of the whole process, and a program that imports envdoctor (a test runner, a
    mutation tester that waits for its own workers with os.wait()) would start receiving
    orphans it never started."""
    global _adopting
    _adopting = True


def become_subreaper() -> bool:
    """Linux, once adopt_orphans() was called: orphaned descendants of envdoctor's children are
    re-parented to envdoctor.  False otherwise, and where the kernel or the platform does not
    offer it (then only the process group is ended)."""
    global _subreaper
    if not _adopting:
        return False
    if _subreaper is None:
        _subreaper = _set_child_subreaper()
    return _subreaper


def _set_child_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class ProcessTree:
    """A child in a session of its own, tagged, and everything it starts."""

    def __init__(self, child: subprocess.Popen | SpawnedChild, tag: str):
        self.child, self.tag = child, tag

    @classmethod
    def start(cls, argv, env, **popen_options) -> "ProcessTree":
        """subprocess.Popen(argv, ...) with the tag in `env` and a new session; OSError as Popen raises it."""
        import subprocess

        tag = os.urandom(8).hex()
        return cls._started(subprocess.Popen(argv, env={**env, TAG_VARIABLE: tag}, start_new_session=True,
                                             **popen_options), tag)

    @classmethod
    def start_piped(cls, argv, env, cwd) -> "ProcessTree":
        """start(argv, env, cwd=cwd, stdin=DEVNULL, stdout=PIPE, stderr=PIPE), through
        os.posix_spawn where it gives the same child (spawned.py: no subprocess import first)."""
        from envdoctor.spawned import spawn_piped

        tag = os.urandom(8).hex()
        child = spawn_piped(argv, {**env, TAG_VARIABLE: tag}, cwd)
        if child is None:
            import subprocess

            return cls.start(argv, env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        return cls._started(child, tag)

    @classmethod
    def _started(cls, child, tag: str) -> "ProcessTree":
        # After the start, not before: importing ctypes costs ~3 ms that the early probe's start
        # would wait for.  Only the first child starts before the prctl (every later one after
        # it), and a Python child orphans nothing before its interpreter has started and run
        # site, which takes longer than that.
        become_subreaper()
        tree = cls(child, tag)
        _running.add(tree)
        return tree

    def end(self) -> None:
        """Kill the child's group (the child too, if it still runs), reap the child, close the
        pipes to it, then end every tagged descendant that left the group.  Idempotent.

        The group is killed even when the child was already reaped: while any member of the
        group lives, its id (the child's pid) cannot be given to a new process, and once none
        does, the kernel hands the id out again only after its pids have wrapped around."""
        kill_group(self.child.pid)
        self.child.wait()
        for stream in (self.child.stdin, self.child.stdout, self.child.stderr):
            if stream is not None:
                stream.close()
        end_tagged(self.tag)
        _running.discard(self)


def end_on_termination() -> None:
    """On SIGTERM or SIGHUP, kill every running tree, then die of the signal as before (the
    exit status a caller expects; `fix`'s journal stays for `undo`, as after any kill).
    Main thread only; a handler someone else installed is left alone."""
    for signum in (signals.SIGTERM, signals.SIGHUP):
        if signals.getsignal(signum) == signals.SIG_DFL:
            signals.signal(signum, _terminated)


def _terminated(signum, _frame) -> None:
    # No Popen.wait() here: the interrupted code may hold that child's wait lock.  Killed
    # processes are not reaped either: we are about to exit, and init reaps them.
    for tree in list(_running):
        kill_group(tree.child.pid)
        _await_exit(tree.child.pid)
        end_tagged(tree.tag, reap=False)
    signals.signal(signum, signals.SIG_DFL)
    os.kill(os.getpid(), signum)


def _await_exit(pid: int) -> None:
    """Until our child `pid` has finished exiting, without reaping it (WNOWAIT: its Popen may
    still wait for it).  Its orphaned descendants are re-parented to us only as its exit
    completes: a sweep for them before that finds none, and they outlive envdoctor."""
    if not hasattr(os, "waitid"):
        return
    stop = time.monotonic() + REAP_SECONDS
    while time.monotonic() < stop:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
        except ChildProcessError:  # already reaped
            return
        time.sleep(0.005)


def kill_group(pgid: int) -> None:
    """SIGKILL to the whole process group `pgid`; a group already gone is no error."""
    try:
        os.killpg(pgid, signals.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def end_tagged(tag: str, reap: bool = True) -> None:
    """Kill and reap envdoctor's children that carry `tag` (descendants re-parented to us), round
    after round, since a killed one's own children are re-parented to us in their turn."""
    if not (become_subreaper() and os.path.isdir("/proc")):
        return
    marker = ("\0" + TAG_VARIABLE + "=" + tag + "\0").encode()
    for _ in range(SWEEP_ROUNDS):
        strays = [pid for pid in _children() if marker in _environment(pid)]
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signals.SIGKILL)
            except ProcessLookupError:
                pass
        if reap:
            _reap(strays)
        else:  # let the kernel finish those exits, so that their children are re-parented to us
            time.sleep(0.01)


def _children():
    """The pids whose parent is this process and that are not zombies, from /proc/PID/stat.

    The candidates come from /proc/self/task/*/children (a few files, ~0.15 ms) where the
    kernel has them (CONFIG_PROC_CHILDREN); otherwise every process of /proc is read (~5 ms
    with 85 processes, more on a busy host), which every ProcessTree.end() would pay."""
    me = os.getpid()
    found = []
    for pid in _candidate_children(me):
        try:
            with open("/proc/%d/stat" % pid, "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and fields[0] != b"Z" and int(fields[1]) == me:
            found.append(pid)
    return found


def _candidate_children(me: int):
    listed = set()
    try:
        for task in os.listdir("/proc/%d/task" % me):
            with open("/proc/%d/task/%s/children" % (me, task), "rb") as handle:
                listed.update(int(pid) for pid in handle.read().split())
    except OSError:  # no children files on this kernel: every process is a candidate
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    return sorted(listed)


def _environment(pid: int) -> bytes:
    try:
        with open("/proc/%d/environ" % pid, "rb") as handle:
            return b"\0" + handle.read()  # NUL-separated NAME=value entries, each ending in NUL
    except OSError:
        return b""


def _reap(pids) -> None:
    """Collect the killed strays, so none is left a zombie; a process stuck in the kernel
    (uninterruptible sleep) is given up after a bound rather than waited for."""
    waiting = set(pids)
    stop = time.monotonic() + REAP_SECONDS
    while waiting and time.monotonic() < stop:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                waiting.discard(pid)
        if waiting:
            time.sleep(0.01)
