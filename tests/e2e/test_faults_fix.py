"""fix and undo under faults and attack, on real venvs with real pip: kill -9 mid-fix, two fixes at
once, a damaged journal or backup, a full disk, changes made after a fix, an interpreter that dies
at start-up.

Every test ends by comparing every file of the venv with the state it must be in (tree_state:
size and SHA-256 of each file), never by trusting envdoctor's own report.  One broken venv
(idna with a module deleted: INT001, fixed by a pip reinstall) is built per module and copied for
each test that changes it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.test_fix import offline_env, venv_with_pip
from tests.helpers.venvs import Venv, tree_state

pytestmark = pytest.mark.slow

CLEAR_REFUSALS = ("is still running", "is locked")


@pytest.fixture(scope="module")
def broken_venv(tmp_path_factory) -> Venv:
    venv = venv_with_pip(tmp_path_factory.mktemp("faults") / "venv")
    venv.install("idna==3.20")
    (venv.site_packages / "idna" / "core.py").unlink()
    return venv


def copy_of(venv: Venv, where: Path, relocate: bool = True) -> Venv:
    """A copy of the venv at `where`; with `relocate`, its journal is rewritten to name the copy's
    paths (else it still names the original's, as after a plain `cp -r`)."""
    shutil.copytree(venv.root, where, symlinks=True)
    if relocate:
        for name in ("entry.json", "manifest.json"):
            for path in (where / ".envdoctor" / "journal").rglob(name):
                path.write_text(path.read_text().replace(str(venv.root), str(where)))
    return Venv(root=where, python=where / "bin" / "python")


def state(venv: Venv) -> dict:
    """Every file of the venv but the journal (which undo writes to) and byte caches."""
    return {path: what for path, what in tree_state(venv.root).items()
            if not path.startswith(".envdoctor") and "__pycache__" not in path}


def journal_entries(venv: Venv) -> list:
    root = venv.root / ".envdoctor" / "journal"
    if not root.is_dir():
        return []
    return [json.loads((path / "entry.json").read_text()) for path in sorted(root.iterdir())
            if (path / "entry.json").is_file()]


def start_fix(envdoctor_bin, venv: Venv, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([envdoctor_bin, "fix", "--python", str(venv.python), "--yes", "--select", "INT001"],
                            cwd=cwd, env=offline_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def step_pid(venv: Venv):
    for entry in journal_entries(venv):
        for step in entry["steps"]:
            if "pid" in step:
                return step["pid"]
    return None


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_for(condition, process: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert process.poll() is None or condition(), "fix ended before the kill point"
        assert time.monotonic() < deadline, "fix never reached the kill point"
        time.sleep(0.01)


def _status_is(venv, *statuses):
    return lambda: any(entry["status"] in statuses for entry in journal_entries(venv))


def children(pid: int) -> list:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _pip_running_for(venv, seconds, fix):
    """The step is "started" and envdoctor has a child (pip), since `seconds`: seen from outside,
    not from the pid envdoctor records."""
    started = {}

    def reached() -> bool:
        steps = [step for entry in journal_entries(venv) for step in entry["steps"]]
        if not any(step.get("status") == "started" for step in steps) or not children(fix.pid):
            return False
        started.setdefault("at", time.monotonic())
        return time.monotonic() - started["at"] >= seconds
    return reached


def _step_over(venv):
    return lambda: any(step.get("status") in ("done", "failed") for entry in journal_entries(venv) for step in entry["steps"])


# Ten points of a reinstall fix, in order: the entry exists; the backup is taken; pip has started
# (and then ran for 0.05 s ... 0.75 s: an offline reinstall of idna takes about a second); pip's
# step is over; all steps are over (verification runs).
KILL_POINTS = {
    "entry-created": lambda venv, fix: _status_is(venv, "snapshotting"),
    "backup-taken": lambda venv, fix: _status_is(venv, "applying"),
    "pip-started": lambda venv, fix: _pip_running_for(venv, 0, fix),
    "pip-0.05s": lambda venv, fix: _pip_running_for(venv, 0.05, fix),
    "pip-0.15s": lambda venv, fix: _pip_running_for(venv, 0.15, fix),
    "pip-0.3s": lambda venv, fix: _pip_running_for(venv, 0.3, fix),
    "pip-0.5s": lambda venv, fix: _pip_running_for(venv, 0.5, fix),
    "pip-0.75s": lambda venv, fix: _pip_running_for(venv, 0.75, fix),
    "step-over": lambda venv, fix: _step_over(venv),
    "verifying": lambda venv, fix: _status_is(venv, "applied"),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_9_during_a_reinstall_then_an_immediate_undo_restores_every_file(point, broken_venv, envdoctor_bin,
                                                                              run_envdoctor, tmp_path):
    venv = copy_of(broken_venv, tmp_path / "venv")
    before = state(venv)
    fix = start_fix(envdoctor_bin, venv, tmp_path)
    try:
        wait_for(KILL_POINTS[point](venv, fix), fix)
    finally:
        fix.send_signal(signal.SIGKILL)  # envdoctor only: whatever it started is left to fend for itself
        fix.communicate()
    # Immediately: undo either puts everything back, or refuses clearly while the step runs.
    deadline = time.monotonic() + 30
    while True:
        undo = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path, env=offline_env())
        if undo.returncode == 0 or "nothing to undo" in undo.stderr:
            break
        assert undo.returncode == 2 and any(words in undo.stderr for words in CLEAR_REFUSALS), undo.stderr
        assert time.monotonic() < deadline, f"undo still refused after 30 s: {undo.stderr}"
        time.sleep(0.2)
    pid = step_pid(venv)
    if pid is not None:
        assert not alive(pid), "the step's pip outlived envdoctor and undo"
    time.sleep(0.5)  # a pip left running would go on writing: give it the time to show
    assert state(venv) == before, undo.stderr
    assert not any(entry["status"] in ("snapshotting", "applying", "applied") for entry in journal_entries(venv))


def test_the_step_process_dies_with_a_killed_fix(broken_venv, envdoctor_bin, tmp_path):
    venv = copy_of(broken_venv, tmp_path / "venv")
    fix = start_fix(envdoctor_bin, venv, tmp_path)
    wait_for(_pip_running_for(venv, 0.2, fix), fix)
    pid = step_pid(venv)
    fix.send_signal(signal.SIGKILL)
    fix.communicate()
    deadline = time.monotonic() + 10  # the kernel kills it at once (PR_SET_PDEATHSIG); generous for a loaded machine
    while alive(pid):
        assert time.monotonic() < deadline, f"pip (pid {pid}) still runs after envdoctor was killed"
        time.sleep(0.05)


def test_two_fixes_at_once_never_both_apply(broken_venv, envdoctor_bin, tmp_path):
    for attempt in range(3):
        venv = copy_of(broken_venv, tmp_path / f"venv{attempt}")
        first, second = start_fix(envdoctor_bin, venv, tmp_path), start_fix(envdoctor_bin, venv, tmp_path)
        results = [process.communicate(timeout=300) + (process.returncode,) for process in (first, second)]
        applied = [entry for entry in journal_entries(venv) if entry["status"] != "abandoned"]
        assert len(applied) == 1, (applied, results)
        refused = [(out, err, code) for out, err, code in results if "fixed: INT001" not in err]
        assert len(refused) == 1, results
        out, err, code = refused[0]
        assert code == 2 and ("is locked" in err or "changed this environment while" in err), err
        assert "Traceback" not in err and "internal error" not in err
        assert venv.run("import idna.core").returncode == 0


def fixed(broken: Venv, where: Path, envdoctor_bin) -> Venv:
    """A copy of the broken venv, with a second distribution the fix never touches, after a verified fix."""
    venv = copy_of(broken, where)
    venv.install("charset-normalizer==3.5.3")
    done = subprocess.run([envdoctor_bin, "fix", "--python", str(venv.python), "--yes", "--select", "INT001"],
                          capture_output=True, text=True, env=offline_env(), cwd=where.parent)
    assert done.returncode == 0, done.stderr
    return venv


@pytest.fixture(scope="module")
def fixed_venv(broken_venv, envdoctor_bin, tmp_path_factory) -> Venv:
    """One fixed venv, copied (and its journal relocated) by the tests that only read its journal."""
    return fixed(broken_venv, tmp_path_factory.mktemp("fixed") / "venv", envdoctor_bin)


def only_entry(venv: Venv) -> Path:
    (path,) = (venv.root / ".envdoctor" / "journal").iterdir()
    return path


def test_undo_with_a_damaged_backup_touches_nothing(fixed_venv, run_envdoctor, tmp_path):
    venv = copy_of(fixed_venv, tmp_path / "venv")
    snapshot = only_entry(venv) / "snapshot"
    damaged = list(snapshot.rglob("charset_normalizer/constant.py")) + sorted(snapshot.rglob("idna/*.py"))[:2]
    assert len(damaged) == 3
    for copy in damaged:
        copy.unlink()
    before = state(venv)
    undo = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path)
    assert undo.returncode == 2, undo.stderr
    assert "is damaged" in undo.stderr and "Nothing was put back" in undo.stderr, undo.stderr
    assert state(venv) == before  # charset_normalizer/constant.py, which the fix never touched, is still there


def _truncate(entry: Path) -> None:
    text = (entry / "entry.json").read_text()
    (entry / "entry.json").write_text(text[: len(text) // 2])


def _edit(change):
    def corrupt(entry: Path) -> None:
        data = json.loads((entry / "entry.json").read_text())
        change(data)
        (entry / "entry.json").write_text(json.dumps(data))
    return corrupt


def _edit_manifest(change):
    def corrupt(entry: Path) -> None:
        manifest = entry / "snapshot" / "manifest.json"
        records = json.loads(manifest.read_text())
        change(records)
        manifest.write_text(json.dumps(records))
    return corrupt


def _replace_journal_by_a_file(entry: Path) -> None:
    journal = entry.parent
    shutil.rmtree(journal)
    journal.write_text("not a folder")


# Each corruption, and the words the one clear error must contain.
CORRUPTIONS = {
    "entry-truncated": (_truncate, "not complete JSON"),
    "entry-empty": (lambda entry: (entry / "entry.json").write_text(""), "not complete JSON"),
    "entry-missing": (lambda entry: (entry / "entry.json").unlink(), "is missing"),
    "no-status": (_edit(lambda data: data.pop("status")), "no 'status'"),
    "unknown-status": (_edit(lambda data: data.update(status="half-done")), "unknown status"),
    "plans-wrong-type": (_edit(lambda data: data.update(plans=[{"actions": 3}])), "a plan cannot be read"),
    "steps-wrong-type": (_edit(lambda data: data.update(steps="none")), "'steps' is not a list"),
    "manifest-wrong-types": (_edit_manifest(lambda records: records[0].update(entries=["x"])), "is damaged"),
    "manifest-escapes": (_edit_manifest(lambda records: records[0]["entries"].update({"../../../../x": "file"})),
                         "is damaged"),
    "snapshot-deleted": (lambda entry: shutil.rmtree(entry / "snapshot"), "is damaged"),
    "journal-is-a-file": (_replace_journal_by_a_file, "is not a folder"),
    "copied-from-another-venv": (None, "belongs to another environment"),
}
BACKUP_CORRUPTIONS = ("manifest-wrong-types", "manifest-escapes", "snapshot-deleted")


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupt_journal_is_one_clear_error_and_changes_nothing(corruption, fixed_venv, run_envdoctor, tmp_path):
    corrupt, words = CORRUPTIONS[corruption]
    venv = copy_of(fixed_venv, tmp_path / "venv", relocate=corrupt is not None)
    entry = only_entry(venv)
    # As after a kill mid-fix: the entry is unfinished, so neither fix nor undo may pass it by.
    _edit(lambda data: data.update(status="applied"))(entry)
    if corrupt is not None:
        corrupt(entry)
    before, original = state(venv), state(fixed_venv)
    commands = [("undo",), ("fix", "--yes")]
    if corruption not in BACKUP_CORRUPTIONS:
        commands.append(("undo", "--list"))  # the backup is undo's to read; the list shows entry.json
    for command in commands:
        result = run_envdoctor(*command, "--python", venv.python, cwd=tmp_path, env=offline_env())
        assert result.returncode == 2, (command, result.stderr)
        if corruption in BACKUP_CORRUPTIONS and command == ("fix", "--yes"):
            assert "did not finish; run `envdoctor undo" in result.stderr, result.stderr  # and undo says what is wrong
        else:
            assert words in result.stderr, (command, result.stderr)
        assert "internal error" not in result.stderr and "nothing to undo" not in result.stderr
        assert state(venv) == before, command
    assert state(fixed_venv) == original  # a copied journal never reaches back into the original


def test_undo_refuses_to_revert_an_install_made_after_the_fix(broken_venv, envdoctor_bin, run_envdoctor, tmp_path):
    venv = fixed(broken_venv, tmp_path / "venv", envdoctor_bin)
    venv.install("six==1.17.0")
    after_install = state(venv)
    refused = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path)
    assert refused.returncode == 2 and "installed since: six-1.17.0.dist-info" in refused.stderr, refused.stderr
    assert state(venv) == after_install
    shown = run_envdoctor("undo", "--dry-run", "--python", venv.python, cwd=tmp_path)
    assert shown.returncode == 0 and "would be removed" in shown.stdout and "six.py" in shown.stdout
    assert "warning: the environment changed after fix" in shown.stderr
    assert state(venv) == after_install
    forced = run_envdoctor("undo", "--force", "--python", venv.python, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert venv.run("import six").returncode == 1 and venv.run("import idna.core").returncode == 1


def test_undo_right_after_a_fix_needs_no_force(broken_venv, envdoctor_bin, run_envdoctor, tmp_path):
    venv = fixed(broken_venv, tmp_path / "venv", envdoctor_bin)
    assert venv.run("import idna, charset_normalizer").returncode == 0  # running Python writes byte caches: no change
    shown = run_envdoctor("undo", "--dry-run", "--python", venv.python, cwd=tmp_path)
    assert shown.returncode == 0 and "warning" not in shown.stderr, shown.stderr
    undone = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert venv.run("import idna.core").returncode == 1  # the broken state is back


def test_fix_refuses_pip_through_an_interpreter_that_dies_at_start_up(broken_venv, run_envdoctor, tmp_path):
    venv = copy_of(broken_venv, tmp_path / "venv")
    (venv.site_packages / "dies.pth").write_text("import os; os._exit(3)\n")
    before = state(venv)
    result = run_envdoctor("fix", "--python", venv.python, "--yes", cwd=tmp_path, env=offline_env())
    assert result.returncode == 2, result.stderr
    assert "dies.pth (PTH003)" in result.stderr and "Fix PTH003 first" in result.stderr, result.stderr
    assert "step 1 failed" not in result.stderr
    assert state(venv) == before and journal_entries(venv) == []


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("free_kib", [0, 16, 64])
def test_a_full_disk_is_a_clear_error_that_leaves_nothing_half_written(free_kib, small_disk, broken_venv,
                                                                        run_envdoctor, tmp_path):
    venv = copy_of(broken_venv, small_disk / "venv")
    filler = small_disk / "filler"
    with open(filler, "wb") as handle:  # fill the disk, then give back `free_kib`
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, os.path.getsize(filler) - free_kib * 1024))
    before = state(venv)
    result = run_envdoctor("fix", "--python", venv.python, "--yes", "--select", "INT001", cwd=tmp_path,
                           env=offline_env())
    assert result.returncode != 0 and "internal error" not in result.stderr, result.stderr
    assert "space" in result.stderr.lower(), result.stderr
    assert state(venv) == before
    assert not any(entry["status"] in ("snapshotting", "applying", "applied") for entry in journal_entries(venv))
    assert not list((venv.root / ".envdoctor" / "journal").glob(".new-*")) if (venv.root / ".envdoctor" / "journal").is_dir() else True
    filler.unlink()  # with space again, the next fix is not blocked
    again = run_envdoctor("fix", "--python", venv.python, "--yes", "--select", "INT001", cwd=tmp_path, env=offline_env())
    assert again.returncode == 0, again.stderr
