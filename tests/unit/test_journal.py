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
    backup.take([str(tmp_path / "site")], first.snapshot_dir)
    journal.discard_snapshot(first)
    assert not first.snapshot_dir.exists()


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


# --- a damaged, foreign or misplaced journal is one clear error ----------------------------------

import errno  # noqa: E402

from envdoctor.fixes.journal import NEW_PREFIX, JournalError, JournalWriteError, problem  # noqa: E402
from envdoctor.fixes.lock import JournalBusy  # noqa: E402


def good(entry_id="e1") -> dict:
    return {"id": entry_id, "status": "applied", "created": "c", "plans": [], "roots": ["/r"], "steps": [{}],
            "versions_before": {}}


TYPE_ERROR = r"\(TypeError: .+\)"  # Python's own words after it


@pytest.mark.parametrize("change, reason", [
    (lambda d: d.pop("id"), "no 'id'"),
    (lambda d: d.pop("status"), "no 'status'"),
    (lambda d: d.pop("created"), "no 'created'"),
    (lambda d: d.pop("plans"), "no 'plans'"),
    (lambda d: d.pop("roots"), "no 'roots'"),
    (lambda d: d.pop("steps"), "no 'steps'"),
    (lambda d: d.pop("versions_before"), "no 'versions_before'"),
    (lambda d: d.update(id=1), "'id' is not a str"),
    (lambda d: d.update(status=None), "'status' is not a str"),
    (lambda d: d.update(created=[]), "'created' is not a str"),
    (lambda d: d.update(plans={}), "'plans' is not a list"),
    (lambda d: d.update(roots="/r"), "'roots' is not a list"),
    (lambda d: d.update(steps={}), "'steps' is not a list"),
    (lambda d: d.update(versions_before=[]), "'versions_before' is not a dict"),
    (lambda d: d.update(id="e2"), "its id 'e2' is not its folder's name"),
    (lambda d: d.update(status="half"), "unknown status 'half'"),
    (lambda d: d.update(roots=["/r", 3]), "'roots' holds something other than paths"),
    (lambda d: d.update(steps=[{}, "x"]), "'steps' holds something other than objects"),
    (lambda d: d.update(plans=[{"actions": [{"kind": "nope"}]}]), "a plan cannot be read (KeyError: 'nope')"),
    (lambda d: d.update(plans=[{"actions": 3}]), re.compile("a plan cannot be read " + TYPE_ERROR)),
    (lambda d: d.update(plans=[{"actions": [{"kind": "write", "bad": 1}]}]), re.compile("a plan cannot be read " + TYPE_ERROR)),
    (lambda d: d.update(plans=[{"actions": [5]}]), re.compile("a plan cannot be read " + TYPE_ERROR)),
    (lambda d: d.update(plans=[3]), re.compile(r"a plan cannot be read \((TypeError|KeyError|AttributeError): .+\)")),
])
def test_problem_names_what_is_wrong(change, reason):
    data = good()
    change(data)
    said = problem(data, "e1")
    assert reason.fullmatch(said) if isinstance(reason, re.Pattern) else said == reason


def test_problem_accepts_every_status_and_real_plans(tmp_path):
    assert problem([], "e1") == "not a JSON object"
    for status in UNFINISHED + CLOSED + ("verified",):
        assert problem({**good(), "status": status}, "e1") is None
    assert problem({**good(), "plans": [p.to_dict() for p in plans(tmp_path)]}, "e1") is None


def damaged_journal(tmp_path, damage):
    journal = Journal(str(tmp_path))
    entry = journal.create("/py", plans(tmp_path), {})
    damage(entry.path / "entry.json")
    return journal, entry


