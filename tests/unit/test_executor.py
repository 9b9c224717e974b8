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
