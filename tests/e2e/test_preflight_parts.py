"""`check --with` around its edges: real PyPI resolution of small packages, the requirement files
it reads (requirements.txt, pyproject.toml, pylock.toml), the usage errors it gives before
anything is probed, and a target nothing can resolve for.  PRE001 (its one check) is covered
here and in test_preflight_stack.py (tests/unit/test_expectations.py's COVERED says so)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from envdoctor.errors import UsageError
from envdoctor.preflight.wanted import wanted_from
from tests.conftest import clean_env, require_python
from tests.e2e.test_fix import offline_env, venv_with_pip
from tests.e2e.test_fix_uv import uv_env, uv_executable
from tests.helpers.venvs import make_venv, tree_state


def marked(result):
    return sorted((f["code"], f["subject"], f["title"].split("]")[0] + "]") for f in result.json["findings"])


@pytest.mark.slow
def test_real_pypi_conflict_is_pre001_with_pips_explanation(run_envdoctor, tmp_path):
    venv = venv_with_pip(tmp_path / "venv")
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json",
                           "--with", "requests==2.32.3", "idna==2.0", cwd=tmp_path)
    assert marked(result) == [("PRE001", "requests==2.32.3, idna==2.0", "[new]")], result.stdout + result.stderr
    evidence = result.json["findings"][0]["evidence"]
    assert evidence[1].startswith("ERROR: Cannot install ") and "requests==2.32.3" in evidence[1], evidence
    assert "The conflict is caused by:" in evidence and "To fix this you could try to:" not in evidence
    assert result.returncode == 1

    compatible = run_envdoctor("check", "--python", venv.python, "--format", "json", "--with", "requests==2.32.3",
                               cwd=tmp_path)
    assert marked(compatible) == [] and compatible.returncode == 0, compatible.stdout + compatible.stderr
    assert "requests 2.32.3" in compatible.stderr and "idna" in compatible.stderr  # its dependencies resolved too
    assert tree_state(venv.root) == before


@pytest.mark.slow
def test_a_target_without_pip_or_uv_is_a_clear_error(run_envdoctor, tmp_path):
    venv = make_venv(tmp_path / "venv")  # no pip in it
    env = clean_env(PATH="/usr/bin:/bin")  # and no uv on PATH (checked below)
    assert not any(os.path.exists(os.path.join(folder, "uv")) for folder in env["PATH"].split(":"))
    result = run_envdoctor("check", "--python", venv.python, "--with", "idna", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert f"envdoctor: error: {venv.python} has no pip, and uv is not on PATH" in result.stderr, result.stderr


@pytest.mark.slow
def test_a_uv_made_target_is_resolved_by_uv(run_envdoctor, tmp_path):
    """uv has no installation report: its "+ name==version" lines give the versions, and its
    "No solution found" explanation is PRE001's evidence."""
    uv = uv_executable()
    venv_folder = tmp_path / "venv"
    env = uv_env(uv, tmp_path)
    subprocess.run([uv, "venv", "-q", str(venv_folder)], check=True, env=env)
    python = venv_folder / "bin" / "python"
    subprocess.run([uv, "pip", "install", "-q", "--python", str(python), "idna==3.10"], check=True, env=env)
    before = tree_state(venv_folder)

    result = run_envdoctor("check", "--python", python, "--format", "json", "--with", "requests==2.32.3", "idna==2.0",
                           cwd=tmp_path, env=env)
    assert marked(result) == [("PRE001", "requests==2.32.3, idna==2.0", "[new]")], result.stdout + result.stderr
    finding = result.json["findings"][0]
    assert finding["title"].startswith("[new] uv cannot resolve")
    assert finding["evidence"][0].startswith(f"ran: uv pip install --python {python} --dry-run")
    assert finding["evidence"][1] == "error: No solution found when resolving dependencies", finding["evidence"]

    compatible = run_envdoctor("check", "--python", python, "--format", "json", "--with", "requests==2.32.3",
                               cwd=tmp_path, env=env)
    assert marked(compatible) == [] and compatible.returncode == 0, compatible.stdout + compatible.stderr
    assert "requests 2.32.3" in compatible.stderr and "urllib3" in compatible.stderr
    assert tree_state(venv_folder) == before


