"""Run a target-interpreter subprocess within a deadline that really ends it.

The child and everything it starts end when it is collected (envdoctor.processes: its
own session, a tag, envdoctor as subreaper).  Its output is read as it comes, and the
wait stops at the first of: the child exited (a forked helper may still hold our pipes:
what it has not written by then is not waited for), the caller's `answered` says the
output is complete (the probe's framed document), or the deadline.  A child collected
after its deadline (its caller was busy with other children meanwhile) that has exited
or answered by then gives its answer: only one still running at the deadline timed out.
"""

from __future__ import annotations

import os
import time
from collections import namedtuple

# Imported by launch.py before the probe starts: no typing or dataclasses at run time
# (together ~25 ms), and subprocess, selectors and signal only where they are used (the probe
# starts through os.posix_spawn where it can: envdoctor/spawned.py), so the target
# interpreter starts that much sooner.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Iterator, Mapping, Optional, Sequence

from envdoctor.errors import TargetError
from envdoctor.processes import ProcessTree

# How often the wait looks whether the child has exited while its pipes stay open.
POLL_SECONDS = 0.05
# A child whose answer is complete has this long to exit by itself (its stderr is kept).
EXIT_GRACE_SECONDS = 1.0
READ_SIZE = 1 << 16
_DONE = object()  # the end of the idle steps


# A named tuple, not a @record: launch.py imports this module before the probe starts,
# and a record needs the dataclasses module (13-16 ms to import, measured on CPython 3.11),
# which would delay the target's start by as much.
class Completed(namedtuple("Completed", "returncode stdout stderr timed_out allowed silent")):
    """returncode is None when the process was killed at the deadline (timed_out True);
    `allowed` is the seconds it was given; `silent`, the seconds its stdout had been silent
    when the wait ended (since its start, if it wrote nothing): how long the step after its
    last word took."""

    __slots__ = ()


def probe_environment(base: Mapping[str, str] = os.environ) -> dict:
    env = dict(base)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # with -B: nothing written into the target
    env.pop("PYTHONINSPECT", None)  # would leave the child waiting at a prompt
    return env


class OutOfTime(TargetError):
    """--timeout ran out before the target answered: nothing is known about it, neither good nor bad."""


