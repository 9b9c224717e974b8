"""Each check on a real venv built with real pip: the broken state, the finding, exit code 1.

Every test also asserts that `envdoctor check` left the venv byte-identical.
"""

from __future__ import annotations


import pytest

from tests.conftest import clean_env
from tests.helpers.projects import AITERX_IMPORT, install_flat_layout_editable
from tests.helpers.venvs import pip, tree_state
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


def check_json(run_envdoctor, venv, *extra, cwd=None, env=None):
    """Run `envdoctor check --format json` and prove the venv was not touched."""
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", *extra, cwd=cwd, env=env)
    assert tree_state(venv.root) == before, "envdoctor check modified the environment it inspected"
    return result


def test_missing_requirement_from_the_index(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 1
    titles = [f["title"] for f in result.findings("REQ001")]
    assert "requests 2.32.3 requires idna<4,>=2.5, which is not installed" in titles
    assert {f["subject"] for f in result.findings("REQ001")} == {"requests"}
    assert all("requests-2.32.3.dist-info" in f["evidence"][0] for f in result.findings("REQ001"))


def test_conflicting_and_extra_requirements(run_envdoctor, new_venv, tmp_path):
    wheels = tmp_path / "wheels"
    venv = new_venv()
    venv.install_files(
        build_wheel(wheels, "consumer", "1.0", {"consumer.py": ""}, requires=["provider[fast]>=1", "pinned==2.0"]),
        build_wheel(wheels, "provider", "1.0", {"provider.py": ""}, requires=['speedup>=2; extra == "fast"'], extras=["fast"]),
        build_wheel(wheels, "pinned", "1.0", {"pinned.py": ""}),
        extra=["--no-deps"],
    )
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 1
    (conflict,) = result.findings("REQ002")
    assert conflict["title"] == "consumer 1.0 requires pinned==2.0, but pinned 1.0 is installed"
    (missing,) = result.findings("REQ001")
    assert missing["subject"] == "provider" and "speedup>=2" in missing["title"]
    assert "[fast]" in missing["message"]
    # pip check does not see the requirement that only the requested extra activates.
    pip_says = pip("--python", str(venv.python), "check", check=False).stdout
    assert "speedup" not in pip_says and "pinned" in pip_says


def test_requires_python_violation(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install_files(build_wheel(tmp_path / "w", "futurelib", "1.0", {"futurelib.py": ""}, requires_python=">=3.99"),
                       extra=["--ignore-requires-python"])
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("REQ003")
    assert finding["subject"] == "futurelib" and ">=3.99" in finding["title"]


def test_incomplete_distribution(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0")
    (venv.site_packages / "six.py").unlink()
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("INT001")
    assert finding["subject"] == "six"
    assert finding["evidence"] == [f"missing: {venv.site_packages / 'six.py'}"]
    assert "--force-reinstall --no-deps six==1.16.0" in finding["fix"]["command"]


def test_random_bytes_in_metadata(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0")
    (venv.site_packages / "six-1.16.0.dist-info" / "METADATA").write_bytes(bytes(range(256)) * 4)
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("INT002")
    assert "not UTF-8" in finding["title"]
    assert finding["location"]["path"].endswith("six-1.16.0.dist-info")


def test_duplicate_distribution_in_user_site_style_location(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0")
    extra = tmp_path / "extra"
    venv.install("six==1.15.0", extra=["--target", str(extra)])
    env = clean_env(PYTHONPATH=str(extra))
    result = check_json(run_envdoctor, venv, cwd=tmp_path, env=env)
    assert result.returncode == 1
    (finding,) = result.findings("INT003")
    assert finding["subject"] == "six"
    assert "1.15.0 in " + str(extra) in finding["title"] and "1.16.0" in finding["title"]
    assert any("from PYTHONPATH" in line for line in finding["evidence"])


def test_two_distributions_install_the_same_module(run_envdoctor, new_venv, tmp_path):
    wheels = tmp_path / "w"
    venv = new_venv()
    files = {"tritonish/__init__.py": "VERSION = 'a'\n", "tritonish/language.py": ""}
    venv.install_files(build_wheel(wheels, "tritonish", "3.1.0", files))
    venv.install_files(build_wheel(wheels, "tritonish-rocm", "3.1.0", dict(files, **{"tritonish/__init__.py": "VERSION = 'b'\n"})))
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("INT004")
    assert finding["subject"] == "tritonish"
    assert "tritonish 3.1.0 and tritonish-rocm 3.1.0 both install tritonish/__init__.py (and 1 more files)" == finding["title"]


def test_shadowing_by_a_file_in_the_working_directory(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0")
    project = tmp_path / "project"
    project.mkdir()
    (project / "six.py").write_text("# my own script, unluckily named\n")
    result = check_json(run_envdoctor, venv, "--cwd", project, cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("SHD001")
    assert finding["subject"] == "six"
    assert finding["location"]["path"] == str(project / "six.py")
    assert "the working directory" in finding["title"]
    # From elsewhere the same venv is clean.
    assert check_json(run_envdoctor, venv, cwd=tmp_path).returncode == 0


def test_shadowing_by_a_folder_on_pythonpath(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("six==1.16.0")
    vendor = tmp_path / "vendor" / "six"
    vendor.mkdir(parents=True)
    (vendor / "__init__.py").write_text("")
    result = check_json(run_envdoctor, venv, cwd=tmp_path, env=clean_env(PYTHONPATH=str(vendor.parent)))
    assert result.returncode == 1
    (finding,) = result.findings("SHD001")
    assert "PYTHONPATH" in finding["title"]
    assert any(str(venv.site_packages) in line for line in finding["evidence"])


def test_pth_line_pointing_nowhere(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    (venv.site_packages / "stale.pth").write_text(str(tmp_path / "deleted-checkout") + "\n")
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 0  # a warning
    (finding,) = result.findings("PTH001")
    assert finding["severity"] == "warning"
    assert finding["location"] == {"path": str(venv.site_packages / "stale.pth"), "line": 1, "distribution": None, "module": None}
    assert check_json(run_envdoctor, venv, "--strict", cwd=tmp_path).returncode == 1


def test_pth_import_line_that_raises(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    (venv.site_packages / "broken.pth").write_text("import gone_hook_module_xyz\n")
    result = check_json(run_envdoctor, venv, cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("PTH002")
    assert finding["subject"] == str(venv.site_packages / "broken.pth")
    assert "ModuleNotFoundError" in finding["title"] and "gone_hook_module_xyz" in finding["title"]


def test_pth_that_kills_the_interpreter_is_named_and_the_rest_still_checked(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)
    (venv.site_packages / "zz_evil.pth").write_text("# harmless comment\nimport os; os._exit(3)\n")
    assert venv.run("print('hi')").returncode == 3  # the environment really is dead
    result = check_json(run_envdoctor, venv, "--timeout", "20", cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("PTH003")
    assert finding["location"]["path"] == str(venv.site_packages / "zz_evil.pth")
    assert finding["location"]["line"] == 2
    assert "exit status 3" in finding["title"]
    assert result.findings("REQ001"), "the other checks must still run on the replayed start-up"


def test_pth_that_hangs_the_interpreter(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    (venv.site_packages / "slow.pth").write_text("import time; time.sleep(600)\n")
    result = check_json(run_envdoctor, venv, "--timeout", "3", cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("PTH003")
    assert "hangs" in finding["title"] and finding["location"]["line"] == 1


def test_namespace_masquerade_of_a_flat_layout_editable_install(run_envdoctor, new_venv, tmp_path):
    """sgl-project/sglang#22363: `pip install -e .` of aiter, run from the folder holding the checkout."""
    venv = new_venv()
    workspace = tmp_path / "sgl-workspace"
    project = install_flat_layout_editable(venv, workspace)
    probe = AITERX_IMPORT
    failed = venv.run(probe, cwd=workspace)
    assert failed.returncode == 1 and "(unknown location)" in failed.stderr  # the real failure
    assert venv.run(probe, cwd=tmp_path).returncode == 0

    result = check_json(run_envdoctor, venv, "--cwd", workspace, cwd=tmp_path)
    assert result.returncode == 1
    (finding,) = result.findings("NSP001")
    assert finding["subject"] == "aiterx"
    assert finding["location"]["path"] == str(project)
    assert f"editable_mode=compat -e {project}" in finding["fix"]["command"]
    assert check_json(run_envdoctor, venv, cwd=tmp_path).findings("NSP001") == []

    # The fix the finding proposes really works (issue 3 automates it).
    venv.install_files(extra=["--no-build-isolation", "--config-settings", "editable_mode=compat", "-e", str(project)])
    assert venv.run(probe, cwd=workspace).returncode == 0
    assert check_json(run_envdoctor, venv, "--cwd", workspace, cwd=tmp_path).findings("NSP001") == []


def test_healthy_small_venv_is_clean(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("requests==2.32.3", "six==1.16.0")
    result = check_json(run_envdoctor, venv, "--strict", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.json["findings"] == []
    assert result.json["target"]["distributions"] >= 6
