"""Count the tests that run against a real environment, for docs/testing.md.

    python tools/count_real_env_tests.py           # the counts, per folder
    python tools/count_real_env_tests.py --list    # and every such test
    python tools/count_real_env_tests.py --checks  # and the checks no such test names

Static, over pytest's own collection (parametrized cases counted one by one): a test counts when
its function (decorators included), a function of its module that it calls, or a fixture it uses
builds a virtual environment (make_venv, new_venv, venv_with_pip, Venv(...), a `venv` command),
asks for a pyenv interpreter (require_python, pyenv_python) or, in the test's own module, names
the running interpreter as a program to start (sys.executable).  Nothing runs: only collection.

A check counts as tested on a real environment when its code appears in such a test: in the
function (its parametrize cases included) or in an UPPER_CASE constant of its module it names.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
BUILDS = r"\b(make_venv|new_venv|venv_with_pip|require_python|pyenv_python|Venv\(|TorchVenvs\()|\"venv\""
REAL = re.compile(BUILDS + r"|\bsys\.executable\b")
# Fixtures count only for what they build: conftest's run_envdoctor names sys.executable to find the
# console script, not to start a target.
REAL_IN_FIXTURES = re.compile(BUILDS)
CALL = re.compile(r"\b([a-z_][a-z0-9_]*)\(")


def _source(function) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _reaches_a_real_environment(function, module, seen, pattern=REAL) -> bool:
    """The function's source (decorators included), or a function of its module it calls, matches."""
    source = _source(function)
    if pattern.search(source):
        return True
    for name in CALL.findall(source):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__ and name not in seen:
            seen.add(name)
            if _reaches_a_real_environment(helper, module, seen, pattern):
                return True
    return False


def _uses_a_real_environment(item) -> bool:
    if _reaches_a_real_environment(item.function, item.module, {item.function.__name__}):
        return True
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        for definition in definitions:
            module = sys.modules.get(definition.func.__module__)
            if definition.baseid and module and _reaches_a_real_environment(definition.func, module, set(), REAL_IN_FIXTURES):
                return True  # a project fixture (pytest's own have no baseid)
    return False


def _text_naming_checks(item) -> str:
    """What a test says about which checks it expects: its source, the UPPER_CASE constants it names."""
    source = _source(item.function)
    constants = [repr(getattr(item.module, name)) for name in set(re.findall(r"\b[A-Z][A-Z0-9_]+\b", source))
                 if isinstance(getattr(item.module, name, None), (dict, list, tuple, set, str))]
    return "\n".join([item.nodeid, source, *constants])


class Counting:
    def __init__(self):
        self.real = []
        self.texts = []
        self.total = Counter()

    def pytest_collection_modifyitems(self, items):
        for item in items:
            folder = item.nodeid.split("/")[1]
            self.total[folder] += 1
            if _uses_a_real_environment(item):
                self.real.append(item.nodeid)
                self.texts.append(_text_naming_checks(item))


def main(argv) -> int:
    counting = Counting()
    listing = io.StringIO()
    with contextlib.redirect_stdout(listing):  # pytest's own listing of the collection: not ours to print
        code = pytest.main(["--co", "-q", "-p", "no:cacheprovider", str(REPOSITORY / "tests")], plugins=[counting])
    if code not in (0, 5):
        print(listing.getvalue())
        return code
    real = Counter(nodeid.split("/")[1] for nodeid in counting.real)
    if "--list" in argv:
        print("\n".join(counting.real))
    for folder in sorted(counting.total):
        print(f"{folder}: {real[folder]} of {counting.total[folder]} tests run against a real environment")
    if "--checks" in argv:
        from envdoctor.registry import load_registry

        codes = [spec.code for spec in load_registry().checks]
        untested = [code for code in codes if not any(code in text for text in counting.texts)]
        print(f"checks named by no real-environment test ({len(untested)} of {len(codes)}): {', '.join(untested) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
