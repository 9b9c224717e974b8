"""The warm legacy-code scan (scan/legacy_index.py's `proven`) on a real 3.12 venv.

A distribution installed from a RECORD is proven by its RECORD's and its folders' stamps
instead of a stat of every file; the files whose summaries hold a use are stat'ed on every
run.  So a file replaced (written beside and renamed, as pip, uv, editors and envdoctor's own
fixes do) and a use edited out in place are both seen on the next run.  Each test first shows
the index proving the distribution (so it cannot pass by scanning everything again).
"""

from __future__ import annotations

import os
import time

import pytest

from envdoctor.model.facts import Facts
from envdoctor.scan.legacy_index import MARGIN_NS, LegacyIndex
from envdoctor.scan.legacy_scan import _record_stamp
from tests.conftest import clean_env, require_python
from tests.helpers.venvs import make_venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


@pytest.fixture
def venv(tmp_path):
    """3.12 (no `imp`): oldpkg imports imp at import time; cleanpkg imports its sub.mod, which is clean."""
    venv = make_venv(tmp_path / "venv", require_python("3.12"))
    wheels = tmp_path / "wheels"
    venv.install_files(
        build_wheel(wheels, "oldpkg", "1.0", {"oldpkg/__init__.py": "import imp\n"}),
        build_wheel(wheels, "cleanpkg", "1.0", {"cleanpkg/__init__.py": "from .sub import mod\n",
                                                "cleanpkg/sub/__init__.py": "", "cleanpkg/sub/mod.py": "X = 1\n"}))
    return venv


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    return clean_env()


def pyu(run_envdoctor, venv, tmp_path, env) -> set:
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", "--select", "PYU", cwd=tmp_path, env=env)
    assert result.returncode in (0, 1), result.stderr
    return {(f["code"], f["subject"]) for f in result.json["findings"]}


def proven_by_folders(run_envdoctor, venv, tmp_path, env, name: str) -> bool:
    """Whether the index, as the last run left it, proves `name` without a stat of each of its files."""
    snapshot = tmp_path / "facts.json"
    run_envdoctor("snapshot", "--python", venv.python, "-o", snapshot, cwd=tmp_path, env=env)
    (dist,) = [d for d in Facts.load(str(snapshot)).distributions if d.name == name]
    index = LegacyIndex(tmp_path / "cache" / "scan")
    return index.proven(dist.location, dist.metadata_path, _record_stamp(dist), lambda: []) is not None


def warm(run_envdoctor, venv, tmp_path, env) -> set:
    time.sleep(MARGIN_NS / 1e9 + 0.2)  # a folder changed within the margin is not vouched for by its stamp
    return pyu(run_envdoctor, venv, tmp_path, env)


def test_a_use_edited_out_in_place_is_seen(run_envdoctor, venv, tmp_path, env):
    assert warm(run_envdoctor, venv, tmp_path, env) == {("PYU001", "oldpkg")}
    assert proven_by_folders(run_envdoctor, venv, tmp_path, env, "oldpkg")
    init = venv.site_packages / "oldpkg" / "__init__.py"
    folder_before = os.stat(init.parent).st_mtime_ns
    with open(init, "r+") as handle:  # in place: same inode, the folder's mtime unchanged
        handle.write("import io \n")
    assert os.stat(init.parent).st_mtime_ns == folder_before
    assert pyu(run_envdoctor, venv, tmp_path, env) == set()


def test_a_file_replaced_with_a_use_is_seen(run_envdoctor, venv, tmp_path, env):
    assert warm(run_envdoctor, venv, tmp_path, env) == {("PYU001", "oldpkg")}
    assert proven_by_folders(run_envdoctor, venv, tmp_path, env, "cleanpkg")
    module = venv.site_packages / "cleanpkg" / "sub" / "mod.py"
    written = module.with_name("mod.py.new")
    written.write_text("import imp\nX = 1\n")
    os.replace(written, module)  # two folders down: only cleanpkg/sub's mtime changes
    assert pyu(run_envdoctor, venv, tmp_path, env) == {("PYU001", "oldpkg"), ("PYU001", "cleanpkg")}
