"""Issue 17, family 1: installed code that a newer Python (or setuptools) removed the ground from.

Real releases from the index, on pyenv's real 3.12 and 3.13 (and 3.9 for the near-miss):
nose 1.3.7 (`from imp import ...` in nose/importer.py), attrdict 2.0.1 (`from collections
import Mapping`), pyfiglet 0.8.post1 and APScheduler 3.6.3 (`import pkg_resources` / `from
pkg_resources import ...` at module level) with the setuptools pip resolves today (no
pkg_resources since 82.0.0).  Each breakage is shown real first (the import fails), then
found by the default `check`; the healthy counterparts give zero findings.
"""

from __future__ import annotations

import pytest

from tests.conftest import clean_env, require_python
from tests.e2e.test_fix import fix, state, venv_with_pip
from tests.helpers.venvs import cached_wheels, make_venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

OLD_STDLIB_USERS = ("nose==1.3.7", "attrdict==2.0.1")
PKG_RESOURCES_USERS = ("pyfiglet==0.8.post1", "APScheduler==3.6.3")


def pairs(result):
    return sorted((f["code"], f["subject"], f["severity"]) for f in result.json["findings"])


@pytest.fixture(scope="module", autouse=True)
def wheels():
    for requirement in (*OLD_STDLIB_USERS, *PKG_RESOURCES_USERS, "pyfiglet==1.0.0", "setuptools==80.9.0", "pip"):
        cached_wheels([requirement])  # one at a time: two pyfiglet pins cannot resolve together


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_removed_stdlib_module_and_names_are_errors(run_envdoctor, tmp_path, minor):
    venv = make_venv(tmp_path / "venv", require_python(minor))
    venv.install(*OLD_STDLIB_USERS)
    assert "No module named 'imp'" in venv.run("import nose").stderr
    assert "cannot import name 'Mapping' from 'collections'" in venv.run("import attrdict").stderr

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert pairs(result) == [("PYU001", "nose", "error"), ("PYU002", "attrdict", "error")]
    (nose,) = result.findings("PYU001")
    assert nose["location"]["path"] == str(venv.site_packages / "nose" / "importer.py")
    assert nose["location"]["line"] == 12
    assert "`imp` (removed in 3.12)" in nose["title"]
    (attrdict,) = result.findings("PYU002")
    assert "`collections.Mapping` (removed in 3.10)" in attrdict["title"]
    assert f"{venv.site_packages / 'attrdict' / 'mapping.py'}:4: collections.Mapping" in attrdict["evidence"]


def test_a_scanned_distribution_gets_one_finding_per_removed_stdlib_use(run_envdoctor, tmp_path):
    """`--scan` reads the same import lines the default scan does: nose's `from imp import ...`
    is one cause with one fix (PYU001's upgrade), not PYU001 and IMP003 'nose -> imp' too;
    attrdict's `from collections import Mapping` is PYU002 only, not IMP001/IMP002 as well."""
    venv = make_venv(tmp_path / "venv", require_python("3.12"))
    venv.install(*OLD_STDLIB_USERS)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", "--scan", "nose", "--scan", "attrdict", cwd=tmp_path)
    assert result.returncode == 1
    above_info = [pair for pair in pairs(result) if pair[2] != "info"]
    assert above_info == [("PYU001", "nose", "error"), ("PYU002", "attrdict", "error")], result.stdout
    subjects = {f["subject"] for f in result.json["findings"] if f["code"].startswith("IMP")}
    assert "nose -> imp" not in subjects and not any("(Mapping" in subject for subject in subjects), subjects
    # The scan still ran: nose's other imports of what is not installed are there, as info.
    assert "nose -> coverage" in subjects


def test_the_same_code_on_a_python_that_still_has_it_is_clean(run_envdoctor, tmp_path):
    """Near-miss: the same releases on 3.9, whose stdlib still has `imp` and the ABC aliases."""
    venv = make_venv(tmp_path / "venv", require_python("3.9"))
    venv.install(*OLD_STDLIB_USERS)
    assert venv.run("import nose, attrdict").returncode == 0

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert pairs(result) == []


@pytest.mark.parametrize("minor", ["3.12", "3.13"])
def test_pkg_resources_without_setuptools_that_has_it_is_an_error(run_envdoctor, tmp_path, minor):
    venv = make_venv(tmp_path / "venv", require_python(minor))
    venv.install(*PKG_RESOURCES_USERS)  # APScheduler 3.6.3 requires setuptools>=0.7: pip picks one without pkg_resources
    assert not (venv.site_packages / "pkg_resources").exists()
    assert "No module named 'pkg_resources'" in venv.run("import pyfiglet").stderr
    assert "No module named 'pkg_resources'" in venv.run("import apscheduler").stderr

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert pairs(result) == [("PYU003", "APScheduler", "error"), ("PYU003", "pyfiglet", "error")]
    (aps,) = [f for f in result.findings("PYU003") if f["subject"] == "APScheduler"]
    assert aps["location"]["path"] == str(venv.site_packages / "apscheduler" / "__init__.py")
    assert aps["fix"]["install"]["requirements"] == ["setuptools<82"]  # no fixed release known: pin
    (figlet,) = [f for f in result.findings("PYU003") if f["subject"] == "pyfiglet"]
    assert figlet["fix"]["install"]["requirements"] == ["pyfiglet>=1.0.0"]


