"""envdoctor.processes on real processes: ProcessTree.end() ends the child and every descendant,
those that left its session too where the platform allows it, and nothing it did not start.

Each case runs in a fresh interpreter (SCENARIO): ProcessTree makes the process that uses it a
child subreaper for the rest of its life, and pytest must not become one (every later test's
orphans would be re-parented to pytest and stay zombies).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# The child forks a grandchild that leaves the session (setsid), then a great-grandchild, and
# exits: both descendants are orphans, out of the child's group, still running.  A third
# descendant stays in the child's group.
ESCAPING_DESCENDANTS = """
import os, sys, time
stay = os.fork()
if stay == 0:
    time.sleep(100)
    os._exit(0)
first = os.fork()
if first == 0:
    os.setsid()
    second = os.fork()
    if second == 0:
        time.sleep(100)
        os._exit(0)
    with open(sys.argv[1], "a") as f:
        f.write("%d %d %d\\n" % (stay, os.getpid(), second))
    time.sleep(100)
    os._exit(0)
os.waitpid(first, os.WNOHANG)
time.sleep(0.2)
"""

# Run in a fresh interpreter: starts a bystander the ordinary way and a ProcessTree, waits for
# the tree's child to exit, ends the tree, and prints what was alive before and after, as JSON.
SCENARIO = """
import json, os, subprocess, sys, time
from envdoctor.processes import ProcessTree, adopt_orphans, become_subreaper
if sys.argv[3:] == ["adopt"]:
    adopt_orphans()  # as launch.main does

record, escaping = sys.argv[1], sys.argv[2]

def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            stat = handle.read()
        return stat[stat.rfind(")") + 2] != "Z"
    except FileNotFoundError:
        if os.path.isdir("/proc"):
            return False
    try:  # no /proc (macOS): signal 0 says whether the pid exists
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False

def recorded():
    for _ in range(1000):
        if os.path.exists(record) and open(record).read().endswith("\\n"):
            return [int(pid) for pid in open(record).read().split()]
        time.sleep(0.01)
    raise SystemExit(record + " was never written")

bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100)"])
tree = ProcessTree.start([sys.executable, "-c", escaping, record], dict(os.environ))
stay, left_session, left_again = recorded()
tree.child.wait(timeout=30)
before = [alive(pid) for pid in (stay, left_session, left_again)]
tree.end()
time.sleep(0.2)  # a process killed by a group signal from elsewhere is reaped by init meanwhile
after = [alive(pid) for pid in (stay, left_session, left_again)]
bystander_alive = bystander.poll() is None
for pid in (bystander.pid, stay, left_session, left_again):
    try:
        os.kill(pid, 9)
    except OSError:
        pass
print(json.dumps({"subreaper": become_subreaper(), "before": before, "after": after,
                  "bystander_alive": bystander_alive}))
"""


def run_scenario(tmp_path: Path, *adopt: str) -> dict:
    completed = subprocess.run([sys.executable, "-c", SCENARIO, str(tmp_path / "pids"), ESCAPING_DESCENDANTS, *adopt],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_end_kills_every_descendant_and_spares_other_children(tmp_path):
    runner_was = subreaper_flag()
    outcome = run_scenario(tmp_path, "adopt")
    # The test runner is left as it was: later tests' orphans do not become its zombies.
    assert subreaper_flag() == runner_was
    assert outcome["before"] == [True, True, True]  # the child is gone, its descendants are not
    assert outcome["bystander_alive"], "end() killed a process it did not start"
    if sys.platform.startswith("linux"):
        assert outcome["subreaper"]
        assert outcome["after"] == [False, False, False]
    else:
        # Without a subreaper (macOS) only the child's group is reached: the descendant that
        # stayed in it ends, those that called setsid() are out of reach (docs/reliability.md).
        assert not outcome["subreaper"]
        assert outcome["after"][0] is False


def test_a_process_that_only_imports_envdoctor_is_not_made_a_subreaper(tmp_path):
    """Only envdoctor's command line adopts orphans (launch.main): a program using envdoctor as a
    library (a test runner, mutmut waiting for its workers with os.wait()) must not start
    receiving orphans it never started.  The tree's own group is still ended."""
    outcome = run_scenario(tmp_path)
    assert not outcome["subreaper"]
    assert outcome["bystander_alive"]
    assert outcome["after"][0] is False


def subreaper_flag():
    """PR_GET_CHILD_SUBREAPER (37) of this very process (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    flag = ctypes.c_int(-1)
    assert ctypes.CDLL(None, use_errno=True).prctl(37, ctypes.byref(flag), 0, 0, 0) == 0
    return flag.value


def test_a_target_subprocess_whose_deadline_has_passed_is_not_started(tmp_path):
    """probe.process.Running, the one way the probe side starts a target: no process is started
    only to be killed, and no result says it was given a negative time."""
    import time

    import pytest

    from envdoctor.probe.process import OutOfTime, Running

    marker = tmp_path / "started"
    with pytest.raises(OutOfTime, match="--timeout ran out before it could be started"):
        Running(["/bin/sh", "-c", f"touch {marker}"], str(tmp_path), time.monotonic() - 0.001)
    assert not marker.exists()
