"""WHL001 on real venvs: wheels of real packages for another Python or CPU, installed as a copied
environment would hold them (pip --target with --python-version/--platform, which skips pip's
own tag check), found by `check`, and repaired by `fix --yes` so the import that failed succeeds.
The healthy counterpart holds the right wheels, an abi3 wheel for an older Python and pure
wheels, at zero findings.

The wheels come from the index once, into the test wheel cache; later runs are offline.
"""

from __future__ import annotations

import platform
from typing import Optional, Sequence

import pytest

from tests.conftest import clean_env, require_python
from tests.helpers.venvs import WHEEL_CACHE, Venv, make_venv, pip

pytestmark = pytest.mark.slow

# (requirement, the import that needs its compiled module): two distinct real packages.
MARKUPSAFE = ("markupsafe==3.0.4", "import markupsafe._speedups")
PYYAML = ("pyyaml==6.0.4", "import yaml._yaml")
AARCH64 = ("manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_26_aarch64", "manylinux_2_28_aarch64")


def wheel_args(python_version: str, platforms: Sequence[str]) -> list:
    args = ["--only-binary", ":all:", "--python-version", python_version]
    for name in platforms:
        args += ["--platform", name]
    return args


def cached_wheel(requirement: str, python_version: str, platforms: Sequence[str] = (), deps: bool = False) -> None:
    """The wheels of `requirement` for that Python and platform in the test cache (offline when there)."""
    args = ["download", "-d", str(WHEEL_CACHE), "--find-links", str(WHEEL_CACHE), *wheel_args(python_version, platforms)]
    args += [] if deps else ["--no-deps"]
    if pip(args[0], "--no-index", *args[1:], requirement, check=False).returncode != 0:
        pip(*args, requirement)


def copy_in(venv: Venv, requirement: str, python_version: str, platforms: Sequence[str] = ()) -> None:
    """Install a wheel for another interpreter into the venv's site-packages, as a copied environment holds it."""
    cached_wheel(requirement, python_version, platforms)
    pip("install", "--no-deps", "--no-index", "--find-links", str(WHEEL_CACHE), "--target", str(venv.site_packages),
        *wheel_args(python_version, platforms), requirement)


def venv_312(tmp_path, name: str) -> Venv:
    venv = make_venv(tmp_path / name, require_python("3.12", "a cp311 wheel must land in another Python's venv"))
    cached_wheel("pip==26.3", "3.12")
    pip("--python", str(venv.python), "install", "--no-index", "--find-links", str(WHEEL_CACHE), "pip==26.3")
    return venv


def offline_env() -> dict:
    return clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEEL_CACHE), PIP_DISABLE_PIP_VERSION_CHECK="1")


def check(run_envdoctor, venv: Venv, cwd):
    return run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=cwd)


def fix_and_verify(run_envdoctor, venv: Venv, requirement: str, statement: str, cwd) -> None:
    """`fix --yes` reinstalls the same version for this interpreter: the import now succeeds."""
    cached_wheel(requirement, "3.12")  # the build the fix will pick, offline
    fixed = run_envdoctor("fix", "--python", venv.python, "--yes", cwd=cwd, env=offline_env())
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "fixed: WHL001" in fixed.stderr
    assert venv.run(statement).returncode == 0, venv.run(statement).stderr
    assert "WHL001" not in check(run_envdoctor, venv, cwd).codes()


@pytest.mark.parametrize("requirement, statement", [MARKUPSAFE, PYYAML], ids=["markupsafe", "pyyaml"])
def test_cp311_wheel_in_a_312_venv_found_and_fixed(run_envdoctor, tmp_path, requirement, statement):
    venv = venv_312(tmp_path, "venv")
    copy_in(venv, requirement, "3.11")
    failed = venv.run(statement)
    assert failed.returncode == 1 and "ModuleNotFoundError" in failed.stderr

    result = check(run_envdoctor, venv, tmp_path)
    assert result.returncode == 1
    [finding] = result.findings("WHL001")
    name = requirement.split("==")[0]
    assert finding["subject"].lower() == name and finding["severity"] == "error"
    assert "cp311-cp311-manylinux" in finding["title"] and "cpython 3.12" in finding["title"]
    assert any(".cpython-311-x86_64-linux-gnu.so" in line for line in finding["evidence"])
    fix_and_verify(run_envdoctor, venv, requirement, statement, tmp_path)


