"""The probe's cache of distributions (probe/in_target/dist_cache.py) on real venvs.

A distribution proven unchanged is served from the cache; any change that would change its
facts invalidates it: a RECORD-listed file deleted two folders down, a dist-info added, a
METADATA edited in place, a .pth edited, PYTHONPATH changed.  Each test first shows the
cache serving every distribution (so the test cannot pass by reading everything again),
then makes the change and reads the change in `check`'s findings.  The cache lives under
ENVDOCTOR_CACHE_DIR, never in the target (tree_state proves the venv untouched).
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from envdoctor.probe.command import payload_argv
from envdoctor.probe.dist_cache_file import dist_cache_path
from envdoctor.probe.frame import document_text, extract_document, split_last_section
from envdoctor.probe.in_target.dist_cache import MARGIN_NS
from envdoctor.replay import document_digest
from tests.conftest import clean_env, require_python
from tests.e2e import test_healthy_torch
from tests.helpers.projects import install_flat_layout_editable
from tests.helpers.venvs import tree_state
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

torch_venv = test_healthy_torch.torch_venv  # the session's one real torch venv, shared with test_healthy_torch


def settle() -> None:
    """Wait out the cache's margin: a file changed within it is read again, never stored."""
    time.sleep(MARGIN_NS / 1e9 + 0.2)


def probe_cache_section(venv, env) -> dict:
    """The dist_cache section of the probe's own document (the host pops it before Facts)."""
    completed = subprocess.run(payload_argv(str(venv.python), "facts", "n0nce"), capture_output=True, text=True,
                               env=env, cwd=str(venv.root))
    return extract_document(completed.stdout, "n0nce")["dist_cache"]


def check(run_envdoctor, venv, env) -> dict:
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", env=env, cwd=venv.root)
    assert tree_state(venv.root) == before, "envdoctor check modified the environment it inspected"
    assert result.returncode in (0, 1), result.stderr
    return result.json


def without_elapsed(value):
    """The report without its wall-clock figures."""
    if isinstance(value, dict):
        return {k: without_elapsed(v) for k, v in value.items() if k != "elapsed_s"}
    if isinstance(value, list):
        return [without_elapsed(v) for v in value]
    return value


def pairs(report: dict, prefix: str) -> set:
    return {(f["code"], f["subject"]) for f in report["findings"] if f["code"].startswith(prefix)}


def warmed(run_envdoctor, venv, env) -> dict:
    """check run once on a settled venv: afterwards the probe serves every distribution from the cache."""
    settle()
    report = check(run_envdoctor, venv, env)
    section = probe_cache_section(venv, env)
    assert section["fresh"] == {} and section["dropped"] == [] and section["unused"] == 0
    assert section["reused"] == len(report_distributions(venv, env)) > 0
    return report


def report_distributions(venv, env) -> list:
    completed = subprocess.run(payload_argv(str(venv.python), "facts", "n1"), capture_output=True, text=True, env=env,
                               cwd=str(venv.root))
    return extract_document(completed.stdout, "n1")["distributions"]


@pytest.fixture
def cached_env(tmp_path, monkeypatch):
    """envdoctor's environment with a cache folder of this test's own (this process names the probe's cache file too)."""
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    return clean_env()


@pytest.fixture(params=[None, "3.8", "3.13"], ids=["default", "py3.8", "py3.13"])
def venv_with_deep_package(new_venv, tmp_path, request):
    """deeppkg (deeppkg/sub/inner/mod.py: a file two folders down) requiring helper, which is installed;
    on envdoctor's Python, the oldest the probe supports, and the newest (the cache file is written
    by envdoctor's Python and read by the target's)."""
    wheels = tmp_path / "wheels"
    venv = new_venv(require_python(request.param) if request.param else None)
    helper = build_wheel(wheels, "helper", "1.0", {"helper/__init__.py": "VALUE = 1\n"})
    deep = build_wheel(wheels, "deeppkg", "1.0", {
        "deeppkg/__init__.py": "", "deeppkg/sub/__init__.py": "", "deeppkg/sub/inner/__init__.py": "",
        "deeppkg/sub/inner/mod.py": "X = 1\n"}, requires=["helper>=1.0"])
    venv.install_files(helper, deep, extra=["--no-deps"])
    return venv


