"""Work done while the probe runs: what the rest of the run does anyway, before the facts are in.

While the target interpreter builds its facts (0.2-0.4 s at 1,000 distributions), envdoctor's
own process only waited; after the answer it imported ~90 ms of modules (the selected checks'
modules, packaging's requirement parser, the scans) and parsed every distribution's
Requires-Dist lines (~50 ms) on the critical path.  Running.wait now takes these steps one at
a time between polls of the probe's pipes, and stops at the answer: what is not reached by
then is done where it is needed, as before.  So the work costs nothing where the probe is
slower than it, and at most one step where it is not.  Nothing here can change a result:

- an import that fails is ignored: Python forgets a failed import, so the same import fails
  again where it is needed and is reported there, as it always was;
- the Requires-Dist lines parsed are those of the distributions the last run stored in the
  probe's cache (probe/dist_cache_file.py): parsing is cached per text
  (vocabulary/requires_dist.py), so a line the facts no longer hold is merely never asked for.
"""

from __future__ import annotations

import importlib
import sys
from typing import Iterable, Iterator, List, Optional

# What every check run imports after the facts: the engine, the report's context, and
# packaging's requirement parser (vocabulary/requires_dist.py loads it on the first
# Requires-Dist line; REQ checks and the stack membership read every distribution's).
AFTER_THE_FACTS = ("packaging.requirements", "envdoctor.engine", "envdoctor.policy", "envdoctor.report.context",
                   "envdoctor.redaction")


def check_run_modules(checks, scan=None, native: bool = False, numpy: bool = False) -> List[str]:
    """The modules a check run will import once the facts are in: what reads them (the scans it
    was asked for), the selected built-in checks' modules (a check found through the manifest is
    imported on its first call, check_manifest.LazyCheck), then the engine and the report.

    Only envdoctor's own modules and packaging: their imports take milliseconds.  A third
    party's check module is left to its first call, as before: its import may take any time
    (the wait checks the probe's deadline only between steps) or do anything, and it must not
    happen in a run where that check never runs (a target that cannot be probed)."""
    names: List[str] = []
    if numpy:
        names.append("envdoctor.scan.numpy_builds")
    if scan is not None:
        names.append("envdoctor.scan")
        if scan.legacy_code:
            names.append("envdoctor.scan.legacy_scan")
    if native:
        names += ["envdoctor.linkage", "envdoctor.scan.guarded_imports"]
    names.append(AFTER_THE_FACTS[0])
    for spec in checks:
        module = _lazy_module(spec.function)
        if module and module.startswith("envdoctor.") and module not in names:
            names.append(module)
    return names + list(AFTER_THE_FACTS[1:])


def _lazy_module(function) -> Optional[str]:
    # A LazyCheck, or a check with inputs bound to one (functools.update_wrapper copies its `ep`);
    # a loaded check's module is imported already.
    entry_point = getattr(function, "ep", None)
    return entry_point.module if entry_point is not None else None


def work_while_waiting(python: str, names: List[str]) -> Iterator[None]:
    """The steps for one check run: packaging's parser first, then the Requires-Dist lines of the
    target's cached distributions, then the other modules (check_run_modules' list)."""
    first = [name for name in names if name == AFTER_THE_FACTS[0]]
    yield from imports_while_waiting(first)
    yield from requirements_while_waiting(python)
    yield from imports_while_waiting([name for name in names if name not in first])


def requirements_while_waiting(python: str, batch: int = 50) -> Iterator[None]:
    """Parse the Requires-Dist lines of the distributions cached for `python`, `batch` at a time.
    Anything unexpected ends the steps, never the run: the cache file is only a hint here."""
    from envdoctor.probe.dist_cache_file import cached_requirements
    from envdoctor.vocabulary.requires_dist import parse_requires_dist

    try:
        for index, lines in enumerate(cached_requirements(python)):
            parse_requires_dist(lines)
            if index % batch == batch - 1:
                yield
    except Exception:  # a damaged cache file: the probe reads it afresh, and the checks parse as before
        return
    yield


def imports_while_waiting(names: Iterable[str]) -> Iterator[None]:
    """One import per step, for Running.wait to take between polls."""
    for name in names:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # raised again, and reported, where the module is needed
                pass
        yield
