"""Scan the requested code of a target and return the `imports` facts section.

Callers go through envdoctor.scan.with_import_scan, which decides first whether there is
anything to scan without importing this module.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from envdoctor import progress
from envdoctor.model.facts import Facts, ImportScan, ModuleResolution, ScannedCode
from envdoctor.scan import results
from envdoctor.scan.cache import SummaryStore, default_cache_dir
from envdoctor.scan.conditions import TargetTraits
from envdoctor.scan.exports import Exports
from envdoctor.scan.modules import ModuleInfo, StaticFinder
from envdoctor.scan.request import ScanRequest
from envdoctor.scan.resolve import Resolver
from envdoctor.scan.sources import distribution_unit, requested


def scan_imports(facts: Facts, request: ScanRequest, cache_dir: Optional[Path] = None) -> ImportScan:
    # The scan builds a large, long-lived graph of small objects (summaries, memo tables);
    # the cyclic collector would traverse it again and again and find nothing to free.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan_imports(facts, request, cache_dir)
    finally:
        if was_enabled:
            gc.enable()


def _scan_imports(facts: Facts, request: ScanRequest, cache_dir: Optional[Path]) -> ImportScan:
    started = time.perf_counter()
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    key = results.result_key(facts, request.items, request.include_stack)
    cached = results.load(cache_dir, key)
    if cached is not None:
        return dataclasses.replace(cached, seconds=round(time.perf_counter() - started, 3))
    store = SummaryStore(cache_dir)
    wanted = requested(facts, request.items, request.include_stack)
    suffixes = facts.interpreter.extension_suffixes or _default_suffixes()
    known = _probe_resolutions(facts, suffixes)
    folder_roots = [unit.root for unit in wanted.folders]
    for root in folder_roots:
        # A scanned source folder's own packages come from that folder, as when run from it.
        for name in _listing(root):
            known.pop(name[:-3] if name.endswith(".py") else name, None)
    finder = StaticFinder(
        folder_roots + [entry.path for entry in facts.sys_path or () if entry.kind != "missing"],
        suffixes,
        # Facts from an older envdoctor lack these two: the host's are the best guess.
        facts.interpreter.builtin_modules or sys.builtin_module_names,
        known_top_level=known,
    )
    exports = Exports(finder, store)
    finder.may_add_submodules = exports.may_add_submodules
    units = list(wanted.folders) + [distribution_unit(dist, finder) for dist in wanted.distributions]
    resolver = Resolver(facts, finder, exports, store, TargetTraits.from_facts(facts))
    scanned, problems = [], []
    # Every unit's summaries first: one package's import may run another's modules, and its
    # public subpackages modules its top-level import does not (follow_across).
    summaries: Dict[str, dict] = {}
    for unit in units:
        progress.say("import scan", f"reading {unit.label} ({len(unit.files)} files; {store.parsed} parsed so far)")
        before = store.parsed
        summaries.update(store.prefetch(unit.root, [source.path for source in unit.files]))
        dist = unit.distribution
        scanned.append(
            ScannedCode(
                label=unit.label, root=unit.root, files=len(unit.files), parsed=store.parsed - before,
                distribution=dist.name if dist else None, version=dist.version if dist else None,
            )
        )
    resolver.follow_across(units, summaries)
    for unit in units:
        problems.extend(resolver.problems(unit, summaries))
    store.save()
    scan = ImportScan(
        scanned=tuple(scanned), problems=tuple(problems), imports=resolver.imports_seen,
        seconds=round(time.perf_counter() - started, 3),
    )
    folders = dict(finder.listed)
    for unit in units:
        folders.update(unit.inputs)
    results.save(cache_dir, key, scan, folders, store.touched)
    return scan


def _listing(folder: str) -> List[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


def _probe_resolutions(facts: Facts, suffixes: Sequence[str]) -> Dict[str, Optional[ModuleInfo]]:
    """Top-level modules as the target's real import system resolved them (editable finders too)."""
    known: Dict[str, Optional[ModuleInfo]] = {}
    for name, resolution in (facts.modules or {}).items():
        if "." in name:
            continue
        known[name] = _as_module_info(name, resolution, suffixes)
    return known


def _as_module_info(name: str, resolution: ModuleResolution, suffixes) -> Optional[ModuleInfo]:
    if not resolution.found:
        return None
    origin = resolution.origin or ""
    if resolution.namespace or not origin:
        locations = tuple(resolution.locations)
        if not locations:
            return ModuleInfo(name, "unknown")
        return ModuleInfo(name, "namespace", None, locations, os.path.dirname(locations[0]))
    if origin in ("built-in", "frozen"):
        return ModuleInfo(name, "builtin" if origin == "built-in" else "unknown")
    folder = os.path.dirname(origin)
    basename = os.path.basename(origin)
    if basename.startswith("__init__."):
        kind = "package" if basename == "__init__.py" else "unknown"
        return ModuleInfo(name, kind, origin, tuple(resolution.locations) or (folder,), os.path.dirname(folder))
    if origin.endswith(".py"):
        return ModuleInfo(name, "module", origin, (), folder)
    if origin.endswith(tuple(suffixes)):
        return ModuleInfo(name, "extension", origin, (), folder)
    if origin.endswith(".pyc"):
        return ModuleInfo(name, "compiled", origin, (), folder)
    return ModuleInfo(name, "unknown")


def _default_suffixes() -> List[str]:
    import importlib.machinery

    return list(importlib.machinery.EXTENSION_SUFFIXES)