def test_a_file_deleted_two_folders_down_is_missing_on_the_next_run(run_envdoctor, venv_with_deep_package, cached_env):
    venv = venv_with_deep_package
    assert pairs(warmed(run_envdoctor, venv, cached_env), "INT") == set()
    (venv.site_packages / "deeppkg" / "sub" / "inner" / "mod.py").unlink()
    assert pairs(check(run_envdoctor, venv, cached_env), "INT") == {("INT001", "deeppkg")}


def test_a_dist_info_added_is_read(run_envdoctor, new_venv, tmp_path, cached_env):
    wheels = tmp_path / "wheels"
    venv = new_venv()
    venv.install_files(build_wheel(wheels, "needy", "1.0", {"needy.py": ""}, requires=["helper"]), extra=["--no-deps"])
    assert pairs(warmed(run_envdoctor, venv, cached_env), "REQ") == {("REQ001", "needy")}
    venv.install_files(build_wheel(wheels, "helper", "1.0", {"helper.py": ""}), extra=["--no-deps"])
    assert pairs(check(run_envdoctor, venv, cached_env), "REQ") == set()


def test_metadata_edited_in_place_is_read_again(run_envdoctor, venv_with_deep_package, cached_env):
    """The METADATA is rewritten in place (same inode, its folder's mtime unchanged): its own stamp changes."""
    venv = venv_with_deep_package
    assert pairs(warmed(run_envdoctor, venv, cached_env), "REQ") == set()
    metadata = venv.site_packages / "deeppkg-1.0.dist-info" / "METADATA"
    folder_before = os.stat(metadata.parent).st_mtime_ns
    inode = os.stat(metadata).st_ino
    with open(metadata, "r+", encoding="utf-8") as handle:
        text = handle.read().replace("helper>=1.0", "helper>=9.0")
        handle.seek(0)
        handle.write(text)
        handle.truncate()
    assert os.stat(metadata).st_ino == inode and os.stat(metadata.parent).st_mtime_ns == folder_before
    assert pairs(check(run_envdoctor, venv, cached_env), "REQ") == {("REQ002", "deeppkg")}


@pytest.fixture
def venv_and_folder(new_venv, tmp_path):
    """A venv holding anchor, and a folder outside it holding needy, which requires helper (installed nowhere)."""
    wheels = tmp_path / "wheels"
    folder = tmp_path / "extra"
    venv = new_venv()
    venv.install_files(build_wheel(wheels, "anchor", "1.0", {"anchor.py": ""}))  # served from the cache
    needy = build_wheel(wheels, "needy", "1.0", {"needy.py": ""}, requires=["helper"])
    venv.install_files(needy, extra=["--target", str(folder), "--no-deps"])
    return venv, folder


def test_a_pth_edited_to_add_a_folder_brings_its_distributions(run_envdoctor, venv_and_folder, cached_env):
    venv, folder = venv_and_folder
    pth = venv.site_packages / "extra_folder.pth"
    pth.write_text("# nothing yet\n")
    assert pairs(warmed(run_envdoctor, venv, cached_env), "REQ") == set()
    pth.write_text(str(folder) + "\n")
    assert pairs(check(run_envdoctor, venv, cached_env), "REQ") == {("REQ001", "needy")}


def test_pythonpath_changes_which_distributions_are_read(run_envdoctor, venv_and_folder, cached_env):
    venv, folder = venv_and_folder
    assert pairs(warmed(run_envdoctor, venv, cached_env), "REQ") == set()
    assert pairs(check(run_envdoctor, venv, dict(cached_env, PYTHONPATH=str(folder))), "REQ") == {("REQ001", "needy")}
    assert pairs(check(run_envdoctor, venv, cached_env), "REQ") == set()


def test_cold_and_warm_runs_report_the_same(run_envdoctor, venv_with_deep_package, cached_env, tmp_path):
    """The same JSON from an empty cache and from a full one, on a healthy venv and on a broken one."""
    venv = venv_with_deep_package
    (venv.site_packages / "deeppkg" / "sub" / "inner" / "mod.py").unlink()  # INT001, read cold and warm
    settle()
    cold = check(run_envdoctor, venv, cached_env)
    assert Path(dist_cache_path(str(venv.python))).is_file() and str(tmp_path / "cache") in dist_cache_path(str(venv.python))
    assert probe_cache_section(venv, cached_env)["fresh"] == {}  # the second run is served from the cache
    warm = check(run_envdoctor, venv, cached_env)
    assert without_elapsed(warm) == without_elapsed(cold)
    assert pairs(cold, "INT") == {("INT001", "deeppkg")}


@pytest.mark.parametrize("content", [b"not marshal at all", marshal.dumps({"fingerprint": None, "entries": {}}), None],
                         ids=["garbage", "another-fingerprint", "wrong-shapes"])
