"""While the probe runs, the host parses the Requires-Dist lines of the distributions the last
run cached (idle_work.py): they must be the very lines the facts then hold, or the work is lost.

A real venv with distributions that require others (with markers and extras), a real first
`envdoctor check` that writes the probe's cache, then the probe again."""

from __future__ import annotations

import time

import pytest

from envdoctor.idle_work import requirements_while_waiting
from envdoctor.model.target import Target
from envdoctor.probe.dist_cache_file import cached_requirements
from envdoctor.probe.facts_probe import run_probe
from envdoctor.probe.in_target.dist_cache import MARGIN_NS
from envdoctor.vocabulary.requires_dist import _parsed, parsed_requirements
from tests.conftest import clean_env
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


def test_the_cached_requirements_are_the_ones_the_facts_hold_and_parsing_them_ahead_is_what_the_checks_read(
        run_envdoctor, new_venv, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ENVDOCTOR_CACHE_DIR", str(cache))
    venv = new_venv()
    folder = tmp_path / "wheels"
    venv.install_files(
        build_wheel(folder, "app", "1.0", {"app/__init__.py": ""},
                    requires=["lib>=1.0", "extra-lib[fast]; python_version >= '3.8'", "never; sys_platform == 'win32'"]),
        build_wheel(folder, "lib", "1.2", {"lib/__init__.py": ""}, requires=["app"]),
        extra=["--no-deps"])
    assert not list(cached_requirements(venv.python))  # nothing cached before the first run
    time.sleep(MARGIN_NS / 1e9 + 0.5)  # the probe stores only what has not changed for MARGIN_NS
    first = run_envdoctor("check", "--python", venv.python, env=clean_env(ENVDOCTOR_CACHE_DIR=str(cache)))
    assert first.returncode in (0, 1), first.stderr

    cached = set(cached_requirements(venv.python))
    facts = run_probe(Target(python=venv.python, cwd=str(tmp_path), source="--python"), timeout=60)
    held = {dist.requires_dist for dist in facts.distributions if dist.requires_dist}
    assert cached == held and ("lib>=1.0", "extra-lib[fast]; python_version >= '3.8'", "never; sys_platform == 'win32'") in held

    _parsed.cache_clear()
    for _ in requirements_while_waiting(venv.python):
        pass
    warmed = _parsed.cache_info().currsize
    assert warmed == len(held)
    for dist in facts.distributions:
        parsed_requirements(dist)
    assert _parsed.cache_info().currsize == warmed  # every distribution's lines were parsed already
