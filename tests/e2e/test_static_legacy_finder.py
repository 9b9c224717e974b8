"""Issue 17, family 2: import hooks found statically in any installed distribution.

six 1.15.0 appends its find_module()-only _SixMetaPathImporter to sys.meta_path when imported,
and urllib3 1.25.11 vendors a copy of that six (urllib3/packages/six.py) that urllib3 itself
imports through: on 3.12+ `import six.moves.urllib.parse` and `import urllib3` fail.  Neither is
on sys.meta_path after start-up, so only the static scan sees them.  The fixed releases (six
1.16.0, urllib3 1.26.5) are the healthy counterpart; the legacy-finder shim is the fix.
"""

from __future__ import annotations

import pytest

from tests.conftest import require_python
from tests.e2e.test_fix import fix, state, venv_with_pip
from tests.helpers.venvs import cached_wheels, make_venv

pytestmark = pytest.mark.slow

LEGACY = ("six==1.15.0", "urllib3==1.25.11")
FIXED = ("six==1.16.0", "urllib3==1.26.5")
SIX_FINDER = "six._SixMetaPathImporter"
URLLIB3_FINDER = "urllib3.packages.six._SixMetaPathImporter"


def pairs(result):
    return sorted((f["code"], f["subject"], f["severity"]) for f in result.json["findings"])


@pytest.fixture(scope="module", autouse=True)
def wheels():
    for requirement in (*LEGACY, *FIXED, "pip"):
        cached_wheels([requirement])


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_find_module_only_finders_put_on_meta_path_at_import_are_errors(run_envdoctor, tmp_path, minor):
    venv = make_venv(tmp_path / "venv", require_python(minor))
    venv.install(*LEGACY, no_deps=True)
    assert "No module named 'six.moves'" in venv.run("import six.moves.urllib.parse").stderr
    assert "No module named 'urllib3.packages.six.moves'" in venv.run("import urllib3").stderr

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert pairs(result) == [("HOOK002", SIX_FINDER, "error"), ("HOOK002", URLLIB3_FINDER, "error")]
    six, = [f for f in result.findings("HOOK002") if f["subject"] == SIX_FINDER]
    assert six["location"] == {"path": str(venv.site_packages / "six.py"), "line": 164, "distribution": "six",
                               "module": None}
    assert f"put on sys.meta_path at {venv.site_packages / 'six.py'}:982" in six["evidence"]
    assert "six 1.16.0 fixed it" in six["message"]


def test_before_312_the_same_finders_are_a_warning(run_envdoctor, tmp_path):
    venv = make_venv(tmp_path / "venv", require_python("3.11"))
    venv.install(*LEGACY, no_deps=True)
    assert venv.run("import six.moves.urllib.parse, urllib3").returncode == 0

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    assert pairs(result) == [("HOOK002", SIX_FINDER, "warning"), ("HOOK002", URLLIB3_FINDER, "warning")]


def test_the_fixed_releases_are_clean(run_envdoctor, tmp_path):
    """Near-miss: the same finder class, now with find_spec() (six 1.16.0, and urllib3 1.26.5's copy of it)."""
    venv = make_venv(tmp_path / "venv", require_python("3.12"))
    venv.install(*FIXED, no_deps=True)
    assert venv.run("import six.moves.urllib.parse, urllib3").returncode == 0

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert pairs(result) == []


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_the_shim_serves_their_submodules_again_and_undo_removes_it(run_envdoctor, tmp_path, minor):
    venv = venv_with_pip(tmp_path / "venv", require_python(minor))
    venv.install(*LEGACY, no_deps=True)
    broken = state(venv)

    result = fix(run_envdoctor, venv, "--yes", "--unsafe", "--select", "HOOK002", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "envdoctor-shim-legacy-finders.pth" in result.stdout
    imported = venv.run("import six.moves.urllib.parse as p, urllib3; print(p.quote('a b'), urllib3.__version__)")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == ["a%20b", "1.25.11"]
    assert run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path).codes() == []

    undone = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert state(venv) == broken
    assert venv.run("import six.moves.urllib.parse").returncode == 1
