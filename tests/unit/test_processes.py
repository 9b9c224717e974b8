"""envdoctor.processes on real processes: ProcessTree.end() ends the child and every descendant,
those that left its session too, and nothing it did not start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envdoctor.processes import ProcessTree

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the subreaper and /proc are Linux's")

# The child forks a grandchild that leaves the session (setsid), then a great-grandchild, and
# exits: both descendants are orphans, out of the child's group, still running.
ESCAPING_DESCENDANTS = """
import os, sys, time
first = os.fork()
if first == 0:
    os.setsid()
    second = os.fork()
    if second == 0:
        time.sleep(100)
        os._exit(0)
    with open(sys.argv[1], "a") as f:
        f.write("%d %d\\n" % (os.getpid(), second))
    time.sleep(100)
    os._exit(0)
os.waitpid(first, os.WNOHANG)
time.sleep(0.2)
"""


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def wait_for(path: Path) -> list:
    for _ in range(500):
        if path.exists() and path.read_text().endswith("\n"):
            return [int(pid) for pid in path.read_text().split()]
        time.sleep(0.01)
    raise AssertionError(f"{path} was never written")


def test_end_kills_descendants_that_left_the_session_and_spares_other_children(tmp_path):
    record = tmp_path / "pids"
    # Not envdoctor's: a plain child of this process, started the ordinary way.
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100)"])
    tree = ProcessTree.start([sys.executable, "-c", ESCAPING_DESCENDANTS, str(record)], dict(os.environ))
    try:
        descendants = wait_for(record)
        tree.child.wait(timeout=30)
        assert all(alive(pid) for pid in descendants)  # the child is gone, its descendants are not
        tree.end()
        assert not any(alive(pid) for pid in descendants)
        assert bystander.poll() is None, "end() killed a process it did not start"
    finally:
        bystander.kill()
        bystander.wait()
        for pid in wait_for(record):
            try:
                os.kill(pid, 9)
            except OSError:
                pass