def on_x86_64() -> Optional[str]:
    return None if platform.machine() == "x86_64" else "the foreign CPU is aarch64: this test needs an x86_64 machine"


@pytest.mark.skipif(on_x86_64() is not None, reason=on_x86_64() or "")
def test_aarch64_wheels_on_x86_64_found_and_fixed(run_envdoctor, tmp_path):
    venv = venv_312(tmp_path, "venv")
    cached_wheel("cffi==2.1.1", "3.12", deps=True)  # argon2-cffi-bindings' requirement, for this CPU
    pip("--python", str(venv.python), "install", "--no-index", "--find-links", str(WHEEL_CACHE), "cffi==2.1.1")
    copy_in(venv, MARKUPSAFE[0], "3.12", AARCH64)
    # An abi3 wheel: its `_ffi.abi3.so` has a suffix this interpreter searches, so only the
    # WHEEL tags tell that it is for another CPU (the loader refuses the aarch64 ELF file).
    copy_in(venv, "argon2-cffi-bindings==26.2.0", "3.12", AARCH64)
    # Some back-ends write a blank line before the Tag lines (ninja, frozendict: pypa/pip#12884);
    # they are still read.
    [wheel_file] = venv.site_packages.glob("argon2_cffi_bindings-*.dist-info/WHEEL")
    wheel_file.write_text(wheel_file.read_text().replace("\nTag:", "\n\nTag:", 1))
    assert venv.run(MARKUPSAFE[1]).returncode == 1
    elf = venv.run("import _argon2_cffi_bindings._ffi")
    assert elf.returncode == 1 and "_ffi.abi3.so" in elf.stderr, elf.stderr

    result = check(run_envdoctor, venv, tmp_path)
    by_subject = {f["subject"].lower(): f for f in result.findings("WHL001")}
    assert sorted(by_subject) == ["argon2-cffi-bindings", "markupsafe"], result.stdout
    assert "aarch64" in by_subject["argon2-cffi-bindings"]["title"]
    assert any("abi3" in line for line in by_subject["argon2-cffi-bindings"]["evidence"])
    cached_wheel(MARKUPSAFE[0], "3.12")
    cached_wheel("argon2-cffi-bindings==26.2.0", "3.12")
    fixed = run_envdoctor("fix", "--python", venv.python, "--yes", cwd=tmp_path, env=offline_env())
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert venv.run(MARKUPSAFE[1]).returncode == 0
    assert venv.run("import _argon2_cffi_bindings._ffi").returncode == 0
    assert "WHL001" not in check(run_envdoctor, venv, tmp_path).codes()


def test_healthy_wheels_have_no_finding(run_envdoctor, tmp_path):
    """The right cp312 wheels, an abi3 wheel built for 3.10 (argon2-cffi-bindings, with cffi) and
    pure wheels: no finding at all."""
    venv = venv_312(tmp_path, "venv")
    requirements = [MARKUPSAFE[0], PYYAML[0], "argon2-cffi-bindings==26.2.0", "idna==3.10"]
    for requirement in requirements:
        cached_wheel(requirement, "3.12", deps=True)
    pip("--python", str(venv.python), "install", "--no-index", "--find-links", str(WHEEL_CACHE), *requirements)
    for statement in (MARKUPSAFE[1], PYYAML[1], "import _argon2_cffi_bindings._ffi", "import idna"):
        assert venv.run(statement).returncode == 0, statement

    result = check(run_envdoctor, venv, tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.json["findings"] == []
    # The probe reads the platform without importing sysconfig: the same answer as sysconfig's.
    facts = run_envdoctor("snapshot", "--python", venv.python, cwd=tmp_path).json
    platform_here = venv.run("import sysconfig; print(sysconfig.get_platform())").stdout.strip()
    assert facts["interpreter"]["tag_inputs"]["platform"] == platform_here
    assert facts["distributions"] and all(d["wheel_tags"] is None for d in facts["distributions"] if not d["compiled_files"])
