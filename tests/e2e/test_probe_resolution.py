"""The probe's listing-based module resolution gives find_spec's answers, on real venvs.

The probe decides top-level names from directory listings when only CPython's own
finders take part (envdoctor/probe/in_target/module_resolution.py, PlainPathResolver) and asks
importlib.util.find_spec otherwise.  Here the same probe runs twice on the same
environment, once forced to use find_spec for every name, and the two `modules`
sections must be identical, across every shape a top-level name can take.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from envdoctor.probe.command import new_nonce, payload_argv
from envdoctor.probe.frame import extract_document
from tests.conftest import require_python
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


def without_method(modules: dict) -> dict:
    return {name: {k: v for k, v in item.items() if k != "resolved_by"} for name, item in modules.items()}


def probe_modules(python, cwd, exact: bool) -> dict:
    nonce = new_nonce()
    argv = payload_argv(str(python), "facts", nonce, {"exact_modules": exact})
    result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=120)
    document = extract_document(result.stdout, nonce)
    assert document is not None, result.stderr
    return document["modules"]


def extension_suffix(python) -> str:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("minor", ["3.8", "3.11", "3.12", "3.13"])
def test_listing_resolution_agrees_with_find_spec(minor, new_venv, tmp_path):
    base = require_python(minor)
    venv = new_venv(base)
    wheels = tmp_path / "wheels"
    suffix = extension_suffix(venv.python)
    venv.install_files(
        build_wheel(wheels, "pkgmod", "1.0", {"pkgmod/__init__.py": "", "pkgmod/sub.py": ""}),
        build_wheel(wheels, "plainmod", "1.0", {"plainmod.py": ""}),
        build_wheel(wheels, "sharedns-a", "1.0", {"sharedns/a.py": ""}),
        build_wheel(wheels, "shadowed", "1.0", {"shadowed/__init__.py": ""}),
        build_wheel(wheels, "modwins", "1.0", {"modwins.py": ""}),
        # find_spec never loads it, so any bytes will do for an extension module's file.
        build_wheel(wheels, "fastext", "1.0", {f"fastext{suffix}": "not really ELF"}),
        build_wheel(wheels, "gone", "1.0", {"gone.py": ""}),
        extra=["--no-deps"],
    )
    site = venv.site_packages
    (site / "gone.py").unlink()  # in RECORD, nowhere on disk: not found
    (site / "modwins").mkdir()  # a folder without __init__ beside modwins.py: the module wins
    extra_dir = tmp_path / "extra"
    (extra_dir / "sharedns").mkdir(parents=True)  # a second namespace portion through a .pth line
    (extra_dir / "sharedns" / "b.py").write_text("")
    (extra_dir / "plainmod").mkdir()  # a later namespace portion never beats the module
    (site / "extra.pth").write_text(f"{extra_dir}\n")
    cwd = tmp_path / "project"
    (cwd / "shadowed").mkdir(parents=True)  # the current folder comes first on sys.path
    (cwd / "shadowed" / "__init__.py").write_text("")

    fast = probe_modules(venv.python, cwd, exact=False)
    exact = probe_modules(venv.python, cwd, exact=True)

    assert {"pkgmod", "plainmod", "sharedns", "shadowed", "modwins", "fastext", "gone"} <= set(fast)
    assert {item["resolved_by"] for item in exact.values()} == {"find_spec"}
    assert {n: fast[n]["resolved_by"] for n in ("pkgmod", "plainmod", "shadowed", "modwins", "fastext", "gone")} == dict.fromkeys(("pkgmod", "plainmod", "shadowed", "modwins", "fastext", "gone"), "listing")
    assert fast["sharedns"]["resolved_by"] == "find_spec"  # namespace packages are find_spec's to assemble
    assert json.dumps(without_method(fast), sort_keys=True, indent=1) == json.dumps(without_method(exact), sort_keys=True, indent=1)
    # And the answers themselves are the interesting ones, not all "not found".
    assert fast["shadowed"]["origin"] == str(cwd / "shadowed" / "__init__.py")
    assert fast["sharedns"]["namespace"] and len(fast["sharedns"]["locations"]) == 2
    assert fast["modwins"]["origin"] == str(site / "modwins.py")
    assert fast["fastext"]["loader"].endswith("ExtensionFileLoader")
    assert fast["gone"]["found"] is False


def run_at_start_up(venv, module: str, source: str) -> None:
    """`module` in site-packages, imported by a .pth line of its own: code every start runs."""
    (venv.site_packages / f"{module}.py").write_text(source)
    (venv.site_packages / f"{module}.pth").write_text(f"import {module}\n")


def answered_by_find_spec(venv, cwd) -> dict:
    """The probe's modules, after checking that it gave find_spec's answers (resolved_by included)."""
    fast = probe_modules(venv.python, cwd, exact=False)
    assert fast == probe_modules(venv.python, cwd, exact=True)
    return fast


def test_a_foreign_meta_path_finder_falls_back_to_find_spec(new_venv, tmp_path):
    """A finder installed by a .pth line may answer any name: every answer must be find_spec's."""
    venv = new_venv()
    wheels = tmp_path / "wheels"
    venv.install_files(build_wheel(wheels, "realpkg", "1.0", {"realpkg/__init__.py": ""}), extra=["--no-deps"])
    finder = (
        "import sys, importlib.util, importlib.machinery\n"
        "class Redirect:\n"
        "    @classmethod\n"
        "    def find_spec(cls, name, path=None, target=None):\n"
        "        if name == 'realpkg':\n"
        "            return importlib.machinery.ModuleSpec(name, None, origin='redirected')\n"
        "sys.meta_path.insert(0, Redirect)\n"
    )
    run_at_start_up(venv, "redirect_finder", finder)

    fast = answered_by_find_spec(venv, tmp_path)
    assert fast["realpkg"]["found"] and fast["realpkg"]["origin"] is None  # the finder's answer, not the folder's


def test_a_path_hook_with_loaders_of_its_own_falls_back_to_find_spec(new_venv, tmp_path):
    """A .pth line may put a FileFinder with an extra loader suffix first on sys.path_hooks (the
    finders are still plain FileFinders): the listing index knows only the interpreter's own
    suffixes, so every answer must be find_spec's, which finds the module of that suffix."""
    venv = new_venv()
    hook = (
        "import sys, importlib.machinery as m\n"
        "loaders = [(m.SourceFileLoader, ['.pyalt'] + m.SOURCE_SUFFIXES), (m.SourcelessFileLoader, m.BYTECODE_SUFFIXES),"
        " (m.ExtensionFileLoader, m.EXTENSION_SUFFIXES)]\n"
        "sys.path_hooks.insert(0, m.FileFinder.path_hook(*loaders))\n"
        "sys.path_importer_cache.clear()\n"
    )
    run_at_start_up(venv, "alt_hook", hook)
    wheels = tmp_path / "wheels"
    venv.install_files(build_wheel(wheels, "altmod", "1.0", {"altmod.pyalt": "VALUE = 1\n",
                                                            "altmod-1.0.dist-info/top_level.txt": "altmod\n"}),
                       extra=["--no-deps"])

    fast = answered_by_find_spec(venv, tmp_path)
    assert fast["altmod"]["found"] and fast["altmod"]["origin"].endswith("altmod.pyalt")
