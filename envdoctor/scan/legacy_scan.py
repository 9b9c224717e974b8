"""Installed code against the target's own Python: the `legacy_code` facts section.

Every active distribution's files go through the installed source index (legacy_index.py);
each import-time use it found is then decided for this target, from the target's files:

  a removed module   missing when the target's sys.path (its standard library included)
                     has no such top-level module: `imp` on 3.12, unless a backport
                     provides it; `distutils` also counts as present while setuptools'
                     `_distutils_hack` finder is on sys.meta_path (SETUPTOOLS_USE_DISTUTILS
                     is not "stdlib" then, or the .pth would not have installed it)
  a removed name     missing when the target's stdlib module is found and binds no such
                     name (exports.py reads its source; a module whose names cannot be
                     known statically, `__getattr__` and the like, is given the benefit)
  pkg_resources      missing when nothing on the target's sys.path provides it
  a legacy finder    a class with find_module()/load_module() and no find_spec() (itself or
                     a base class of the same distribution) that code of the same
                     distribution puts on sys.meta_path at import

A use under an `if` that cannot run on this target is dropped; one that depends on run time
is dropped too (only what certainly runs at import is reported).  So is a use in a module that
`import <the distribution's top-level package>` does not run (eager_modules): such a module is
often the other branch of a choice made elsewhere (pip's distutils locations, imported only
where distutils exists).
"""

from __future__ import annotations

import dataclasses
import gc
import importlib.machinery
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from envdoctor.model.facts import Distribution, Facts
from envdoctor.model.legacy_code_facts import LegacyCode, LegacyFinderSite, LegacyUse
from envdoctor.scan.cache import SummaryStore, default_cache_dir
from envdoctor.scan.conditions import TargetTraits, reachable
from envdoctor.scan.exports import IMPLICIT, Exports
from envdoctor.scan.legacy_index import LegacyIndex
from envdoctor.scan.modules import StaticFinder
from envdoctor.scan.resolve import modules_run_on_import
from envdoctor.scan.sources import SourceFile, distribution_unit
from envdoctor.vocabulary.removed_stdlib import DISTUTILS, DISTUTILS_HACK_MODULE, PKG_RESOURCES, REMOVED_MODULES


def with_legacy_code(facts: Facts, cache_dir: Optional[Path] = None) -> Facts:
    """The facts with their `legacy_code` section scanned; None (the checks report themselves
    skipped) when the probe gave no such section."""
    if facts.legacy_code is None or facts.interpreter is None or facts.sys_path is None:
        return dataclasses.replace(facts, legacy_code=None)
    was_enabled = gc.isenabled()
    gc.disable()  # many small, long-lived objects; the cyclic collector would only walk them
    try:
        return dataclasses.replace(facts, legacy_code=scan_legacy_code(facts, cache_dir))
    finally:
        if was_enabled:
            gc.enable()


def scan_legacy_code(facts: Facts, cache_dir: Optional[Path] = None) -> LegacyCode:
    started = time.perf_counter()
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    finder = StaticFinder(
        [entry.path for entry in facts.sys_path or () if entry.kind != "missing"],
        facts.interpreter.extension_suffixes or importlib.machinery.EXTENSION_SUFFIXES,
        facts.interpreter.builtin_modules or sys.builtin_module_names,
    )
    target = _Target(facts, finder, SummaryStore(cache_dir))
    index = LegacyIndex(cache_dir)
    uses: List[LegacyUse] = []
    finders: List[LegacyFinderSite] = []
    distributions = [d for d in facts.active_distributions().values() if not d.unreadable]
    for dist in distributions:
        root, files, found = _summaries(dist, finder, index)
        if not found:
            continue
        missing = target.missing_uses(dist, found)
        sites = _legacy_finders(dist, found, target.traits)
        if missing or sites:
            # Only what `import <the distribution's top-level package>` runs: pip's
            # _internal/locations/_distutils.py imports distutils, but pip imports it only
            # where distutils exists.  Read only for distributions that have such a use.
            eager = set(index.derived(root, dist.metadata_path, f"eager|{target.traits_key}", lambda: sorted(
                eager_modules(files, target.store.prefetch(root, [f.path for f in files]), target.traits))))
            module_of = {source.path: source.module for source in files}
            uses.extend(use for use in missing if module_of.get(use.file) in eager)
            finders.extend(site for site in sites if module_of.get(site.insert_file) in eager)
    index.save()
    target.store.save()
    return dataclasses.replace(
        facts.legacy_code, uses=tuple(uses), finders=tuple(finders), distributions=len(distributions),
        files=index.files, parsed=index.parsed, seconds=round(time.perf_counter() - started, 3),
    )


