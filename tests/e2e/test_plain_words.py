"""What `check` and `fix` say, on real venvs: the first failure named (REQ001), a shadowing folder
named as a folder and once (SHD001), "No problems found." and a closing tally from `fix`.
(The pinned version's note: tests/unit/test_fix_words.py.)"""

from __future__ import annotations

import pytest

from tests.e2e.test_fix import fix, venv_with_pip
from tests.helpers.venvs import cached_wheels
from tests.helpers.wheels import build_wheel


def _requests_without_dependencies(tmp_path):
    cached_wheels(["requests==2.32.3"])  # and its dependencies: what a fix installs
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("requests==2.32.3", no_deps=True)
    return venv


@pytest.mark.slow
def test_req001_says_when_the_import_of_the_package_itself_fails(run_envdoctor, tmp_path):
    venv = _requests_without_dependencies(tmp_path)
    assert "No module named 'urllib3'" in venv.run("import requests").stderr  # what the user meets first
    # IMP003 selected too: with only checks that do not read the scan, it is not run.
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", "--select", "REQ001,IMP003",
                           "--scan", "requests", cwd=tmp_path)
    by_missing = {f["title"].split(" requires ")[1].split("<")[0]: f["message"] for f in result.findings("REQ001")}
    assert "`import requests` itself fails with ModuleNotFoundError" in by_missing["urllib3"]
    assert "requests/__init__.py:" in by_missing["urllib3"]
    # Near miss: idna is imported only inside functions: `import requests` does not fail for it.
    assert "the parts of requests that import idna fail" in by_missing["idna"]
    unscanned = run_envdoctor("check", "--python", venv.python, "--format", "json", "--select", "REQ001",
                              "--no-scan", cwd=tmp_path)
    assert all("--scan requests tells which" in f["message"] for f in unscanned.findings("REQ001"))


def test_shd001_for_a_folder_says_rename_the_folder_and_names_it_once(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0")
    project = tmp_path / "project"
    (project / "six").mkdir(parents=True)
    (project / "six" / "__init__.py").write_text("")
    data = run_envdoctor("check", "--python", venv.python, "--format", "json", "--no-scan", cwd=project)
    (finding,) = data.findings("SHD001")
    assert "rename or move the folder six/" in finding["fix"]["summary"] and "__init__" not in finding["fix"]["summary"]
    text = run_envdoctor("check", "--python", venv.python, "--no-scan", "-v", cwd=project).stdout
    block = text.split("✖ SHD001", 1)[1].split("\n✖", 1)[0].split("\n\n", 1)[0]
    assert block.count(str(project / "six")) == 1, block


def test_a_file_that_shadows_is_still_called_a_file(run_envdoctor, new_venv, tmp_path):
    """Near miss: six.py is a file; the advice names it as one."""
    venv = new_venv()
    venv.install("six==1.16.0")
    (tmp_path / "six.py").write_text("")
    (finding,) = run_envdoctor("check", "--python", venv.python, "--format", "json", "--no-scan",
                               cwd=tmp_path).findings("SHD001")
    assert "rename or move the file six.py" in finding["fix"]["summary"]


def test_fix_on_a_healthy_venv_says_no_problems_found(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv")
    result = fix(run_envdoctor, venv, "--yes", "--no-scan", cwd=tmp_path)
    assert result.returncode == 0
    assert "No problems found." in result.stdout and "Nothing envdoctor can fix" not in result.stdout


@pytest.mark.slow
def test_fix_closes_with_a_tally(run_envdoctor, tmp_path):
    cached_wheels(["requests==2.32.3", "idna==3.20"])
    cached_wheels(["idna==3.10"])
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("requests==2.32.3", "idna==3.20")
    pinner = build_wheel(tmp_path / "wheels", "pinner", "1.0", {"pinner.py": ""}, requires=["idna==3.10"])
    venv.install_files(pinner, extra=["--no-deps"])  # REQ002: pinner wants idna 3.10, 3.20 is installed
    (venv.site_packages / "stale.pth").write_text(str(tmp_path / "deleted-checkout") + "\n")  # PTH001: by hand

    planned = fix(run_envdoctor, venv, "--dry-run", "--no-scan", cwd=tmp_path)
    assert planned.stdout.rstrip().splitlines()[-1].startswith("Summary: fixed 0 · 1 not applied · 1 by hand only")

    applied = fix(run_envdoctor, venv, "--yes", "--no-scan", cwd=tmp_path)
    assert applied.stdout.rstrip().splitlines()[-1].startswith("Summary: fixed 1 · 1 by hand only"), applied.stdout
    assert venv.run("import importlib.metadata as m; assert m.version('idna') == '3.10'").returncode == 0
