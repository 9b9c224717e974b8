"""envdoctor/spawned.py: a child from os.posix_spawn is the child subprocess.Popen would start.

Real processes: each child reports its own state (working directory, session, open
descriptors, signal dispositions, environment, what stdin reads) and the two starts must
agree, for the early probe's start must not change what the target sees.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest

from envdoctor.processes import ProcessTree
from envdoctor.spawned import SpawnedChild, spawn_piped

pytestmark = pytest.mark.skipif(not hasattr(os, "posix_spawn"), reason="no os.posix_spawn here")

SELF_REPORT = r"""
import json, os, signal, sys
def inherited(fd):
    try:
        return fd <= 2 or os.get_inheritable(fd)
    except OSError:  # the listing's own descriptor, closed by now
        return False
fds = sorted(int(name) for name in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"))
print(json.dumps({
    "cwd": os.getcwd(),
    "own_session": os.getsid(0) == os.getpid(),
    "own_group": os.getpgid(0) == os.getpid(),
    "fds": [fd for fd in fds if inherited(fd)],
    "variable": os.environ.get("SPAWN_TEST_VARIABLE"),
    "stdin": sys.stdin.read(),
}))
sys.stderr.write("to stderr")
"""


def popen_child(argv, env, cwd):
    return subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def report(child) -> tuple:
    out, err = child.stdout.read(), child.stderr.read()
    code = child.wait()
    child.stdout.close()
    child.stderr.close()
    return json.loads(out), err.decode(), code


def test_the_spawned_child_is_the_one_popen_starts(tmp_path):
    leaked_read, leaked_write = os.pipe()
    os.set_inheritable(leaked_write, True)  # as a descriptor inherited from envdoctor's own parent would be
    typed_read, typed_write = os.pipe()  # this process's stdin, while the children start: it holds text
    os.write(typed_write, b"typed at the terminal\n")
    os.close(typed_write)
    saved_stdin = os.dup(0)
    os.dup2(typed_read, 0)
    try:
        env = {**os.environ, "SPAWN_TEST_VARIABLE": "value"}
        argv = [sys.executable, "-c", SELF_REPORT]
        spawned = spawn_piped(argv, env, os.getcwd())
        assert isinstance(spawned, SpawnedChild)
        from_spawn = report(spawned)
        from_popen = report(popen_child(argv, env, os.getcwd()))
    finally:
        os.dup2(saved_stdin, 0)
        for fd in (saved_stdin, typed_read, leaked_read, leaked_write):
            os.close(fd)
    assert from_spawn == from_popen
    state, err, code = from_spawn
    assert state["fds"] == [0, 1, 2] and state["own_session"] and state["own_group"]
    assert state["variable"] == "value" and state["stdin"] == ""
    assert (err, code) == ("to stderr", 0)


@pytest.mark.skipif(not os.path.isfile("/proc/self/status"), reason="reads /proc")
def test_the_signals_python_ignores_are_not_ignored_in_the_child():
    """Python ignores SIGPIPE and SIGXFSZ; Popen restores them in its child (restore_signals).  A
    Python child ignores SIGPIPE again itself, so a program that does not is asked (grep)."""
    argv = ["/bin/sh", "-c", "exec grep SigIgn /proc/self/status"]
    from_spawn = spawn_piped(argv, dict(os.environ), os.getcwd())
    from_popen = popen_child(argv, dict(os.environ), os.getcwd())
    # The standard signals only: glibc's posix_spawn leaves its two internal thread signals (32
    # and 33) ignored, and a new process's C library sets their handlers again as it starts.
    ignored = [int(child.stdout.read().split()[1], 16) & 0x7FFFFFFF for child in (from_spawn, from_popen)]
    for child in (from_spawn, from_popen):
        child.wait()
        child.stdout.close()
        child.stderr.close()
    assert ignored[0] == ignored[1]
    for signum in (signal.SIGPIPE, signal.SIGXFSZ):
        assert not ignored[0] & (1 << (signum - 1))


def test_exit_codes_polls_and_waits_as_popen_has_them():
    sleeper = spawn_piped([sys.executable, "-c", "import time; time.sleep(30)"], dict(os.environ), os.getcwd())
    assert sleeper.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        sleeper.wait(timeout=0.05)
    os.kill(sleeper.pid, signal.SIGKILL)
    assert sleeper.wait() == -signal.SIGKILL and sleeper.poll() == -signal.SIGKILL
    exits = spawn_piped([pathlib.Path(sys.executable), "-c", "raise SystemExit(3)"], dict(os.environ), os.getcwd())  # path-like, as Popen takes
    assert exits.wait(timeout=30) == 3
    for child in (sleeper, exits):
        child.stdout.close()
        child.stderr.close()


def test_a_program_that_cannot_run_raises_what_popen_raises(tmp_path):
    not_a_program = tmp_path / "text"
    not_a_program.write_text("just text\n")
    not_a_program.chmod(0o755)
    not_executable = tmp_path / "plain"
    not_executable.write_text("#!/bin/sh\n")
    for program in (tmp_path / "missing", not_a_program, not_executable):
        with pytest.raises(OSError) as from_popen:
            popen_child([str(program)], dict(os.environ), os.getcwd())
        with pytest.raises(OSError) as from_spawn:
            spawn_piped([str(program)], dict(os.environ), os.getcwd())
        assert (type(from_spawn.value), from_spawn.value.errno) == (type(from_popen.value), from_popen.value.errno)


def test_what_posix_spawn_cannot_do_is_left_to_popen(tmp_path):
    argv = [sys.executable, "-c", "pass"]
    assert spawn_piped(argv, dict(os.environ), str(tmp_path)) is None  # another working directory
    assert spawn_piped(["python3", "-c", "pass"], dict(os.environ), os.getcwd()) is None  # a name PATH resolves
    link = tmp_path / "here"
    link.symlink_to(os.getcwd())
    assert spawn_piped(argv, dict(os.environ), str(link)) is None  # this folder by another name: the child sees that name
    assert spawn_piped(argv, {**os.environ, "": "x"}, os.getcwd()) is None  # posix_spawn refuses what Popen passes on
    tree = ProcessTree.start_piped([sys.executable, "-c", "import os; print(os.getcwd())"], dict(os.environ), str(tmp_path))
    try:
        assert isinstance(tree.child, subprocess.Popen)
        assert tree.child.stdout.read().decode().strip() == str(tmp_path)
    finally:
        tree.end()