class Running:
    """A started target subprocess; `wait` collects it by `deadline` (time.monotonic()).

    A deadline already passed starts nothing: OutOfTime, so that the time a result reports
    (`Completed.allowed`) is never zero or negative and no process is started only to be killed."""

    def __init__(self, argv: Sequence[str], cwd: str, deadline: float, extra_env: Optional[Mapping[str, str]] = None):
        self.argv = list(argv)
        self.started = time.monotonic()
        self.deadline = deadline
        if deadline <= self.started:
            raise OutOfTime(f"could not check {argv[0]}: --timeout ran out before it could be started"
                            " (nothing was found wrong; a larger --timeout gives it the time it needs)")
        try:
            self.tree = ProcessTree.start_piped(self.argv, {**probe_environment(), **(extra_env or {})}, cwd)
        except FileNotFoundError as exc:
            raise TargetError(f"{argv[0]}: cannot run it ({exc.strerror})") from exc
        except OSError as exc:  # ENOEXEC, EACCES: a file that is not a program
            raise TargetError(f"{argv[0]}: cannot run it ({exc.strerror or exc})") from exc
        self.collected = None

    def wait(self, answer_end: Optional[bytes] = None,
             waiting: Optional[Callable[[float], None]] = None, waiting_after: float = 10.0,
             next_deadline: Optional[Callable[[bytes], float]] = None,
             idle: Optional[Iterator[None]] = None) -> Completed:
        """The child's output, read until it exits, its stdout holds `answer_end` (the end of
        a framed answer), or the deadline.  `waiting(seconds)` is called once when no answer
        came after `waiting_after` s.  `next_deadline(stdout so far)`, called whenever stdout
        grows, gives the deadline from then on (a child that answers in parts gets a budget per
        part).  `idle`: steps of other work (idle_work.py), one taken whenever a poll finds
        nothing to read, until the answer is in.  The child and every descendant are ended
        before it returns (and on Ctrl-C)."""
        if self.collected is None:
            try:
                out, err, timed_out, last_output = self._read(answer_end, waiting, waiting_after, next_deadline, idle)
            finally:
                self.tree.end()
            child = self.tree.child
            ended = time.monotonic()
            self.collected = Completed(
                returncode=None if timed_out else child.returncode,
                stdout=out.decode("utf-8", "replace"),
                stderr=err.decode("utf-8", "replace"),
                timed_out=timed_out,
                allowed=self.deadline - self.started,
                silent=min(ended, self.deadline) - last_output,
            )
        return self.collected

    def _read(self, answer_end, waiting, waiting_after, next_deadline=None, idle=None):
        """(stdout, stderr, timed out, when stdout last had something new)"""
        import selectors
        import subprocess

        child = self.tree.child
        out, err = bytearray(), bytearray()
        buffers = {child.stdout.fileno(): out, child.stderr.fileno(): err}
        with selectors.DefaultSelector() as selector:
            for fd in buffers:
                selector.register(fd, selectors.EVENT_READ)
            answered_at = None
            last_output = self.started  # the last time stdout had something new
            while True:
                now = time.monotonic()
                if now >= self.deadline:
                    # Collected late, or really out of time: what the child wrote before now is
                    # read without waiting; an exited or answered child did not time out.
                    _drain(selector, buffers)
                    answered = answered_at is not None or bool(answer_end and answer_end in out)
                    return out, err, not answered and child.poll() is None, last_output
                if waiting is not None and now - self.started >= waiting_after:
                    waiting(now - self.started)
                    waiting = None
                if answered_at is not None and now - answered_at >= EXIT_GRACE_SECONDS:
                    return out, err, False, last_output
                if not selector.get_map():  # both pipes closed: wait for the exit alone
                    try:
                        child.wait(timeout=min(POLL_SECONDS * 10, self.deadline - now))
                    except subprocess.TimeoutExpired:
                        continue
                    return out, err, False, last_output
                exited = child.poll() is not None
                searched = len(out)
                working = idle is not None and answered_at is None and not exited
                events = selector.select(timeout=0 if exited or working else min(POLL_SECONDS, self.deadline - now))
                if working and not events and next(idle, _DONE) is _DONE:
                    idle = None
                for key, _ in events:
                    chunk = os.read(key.fd, READ_SIZE)
                    if chunk:
                        buffers[key.fd].extend(chunk)
                        if key.fd == child.stdout.fileno():
                            last_output = time.monotonic()
                            if next_deadline is not None:
                                self.deadline = next_deadline(bytes(out))
                    else:
                        selector.unregister(key.fd)
                if exited and not _readable(selector):
                    # What a forked helper holding the pipes writes later is not ours.
                    return out, err, False, last_output
                if answered_at is None and answer_end and out.find(answer_end, max(0, searched - len(answer_end))) >= 0:
                    answered_at = time.monotonic()

    def cancel(self) -> None:
        """End it without its answer (an early probe nobody asked for, an interrupted run)."""
        if self.collected is None:
            self.tree.end()


# At most this many reads when collecting at the deadline: a child that never stops writing
# must not keep the collection going.
DRAIN_READS = 64


def _drain(selector, buffers) -> None:
    """Read what the pipes hold now, without waiting for more."""
    for _ in range(DRAIN_READS):
        if not _readable(selector):
            return
        for key, _ in selector.select(timeout=0):
            chunk = os.read(key.fd, READ_SIZE)
            if chunk:
                buffers[key.fd].extend(chunk)
            else:
                selector.unregister(key.fd)


def _readable(selector) -> bool:
    return bool(selector.get_map()) and bool(selector.select(timeout=0))


def run_target(argv: Sequence[str], cwd: str, deadline: float) -> Completed:
    return Running(argv, cwd, deadline).wait()


def describe_exit(result: Completed) -> str:
    if result.timed_out:
        return f"no result within {result.allowed:.3g} s (killed)"
    code = result.returncode
    if code is not None and code < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def stderr_tail(text: str, lines: int = 6) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
