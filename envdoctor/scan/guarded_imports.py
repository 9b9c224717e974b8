"""Which extension modules their own package imports only where a failure is caught.

cupy imports `cupy_backends.cuda.libs.cutensor` only inside `try: ... except ImportError:`
and carries on without it when cuTENSOR is not installed: the extension's missing library
costs a feature, not the import of cupy.  vllm's `_C` is imported unguarded (later than the
top-level import, but unguarded): its missing library breaks whatever imports it.  So an
extension module counts as optional when its own distribution's code imports it at least
once, and every such import (module level or in a function) sits in a try whose handler
catches ImportError, ModuleNotFoundError, Exception or everything (the import scanner's
`guarded`, scan/summary.py).  Imports under `if TYPE_CHECKING:` never run and do not count.

An unguarded import inside a module that is itself optional by the same rule counts as
guarded: cupy's `cupyx/cutensor.py` (the cuTENSOR API) imports the extension unguarded, but
cupy imports `cupyx.cutensor` itself only inside `try: ... except ImportError: continue`
(cupy/linalg/_einsum.py), so nothing cupy runs unguarded reaches it.  A cycle of unguarded
imports is not optional (the conservative answer).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Set, Tuple

from envdoctor.model.facts import Facts
from envdoctor.model.native_facts import LIBRARY
from envdoctor.scan.cache import SummaryStore, default_cache_dir
from envdoctor.scan.modules import StaticFinder
from envdoctor.scan.resolve import imported_modules
from envdoctor.scan.sources import distribution_unit
from envdoctor.scan.summary import GUARDED, LINE, TYPE_CHECKING


def with_guarded_imports(facts: Facts) -> Facts:
    """The facts with each missing-library reference of `native_linkage` (SYM002's) given the
    import sites of its extension module when every one of them is guarded (else none)."""
    linkage = facts.native_linkage
    if linkage is None or not any(problem.kind == LIBRARY for problem in linkage.problems):
        return facts
    wanted: Dict[str, Set[str]] = {}
    for problem in linkage.problems:
        if problem.kind == LIBRARY:
            wanted.setdefault(problem.distribution, set()).add(problem.module)
    guarded = _only_guarded(facts, wanted)
    problems = tuple(
        dataclasses.replace(problem, guarded_imports=guarded[problem.module])
        if problem.kind == LIBRARY and problem.module in guarded else problem
        for problem in linkage.problems
    )
    return dataclasses.replace(facts, native_linkage=dataclasses.replace(linkage, problems=problems))


def _only_guarded(facts: Facts, wanted: Dict[str, Set[str]]) -> Dict[str, Tuple[str, ...]]:
    """Module -> its import sites ("path:line"), for the wanted modules of each distribution
    that its own code imports only under a guard."""
    installed = {dist.name: dist for dist in facts.active_distributions().values()}
    finder = StaticFinder([entry.path for entry in facts.sys_path or () if entry.kind != "missing"],
                          facts.interpreter.extension_suffixes)
    store = SummaryStore(default_cache_dir())
    found: Dict[str, Tuple[str, ...]] = {}
    for name, modules in wanted.items():
        dist = installed.get(name)
        if dist is None:
            continue
        unit = distribution_unit(dist, finder)
        summaries = store.prefetch(unit.root, [source.path for source in unit.files])
        sites: Dict[str, List[Tuple[str, bool, str]]] = {}  # module -> (where, guarded, importer)
        for source in unit.files:
            summary = summaries.get(source.path)
            for record in summary["imports"] if summary and not summary["error"] else ():
                if record[TYPE_CHECKING]:
                    continue
                for module in imported_modules(source.module, source.is_package, record):
                    sites.setdefault(module, []).append(
                        (f"{source.path}:{record[LINE]}", bool(record[GUARDED]), source.module))
        optional = _OptionalModules(sites)
        found.update({module: tuple(where for where, _, _ in sites[module])
                      for module in modules if optional.holds(module)})
    store.save()
    return found


class _OptionalModules:
    """Whether a module is imported by its distribution's own code only where a failure is
    caught, directly or through modules that are themselves imported that way."""

    def __init__(self, sites: Dict[str, List[Tuple[str, bool, str]]]):
        self._sites = sites
        self._known: Dict[str, bool] = {}

    def holds(self, module: str) -> bool:
        if module in self._known:
            return self._known[module]
        self._known[module] = False  # while it is being decided: a cycle is not optional
        seen = self._sites.get(module, ())
        answer = bool(seen) and all(guarded or (importer != module and self.holds(importer))
                                    for _, guarded, importer in seen)
        self._known[module] = answer
        return answer