def _summaries(dist: Distribution, finder: StaticFinder, index: LegacyIndex):
    """(install folder, Python files, [(file, summary)] of those that hold anything): proven from
    the RECORD's and the folders' stamps where the index can (its file list read only when a
    summary holds anything), else with every file stat'ed."""
    record_stamp = _record_stamp(dist)
    if record_stamp is not None:
        listed: List[List[SourceFile]] = []

        def files() -> List[SourceFile]:
            if not listed:
                listed.append(_files(dist, finder, index, record_stamp)[1])
            return listed[0]

        found = index.proven(dist.location, dist.metadata_path, record_stamp, files)
        if found is not None:
            return dist.location, files() if found else [], found
    root, files_list = _files(dist, finder, index, record_stamp)
    return root, files_list, index.summaries(root, dist.metadata_path, files_list)


def _record_stamp(dist: Distribution) -> Optional[str]:
    """The RECORD's (size, mtime) of a distribution installed from one; None for an editable
    install or one without a RECORD (its files are looked up, and stat'ed on every run)."""
    if dist.record != "RECORD" or dist.editable:
        return None
    try:
        stat = os.stat(os.path.join(dist.metadata_path, "RECORD"))
    except OSError:
        return None
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _files(dist: Distribution, finder: StaticFinder, index: LegacyIndex,
           record_stamp: Optional[str]) -> Tuple[str, List[SourceFile]]:
    """(install folder, Python files) of a distribution.  Its RECORD's file list is kept in the
    index while the RECORD's (size, mtime) is unchanged: parsing torch's 15,000-row RECORD on
    every run cost more than the rest of the scan.  An editable install's files are looked up."""
    if record_stamp is None:
        unit = distribution_unit(dist, finder)
        return unit.root, list(unit.files)
    files = index.files_of(dist.location, dist.metadata_path, record_stamp,
                           lambda: list(distribution_unit(dist, finder).files))
    return dist.location, files