def test_an_unusable_cache_file_is_read_past_and_replaced(run_envdoctor, new_venv, tmp_path, cached_env, content):
    wheels = tmp_path / "wheels"
    venv = new_venv()
    venv.install_files(build_wheel(wheels, "needy", "1.0", {"needy.py": ""}, requires=["helper"]), extra=["--no-deps"])
    expected = warmed(run_envdoctor, venv, cached_env)
    path = Path(dist_cache_path(str(venv.python)))
    if content is None:  # the right fingerprint, entries of the wrong shape
        data = marshal.loads(path.read_bytes())
        data["entries"] = {meta_dir: [1, None] for meta_dir in data["entries"]}
        content = marshal.dumps(data)
    path.write_bytes(content)
    assert without_elapsed(check(run_envdoctor, venv, cached_env)) == without_elapsed(expected)
    assert pairs(expected, "REQ") == {("REQ001", "needy")}
    assert path.read_bytes() != content  # written anew from what the probe read


def test_cold_and_warm_agree_on_the_real_torch_venv(run_envdoctor, torch_venv, cached_env):
    """torch 2.13.0 (CPU, ~17,000 RECORD files in ~1,000 folders), numpy, requests and the rest, real wheels."""
    settle()
    cold = check(run_envdoctor, torch_venv, cached_env)
    section = probe_cache_section(torch_venv, cached_env)
    assert section["fresh"] == {} and section["reused"] == len(report_distributions(torch_venv, cached_env)) >= 10
    warm = check(run_envdoctor, torch_venv, cached_env)
    assert without_elapsed(warm) == without_elapsed(cold)


def test_files_two_distributions_both_install_are_found_from_the_cache_too(run_envdoctor, new_venv, tmp_path, cached_env):
    """shared_files needs the module files of both: a distribution served from the cache has its RECORD read again for it."""
    wheels = tmp_path / "wheels"
    venv = new_venv()
    venv.install_files(build_wheel(wheels, "alpha", "1.0", {"common/__init__.py": "A = 1\n"}))
    venv.install_files(build_wheel(wheels, "beta", "1.0", {"common/__init__.py": "B = 1\n"}))
    cold = warmed(run_envdoctor, venv, cached_env)
    assert {code for code, _ in pairs(cold, "INT")} == {"INT004"}
    assert without_elapsed(check(run_envdoctor, venv, cached_env)) == without_elapsed(cold)


def probe_text(venv, env) -> str:
    """The probe's document as text, without its dist_cache section: what replay digests."""
    completed = subprocess.run(payload_argv(str(venv.python), "facts", "n2"), capture_output=True, text=True, env=env,
                               cwd=str(venv.root))
    return split_last_section(document_text(completed.stdout, "n2"), "dist_cache")[0]


def test_a_document_served_from_the_cache_is_the_text_read_afresh(run_envdoctor, new_venv, tmp_path, cached_env,
                                                                  monkeypatch):
    """Served distributions skip compact() (in_target/distributions.py): their stored keys are in
    order, and path_index is set in place.  The probe's marks still apply to them (an editable
    install's source, two copies of one project in one folder), a sys.path entry put before
    site-packages moves every path_index, and the document's text is still the one an empty
    cache gives, which replay's digest compares byte for byte."""
    venv = new_venv()
    install_flat_layout_editable(venv, tmp_path / "workspace")
    venv.install_files(build_wheel(tmp_path / "wheels", "twin", "1.0", {"twin.py": ""}))
    shutil.copytree(venv.site_packages / "twin-1.0.dist-info", venv.site_packages / "twin-0.9.dist-info")
    folder = tmp_path / "first"
    folder.mkdir()
    warmed(run_envdoctor, venv, cached_env)
    for extra in ({}, {"PYTHONPATH": str(folder)}):
        served = probe_text(venv, dict(cached_env, **extra))
        with monkeypatch.context() as empty:  # this process names the probe's cache file
            empty.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "empty-cache"))
            fresh = probe_text(venv, dict(cached_env, **extra))
        assert document_digest(served, "") == document_digest(fresh, ""), extra
    document = json.loads(served + "}")
    marked = {d["name"]: d for d in document["distributions"] if d["name"] in ("aiterx", "twin")}
    assert marked["aiterx"]["editable_mode"] == "finder" and "record_hashes_match" in marked["twin"]
    assert probe_cache_section(venv, cached_env)["reused"] == len(document["distributions"])
