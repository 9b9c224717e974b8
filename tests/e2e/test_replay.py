"""A warm check's stored report (envdoctor/replay/) on real venvs, through the real CLI.

Each test first shows that an unchanged run prints the stored report: it marks the stored
report, and the next run prints the mark (so no test can pass by making the report again).
Then it makes one change and reads the change in the findings, without the mark:

- what the probe sees: a RECORD-listed file deleted, a dist-info added, a .pth edited,
  PYTHONPATH set;
- what only the host reads: a scanned source file edited in place (same inode, its folder's
  mtime unchanged: the probe's document is the same), the config's pyproject.toml created;
- envdoctor's own environment: a variable that changes nothing in the target.

The cache lives under ENVDOCTOR_CACHE_DIR, never in the target (tree_state proves the venv untouched).
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pytest

from envdoctor.replay import MARGIN_NS
from tests.conftest import clean_env
from tests.helpers.venvs import tree_state
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

MARK = "replayed-"
# deeppkg/sub/inner/mod.py, and what an in-place edit makes of it: the same size, a name json lacks.
ORIGINAL, EDITED = "from json import dumps       \n", "from json import no_such_name\n"
assert len(ORIGINAL) == len(EDITED)


@pytest.fixture
def cached_env(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    return clean_env()


@pytest.fixture
def venv(new_venv, tmp_path):
    """deeppkg (a module two folders down) requiring helper, which is missing (REQ001), settled."""
    wheels = tmp_path / "wheels"
    venv = new_venv()
    deep = build_wheel(wheels, "deeppkg", "1.0", {
        "deeppkg/__init__.py": "", "deeppkg/sub/__init__.py": "", "deeppkg/sub/inner/__init__.py": "",
        "deeppkg/sub/inner/mod.py": ORIGINAL}, requires=["helper>=1.0"])
    venv.install_files(deep, extra=["--no-deps"])
    venv.wheels = wheels
    return venv


def settle() -> None:
    """Wait out the margin: a run that read a path changed within it stores nothing."""
    import time

    time.sleep(MARGIN_NS / 1e9 + 0.3)


def check(run_envdoctor, venv, env, *args, fmt="json"):
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", fmt, *args, env=env, cwd=venv.root)
    assert tree_state(venv.root) == before, "envdoctor check modified the environment it inspected"
    assert result.returncode in (0, 1), result.stderr
    return result


def stored_reports(env) -> list:
    folder = Path(env["ENVDOCTOR_CACHE_DIR"]) / "replay"
    return sorted(folder.glob("*.marshal")) if folder.is_dir() else []


def mark_stored_reports(env) -> int:
    """Put MARK into every stored report (JSON: its "envdoctor" field; text: its first line)."""
    marked = 0
    for path in stored_reports(env):
        data = marshal.loads(path.read_bytes())
        data["report"] = data["report"].replace('"envdoctor": "', '"envdoctor": "' + MARK, 1) if data["report"].startswith("{") \
            else MARK + data["report"]
        path.write_bytes(marshal.dumps(data))
        marked += 1
    return marked


def replayed(result) -> bool:
    return MARK in result.stdout


def pairs(result, prefix: str) -> set:
    return {(f["code"], f["subject"]) for f in result.json["findings"] if f["code"].startswith(prefix)}


def stored_then_replayed(run_envdoctor, venv, env, *args, fmt="json"):
    """A first run that stores its report, and a second that prints it: the stored report is in use."""
    settle()
    first = check(run_envdoctor, venv, env, *args, fmt=fmt)
    assert mark_stored_reports(env) >= 1, "the first run stored no report"
    second = check(run_envdoctor, venv, env, *args, fmt=fmt)
    assert replayed(second), "an unchanged environment was checked again instead of replayed"
    return first, second


def without_volatile(report: dict) -> dict:
    summary = {key: value for key, value in report["summary"].items() if key != "elapsed_s"}
    return {**report, "envdoctor": "-", "summary": summary}


def test_an_unchanged_environment_gets_the_same_report_with_its_own_run_time(run_envdoctor, venv, cached_env):
    first, second = stored_then_replayed(run_envdoctor, venv, cached_env)
    assert without_volatile(second.json) == without_volatile(first.json)
    assert pairs(first, "REQ") == {("REQ001", "deeppkg")}
    assert second.returncode == first.returncode == 1
    assert second.json["summary"]["elapsed_s"] != 987654.321  # the stand-in never shows
    text_first, text_second = stored_then_replayed(run_envdoctor, venv, cached_env, fmt="text")
    assert text_second.stdout.replace(MARK, "").split("·")[:-1] == text_first.stdout.split("·")[:-1]
    assert "987654" not in text_second.stdout


def test_a_record_file_deleted_is_seen(run_envdoctor, venv, cached_env):
    stored_then_replayed(run_envdoctor, venv, cached_env)
    (venv.site_packages / "deeppkg" / "sub" / "inner" / "mod.py").unlink()
    after = check(run_envdoctor, venv, cached_env)
    assert not replayed(after) and pairs(after, "INT") == {("INT001", "deeppkg")}


def test_a_dist_info_added_is_seen(run_envdoctor, venv, cached_env):
    stored_then_replayed(run_envdoctor, venv, cached_env)
    venv.install_files(build_wheel(venv.wheels, "helper", "1.0", {"helper.py": ""}), extra=["--no-deps"])
    after = check(run_envdoctor, venv, cached_env)
    assert not replayed(after) and pairs(after, "REQ") == set()


def test_a_pth_edited_and_pythonpath_set_are_seen(run_envdoctor, venv, cached_env, tmp_path):
    folder = tmp_path / "extra"
    venv.install_files(build_wheel(venv.wheels, "helper", "1.0", {"helper.py": ""}), extra=["--target", str(folder), "--no-deps"])
    pth = venv.site_packages / "extra_folder.pth"
    pth.write_text("# nothing yet\n")
    stored_then_replayed(run_envdoctor, venv, cached_env)
    with_path = check(run_envdoctor, venv, dict(cached_env, PYTHONPATH=str(folder)))
    assert not replayed(with_path) and pairs(with_path, "REQ") == set()
    pth.write_text(str(folder) + "\n")
    after = check(run_envdoctor, venv, cached_env)
    assert not replayed(after) and pairs(after, "REQ") == set()


def test_a_scanned_file_edited_in_place_is_seen_though_the_probe_sees_nothing(run_envdoctor, venv, cached_env):
    """Only the host's import scan reads deeppkg's modules: the proof must name them."""
    stored_then_replayed(run_envdoctor, venv, cached_env, "--scan", "deeppkg")
    module = venv.site_packages / "deeppkg" / "sub" / "inner" / "mod.py"
    folder_before, inode = os.stat(module.parent).st_mtime_ns, os.stat(module).st_ino
    with open(module, "r+", encoding="utf-8") as handle:  # in place: same inode, the folder untouched
        handle.write(EDITED)
    assert os.stat(module).st_ino == inode and os.stat(module.parent).st_mtime_ns == folder_before
    assert os.stat(module).st_size == len(ORIGINAL)
    after = check(run_envdoctor, venv, cached_env, "--scan", "deeppkg")
    assert not replayed(after)
    assert [f["code"] for f in after.json["findings"] if "no_such_name" in f["title"]] == ["IMP002"]


def test_a_file_added_where_only_the_probe_stamps_is_seen_after_another_run_rewrote_its_cache(
        run_envdoctor, venv, cached_env):
    """The folders the probe's cache of distributions stamps are left out of the stored report's
    proof (the probe stamps them on every run).  A file added to one changes the probe's stamps,
    and a run of another command line stores them in the probe's cache file: the next run finds
    every stamp as that file has it, yet its stored report was made before the file came."""
    inner = venv.site_packages / "deeppkg" / "sub" / "inner"
    scan = ("--scan", str(venv.site_packages / "deeppkg"))  # a folder: the scan walks it, listing inner
    stored_then_replayed(run_envdoctor, venv, cached_env, *scan)
    [report] = stored_reports(cached_env)
    proof = {(path, follow) for path, follow, _ in marshal.loads(report.read_bytes())["proof"]}
    # Listed by the scan (a stat of it would follow a link), and by the probe: only the probe stamps it.
    assert (str(inner), True) not in proof, "a folder the probe stamps is in the stored report's proof"
    assert (str(inner / "mod.py"), True) in proof  # read by the scan only
    (inner / "extra.py").write_text("from json import no_such_name\n")
    settle()
    other = check(run_envdoctor, venv, cached_env, *scan, fmt="markdown")
    assert not replayed(other)
    after = check(run_envdoctor, venv, cached_env, *scan)
    assert not replayed(after)
    assert [f["code"] for f in after.json["findings"] if "no_such_name" in f["title"]] == ["IMP002"]


def test_a_target_without_blake2b_is_checked_and_its_proof_keeps_every_path(run_envdoctor, venv, cached_env):
    """A Python built without blake2 (or in FIPS mode) gives no digest of the probe's stamps: the
    check runs as before, and the stored report's proof keeps the folders the probe stamped."""
    (venv.site_packages / "no_blake2.pth").write_text("import sys; sys.modules['_blake2'] = None\n")
    inner = venv.site_packages / "deeppkg" / "sub" / "inner"
    scan = ("--scan", str(venv.site_packages / "deeppkg"))
    first, _ = stored_then_replayed(run_envdoctor, venv, cached_env, *scan)
    assert pairs(first, "REQ") == {("REQ001", "deeppkg")}
    [report] = stored_reports(cached_env)
    proof = {(path, follow) for path, follow, _ in marshal.loads(report.read_bytes())["proof"]}
    assert (str(inner), True) in proof
    (inner / "extra.py").write_text("from json import no_such_name\n")
    after = check(run_envdoctor, venv, cached_env, *scan)
    assert not replayed(after)


