"""The executor on a real temporary prefix: it writes, removes and runs, step by step, journaled."""

from __future__ import annotations

import json
import os
import sys

import pytest

from envdoctor.fixes import executor
from envdoctor.fixes.journal import Journal
from envdoctor.model.plan import FixPlan, RemovePath, RunCommand, WriteFile
from tests.helpers.venvs import tree_state


def plan(*actions) -> FixPlan:
    return FixPlan(code="ABC001", subject="thing", finding_title="t", fixer="f", kind="reinstall", summary="s",
                   safe=True, actions=tuple(actions))


def entry_for(tmp_path, *actions):
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    return Journal(str(tmp_path)).create(sys.executable, [plan(*actions)], {})


def test_every_action_really_runs_and_is_journaled(tmp_path, monkeypatch):
    monkeypatch.delenv("PIP_DISABLE_PIP_VERSION_CHECK", raising=False)  # the executor sets it, not the caller
    site = tmp_path / "site"
    site.mkdir()
    (site / "old").mkdir()
    (site / "old" / "x.py").write_text("x")
    script = f"import os; open({str(site / 'ran')!r}, 'w').write(os.environ['PIP_DISABLE_PIP_VERSION_CHECK'])"
    entry = entry_for(tmp_path, WriteFile(str(site / "new" / "a.py"), "print(1)\n", "w"),
                      RemovePath(str(site / "old"), "r"), RunCommand((sys.executable, "-c", script), "c", (str(site),)))
    said, stopped = [], []
    executor.apply(entry, said.append, stopped.append)
    assert (site / "new" / "a.py").read_text() == "print(1)\n"
    assert not (site / "new" / "a.py.envdoctor-tmp").exists()
    assert not (site / "old").exists()
    assert (site / "ran").read_text() == "1"  # the command ran, with pip's notice switched off
    assert stopped == [0, 1, 2]
    saved = Journal(str(tmp_path)).entries()[0]
    assert saved.status == "applied"
    assert [(s["status"], s.get("returncode"), s["action"]) for s in saved.data["steps"]] == [
        ("done", 0, "write"), ("done", 0, "remove"), ("done", 0, "command")]
    assert saved.data["steps"][0]["code"] == "ABC001" and saved.data["steps"][0]["subject"] == "thing"
    assert entry.log_path(0).read_text() == f"wrote {site}/new/a.py (9 characters)\n"
    assert entry.log_path(1).read_text() == f"removed {site}/old\n"
    assert entry.log_path(2).read_text().startswith(f"$ {sys.executable} -c ")
    assert said[0] == f"backup of 3 path(s) into {entry.snapshot_dir}"
    assert said[1].startswith("[1] ") and said[3].startswith("[3] ")


def test_a_failing_command_stops_the_entry_with_its_output(tmp_path):
    site = tmp_path / "site"
    script = "import sys; print('\\n'.join(f'line {i}' for i in range(30))); sys.exit(3)"
    entry = entry_for(tmp_path, RunCommand((sys.executable, "-c", script), "c", (str(site),)),
                      WriteFile(str(site / "never.py"), "x", "w"))
    stopped = []
    with pytest.raises(executor.StepFailed) as failure:
        executor.apply(entry, [].append, stopped.append)
    message = str(failure.value)
    assert message.startswith(f"step 1 failed (exit 3); its output: {entry.log_path(0)}\n")
    assert message.endswith("line 29") and "line 15" in message and "line 14" not in message
    assert stopped == [] and not (site / "never.py").exists()
    saved = Journal(str(tmp_path)).entries()[0]
    assert saved.status == "applying"
    assert saved.data["steps"] == [dict(saved.data["steps"][0], status="failed", returncode=3)]
    assert len(saved.data["steps"]) == 1


def test_a_command_that_cannot_start_is_exit_127(tmp_path):
    missing = str(tmp_path / "no-such-program")
    entry = entry_for(tmp_path, RunCommand((missing, "x"), "c", (str(tmp_path / "site"),)))
    with pytest.raises(executor.StepFailed, match="exit 127"):
        executor.apply(entry, [].append)
    assert f"cannot run {missing}: " in entry.log_path(0).read_text()