class _Target:
    """What the target's own sys.path and standard library provide, answered once per name."""

    def __init__(self, facts: Facts, finder: StaticFinder, store: SummaryStore):
        self.finder = finder
        self.store = store
        self.exports = Exports(finder, store)
        finder.may_add_submodules = self.exports.may_add_submodules
        self.traits = TargetTraits.from_facts(facts)
        self.traits_key = repr((self.traits.version_info, sorted(self.traits.strings.items())))
        meta_path = facts.import_system.meta_path if facts.import_system else ()
        setting = facts.legacy_code.setuptools_use_distutils if facts.legacy_code else None
        self.distutils_setting = setting
        self.distutils_from_setuptools = setting != "stdlib" and any(
            (f.module or "") == DISTUTILS_HACK_MODULE for f in meta_path)
        self._modules: Dict[str, bool] = {}
        self._names: Dict[str, bool] = {}

    def has_module(self, name: str) -> bool:
        top = name.split(".")[0]
        if top not in self._modules:
            present = self.finder.find(top) is not None
            if top == DISTUTILS and not present:
                present = self.distutils_from_setuptools
            self._modules[top] = present
        return self._modules[top]

    def has_name(self, dotted: str) -> bool:
        if dotted not in self._names:
            module, _, name = dotted.rpartition(".")
            info = self.finder.find(module)
            names = self.exports.names(info) if info is not None else None
            # Not found, or names not knowable statically: never claimed missing.
            self._names[dotted] = info is None or names is None or name in names or name in IMPLICIT
        return self._names[dotted]

    def _serves_its_own_distutils(self, dist: Distribution) -> bool:
        """setuptools ships _distutils_hack and its __init__ imports `_distutils_hack.override`
        before `import distutils`: its own distutils import works even where no
        distutils-precedence.pth ran (a folder a .pth appends to sys.path, an NGC-style layer)."""
        shipped = set(dist.top_level) | set(dist.record_modules)
        return self.distutils_setting != "stdlib" and DISTUTILS_HACK_MODULE in shipped

    def missing_uses(self, dist: Distribution, found) -> List[LegacyUse]:
        uses: List[LegacyUse] = []
        seen = set()
        own_distutils = self._serves_its_own_distutils(dist)
        for source, summary in found:
            for line, module, names, conditions in summary["imports"]:
                if reachable(conditions, self.traits) is not True:
                    continue
                if own_distutils and module.split(".")[0] == DISTUTILS:
                    continue
                for kind, what in self._import_uses(module, names):
                    if (what, source.path) not in seen:
                        seen.add((what, source.path))
                        uses.append(LegacyUse(kind, what, dist.name, dist.version, source.path, line))
            for line, dotted, conditions in summary["attributes"]:
                if reachable(conditions, self.traits) is True and not self.has_name(dotted) and (dotted, source.path) not in seen:
                    seen.add((dotted, source.path))
                    uses.append(LegacyUse("name", dotted, dist.name, dist.version, source.path, line))
        return uses

    def _import_uses(self, module: str, names):
        top = module.split(".")[0]
        if top == PKG_RESOURCES:
            if not self.has_module(PKG_RESOURCES):
                yield "pkg_resources", PKG_RESOURCES
        elif top in REMOVED_MODULES:
            if not self.has_module(top):
                yield "module", top
        else:
            for name in names or ():
                if not self.has_name(f"{module}.{name}"):
                    yield "name", f"{module}.{name}"


def eager_modules(files, summaries: Dict[str, dict], traits: TargetTraits) -> Set[str]:
    """The modules that `import <top-level package>` runs, by the import scan's own rule
    (resolve.modules_run_on_import) without its flag lookups: an import under a flag it cannot
    decide is not followed."""
    by_module = {source.module: source for source in files}
    return modules_run_on_import([name for name in by_module if "." not in name], by_module, summaries, traits)


def _legacy_finders(dist: Distribution, found, traits: TargetTraits) -> List[LegacyFinderSite]:
    """Classes of this distribution that only speak find_module(), joined with the code of the
    same distribution that puts an instance of one of them on sys.meta_path at import."""
    classes = {}
    for source, summary in found:
        for line, name, has_find_spec, _has_find_module, bases in summary["classes"]:
            classes.setdefault(name, (source, line, has_find_spec, bases))

    def speaks_find_spec(name: str, depth: int = 0) -> bool:
        source, line, has_find_spec, bases = classes[name]
        return has_find_spec or (depth < 5 and any(
            base.split(".")[-1] in classes and speaks_find_spec(base.split(".")[-1], depth + 1) for base in bases))

    sites = []
    reported = set()
    for source, summary in found:
        for line, name, conditions in summary["insertions"]:
            if name not in classes or name in reported or reachable(conditions, traits) is not True or speaks_find_spec(name):
                continue
            reported.add(name)
            class_source, class_line = classes[name][0], classes[name][1]
            sites.append(LegacyFinderSite(
                dist.name, dist.version, f"{class_source.module}.{name}", class_source.path, class_line,
                source.path, line))
    return sites