@pytest.mark.parametrize("damage, reason", [
    (lambda f: f.unlink(), "entry.json is missing"),
    (lambda f: f.write_text('{"id": '), "entry.json is not complete JSON (truncated or half-written)"),
    (lambda f: (f.unlink(), f.mkdir()), f"entry.json cannot be read ({os.strerror(errno.EISDIR)})."),
    (lambda f: f.write_text('{"id": "x"}'), "entry.json: no 'status'"),
])
def test_a_damaged_entry_is_one_error_naming_it_and_what_to_do(tmp_path, damage, reason):
    journal, entry = damaged_journal(tmp_path, damage)
    for reader in (journal.entries, lambda: journal.find(None)):
        with pytest.raises(JournalError) as failure:
            reader()
        message = str(failure.value)
        what = message[len(f"the fix journal entry {entry.path} is damaged or not envdoctor's: {entry.path}/"):]
        assert reason in what
        assert message == (
            f"the fix journal entry {entry.path} is damaged or not envdoctor's: {entry.path}/{what.split('. envdoctor')[0]}. "
            "envdoctor cannot tell what that fix changed, so it undoes nothing from it; check the environment "
            "(envdoctor check), repair it by hand if needed, then move the entry out of the journal: "
            f"mv {entry.path} {tmp_path}/.envdoctor/damaged-{entry.id}")


def test_an_entry_of_another_environment_is_refused(tmp_path):
    journal = Journal(str(tmp_path))
    entry = journal.create("/py", [], {})
    assert read(entry)["prefix"] == str(tmp_path)
    assert Journal(str(tmp_path) + "/.").entries()[0].id == entry.id  # the same folder, spelled otherwise
    data = read(entry)
    data["prefix"] = "/elsewhere"
    (entry.path / "entry.json").write_text(json.dumps(data))
    with pytest.raises(JournalError) as failure:
        journal.entries()
    assert str(failure.value) == (f"the fix journal entry {entry.path} belongs to another environment (/elsewhere): it was "
                                  "copied along with this one, and its backup would change that environment. "
                                  f"Remove it here: rm -r {entry.path}")
    data["prefix"] = 5
    (entry.path / "entry.json").write_text(json.dumps(data))
    with pytest.raises(JournalError, match="belongs to another environment"):
        journal.entries()
    del data["prefix"]  # written by an earlier version: trusted
    (entry.path / "entry.json").write_text(json.dumps(data))
    assert journal.entries()[0].id == entry.id


def test_an_environment_in_a_folder_named_with_a_token_is_its_own(tmp_path):
    """entry.json is saved redacted: a token in the prefix is written masked, and the entry is
    still this environment's (read back through the folder spelled as given and as its real path),
    while the same masked spelling under another parent is not."""
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    prefix = tmp_path / token / "venv"
    prefix.mkdir(parents=True)
    (tmp_path / "link").symlink_to(prefix)
    journal = Journal(str(prefix))
    entry = journal.create("/py", [], {})
    recorded = read(entry)["prefix"]
    assert token not in recorded and recorded == f"{tmp_path}/[redacted]/venv"
    assert journal.entries()[0].id == entry.id
    assert Journal(str(tmp_path / "link")).entries()[0].id == entry.id
    data = read(entry)
    data["prefix"] = f"/elsewhere/[redacted]/venv"
    (entry.path / "entry.json").write_text(json.dumps(data))
    with pytest.raises(JournalError, match="belongs to another environment"):
        journal.entries()


def test_a_file_in_place_of_the_journal_is_an_error(tmp_path):
    journal = Journal(str(tmp_path))
    journal.root.parent.mkdir()
    journal.root.write_text("x")
    message = f"{journal.root} is not a folder, so it is not envdoctor's fix journal; move it away (mv {journal.root} {journal.root}.moved) and run this again"
    for call in (journal.entries, journal.locked):
        with pytest.raises(JournalError) as failure:
            call()
        assert str(failure.value) == message
    journal.root.unlink()
    journal.root.symlink_to(tmp_path / "nowhere")
    with pytest.raises(JournalError):
        journal.entries()


