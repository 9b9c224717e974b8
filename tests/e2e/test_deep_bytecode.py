"""--deep keeps the bytecode of what it imports in envdoctor's cache, never in the environment.

Container images are often built with PYTHONDONTWRITEBYTECODE=1 and no .pyc files (the H200
image has none for torch): each import compiles from source, and a --deep import of the stack
spent a third of its time doing that.  The deep probes run with PYTHONPYCACHEPREFIX set to a
folder of envdoctor's cache (probe/bytecode_cache.py, probe/in_target/bytecode.py).  Real venvs
installed with `pip --no-compile` (no bytecode, as in such an image), a stand-in torch that says
where its bytecode is and whether it may be written, `envdoctor snapshot --deep` through the CLI.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.helpers.standins import importable_torch
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

# Enough of torch for the deep probe's torch_runtime; it records where Python keeps its bytecode.
STANDIN_TORCH = importable_torch(prelude="""
import json, os, sys
with open(os.environ["ENVDOCTOR_TEST_TORCH_IMPORTS"], "a") as record:
    record.write(json.dumps({"cached": __spec__.cached, "writes": not sys.dont_write_bytecode}) + "\\n")
""")
HELPER = "VALUE = 1\n"


def files_of(folder: Path) -> dict:
    return {str(path.relative_to(folder)): path.stat().st_mtime_ns for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def image_venv(new_venv, tmp_path):
    """A venv without any bytecode of its packages, as an image built with PYTHONDONTWRITEBYTECODE=1."""
    venv = new_venv()
    wheels = [build_wheel(tmp_path / "wheels", "torch", "2.13.0",
                          {"torch/__init__.py": STANDIN_TORCH + "from torch import helper\n", "torch/helper.py": HELPER})]
    venv.install_files(*wheels, extra=["--no-deps", "--no-compile"])
    return venv


def deep_snapshot(run_envdoctor, venv, tmp_path, **env):
    record = tmp_path / "torch-imports"
    record.touch()
    environment = clean_env(ENVDOCTOR_TEST_TORCH_IMPORTS=str(record), PYTHONDONTWRITEBYTECODE="1", **env)
    result = run_envdoctor("snapshot", "--python", venv.python, "--deep", "--no-scan", cwd=tmp_path,
                           env=environment, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [(a["module"], a["outcome"]) for a in result.json["deep"]["imports"]] == [("torch", "ok")]
    return [json.loads(line) for line in record.read_text().splitlines()]


def test_the_deep_imports_bytecode_goes_to_envdoctors_cache_and_is_read_from_there_the_second_time(
        run_envdoctor, image_venv, tmp_path):
    cache = tmp_path / "cache"
    environment_before = files_of(image_venv.root)
    imports = deep_snapshot(run_envdoctor, image_venv, tmp_path, ENVDOCTOR_CACHE_DIR=str(cache))

    assert files_of(image_venv.root) == environment_before  # nothing written into the environment
    prefix = cache / "bytecode"
    assert imports[-1]["writes"] is True
    assert imports[-1]["cached"].startswith(str(prefix) + os.sep), imports
    cached = files_of(prefix)
    for module in ("__init__", "helper"):  # under the source's own path: <prefix>/<site-packages>/torch/...
        assert any(re.search(rf"site-packages/torch/{module}\.cpython-3\d+\.pyc$", name) for name in cached), cached

    deep_snapshot(run_envdoctor, image_venv, tmp_path, ENVDOCTOR_CACHE_DIR=str(cache))
    # Read, not written again: each file matched its source (Python rewrites a stale one).
    assert files_of(prefix) == cached
    assert files_of(image_venv.root) == environment_before


def test_no_bytecode_is_written_when_the_cache_is_inside_the_environment(run_envdoctor, image_venv, tmp_path):
    """An ENVDOCTOR_CACHE_DIR the user put inside the venv: its other caches go there as asked,
    but bytecode would then be written under the environment's own folders."""
    cache = image_venv.root / "cache"
    environment_before = files_of(image_venv.root)
    imports = deep_snapshot(run_envdoctor, image_venv, tmp_path, ENVDOCTOR_CACHE_DIR=str(cache))
    assert imports[-1]["writes"] is False
    assert not (cache / "bytecode").exists()
    assert {name: mtime for name, mtime in files_of(image_venv.root).items()
            if not name.startswith("cache/")} == environment_before


def test_the_users_own_pycache_prefix_stands_and_nothing_is_written_to_it(run_envdoctor, image_venv, tmp_path):
    cache, own = tmp_path / "cache", tmp_path / "own-prefix"
    imports = deep_snapshot(run_envdoctor, image_venv, tmp_path, ENVDOCTOR_CACHE_DIR=str(cache),
                            PYTHONPYCACHEPREFIX=str(own))
    assert imports[-1] == {"cached": imports[-1]["cached"], "writes": False}
    assert imports[-1]["cached"].startswith(str(own) + os.sep)  # the user's prefix is the one in effect
    assert not own.exists() and not (cache / "bytecode").exists()


def test_an_environment_with_its_own_bytecode_keeps_using_it(run_envdoctor, new_venv, tmp_path):
    """pip compiles bytecode at install: with a prefix, Python would ignore it and compile the
    whole stack again, so the deep probes get none (Python reads the environment's __pycache__)."""
    venv = new_venv()
    wheel = build_wheel(tmp_path / "wheels", "torch", "2.13.0",
                        {"torch/__init__.py": STANDIN_TORCH + "from torch import helper\n", "torch/helper.py": HELPER})
    venv.install_files(wheel, extra=["--no-deps"])  # compiled, as pip does by default
    cache = tmp_path / "cache"
    imports = deep_snapshot(run_envdoctor, venv, tmp_path, ENVDOCTOR_CACHE_DIR=str(cache))
    assert imports[-1]["writes"] is False and "__pycache__" in imports[-1]["cached"]
    assert not (cache / "bytecode").exists()
