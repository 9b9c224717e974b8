"""The target-side package (envdoctor/probe/in_target/) run by real interpreters.

Each module imports on its own in a fresh interpreter with nothing but the standard
library (so it names everything it uses: no implicit names shared between parts), and the
probe's bootstrap leaves the target's import system as it found it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envdoctor.probe import command
from envdoctor.probe.frame import extract_document
from tests.conftest import require_python

TARGET_MODULES = sorted(path.stem for path in Path(command.IN_TARGET).glob("*.py") if path.stem != "__init__")
OLDEST = "3.8"

# Run with -I -S: no site-packages, no PYTHONPATH, no user site; only the standard library
# can be imported besides the one package registered here, whose __path__ lets a part's
# `from .x import y` find x through the import system when the part is imported alone.
IMPORT_ALONE = """
import json, sys
package = type(sys)(%(package)r)
package.__path__ = [%(folder)r]
sys.modules[package.__name__] = package
before = set(sys.modules)
__import__(package.__name__ + "." + %(name)r)
stdlib = getattr(sys, "stdlib_module_names", None)
added = sorted(set(sys.modules) - before)
outside = [m for m in added if not m.startswith(package.__name__ + ".")
           and stdlib is not None and m.split(".")[0] not in stdlib]
print(json.dumps({"outside": outside, "envdoctor": [m for m in sys.modules if m.startswith("envdoctor")]}))
"""


# The interpreter running the tests and the oldest one the probe supports; a missing oldest one
# skips (fails under CI=true) rather than dropping out of the parameters unseen.
INTERPRETERS = ("running", OLDEST)


def interpreter(which: str) -> str:
    return sys.executable if which == "running" else require_python(which, "to test the oldest Python the probe supports")


@pytest.mark.parametrize("which", INTERPRETERS)
@pytest.mark.parametrize("name", TARGET_MODULES)
def test_each_target_side_module_imports_on_its_own_with_the_standard_library_only(name, which, tmp_path):
    python = interpreter(which)
    source = IMPORT_ALONE % {"package": command.PACKAGE, "folder": command.IN_TARGET, "name": name}
    result = subprocess.run([python, "-I", "-S", "-B", "-c", source], capture_output=True, text=True, cwd=tmp_path,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"outside": [], "envdoctor": []}


# Objects are named by class (their addresses differ from one process to the next).
SEEN_BY_THE_TARGET = """
import json, sys
name = lambda obj: obj.__qualname__ if isinstance(obj, type) else type(obj).__qualname__
print(json.dumps({
    "path": sys.path,
    "meta_path": [name(finder) for finder in sys.meta_path],
    "path_hooks": [getattr(hook, "__qualname__", name(hook)) for hook in sys.path_hooks],
    "importer_cache": {path: name(finder) for path, finder in sys.path_importer_cache.items()},
    "envdoctor_modules": sorted(m for m in sys.modules if "envdoctor" in m and not m.startswith("_envdoctor_probe")),
}))
"""


def import_system_seen(python: str, cwd: Path, loaded_first: bool) -> dict:
    prelude = command.program_source(command.FACTS_PROGRAM, call_main=False) if loaded_first else ""
    result = subprocess.run([python, "-B", "-c", prelude + SEEN_BY_THE_TARGET], capture_output=True, text=True,
                            cwd=cwd, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("which", INTERPRETERS)
def test_loading_the_probe_changes_nothing_the_probe_inspects(which, tmp_path):
    python = interpreter(which)
    seen = import_system_seen(python, tmp_path, loaded_first=True)
    assert seen == import_system_seen(python, tmp_path, loaded_first=False)
    assert not any(entry.startswith(os.path.dirname(command.IN_TARGET)) for entry in seen["path"])


def test_secret_named_variables_are_masked_in_the_target_with_the_words_it_is_given(tmp_path):
    nonce = command.new_nonce()
    argv = command.payload_argv(sys.executable, "facts", nonce, {"secret_words": ["WORDX"], "mask": "<gone>"})
    env = {**os.environ, "PIP_WORDX_VALUE": "hidden-1", "PIP_PLAIN_VALUE": "shown-2", "UNLISTED_X": "absent-3"}
    result = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    document = extract_document(result.stdout, nonce)
    assert document is not None, result.stderr
    environment = document["interpreter"]["environment"]
    assert environment["PIP_WORDX_VALUE"] == "<gone>"
    assert environment["PIP_PLAIN_VALUE"] == "shown-2"
    assert "UNLISTED_X" not in environment
    assert "hidden-1" not in result.stdout


# packaging's default_environment(), in the interpreter itself: pip's vendored copy where there is
# one, else the same formula written out (platform's answers).
DEFAULT_ENVIRONMENT = r"""
import json, os, platform, sys
try:
    from pip._vendor.packaging.markers import default_environment
    found = dict(default_environment())
except ImportError:
    info = sys.implementation.version
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    found = {"implementation_name": sys.implementation.name, "implementation_version": version, "os_name": os.name,
             "platform_machine": platform.machine(), "platform_release": platform.release(),
             "platform_system": platform.system(), "platform_version": platform.version(),
             "python_full_version": platform.python_version(),
             "platform_python_implementation": platform.python_implementation(),
             "python_version": ".".join(platform.python_version_tuple()[:2]), "sys_platform": sys.platform}
print(json.dumps(found))
"""
DEBIAN_PYTHON = "/usr/bin/python3"


@pytest.mark.parametrize("which", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13",
                                   *(["debian"] if os.path.exists(DEBIAN_PYTHON) else [])])
def test_the_marker_environment_is_packaging_s_default_environment(which, tmp_path):
    """The probe makes the platform_* values from os.uname() and sys.version (platform's import
    costs ~2 ms): they must be what packaging computes, on every interpreter here."""
    python = DEBIAN_PYTHON if which == "debian" else require_python(which, "to compare its marker environment")
    nonce = command.new_nonce()
    result = subprocess.run(command.payload_argv(python, "facts", nonce), capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    document = extract_document(result.stdout, nonce)
    assert document is not None, result.stderr
    expected = subprocess.run([python, "-I", "-c", DEFAULT_ENVIRONMENT], capture_output=True, text=True, check=True)
    assert document["markers"] == json.loads(expected.stdout)


@pytest.mark.parametrize("layout, version", [
    ({"version.json": '{"cuda": {"name": "CUDA SDK", "version": "12.4.1"}}'}, "12.4.1"),
    ({"include/cuda.h": "/* head */\n#define CUDA_VERSION 12080\n" + "/* body */\n" * 200_000}, "12.8"),
    # Past the head the probe reads first (cuda.h's define sits near the top; this one does not),
    # and a define cut in two at the head's end must not be read as a shorter number.
    ({"include/cuda.h": "x" * (65_536 - 24) + "\n#define CUDA_VERSION 13000\n"}, "13.0"),
    ({"include/cuda.h": "/* no define */\n" * 10}, None),
])
def test_the_cuda_toolkit_version_is_read_from_the_toolkit_s_files(layout, version, tmp_path):
    home = tmp_path / "cuda"
    for name, text in layout.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)
    nonce = command.new_nonce()
    env = {**os.environ, "CUDA_HOME": str(home)}
    result = subprocess.run(command.payload_argv(sys.executable, "facts", nonce), capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    document = extract_document(result.stdout, nonce)
    assert document is not None, result.stderr
    toolkit = document["stack"]["cuda_toolkit"]
    assert (toolkit["home"], toolkit["version"]) == (str(home), version)
