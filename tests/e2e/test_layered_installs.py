"""Layered and OS-packaged installs, as real machines have them: no false INT/REQ/SHD alarms.

Debian's /usr/bin/python3 (dist-packages written by dpkg) and a `--system-site-packages` venv
over it, a base prefix with its own site-packages under a venv with newer copies, `pip install
--target`, two metadata folders of one project in one folder, the OS packager's egg-info +
dist-info pair, a build artefact in the working directory, shadowing beside an incomplete
install. Each case is built with real pip and checked by the installed `envdoctor`; each
healthy case has its broken near-miss beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import clean_env, require_python
from tests.helpers.venvs import Venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

FAMILIES = ("INT", "REQ", "SHD")
DEBIAN_PYTHON = "/usr/bin/python3"
DEBIAN_DIST_PACKAGES = Path("/usr/lib/python3/dist-packages")


def check(run_envdoctor, python, cwd, env=None):
    return run_envdoctor("check", "--python", python, "--no-scan", "--format", "json", cwd=cwd, env=env)


def loud(result, families=FAMILIES):
    """The errors and warnings of the families this file is about, as 'CODE title' lines."""
    return [f"{f['code']} {f['title']}" for f in result.json["findings"]
            if f["code"].startswith(families) and f["severity"] in ("error", "warning")]


def snapshot(run_envdoctor, python, cwd, env=None) -> dict:
    result = run_envdoctor("snapshot", "--python", python, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return result.json


def debian_python() -> str:
    if not (os.path.exists(DEBIAN_PYTHON) and DEBIAN_DIST_PACKAGES.is_dir()):
        pytest.skip(f"no Debian-style {DEBIAN_PYTHON} with {DEBIAN_DIST_PACKAGES} on this machine")
    return DEBIAN_PYTHON


# --- Debian's system Python, and a --system-site-packages venv over it -----------------------

def test_debian_system_python_has_no_integrity_alarm(run_envdoctor, tmp_path):
    python = debian_python()
    result = check(run_envdoctor, python, tmp_path)
    assert loud(result) == []
    if (DEBIAN_DIST_PACKAGES / "cryptography.egg-info").is_dir():
        assert result.findings("INT003") == []  # dpkg's egg-info + dist-info pair: one distribution
    facts = snapshot(run_envdoctor, python, tmp_path)
    marker = Path(facts["interpreter"]["base_prefix"]) / "lib" / f"python{facts['interpreter']['version'][:4].rstrip('.')}" / "EXTERNALLY-MANAGED"
    assert facts["interpreter"]["externally_managed"] == (str(marker) if marker.exists() else None)
    if Path("/var/lib/dpkg/info/python3-pip.list").exists():
        pip_dist = next(d for d in facts["distributions"] if d["name"] == "pip" and d["location"] == str(DEBIAN_DIST_PACKAGES))
        assert pip_dist["os_package"] == "python3-pip"


def test_system_site_packages_venv_over_debian(run_envdoctor, tmp_path):
    python = debian_python()
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--system-site-packages", str(venv)], check=True, capture_output=True)
    result = check(run_envdoctor, venv / "bin" / "python", tmp_path)
    assert loud(result) == []
    layered = {f["subject"]: f for f in result.findings("INT003")}
    assert "pip" in layered and layered["pip"]["severity"] == "info"  # the venv's pip over dpkg's
    facts = snapshot(run_envdoctor, venv / "bin" / "python", tmp_path)
    assert facts["interpreter"]["externally_managed"] is None  # PEP 668: a venv is not managed by the OS
    provenance = {e["path"]: e["provenance"] for e in facts["sys_path"]}
    assert provenance[str(DEBIAN_DIST_PACKAGES)] == "system-site"
    assert "venv-site" in provenance.values()


# --- a base prefix with its own site-packages, and a venv over it ---------------------------

def layered_base(root: Path) -> Venv:
    """A real base prefix: pyenv's 3.11 binary copied, its standard library linked, and an empty
    site-packages of its own (what Debian, NGC and conda bases have)."""
    python = require_python("3.11", "for the layered base prefix")
    home = Path(python).resolve().parent.parent
    stdlib = root / "lib" / "python3.11"
    (stdlib / "site-packages").mkdir(parents=True)
    (root / "bin").mkdir()
    shutil.copy2(home / "bin" / "python3.11", root / "bin" / "python3.11")
    for entry in (home / "lib" / "python3.11").iterdir():
        if entry.name != "site-packages":
            (stdlib / entry.name).symlink_to(entry)
    for library in (home / "lib").glob("libpython3.11*"):
        (root / "lib" / library.name).symlink_to(library)
    return Venv(root=root, python=root / "bin" / "python3.11")


def test_venv_with_newer_copies_over_a_base_prefix(run_envdoctor, tmp_path):
    base = layered_base(tmp_path / "base")
    base.install("pip==24.2", "setuptools==84.2.1", "wheel==0.48.0", "packaging==26.3", no_deps=True)
    venv_root = tmp_path / "venv"
    subprocess.run([str(base.python), "-m", "venv", "--without-pip", "--system-site-packages", str(venv_root)],
                   check=True, capture_output=True)
    venv = Venv(root=venv_root, python=venv_root / "bin" / "python")
    venv.install("pip==26.3", "setuptools==84.2.1", no_deps=True, extra=["--ignore-installed"])
    result = check(run_envdoctor, venv.python, tmp_path)
    assert loud(result) == []
    layered = {f["subject"]: f["severity"] for f in result.findings("INT003")}
    assert layered == {"pip": "info", "setuptools": "info"}

    # The near-miss: the venv's pip loses its code, so `import pip` runs the base's 24.2 while
    # importlib.metadata says 26.3: code and metadata disagree.
    shutil.rmtree(venv.site_packages / "pip")
    broken = check(run_envdoctor, venv.python, tmp_path)
    (pip_finding,) = [f for f in broken.findings("INT003") if f["subject"] == "pip"]
    assert pip_finding["severity"] == "error"
    assert any(f["subject"] == "pip" and f["severity"] == "error" for f in broken.findings("INT001"))


def test_a_lower_layer_a_pth_appends_is_behind_the_venv(run_envdoctor, new_venv, tmp_path):
    """An image's lower layer put on sys.path by a .pth line (appended after site-packages): the
    venv's own copy is found first and imported, the lower one is dead weight: info. The same
    folder put in front by a .pth that inserts it at sys.path[0]: upgrades in the venv seem to
    do nothing, an error. (The H200 check --with run layered a venv over /opt/torch/.venv this
    way and called every upgraded package an error.)"""
    venv = new_venv()
    venv.install("idna==3.20", no_deps=True)
    lower = tmp_path / "lower"
    venv.install("idna==3.10", no_deps=True, extra=["--target", str(lower)])
    pth = venv.site_packages / "lower_layer.pth"
    pth.write_text(f"{lower}\n")
    imported = venv.run("import idna, importlib.metadata as m; print(idna.__file__, m.version('idna'))").stdout.split()
    assert imported == [str(venv.site_packages / "idna" / "__init__.py"), "3.20"], imported
    (behind,) = check(run_envdoctor, venv.python, tmp_path).findings("INT003")
    assert (behind["subject"], behind["severity"]) == ("idna", "info"), behind

    pth.write_text(f"import sys; sys.path.insert(0, {str(lower)!r})\n")
    imported = venv.run("import idna, importlib.metadata as m; print(idna.__file__, m.version('idna'))").stdout.split()
    assert imported == [str(lower / "idna" / "__init__.py"), "3.10"], imported
    (in_front,) = check(run_envdoctor, venv.python, tmp_path).findings("INT003")
    assert (in_front["subject"], in_front["severity"]) == ("idna", "error"), in_front


# --- pip install --target DIR, used through PYTHONPATH ---------------------------------------

def console_tool_wheel(out: Path) -> Path:
    return build_wheel(out, "clitool", "1.0", {
        "clitool/__init__.py": "def main():\n    print('hi')\n",
        "clitool-1.0.dist-info/entry_points.txt": "[console_scripts]\nclitool = clitool:main\n",
    })


def test_pip_target_install_with_a_console_script(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    target = tmp_path / "target"
    venv.install_files(console_tool_wheel(tmp_path / "w"), extra=["--target", str(target)])
    assert (target / "bin" / "clitool").exists()  # pip moved bin/ into DIR; RECORD says ../../bin/clitool
    env = clean_env(PYTHONPATH=str(target))
    assert loud(check(run_envdoctor, venv.python, tmp_path, env)) == []

    (target / "bin" / "clitool").unlink()  # the command is gone, the import still works
    (finding,) = check(run_envdoctor, venv.python, tmp_path, env).findings("INT001")
    assert finding["severity"] == "warning"
    assert finding["evidence"] == [f"missing: {target / 'bin' / 'clitool'}"]

    (target / "clitool" / "__init__.py").unlink()  # now the import fails too
    (finding,) = check(run_envdoctor, venv.python, tmp_path, env).findings("INT001")
    assert finding["severity"] == "error"
    assert f"missing: {target / 'clitool' / '__init__.py'}" in finding["evidence"]


# --- two metadata folders of one project in one folder: the one importlib.metadata reads ------

def test_duplicate_order_is_importlib_metadata_order(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("idna==3.20")
    real = venv.site_packages / "idna-3.20.dist-info"
    # A stale copy whose name sorts first ("idna-3.19" < "idna-3.20") but which the folder's
    # listing shows second: sorting, not the listing, would make it the one "seen first".
    stale = None
    for version in ("3.19", "3.18", "3.17", "3.16", "3.15", "3.14", "3.13", "3.12", "3.11", "3.1", "2.9", "2.8"):
        candidate = venv.site_packages / f"idna-{version}.dist-info"
        shutil.copytree(real, candidate)
        names = [n for n in os.listdir(venv.site_packages) if n.startswith("idna-")]
        if names.index(real.name) < names.index(candidate.name):
            stale = candidate
            break
        shutil.rmtree(candidate)
    assert stale is not None, "no stale name that this folder lists after the real one"
    metadata = (stale / "METADATA").read_text().replace("Version: 3.20", f"Version: {stale.name[5:-10]}")
    (stale / "METADATA").write_text(metadata)
    seen = venv.run("import importlib.metadata as m; print(m.version('idna'))").stdout.strip()
    assert seen == "3.20"
    (finding,) = check(run_envdoctor, venv.python, tmp_path).findings("INT003")
    assert finding["severity"] == "error"  # two copies in one folder
    assert finding["evidence"][0].startswith(f"{real} (3.20; files complete; seen first by importlib.metadata")


# --- the OS packager's egg-info + dist-info pair (python3-cryptography's layout) ----------------

def test_egg_info_and_dist_info_of_one_version_are_one_distribution(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0")
    pair = venv.site_packages / "six.egg-info"  # as dpkg ships cryptography.egg-info beside its dist-info
    pair.mkdir()
    (pair / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n\n")
    (pair / "top_level.txt").write_text("six\n")
    (pair / "dependency_links.txt").write_text("\n")
    assert check(run_envdoctor, venv.python, tmp_path).findings("INT003") == []

    # The near-miss: the egg-info says another version, so tools disagree.
    (pair / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: six\nVersion: 1.15.0\n\n")
    (finding,) = check(run_envdoctor, venv.python, tmp_path).findings("INT003")
    assert finding["severity"] == "error"


# --- an editable project's own egg-info in its source folder (seed 003) -------------------------

def test_editable_project_egg_info_in_its_source_folder(run_envdoctor, new_venv, tmp_path):
    # seed 003's repaired state: a flat-layout setuptools project installed with
    # editable_mode=compat, whose .pth puts the source folder (holding aiterx.egg-info) on sys.path.
    venv = new_venv()
    venv.install("setuptools>=70", "wheel")
    project = tmp_path / "workspace" / "aiterx"
    (project / "aiterx").mkdir(parents=True)
    (project / "aiterx" / "__init__.py").write_text("VALUE = 1\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "aiterx"\nversion = "0.1"\n[tool.setuptools]\npackages = ["aiterx"]\n'
    )
    venv.install_files(extra=["--no-build-isolation", "--config-settings", "editable_mode=compat", "-e", str(project)])
    # Older setuptools leave the egg-info in the source folder (the report's amd_aiter.egg-info);
    # setuptools' own egg_info command writes it there the same way.
    subprocess.run([str(venv.python), "-c", "from setuptools import setup; setup()", "egg_info"],
                   cwd=project, check=True, capture_output=True)
    assert (project / "aiterx.egg-info").is_dir()
    for cwd in (tmp_path, project):
        result = check(run_envdoctor, venv.python, cwd)
        assert result.findings("INT003") == [], cwd
    facts = snapshot(run_envdoctor, venv.python, tmp_path)
    (editable,) = [d for d in facts["distributions"] if d["name"] == "aiterx" and d["kind"] == "dist-info"]
    assert (editable["editable_source"], editable["editable_mode"]) == (str(project), "pth")
    assert {e["path"]: e["provenance"] for e in facts["sys_path"]}[str(project)] == "editable-source"

    # The near-miss: the source folder's egg-info says another version than the install.
    info = project / "aiterx.egg-info" / "PKG-INFO"
    info.write_text(info.read_text().replace("Version: 0.1", "Version: 0.0.9"))
    (finding,) = check(run_envdoctor, venv.python, tmp_path).findings("INT003")
    assert finding["severity"] == "error"


# --- a build artefact in the working directory ------------------------------------------------

def artefact(folder: Path, name: str = "buildonly") -> Path:
    info = folder / f"{name}.egg-info"
    info.mkdir(parents=True)
    (info / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n\n")
    (info / "requires.txt").write_text("notinstalledanywhere>=1\n")
    return info


def test_egg_info_in_the_working_directory_is_not_installed(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    project = tmp_path / "project"
    artefact(project)
    assert check(run_envdoctor, venv.python, project).findings("REQ001") == []

    # The near-miss: the same metadata installed in site-packages is in force.
    artefact(venv.site_packages)
    (finding,) = check(run_envdoctor, venv.python, tmp_path).findings("REQ001")
    assert finding["severity"] == "error" and finding["subject"] == "buildonly"


# --- shadowing and an incomplete install of the same name: two findings -----------------------

def test_shadowing_and_incomplete_distribution_are_both_reported(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("packaging==26.3")
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "packaging.py").write_text("VERSION = 'mine'\n")
    shadowed = check(run_envdoctor, venv.python, workdir)
    assert [f["subject"] for f in shadowed.findings("SHD001")] == ["packaging"] and shadowed.findings("INT001") == []

    (venv.site_packages / "packaging" / "tags.py").unlink()
    both = check(run_envdoctor, venv.python, workdir)
    assert [f["subject"] for f in both.findings("SHD001")] == ["packaging"]
    assert [f["subject"] for f in both.findings("INT001")] == ["packaging"]

    # The healthy counterpart: the same venv from another directory only lacks tags.py.
    elsewhere = check(run_envdoctor, venv.python, tmp_path)
    assert elsewhere.findings("SHD001") == [] and len(elsewhere.findings("INT001")) == 1


def test_healthy_venv_has_no_findings_in_these_families(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0", "idna==3.20", "packaging==26.3")
    result = check(run_envdoctor, venv.python, tmp_path)
    assert [f for f in result.json["findings"] if f["code"].startswith(FAMILIES)] == []