@pytest.mark.parametrize("cache_folder", ["its own", "the folder above"])
def test_the_config_created_is_seen(run_envdoctor, venv, cached_env, cache_folder):
    """Also when ENVDOCTOR_CACHE_DIR names a broad folder that holds the config (the folder above
    the working directory): only envdoctor's own caches in it are left out of the proof."""
    config_folder = venv.root
    if cache_folder == "the folder above":
        config_folder = venv.root.parent
        cached_env = dict(cached_env, ENVDOCTOR_CACHE_DIR=str(config_folder))
    stored_then_replayed(run_envdoctor, venv, cached_env)
    (config_folder / "pyproject.toml").write_text('[tool.envdoctor]\nignore = ["REQ001"]\n')
    try:
        after = check(run_envdoctor, venv, cached_env)
    finally:
        (config_folder / "pyproject.toml").unlink()
    assert not replayed(after) and pairs(after, "REQ") == set()


def test_a_variable_of_envdoctor_s_environment_makes_a_report_of_its_own(run_envdoctor, venv, cached_env):
    first, _ = stored_then_replayed(run_envdoctor, venv, cached_env)
    other = check(run_envdoctor, venv, dict(cached_env, SOME_SETTING="1"))
    assert not replayed(other) and without_volatile(other.json) == without_volatile(first.json)


def test_envdoctor_no_replay_turns_it_off(run_envdoctor, venv, cached_env):
    env = dict(cached_env, ENVDOCTOR_NO_REPLAY="1")
    settle()
    check(run_envdoctor, venv, env)
    check(run_envdoctor, venv, env)
    assert stored_reports(env) == []


@pytest.mark.parametrize("damage", ["garbage", "wrong-shapes"])
def test_a_damaged_stored_report_is_made_again(run_envdoctor, venv, cached_env, damage):
    first, _ = stored_then_replayed(run_envdoctor, venv, cached_env)
    for path in stored_reports(cached_env):
        if damage == "garbage":
            path.write_bytes(b"not marshal at all")
        else:
            data = marshal.loads(path.read_bytes())
            data.update(report=None, proof=[(1, 2)], exit_code="1")
            path.write_bytes(marshal.dumps(data))
    again = check(run_envdoctor, venv, cached_env)
    assert not replayed(again) and without_volatile(again.json) == without_volatile(first.json)
