"""Imports done while the probe runs (idle_work.py, probe/process.py's Running.wait).

The host imports, between polls of the probe's pipes, the modules the run imports after the
facts, and stops at the answer.  Real processes: a child that answers late, a fresh
interpreter with a real plugin distribution and its manifest (as tests/unit/test_check_manifest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from envdoctor.idle_work import check_run_modules, imports_while_waiting
from envdoctor.probe.process import EXIT_GRACE_SECONDS, Running
from tests.unit.test_check_manifest import plugin  # noqa: F401 (a fixture)

ANSWER_END = b"@@done@@"


def test_steps_are_taken_while_the_child_works_and_stop_at_its_answer(tmp_path):
    child = Running([sys.executable, "-c", "import time; time.sleep(0.6); print('@@done@@', flush=True); time.sleep(30)"],
                    str(tmp_path), time.monotonic() + 20)
    steps = []

    def idle():
        while True:
            time.sleep(0.01)
            steps.append(time.monotonic())
            yield

    result = child.wait(ANSWER_END, idle=idle())
    returned = time.monotonic()
    assert not result.timed_out and "@@done@@" in result.stdout
    assert len(steps) >= 10  # ~0.6 s of waiting, 10 ms a step
    # The answer came EXIT_GRACE_SECONDS before the wait gave up on the child's exit: no step after it.
    assert steps[-1] <= returned - EXIT_GRACE_SECONDS + 0.2


def test_the_steps_ending_early_change_nothing(tmp_path):
    child = Running([sys.executable, "-c", "import time; time.sleep(0.3); print('@@done@@')"], str(tmp_path),
                    time.monotonic() + 20)
    result = child.wait(ANSWER_END, idle=iter([None, None]))
    assert (result.timed_out, result.returncode, result.stdout.strip()) == (False, 0, "@@done@@")


def test_an_import_that_fails_is_left_to_where_the_module_is_needed(tmp_path, monkeypatch):
    (tmp_path / "breaks_on_import.py").write_text("raise RuntimeError('a plugin that cannot import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert list(imports_while_waiting(["breaks_on_import", "colorsys"])) == [None, None]
    assert "breaks_on_import" not in sys.modules and "colorsys" in sys.modules
    with pytest.raises(RuntimeError, match="a plugin that cannot import"):
        __import__("breaks_on_import")


SECOND_START = """
import json, sys
sys.path[:0] = %r
from envdoctor.idle_work import check_run_modules, imports_while_waiting
from envdoctor.registry import load_registry
from envdoctor.scan import ScanRequest

registry = load_registry()
before = sorted(name for name in sys.modules if name.startswith(("envdoctor.checks.", "acme", "packaging")))
scan = ScanRequest(items=(), include_stack=True, enabled=True, legacy_code=True)
names = check_run_modules(registry.checks, scan, native=True, numpy=True)
for _ in imports_while_waiting(names):
    pass
after = sorted(name for name in sys.modules if name.startswith(("envdoctor.checks.", "acme", "packaging")))
print(json.dumps({"names": names, "before": before, "after": after}))
"""


def test_a_second_start_imports_the_selected_checks_modules_while_it_waits(tmp_path, plugin):  # noqa: F811
    def start():
        done = subprocess.run([sys.executable, "-c", SECOND_START % ([str(plugin)],)], capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/bin:/bin", "ENVDOCTOR_CACHE_DIR": str(tmp_path / "cache"),
                                                "HOME": str(tmp_path)})
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)

    start()  # writes the manifest
    second = start()
    assert second["before"] == []  # the manifest: no check module imported to learn the checks
    names = second["names"]
    assert names[:5] == ["envdoctor.scan.numpy_builds", "envdoctor.scan", "envdoctor.scan.legacy_scan",
                         "envdoctor.linkage", "envdoctor.scan.guarded_imports"]
    assert {"envdoctor.checks.requirements", "envdoctor.checks.native_symbols",
            "packaging.requirements", "envdoctor.engine"} <= set(names)
    assert {"envdoctor.checks.requirements", "packaging.requirements"} <= set(second["after"])
    # A third party's check module waits for its check's first call: its import may take any
    # time (the wait looks at the probe's deadline only between steps) or do anything.
    assert "acme_checks" not in names and "acme_checks" not in second["after"]


def test_checks_already_loaded_add_no_module():
    loaded = type("Spec", (), {"function": staticmethod(len)})()
    assert check_run_modules([loaded]) == ["packaging.requirements", "envdoctor.engine", "envdoctor.policy",
                                           "envdoctor.report.context", "envdoctor.redaction"]


def test_a_damaged_probe_cache_file_ends_the_steps_not_the_run(tmp_path, monkeypatch):
    """A cache file that unmarshals to something this code did not write (entries not a dict)."""
    from envdoctor.idle_work import requirements_while_waiting
    from envdoctor.probe.dist_cache_file import dist_cache_path
    from envdoctor.vocabulary.cache_files import write_marshal

    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(tmp_path))
    for damaged in ({"entries": ["damaged"]}, {"entries": {"x": "not a list"}}, ["no dict"], {"entries": {"x": [1, {"requires_dist": [3]}]}}):
        write_marshal(dist_cache_path("/some/python"), damaged)
        assert list(requirements_while_waiting("/some/python")) == [None]