def test_restore_puts_the_prefix_back(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.py").write_text("keep")
    before = tree_state(site)
    entry = entry_for(tmp_path, WriteFile(str(site / "keep.py"), "changed", "w"), WriteFile(str(site / "n.py"), "n", "w"))
    executor.apply(entry, [].append)
    assert tree_state(site) != before
    assert sorted(executor.restore(entry)) == [("removed", str(site / "n.py")), ("restored", str(site / "keep.py"))]
    assert tree_state(site) == before


def test_unknown_actions_are_refused(tmp_path):
    with pytest.raises(TypeError, match="unknown action"):
        executor._run(object(), str(tmp_path / "log"), lambda pid: None)


def test_tail_of_a_missing_log_is_empty(tmp_path):
    assert executor._tail(tmp_path / "none") == ""
    (tmp_path / "log").write_text("a\nb\nc\n")
    assert executor._tail(tmp_path / "log", lines=2) == "b\nc"
    # A command may print bytes that are not UTF-8: its tail is still shown.
    (tmp_path / "log").write_bytes(b"ok\n\xff\xfe bad\n")
    assert executor._tail(tmp_path / "log") == "ok\n\ufffd\ufffd bad"


def test_a_running_step_is_journaled_as_started_and_reads_no_terminal(tmp_path):
    """The command itself reads entry.json while it runs (what a crash at that moment leaves)
    and looks at its standard input, which must be /dev/null: pip must never wait for a prompt."""
    site = tmp_path / "site"
    report = tmp_path / "seen.json"
    journal = tmp_path / ".envdoctor" / "journal"
    script = (
        "import glob, json, os; "
        f"[path] = glob.glob({str(journal)!r} + '/*/entry.json'); entry = json.load(open(path)); "
        "stdin, null = os.fstat(0), os.stat(os.devnull); "
        "json.dump([entry['status'], entry['steps'][0]['status'], (stdin.st_rdev, stdin.st_ino) == (null.st_rdev, null.st_ino)], "
        f"open({str(report)!r}, 'w'))"
    )
    entry = entry_for(tmp_path, RunCommand((sys.executable, "-c", script), "c", (str(site),)))
    # envdoctor's own stdin is a pipe here (a terminal in real use): the command must not inherit it.
    read_end, write_end = os.pipe()
    saved_stdin = os.dup(0)
    os.dup2(read_end, 0)
    try:
        executor.apply(entry, [].append)
    finally:
        os.dup2(saved_stdin, 0)
        for descriptor in (saved_stdin, read_end, write_end):
            os.close(descriptor)
    assert json.loads(report.read_text()) == ["applying", "started", True]


# --- a step's command: its own process group, killed with envdoctor, its pid journaled --------------

import errno  # noqa: E402
import subprocess  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

from envdoctor.fixes import backup, step_processes  # noqa: E402

# Run by the step's command: what it can see of its own process (group, death signal, the lock).
SELF_REPORT = """
import ctypes, json, os, sys
libc = ctypes.CDLL(None)
signal_number = ctypes.c_int(0)
libc.prctl(2, ctypes.byref(signal_number), 0, 0, 0)  # PR_GET_PDEATHSIG
lock = int(sys.argv[2])
try:
    os.fstat(lock)
    holds_lock = True
except OSError:
    holds_lock = False
json.dump({"pid": os.getpid(), "group": os.getpgid(0), "session": os.getsid(0), "death_signal": signal_number.value,
           "holds_lock": holds_lock}, open(sys.argv[1], "w"))
"""


def test_a_command_runs_in_its_own_group_dies_with_envdoctor_and_keeps_the_lock(tmp_path):
    site = tmp_path / "site"
    report = tmp_path / "report.json"
    with Journal(str(tmp_path)).locked() as lock:
        entry = entry_for(tmp_path, RunCommand((sys.executable, "-c", SELF_REPORT, str(report), str(lock.fd)), "c",
                                               (str(site),)))
        executor.apply(entry, [].append, lock_fd=lock.fd)
    seen = json.loads(report.read_text())
    assert seen["group"] == seen["pid"] == seen["session"]  # a new session: Ctrl-C on the terminal is envdoctor's
    assert seen["death_signal"] == signal.SIGKILL
    assert seen["holds_lock"] is True
    step = Journal(str(tmp_path)).entries()[0].data["steps"][0]
    assert step["pid"] == seen["pid"] and step["status"] == "done"
    assert isinstance(step["pid_started"], str) and step["pid_started"].isdigit()


def test_without_a_lock_the_command_inherits_no_descriptor(tmp_path):
    site = tmp_path / "site"
    report = tmp_path / "report.json"
    spare = os.open(os.devnull, os.O_RDONLY)
    try:
        entry = entry_for(tmp_path, RunCommand((sys.executable, "-c", SELF_REPORT, str(report), str(spare)), "c",
                                               (str(site),)))
        executor.apply(entry, [].append)
    finally:
        os.close(spare)
    assert json.loads(report.read_text())["holds_lock"] is False


def test_a_step_ended_by_an_exception_kills_everything_its_command_started(tmp_path):
    site = tmp_path / "site"
    grandchild = tmp_path / "grandchild.pid"
    script = ("import subprocess, sys, time; "
              f"child = subprocess.Popen(['sleep', '300']); open({str(grandchild)!r}, 'w').write(str(child.pid)); "
              "time.sleep(300)")
    entry = entry_for(tmp_path, RunCommand((sys.executable, "-c", script), "c", (str(site),)))

    def interrupt(signum, frame):  # Ctrl-C, once the command has started a child of its own
        if grandchild.exists():
            raise KeyboardInterrupt
        signal.setitimer(signal.ITIMER_REAL, 0.1)

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        with pytest.raises(KeyboardInterrupt):
            executor.apply(entry, [].append)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    step = Journal(str(tmp_path)).entries()[0].data["steps"][0]
    assert step["status"] == "started" and not step_processes.is_running(step["pid"], step["pid_started"])
    deadline = time.monotonic() + 10
    pid = int(grandchild.read_text())
    while step_processes.is_running(pid, None) and time.monotonic() < deadline:
        time.sleep(0.05)  # killed with its group; reaped by init once its parent is gone
    assert not step_processes.is_running(pid, step_processes.start_time(pid))


def test_a_backup_that_cannot_be_taken_leaves_no_entry_and_says_why(tmp_path, monkeypatch):
    site = tmp_path / "site"
    for number, why in ((errno.ENOSPC, "no space left on the device holding "), (errno.EIO, os.strerror(errno.EIO))):
        entry = entry_for(tmp_path, WriteFile(str(site / "a.py"), "a", "w"))

        def fail(roots, into, number=number):
            into.mkdir(parents=True)
            (into / "half").write_text("half-written")
            raise OSError(number, os.strerror(number), str(into / "half"))

        monkeypatch.setattr(backup, "take", fail)
        with pytest.raises(executor.BackupFailed) as failure:
            executor.apply(entry, [].append)
        message = str(failure.value)
        assert message.startswith("cannot back up what the fix would change: ") and why in message
        assert message.endswith(". Nothing was changed; free some space (the backup needs little: hard links), "
                                "then run fix again")
        assert not entry.path.exists() and not (site / "a.py").exists()
    assert message == (f"cannot back up what the fix would change: {os.strerror(errno.EIO)} ({entry.snapshot_dir}/half). "
                       "Nothing was changed; free some space (the backup needs little: hard links), then run fix again")


def test_processes_start_time_and_liveness(tmp_path):
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        started = step_processes.start_time(sleeper.pid)
        assert started is not None and started.isdigit()
        assert step_processes.is_running(sleeper.pid, started)
        assert step_processes.is_running(sleeper.pid, None)
        assert not step_processes.is_running(sleeper.pid, str(int(started) + 1))  # the pid, reused by another process
    finally:
        sleeper.kill()
        time.sleep(0.2)
    assert not step_processes.is_running(sleeper.pid, started)  # a zombie until reaped: gone all the same
    sleeper.wait()
    assert not step_processes.is_running(sleeper.pid, started) and not step_processes.is_running(sleeper.pid, None)
    assert step_processes.start_time(sleeper.pid) is None




class RecordingDisplay:
    """A progress display (envdoctor/progress.py's Display) that keeps what it was shown."""

    def __init__(self):
        self.lines = []

    def status(self, step, text):
        pass

    def line(self, step, text):
        self.lines.append((step, text))

    def clear(self):
        pass

    def close(self):
        pass


def test_a_commands_output_is_streamed_to_the_display_as_the_fix_step_and_kept_in_its_log(tmp_path):
    from envdoctor import progress

    site = tmp_path / "site"
    script = "print('Collecting idna'); print('Successfully installed idna-3.7')"
    entry = entry_for(tmp_path, RunCommand((sys.executable, "-c", script), "c", (str(site),)))
    display = RecordingDisplay()
    with progress.showing(display):
        executor.apply(entry, [].append, [].append)
    assert display.lines[-2:] == [("fix", "Collecting idna"), ("fix", "Successfully installed idna-3.7")], display.lines
    assert entry.log_path(0).read_text().endswith("Collecting idna\nSuccessfully installed idna-3.7\n")