@pytest.mark.parametrize("arguments, message", [
    (["numpy"], "unexpected argument 'numpy': requirements to preview follow --with"),
    (["-r", "missing.txt"], "-r missing.txt: no such file"),
    (["--index-url", "https://example.invalid/simple"], "--index-url, --extra-index-url and --find-links need --with REQ or -r FILE"),
    (["--with", "numpy", "--deep"], "--with and -r need a live target, without --deep"),
    (["--with", "numpy", "--write-baseline", "b.json"], "--write-baseline records the environment as it is"),
    (["--select", "PRE001"], "PRE001 (install-does-not-resolve) needs check --with REQ or -r FILE"),
])
def test_usage_errors_before_anything_is_probed(run_envdoctor, tmp_path, arguments, message):
    result = run_envdoctor("check", "--python", sys.executable, *arguments, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_pyproject_dependencies_and_dynamic_ones(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "app"\nversion = "1"\ndependencies = ["numpy>=2", "torch==2.9.0; sys_platform == \'linux\'"]\n')
    assert wanted_from([], [str(pyproject)], None, (), ()).installer_arguments() == [
        "numpy>=2", "torch==2.9.0; sys_platform == 'linux'"]
    pyproject.write_text('[project]\nname = "app"\nversion = "1"\ndynamic = ["dependencies"]\n')
    with pytest.raises(UsageError, match="its dependencies are dynamic"):
        wanted_from([], [str(pyproject)], None, (), ())


def test_pylock_packages_at_their_locked_versions(tmp_path):
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "numpy"\nversion = "2.0.0"\n\n'
                    '[[packages]]\nname = "pywin32"\nversion = "306"\nmarker = "sys_platform == \'win32\'"\n')
    wanted = wanted_from(["idna"], [str(lock)], "https://example.invalid/simple", ["https://extra.invalid/simple"],
                         ["/wheels"])
    assert wanted.installer_arguments() == [
        "idna", "numpy==2.0.0", "pywin32==306; sys_platform == 'win32'", "--index-url", "https://example.invalid/simple",
        "--extra-index-url", "https://extra.invalid/simple", "--find-links", "/wheels"]
    assert wanted.described() == ("idna", f"-r {lock}")


def test_a_requirements_file_goes_to_the_installer_as_it_is(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("--extra-index-url https://download.pytorch.org/whl/cu126\ntorch==2.9.0\n")
    assert wanted_from([], [str(requirements)], None, (), ()).installer_arguments() == ["-r", str(requirements)]


@pytest.mark.slow
def test_an_index_password_never_leaves_the_process(run_envdoctor, tmp_path):
    """The dry run's command and the resolver's words are PRE001's evidence: a password in
    --index-url is masked there as in every output (envdoctor/redaction.py)."""
    venv = venv_with_pip(tmp_path / "venv")
    secret = "s3cr3t-pr3fl1ght"
    index = f"https://build-user:{secret}@127.0.0.1:9/simple"  # nothing listens on port 9: refused at once
    env = clean_env(PIP_RETRIES="0", PIP_TIMEOUT="2")
    for fmt in ("json", "text", "sarif"):
        result = run_envdoctor("check", "--python", venv.python, "--format", fmt, "--with", "idna==3.10",
                               "--index-url", index, cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "PRE001" in result.stdout and secret not in result.stdout + result.stderr


@pytest.mark.slow
def test_healthy_scientific_stack_previewing_its_own_pins_has_nothing_new(run_envdoctor, tmp_path):
    """test_real_world.py's stack 1 (numpy 2.4, pandas 3.1, scipy, scikit-learn, matplotlib,
    jupyterlab on Python 3.11) with pip: previewing an upgrade within what it pins adds nothing."""
    from tests.e2e.test_real_world import STACK1, above_info, install_pinned

    venv = venv_with_pip(tmp_path / "venv", require_python("3.11", "for the stack 1 pins (cp311 wheels)"))
    install_pinned(venv, STACK1)
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", "--with", "scikit-learn==1.9.1",
                           "matplotlib==3.11.2", "numpy==2.4.6", cwd=tmp_path, env=offline_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert above_info(result) == {}, result.stdout
    assert not [f for f in result.json["findings"] if f["title"].startswith("[new]")], result.stdout
    assert tree_state(venv.root) == before
