"""Mutation testing of the code that must never be wrong, as a test CI runs (docs/mutation.md).

mutmut (its [tool.mutmut] table in pyproject.toml) mutates the executor, journal, backup, fix
flow, redaction and requirement evaluation one change at a time and runs the fast unit tests
of `pytest_add_cli_args_test_selection` against each mutant. A mutant that no test notices
is a change to that code the suite would let through: this test fails naming it, unless
`[tool.mutmut.equivalent]` lists it with the reason it cannot change behaviour.

The modules are split into two groups, each run in its own copy of the tree, so that
pytest-xdist (`pytest -n 2`, CI) runs them side by side.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - CI runs 3.11+
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
# What a test noticed: a failing test, a test that never ended, or mutmut's type check.
DETECTED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout",
            37: "caught by type check"}
# Balanced by measured time (docs/mutation.md): the fix machinery, then the words it relies on.
GROUPS = {
    "fixes": [m for m in CONFIG["only_mutate"] if m.startswith("envdoctor/fixes/")],
    "redaction-and-requirements": [m for m in CONFIG["only_mutate"] if not m.startswith("envdoctor/fixes/")],
}
TIME_LIMIT = 25 * 60


def copy_tree(into: Path) -> None:
    """The sources, tests and config mutmut needs, without the venv, caches or an earlier run."""
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc")
    for name in ("envdoctor", "tests"):
        shutil.copytree(ROOT / name, into / name, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", into / "pyproject.toml")


def restrict_to(pyproject: Path, modules: list) -> None:
    """Mutate only `modules` in this copy (mutmut reads only_mutate from pyproject.toml)."""
    text = pyproject.read_text(encoding="utf-8")
    listed = ", ".join(json.dumps(m) for m in modules)
    text, count = re.subn(r"(?ms)^only_mutate = \[.*?^\]", f"only_mutate = [{listed}]", text)
    assert count == 1, "pyproject.toml's [tool.mutmut] only_mutate is not where this test expects it"
    pyproject.write_text(text, encoding="utf-8")


def outcomes(mutants: Path) -> dict:
    """mutant name -> mutmut's exit code, from the .meta files it writes beside each mutated module."""
    found = {}
    for meta in mutants.rglob("*.py.meta"):
        found.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return found


def module_of(name: str) -> str:
    return name.rsplit(".", 1)[0]


@pytest.mark.slow
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_no_mutant_survives(tmp_path, group):
    copy_tree(tmp_path)
    restrict_to(tmp_path / "pyproject.toml", GROUPS[group])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # not xdist's worker settings
    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", "1"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=TIME_LIMIT)
    seconds = time.monotonic() - started
    results = outcomes(tmp_path / "mutants")
    assert results, f"mutmut produced no mutants (exit {completed.returncode}): {completed.stderr[-3000:]}"

    equivalent = CONFIG.get("equivalent", {})
    mine = {name: code for name, code in results.items() if any(
        name.startswith(m[: -len(".py")].replace("/", ".") + ".") for m in GROUPS[group])}
    survivors = sorted(name for name, code in mine.items() if code not in DETECTED and name not in equivalent)
    stale = sorted(name for name in equivalent if name in mine and mine[name] in DETECTED)
    unexplained = sorted(name for name, reason in equivalent.items() if not str(reason).strip())

    score = {}
    for name, code in mine.items():
        total, killed, listed = score.get(module_of(name), (0, 0, 0))
        score[module_of(name)] = (total + 1, killed + (code in DETECTED), listed + (name in equivalent))
    print(f"\nmutation score ({group}, {seconds:.0f} s):")
    for module, (total, killed, listed) in sorted(score.items()):
        print(f"  {module}: {killed}/{total} killed, {listed} equivalent")

    shown = "\n".join(f"  {name} ({code})" for name, code in ((n, mine[n]) for n in survivors))
    assert not survivors, (f"{len(survivors)} mutant(s) no test noticed; see each with `mutmut show NAME` "
                           f"(docs/mutation.md), then add a test or list it in [tool.mutmut.equivalent]:\n{shown}")
    assert not stale, f"listed as equivalent but a test now kills them; remove them from the list: {stale}"
    assert not unexplained, f"equivalent mutants need a reason: {unexplained}"