def test_pkg_resources_with_a_setuptools_that_still_ships_it_is_clean(run_envdoctor, tmp_path):
    """Near-miss: the same APScheduler and pyfiglet with setuptools 80.9.0, which has pkg_resources."""
    venv = make_venv(tmp_path / "venv", require_python("3.12"))
    venv.install(*PKG_RESOURCES_USERS, "setuptools==80.9.0")
    assert venv.run("import pyfiglet, apscheduler").returncode == 0

    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert pairs(result) == []


def test_fixed_release_is_installed_and_the_import_works_again(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv", require_python("3.12"))
    venv.install("pyfiglet==0.8.post1")
    assert venv.run("import pyfiglet").returncode == 1
    broken = state(venv)

    result = fix(run_envdoctor, venv, "--yes", "--select", "PYU003", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "fixed: PYU003" in result.stderr
    assert "pyfiglet>=1.0.0" in result.stdout
    imported = venv.run("import pyfiglet; print(pyfiglet.figlet_format('ok') != '')")
    assert imported.returncode == 0 and imported.stdout.strip() == "True", imported.stderr
    assert run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path).codes() == []

    undone = run_envdoctor("undo", "--python", venv.python, cwd=tmp_path)
    assert undone.returncode == 0, undone.stderr
    assert state(venv) == broken


def test_distutils_counts_as_present_only_while_setuptools_serves_it(run_envdoctor, tmp_path):
    """3.12 has no distutils; setuptools' _distutils_hack finder serves its own copy unless
    SETUPTOOLS_USE_DISTUTILS=stdlib.  Same venv, same code, the variable decides."""
    venv = make_venv(tmp_path / "venv", require_python("3.12"))
    venv.install("setuptools==80.9.0")
    venv.install_files(build_wheel(tmp_path / "wheels", "oldbuildtool", "1.0", {
        "oldbuildtool/__init__.py": "from distutils.version import LooseVersion\n",
    }))
    assert venv.run("import oldbuildtool").returncode == 0
    healthy = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert pairs(healthy) == []

    stdlib = clean_env(SETUPTOOLS_USE_DISTUTILS="stdlib")
    assert "No module named 'distutils'" in venv.run("import oldbuildtool", env=stdlib).stderr
    # setuptools itself imports distutils: with the stdlib's (gone on 3.12) it cannot be imported either.
    assert "No module named 'distutils'" in venv.run("import setuptools", env=stdlib).stderr
    broken = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path, env=stdlib)
    assert pairs(broken) == [("PYU001", "oldbuildtool", "error"), ("PYU001", "setuptools", "error")]
    assert all("`distutils` (removed in 3.12)" in f["title"] for f in broken.findings("PYU001"))


def test_setuptools_in_a_layer_no_site_hook_ran_for_still_imports_its_own_distutils(run_envdoctor, tmp_path):
    """A lower layer appended by a .pth (an image's stack under a venv): no distutils-precedence.pth
    runs for it, so no _distutils_hack finder is on sys.meta_path at start-up. setuptools still
    imports, because its __init__ imports `_distutils_hack.override` before `import distutils`; a
    package of the same layer that imports distutils on its own does not. (The H200's layered venv
    called setuptools 81.0.0 a PYU001 error.)"""
    venv = make_venv(tmp_path / "venv", require_python("3.12"))
    lower = tmp_path / "lower"
    venv.install("setuptools==80.9.0", extra=["--target", str(lower)])
    (venv.site_packages / "lower_layer.pth").write_text(f"{lower}\n")
    assert venv.run("import setuptools, distutils; print(distutils.__file__)").stdout.startswith(str(lower / "setuptools"))
    healthy = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert [f for f in healthy.findings("PYU001")] == [], healthy.stdout

    venv.install_files(build_wheel(tmp_path / "wheels", "oldbuildtool", "1.0", {
        "oldbuildtool/__init__.py": "from distutils.version import LooseVersion\n",
    }), extra=["--target", str(lower)])
    assert "No module named 'distutils'" in venv.run("import oldbuildtool").stderr
    broken = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    assert [(f["subject"], f["severity"]) for f in broken.findings("PYU001")] == [("oldbuildtool", "error")], broken.stdout