def test_entries_appear_whole_and_half_built_ones_are_discarded(tmp_path):
    journal = Journal(str(tmp_path))
    entry = journal.create("/py", [], {})
    assert sorted(p.name for p in journal.root.iterdir()) == [entry.id]
    unborn = journal.root / (NEW_PREFIX + "x")
    unborn.mkdir()
    (unborn / "entry.json").write_text("{")
    assert [e.id for e in journal.entries()] == [entry.id]
    journal.discard_unborn()
    assert sorted(p.name for p in journal.root.iterdir()) == [entry.id]


def _failing_fsync(number):
    def fsync(descriptor):
        raise OSError(number, os.strerror(number))
    return fsync


def test_a_full_disk_while_creating_leaves_no_entry(tmp_path, monkeypatch):
    journal = Journal(str(tmp_path))
    journal.root.mkdir(parents=True)
    monkeypatch.setattr(os, "fsync", _failing_fsync(errno.ENOSPC))
    with pytest.raises(JournalWriteError) as failure:
        journal.create("/py", [], {})
    assert str(failure.value).startswith("no space left on the device holding ")
    assert str(failure.value).endswith("/entry.json: free some space, then run this again")
    assert list(journal.root.iterdir()) == []


def test_a_failing_save_keeps_the_last_entry_and_no_temporary(tmp_path, monkeypatch):
    entry = Journal(str(tmp_path)).create("/py", [], {})
    monkeypatch.setattr(os, "fsync", _failing_fsync(errno.EROFS))
    with pytest.raises(JournalWriteError) as failure:
        entry.update(status="applying")
    assert str(failure.value) == f"cannot write {entry.path / 'entry.json'}: {os.strerror(errno.EROFS)}"
    assert read(entry)["status"] == "snapshotting" and not (entry.path / "entry.json.tmp").exists()


def test_a_folder_that_cannot_be_made_is_a_write_error(tmp_path, monkeypatch):
    journal = Journal(str(tmp_path))
    journal.root.mkdir(parents=True)
    def full(source, destination):
        raise OSError(errno.ENOSPC, "full")

    monkeypatch.setattr(os, "rename", full)
    with pytest.raises(JournalWriteError, match="^no space left on the device holding .*/.new-"):
        journal.create("/py", [], {})
    assert list(journal.root.iterdir()) == []


def test_one_lock_at_a_time(tmp_path):
    journal = Journal(str(tmp_path))
    with journal.locked() as lock:
        assert lock.fd is not None and journal.root.is_dir()
        with pytest.raises(JournalBusy) as busy:
            with journal.locked():
                pass
        assert str(busy.value).startswith(f"another `envdoctor fix` or `envdoctor undo` is changing this environment "
                                          f"(its journal {journal.root} is locked)")
    assert lock.fd is None
    with journal.locked():  # released
        pass


def test_a_prefix_where_the_journal_cannot_be_made(tmp_path):
    (tmp_path / ".envdoctor").write_text("a file")
    with pytest.raises(UsageError, match="^cannot write the fix journal in .*: Not a directory$"):
        Journal(str(tmp_path)).locked()


def test_a_save_that_cannot_even_open_its_file_is_a_write_error(tmp_path):
    entry = Journal(str(tmp_path)).create("/py", [], {})
    import shutil
    shutil.rmtree(entry.path)
    with pytest.raises(JournalWriteError, match=f"^cannot write {re.escape(str(entry.path))}/entry.json: "):
        entry.update(status="applying")


def test_an_entry_folder_that_cannot_be_made_leaves_nothing(tmp_path, monkeypatch):
    journal = Journal(str(tmp_path))
    journal.root.mkdir(parents=True)
    real_mkdir = os.mkdir

    def full(path, *args, **kwargs):
        if os.path.basename(path).startswith(NEW_PREFIX):
            raise OSError(errno.ENOSPC, "full")
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", full)
    with pytest.raises(JournalWriteError, match="^no space left on the device holding .*/.new-"):
        journal.create("/py", [], {})
    assert list(journal.root.iterdir()) == []
