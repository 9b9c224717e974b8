"""The check manifest: a start knows every check without importing the check modules, and a
changed plugin (version, file, helper, entry point) or a damaged manifest never hides a check.

Each load runs in a fresh interpreter (the manifest saves imports; only a new process shows
which ones), with its own ENVDOCTOR_CACHE_DIR and a real plugin distribution on sys.path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.unit.test_registry import DOC, install_plugin

LOAD = """
import json, sys
sys.path[:0] = %r
from envdoctor.engine import run_checks
from envdoctor.model.facts import Facts
from envdoctor.registry import load_registry

registry = load_registry()
imported = sorted(name for name in sys.modules if name.startswith(("envdoctor.checks.", "acme")))
found = {}
if %r:
    run = run_checks(registry.checks, Facts.load(%r))
    found = {"ran": list(run.ran), "findings": [[f.code, f.title] for f in run.findings]}
    found["imported_after_run"] = sorted(name for name in sys.modules if name.startswith(("envdoctor.checks.", "acme")))
print(json.dumps({"checks": {s.code: [s.name, s.summary, list(s.needs), s.fix, s.provider, s.doc] for s in registry.checks},
                  "imported": imported, **found}))
"""

FACTS = Path(__file__).resolve().parent.parent / "data"


def load(cache: Path, path=(), facts: str = "") -> dict:
    completed = subprocess.run([sys.executable, "-c", LOAD % ([str(p) for p in path], bool(facts), facts)],
                               capture_output=True, text=True, timeout=120,
                               env={"PATH": "/usr/bin:/bin", "ENVDOCTOR_CACHE_DIR": str(cache), "HOME": str(cache)})
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def a_snapshot() -> str:
    return str(FACTS / "snapshot-h200-cuda13.json")  # a recorded CUDA stack: many distributions, findings


PLUGIN = f'''
from envdoctor.api import check, report, Severity
from acme_helpers import NEEDS


@check(code="ACME001", name="acme-many", summary="More than one distribution.", needs=NEEDS)
def many(facts):
    {DOC}
    if len(facts.distributions) > 1:
        yield report(Severity.INFO, "several distributions", subject="environment")
'''
SECOND = f'''

@check(code="ACME002", name="acme-second", summary="Added later.", needs=("distributions",))
def second(facts):
    {DOC}
    return iter(())
'''


@pytest.fixture
def plugin(tmp_path):
    root = install_plugin(tmp_path / "site", "acme_checks", PLUGIN)
    (root / "acme_helpers.py").write_text('NEEDS = ("distributions",)\n')
    return root


def test_a_second_start_knows_every_check_without_importing_one(tmp_path, plugin):
    first = load(tmp_path / "cache", [plugin])
    assert "envdoctor.checks.requirements" in first["imported"] and "acme_checks" in first["imported"]
    second = load(tmp_path / "cache", [plugin])
    assert second["checks"] == first["checks"]  # codes, names, summaries, needs, fix kinds, providers, docs
    assert second["imported"] == []
    assert "ACME001" in second["checks"] and second["checks"]["ACME001"][4] == "acme-envdoctor-checks 1.0"


def test_a_check_imports_its_module_when_it_runs_and_finds_the_same(tmp_path, plugin):
    snapshot = a_snapshot()
    eager = load(tmp_path / "cache", [plugin], snapshot)
    lazy = load(tmp_path / "cache", [plugin], snapshot)
    assert lazy["imported"] == [] and lazy["imported_after_run"]
    assert (lazy["ran"], lazy["findings"]) == (eager["ran"], eager["findings"])
    assert ["ACME001", "several distributions"] in lazy["findings"]


def _edit(path: Path, text: str) -> None:
    path.write_text(text)
    # Same size and mtime are what the manifest compares; the inode and content change anyway,
    # but make the edit visible even on a file system with coarse timestamps.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_a_check_added_to_an_edited_module_is_never_hidden(tmp_path, plugin):
    load(tmp_path / "cache", [plugin])
    _edit(plugin / "acme_checks.py", textwrap.dedent(PLUGIN) + textwrap.dedent(SECOND))
    assert "ACME002" in load(tmp_path / "cache", [plugin])["checks"]


def test_an_edited_helper_module_is_read_again(tmp_path, plugin):
    load(tmp_path / "cache", [plugin])
    _edit(plugin / "acme_helpers.py", 'NEEDS = ("distributions", "startup")\n')
    assert load(tmp_path / "cache", [plugin])["checks"]["ACME001"][2] == ["distributions", "startup"]


def test_a_new_version_of_the_distribution_is_read_again(tmp_path, plugin):
    load(tmp_path / "cache", [plugin])
    info = plugin / "acme_envdoctor_checks-1.0.dist-info"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-envdoctor-checks\nVersion: 2.0\n")
    assert load(tmp_path / "cache", [plugin])["checks"]["ACME001"][4] == "acme-envdoctor-checks 2.0"


def test_a_plugin_installed_later_is_loaded(tmp_path, plugin):
    load(tmp_path / "cache", [plugin])
    later = install_plugin(tmp_path / "later", "acme_later", "from envdoctor.api import check\n" + SECOND, dist="acme-later")
    both = load(tmp_path / "cache", [plugin, later])
    assert {"ACME001", "ACME002"} <= set(both["checks"])
    assert "ACME002" not in load(tmp_path / "cache", [plugin])["checks"]  # and gone when it is


@pytest.mark.parametrize("damage", ["", "{", '{"format": 1, "keys": 3}', '{"format": 1}', "[]", "\x00\xff"])
def test_a_damaged_manifest_is_rebuilt(tmp_path, plugin, damage):
    cache = tmp_path / "cache"
    first = load(cache, [plugin])
    (manifest,) = (cache / "plugins").glob("*.json")
    manifest.write_text(damage, errors="surrogateescape")
    assert load(cache, [plugin])["checks"] == first["checks"]
    assert load(cache, [plugin])["imported"] == []  # and written again
