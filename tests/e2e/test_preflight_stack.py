"""`check --with` on the installs that break serving stacks, resolved by the target's real pip:

- a FlashInfer that vLLM does not pin: a vLLM 0.33.0 stand-in with its real pin
  (`flashinfer-python==0.7.2.post1`, from the 0.33.0 wheel's METADATA) and stand-in FlashInfer
  wheels in a --find-links folder; pip installs an upgrade of FlashInfer alone without a word
  (it does not re-check what is installed), FLI002 says what it breaks; asked for both at once,
  pip refuses, and PRE001 carries pip's explanation;
- NumPy 2 under pandas 2.1.4: the real wheel, built against NumPy 1.x (NPY001 reads its
  extension modules), from a requirements file and from a pyproject.toml;
each beside the compatible set, at zero findings, and the target's files unchanged.
"""

from __future__ import annotations


import pytest

from tests.e2e.test_fix import offline_env, venv_with_pip
from tests.helpers.venvs import cached_wheels, tree_state
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

VLLM_FLASHINFER_PIN = "flashinfer-python==0.7.2.post1"  # vllm 0.33.0's Requires-Dist
PANDAS_OLD = ("pandas==2.1.4", "numpy==1.26.4", "python-dateutil==2.9.0.post0", "pytz==2024.2", "tzdata==2024.2",
              "six==1.16.0")


def marked(result):
    return sorted((f["code"], f["subject"], f["title"].split("]")[0] + "]") for f in result.json["findings"])


def check_with(run_envdoctor, venv, cwd, *arguments):
    before = tree_state(venv.root)
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", *arguments, cwd=cwd, env=offline_env())
    assert tree_state(venv.root) == before  # the dry run wrote nothing into the target
    return result


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    """A venv with vLLM 0.33.0's stand-in and the FlashInfer it pins, and a folder of FlashInfer releases."""
    root = tmp_path_factory.mktemp("serving")
    wheels = root / "wheels"
    flashinfer = {version: build_wheel(wheels, "flashinfer-python", version, {"flashinfer/__init__.py": ""})
                  for version in ("0.6.8", "0.7.2.post1")}
    vllm = build_wheel(wheels, "vllm", "0.33.0", {"vllm/__init__.py": ""}, requires=[VLLM_FLASHINFER_PIN])
    venv = venv_with_pip(root / "venv")
    venv.install_files(vllm, flashinfer["0.7.2.post1"])
    return venv, wheels


def test_flashinfer_outside_the_engine_pin_is_new(run_envdoctor, serving, tmp_path):
    venv, wheels = serving
    result = check_with(run_envdoctor, venv, tmp_path, "--with", "flashinfer-python==0.6.8", "--find-links", wheels)
    assert marked(result) == [("FLI002", "vllm", "[new]")], result.stdout + result.stderr
    assert result.json["findings"][0]["title"] == (
        "[new] vllm 0.33.0 pins flashinfer-python==0.7.2.post1, but flashinfer-python 0.6.8 is installed")
    assert result.returncode == 1


def test_engine_and_another_flashinfer_together_do_not_resolve(run_envdoctor, serving, tmp_path):
    venv, wheels = serving
    result = check_with(run_envdoctor, venv, tmp_path, "--with", "vllm==0.33.0", "flashinfer-python==0.6.8",
                        "--find-links", wheels)
    assert marked(result) == [("PRE001", "vllm==0.33.0, flashinfer-python==0.6.8", "[new]")], result.stdout + result.stderr
    (finding,) = result.json["findings"]
    assert finding["title"] == f"[new] pip cannot resolve vllm==0.33.0, flashinfer-python==0.6.8 for {venv.python}"
    evidence = "\n".join(finding["evidence"])
    assert "The conflict is caused by:" in evidence and "vllm 0.33.0 depends on flashinfer-python==0.7.2.post1" in evidence
    assert result.returncode == 1


def test_engine_with_its_own_flashinfer_is_clean(run_envdoctor, serving, tmp_path):
    venv, wheels = serving
    result = check_with(run_envdoctor, venv, tmp_path, "--with", "vllm==0.33.0", VLLM_FLASHINFER_PIN, "--find-links", wheels)
    assert marked(result) == [] and result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def old_pandas(tmp_path_factory):
    """pandas 2.1.4 on NumPy 1.26.4 (Python 3.11: the cached wheels are cp311), with pip."""
    cached_wheels(["numpy==2.0.0", "pandas==2.2.3"])  # what the previews resolve to, offline
    venv = venv_with_pip(tmp_path_factory.mktemp("pandas") / "venv")
    venv.install(*PANDAS_OLD)
    return venv


def test_numpy_2_under_pandas_built_for_numpy_1_from_a_requirements_file(run_envdoctor, old_pandas, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy==2.0.0\n")
    result = check_with(run_envdoctor, old_pandas, tmp_path, "-r", requirements)
    assert marked(result) == [("NPY001", "pandas", "[new]"), ("REQ002", "pandas", "[new]")], result.stdout + result.stderr
    npy001 = next(f for f in result.json["findings"] if f["code"] == "NPY001")
    assert npy001["title"] == "[new] pandas 2.1.4 is compiled against NumPy 1.x, but numpy 2.0.0 is installed"
    assert result.returncode == 1


def test_numpy_2_with_a_pandas_built_for_it_from_pyproject_is_clean(run_envdoctor, old_pandas, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1"\n'
                                             'dependencies = ["numpy==2.0.0", "pandas==2.2.3"]\n')
    result = check_with(run_envdoctor, old_pandas, tmp_path, "-r", tmp_path / "pyproject.toml")
    assert marked(result) == [] and result.returncode == 0, result.stdout + result.stderr
    assert "numpy 2.0.0" in result.stderr and "pandas 2.2.3" in result.stderr
