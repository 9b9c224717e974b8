"""The fix journal on a real folder: entries written atomically and redacted, found, listed, closed."""

from __future__ import annotations

import json
import os
import re

import pytest

from envdoctor.errors import UsageError
from envdoctor.fixes import backup
from envdoctor.fixes.journal import CLOSED, JOURNAL_FOLDER, UNFINISHED, Journal
from envdoctor.model.plan import FixPlan, WriteFile
from envdoctor.vocabulary.secrets import TEXT_MASK

TOKEN = "hf_" + "a" * 34


def plans(tmp_path):
    write = WriteFile(str(tmp_path / "site" / "a.py"), "x", "w")
    again = WriteFile(str(tmp_path / "site" / "b.py"), "y", "w")
    return [FixPlan(code="ABC001", subject="s", finding_title="t", fixer="f", kind="reinstall", summary=f"one {TOKEN}",
                    safe=True, actions=(write,)),
            FixPlan(code="ABC002", subject="s", finding_title="t", fixer="f", kind="reinstall", summary="two",
                    safe=True, actions=(write, again))]


def read(entry) -> dict:
    return json.loads((entry.path / "entry.json").read_text())


def test_create_writes_the_whole_entry(tmp_path):
    journal = Journal(str(tmp_path))
    assert journal.root == tmp_path / JOURNAL_FOLDER
    entry = journal.create("/env/bin/python", plans(tmp_path), {"idna": "2.0"})
    data = read(entry)
    assert data["id"] == entry.id and entry.path == journal.root / entry.id
    assert data["status"] == "snapshotting" and entry.status == "snapshotting"
    assert data["target_python"] == "/env/bin/python" and data["versions_before"] == {"idna": "2.0"}
    assert data["roots"] == [str(tmp_path / "site" / "a.py"), str(tmp_path / "site" / "b.py")]  # once each
    assert data["steps"] == [] and data["versions_after"] is None and data["verification"] is None
    assert data["created"] == data["updated"]
    assert entry.plans == plans(tmp_path)  # the real values stay in memory
    assert TOKEN not in (entry.path / "entry.json").read_text() and f"one {TEXT_MASK}" == data["plans"][0]["summary"]
    assert not (entry.path / "entry.json.tmp").exists()
    assert entry.snapshot_dir == entry.path / "snapshot" and entry.log_path(2) == entry.path / "step-3.log"  # counted from 1, as messages count steps


def test_steps_are_recorded_and_their_logs_redacted_when_over(tmp_path):
    entry = Journal(str(tmp_path)).create("/py", plans(tmp_path), {})
    entry.log_path(1).write_text(f"token {TOKEN}\n")
    entry.step(1, status="started", action="write")
    assert TOKEN in entry.log_path(1).read_text()  # still running: its log is left alone
    assert read(entry)["steps"] == [{}, {"status": "started", "action": "write"}]
    entry.step(1, status="done", returncode=0)
    assert entry.log_path(1).read_text() == f"token {TEXT_MASK}\n"
    assert not entry.log_path(1).with_name("step-2.log.tmp").exists()
    assert read(entry)["steps"][1] == {"status": "started", "action": "write", "returncode": 0} | {"status": "done"}
    entry.step(0, status="failed", returncode=1)  # no log: nothing was run
    assert read(entry)["steps"][0] == {"status": "failed", "returncode": 1}
    # A failed step's log is redacted too, even with bytes that are not UTF-8 in it.
    entry.log_path(2).write_bytes(b"\xff " + TOKEN.encode() + b"\n")
    entry.step(2, status="failed", returncode=1)
    assert entry.log_path(2).read_text(encoding="utf-8") == f"\ufffd {TEXT_MASK}\n"
    entry.update(status="applied", extra="kept")
    assert read(entry)["status"] == "applied" and read(entry)["extra"] == "kept"


def test_entries_find_and_undoable(tmp_path):
    journal = Journal(str(tmp_path))
    assert journal.entries() == []
    with pytest.raises(UsageError, match="nothing to undo: no applied fix in"):
        journal.find(None)
    first = journal.create("/py", plans(tmp_path), {})
    first.update(status="verified")
    second = journal.create("/py", plans(tmp_path), {})
    second.update(status="undone")
    (journal.root / ".new-0-being-created").mkdir()  # skipped: a fix killed while building it changed nothing
    assert [e.id for e in journal.entries()] == sorted([first.id, second.id])
    assert journal.find(None).id == first.id  # the latest not closed
    assert journal.find(second.id).status == "undone"
    with pytest.raises(UsageError) as missing:
        journal.find("nope")
    assert str(missing.value) == f"no journal entry 'nope' in {journal.root} (entries: {', '.join(sorted([first.id, second.id]))})"
    assert not first.undoable()  # no backup yet
    backup.take([str(tmp_path / "site")], first.snapshot_dir)
    assert first.undoable()
    assert not journal.find(second.id).undoable()
    journal.discard_snapshot(first)
    assert not first.snapshot_dir.exists() and not first.undoable()


def test_find_in_an_empty_journal_names_none(tmp_path):
    journal = Journal(str(tmp_path))
    journal.root.mkdir(parents=True)
    with pytest.raises(UsageError) as missing:
        journal.find("nope")
    assert str(missing.value) == f"no journal entry 'nope' in {journal.root} (entries: none)"


def test_statuses():
    assert set(UNFINISHED) == {"snapshotting", "applying", "applied"}
    assert set(CLOSED) == {"rolled-back", "undone", "abandoned"}


def test_unwritable_prefix_is_a_usage_error(tmp_path):
    (tmp_path / ".envdoctor").write_text("a file where the folder should be")
    with pytest.raises(UsageError) as failure:
        Journal(str(tmp_path)).create("/py", [], {})
    assert str(failure.value) == f"cannot write the fix journal in {tmp_path / JOURNAL_FOLDER}: Not a directory"


def test_ids_and_times_have_their_documented_shape(tmp_path):
    entry = Journal(str(tmp_path)).create("/py", [], {})
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", entry.id)
    entry.update(status="applying")
    data = read(entry)
    assert sorted(data) == sorted(["id", "created", "updated", "target_python", "prefix", "status", "plans", "roots", "steps",
                                   "versions_before", "versions_after", "verification"])
    for stamp in (data["created"], data["updated"]):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", stamp)
