"""INT003's fix keeps the copy the files belong to (issue 16): a real idna-3.19.dist-info copied beside
idna 3.20's.  Before, the probe sorted metadata folders by name and the fix removed 3.20's, the
live one; now each copy's RECORD hashes are compared with the files on disk."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.test_fix import fix, venv_with_pip
from tests.helpers.venvs import make_venv

pytestmark = pytest.mark.slow


def test_the_copy_whose_record_hashes_match_is_kept(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv")
    venv.install("idna==3.20")
    donor = make_venv(tmp_path / "donor")
    donor.install("idna==3.10")
    shutil.copytree(next(donor.site_packages.glob("idna-3.10.dist-info")), venv.site_packages / "idna-3.10.dist-info")

    found = run_envdoctor("check", "--python", venv.python, "--no-scan", "--select", "INT003", "--format", "json",
                          cwd=tmp_path).findings("INT003")
    assert len(found) == 1 and found[0]["severity"] == "error"
    evidence = "\n".join(found[0]["evidence"])
    first = venv.run("import importlib.metadata as m; print(m.version('idna'))").stdout.strip()
    assert f"({first}; files complete; seen first by importlib.metadata" in evidence.splitlines()[0]
    (live,) = [line for line in evidence.splitlines() if "idna-3.20.dist-info" in line]
    assert "RECORD hashes match the files" in live, evidence
    (stale,) = [line for line in evidence.splitlines() if "idna-3.10.dist-info" in line]
    assert "RECORD hashes do not match the files" in stale, evidence

    fixed = fix(run_envdoctor, venv, "--yes", "--unsafe", "--select", "INT003", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert not (venv.site_packages / "idna-3.10.dist-info").exists()
    assert (venv.site_packages / "idna-3.20.dist-info").is_dir()
    metadata_and_code = venv.run("import importlib.metadata as m, idna; print(m.version('idna'), idna.__version__)")
    assert metadata_and_code.stdout.split() == ["3.20", "3.20"], metadata_and_code.stdout + metadata_and_code.stderr
