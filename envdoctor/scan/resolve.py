"""Every import site of the scanned code, against the installed tree -> ImportProblems.

For `import a.b.c` every prefix must exist.  For `from m import n` the module must
exist and `n` must be a name it binds or a submodule.  Relative imports are made
absolute from the importing file's own module name.  Branches that cannot run on the
target (`if sys.version_info < (3, 8):` on 3.12) are skipped; the rest carry their
context (module level or in a function, guarded, TYPE_CHECKING, conditional) for the
check to weigh.
"""

from __future__ import annotations

import os
from typing import Dict, Iterator, List, Optional, Set, Tuple

from envdoctor.model.facts import Distribution, Facts, ImportProblem, canonicalize
from envdoctor.scan.cache import SummaryStore
from envdoctor.scan.calls import CallSites
from envdoctor.scan.calls import Source as CallSource
from envdoctor.scan.conditions import INSTALLED_VERSION, TargetTraits, reachable, undecided_roots
from envdoctor.scan.outside_callers import entry_point_functions
from envdoctor.scan.public_entries import public_subpackages
from envdoctor.scan.exports import Exports, absolute_module, import_target
from envdoctor.scan.flags import Flags
from envdoctor.scan.modules import StaticFinder
from envdoctor.scan.sources import ScanUnit, distribution_unit
from envdoctor.vocabulary.labels import STANDARD_LIBRARY
from envdoctor.scan.summary import CONDITIONS, FALLBACK, GUARDED, KIND, LEVEL, LINE, MODULE, NAMES, SCOPE, TYPE_CHECKING

# Words that name a platform in a module name (`_macosx`, `_win32`): such a module is built
# only on that platform, so on another one its absence is by design, not a broken import.
PLATFORM_WORDS = {
    "darwin": frozenset(("macosx", "macos", "darwin", "osx", "cocoa")),
    "win32": frozenset(("win32", "win64", "windows", "winreg", "msvcrt")),
}

# The most homes listed for one name: beyond that a suggestion stops being useful.
MAX_HOMES = 5
# Sites of one uninstalled module that keep their statement text (the check shows five).
SITES_WITH_TEXT = 5


def _site_of(record: tuple) -> tuple:
    """(kind, level, module, names) of a stored import, as _check_site takes them."""
    return record[KIND], record[LEVEL], record[MODULE], record[NAMES]


def _roots(own: Dict[str, object], everywhere: Dict[str, object]) -> List[str]:
    """The modules a package's own import names: its top-level modules, and the ones it adds to
    another scanned package (`fla.layers`, which flash-linear-attention adds to fla-core's `fla`).
    A module whose parent nobody ships (a tests/ folder without __init__.py) is no root."""
    roots = []
    for name in own:
        parent = name.rpartition(".")[0]
        if not parent or (parent not in own and parent in everywhere):
            roots.append(name)
    return roots


def _runs_on_import(record: tuple) -> bool:
    """A module-level import with no try/except around it, not under TYPE_CHECKING, and not
    a fallback in an `except ImportError:` handler (which runs only when its try failed)."""
    return record[SCOPE] == "module" and not record[GUARDED] and not record[TYPE_CHECKING] and record[FALLBACK] is None


def modules_run_on_import(roots: List[str], by_module: Dict[str, object], summaries: Dict[str, dict],
                          traits, lookup_for=None, known: Set[str] = frozenset()) -> Set[str]:
    """The modules that importing `roots` runs: followed through module-level imports that are
    unguarded (_runs_on_import) and certainly run on this target, within `by_module`.
    `lookup_for(name, is_package, summary)` gives the module's flag lookup (the import scan's
    Resolver); without it, an import under a flag is followed only when its test needs none.
    `known` modules are not followed (what they run is known already) and not returned."""
    queue = list(roots)
    eager: Set[str] = set()
    while queue:
        name = queue.pop()
        if name in eager or name in known or name not in by_module:
            continue
        eager.add(name)
        source = by_module[name]
        summary = summaries.get(source.path)
        if summary is None or summary["error"]:
            continue
        lookup = lookup_for(name, source.is_package, summary) if lookup_for else None
        for record in summary["imports"]:
            if not _runs_on_import(record) or reachable(record[CONDITIONS], traits, lookup) is not True:
                continue
            queue.extend(imported_modules(name, source.is_package, record))
    return eager


def imported_modules(importer: str, is_package: bool, record: tuple) -> Set[str]:
    """Every module an import statement imports: each prefix of its target, and for
    `from package import name` the submodule `package.name` it may be."""
    target = import_target(importer, is_package, record)
    if not target:
        return set()
    parts = target.split(".")
    modules = {".".join(parts[: i + 1]) for i in range(len(parts))}
    if record[KIND] == "from" and record[NAMES] != ("*",):
        modules.update(f"{target}.{name}" for name in record[NAMES])
    return modules


class Resolver:
    def __init__(self, facts: Facts, finder: StaticFinder, exports: Exports, store: SummaryStore, traits: TargetTraits):
        self.facts = facts
        self.finder = finder
        self.exports = exports
        self.store = store
        self.traits = traits
        self.owner_by_top: Dict[str, Distribution] = {}
        for dist in facts.active_distributions().values():
            for top in (*dist.top_level, *dist.record_modules):
                self.owner_by_top.setdefault(top, dist)
        self.stdlib_roots = tuple(
            os.path.normpath(entry.path) for entry in facts.sys_path or () if entry.origin == "stdlib"
        )
        self._definitions: Dict[str, Dict[str, List[str]]] = {}  # provider key -> name -> modules
        self._has_name: Dict[Tuple[str, str], bool] = {}
        self.imports_seen = 0
        self._uninstalled_sites: Dict[Tuple[str, str], int] = {}
        self._unit_tops: Dict[str, Set[str]] = {}
        versions = {canonicalize(dist.name): dist.version for dist in facts.active_distributions().values()}
        module_versions = {top: dist.version for top, dist in self.owner_by_top.items()}
        self.flags = Flags(finder, exports, traits, versions, module_versions)
        self.flags.try_succeeds = self._try_succeeds
        self._tries: Dict[Tuple[str, Tuple[int, int]], Optional[bool]] = {}
        # Served at run time by a stand-in finder (envdoctor's triton stub): every import below resolves.
        self.stubbed: Set[str] = set(facts.import_system.stubbed_modules if facts.import_system else ())
        # module -> "import ROOT (distribution version)" of other scanned packages that run it (follow_across).
        self.reached_by: Dict[str, Set[str]] = {}

    # -- per unit ---------------------------------------------------------------------
    def problems(self, unit: ScanUnit, summaries: Dict[str, dict]) -> Iterator[ImportProblem]:
        importer = unit.distribution
        base = {
            "importer": importer.name if importer else unit.label,
            "importer_version": importer.version if importer else None,
        }
        eager = self._eager_modules(unit, summaries)
        never, left_out = self._not_imported(unit, summaries)
        calls = CallSites(
            [CallSource(source.module, source.path, source.is_package, summaries[source.path]) for source in unit.files if source.path in summaries],
            self.traits, self.flags.lookup, entry_point_functions(importer.metadata_path if importer else None),
        )
        for source in unit.files:
            summary = summaries.get(source.path)
            if summary is None:
                continue
            # A module that no import of its own package reaches on this target runs only when
            # something names it at run time (a plugin loader) or never (a code template).
            unreferenced = source.module in (never if summary["error"] else left_out)
            note = f"; nothing in {base['importer']} imports {source.module} on this target" if unreferenced else ""
            if summary["error"]:
                # A file nothing imports and that does not parse is a helper for another Python
                # (torch's py312_intrinsics.py) far more often than a broken module.
                yield ImportProblem(
                    kind="unscanned" if summary["unscanned"] else "unparsable", path=source.path, line=summary["error_line"], statement="",
                    importer_module=source.module, conditional=unreferenced,
                    module=source.module, missing=source.module, detail=summary["error"] + note, **base,
                )
                continue
            yield from self._file_problems(unit, source, summary, eager, unreferenced, note, base, calls)

    def _file_problems(self, unit: ScanUnit, source, summary: dict, eager: Set[str], unreferenced: bool, note: str, base: dict, calls: CallSites) -> Iterator[ImportProblem]:
        lines = _LazyLines(source.path)
        lookup = self.flags.lookup(source.module, source.is_package, summary)
        # Names an undecided condition may start from to count as a question about the
        # environment (an imported module or flag, an installed version, how the file is run:
        # `if __name__ == "__main__":`), not about a value of a code path the caller picks.
        environment = set(summary["bound"]) | {INSTALLED_VERSION, "__name__"}
        for record in summary["imports"]:
            line, end_line, kind, level, module, names, scope, guarded, type_checking, conditions, fallback = record
            reach = reachable(conditions, self.traits, lookup)
            if reach is not False and fallback is not None:
                reach = self._fallback_runs(source, summary, fallback, reach)
            if reach is False:
                continue
            self.imports_seen += 1
            asks_environment = reach is None and (fallback is not None or bool(undecided_roots(conditions, self.traits, lookup) & environment))
            context = dict(
                path=source.path, line=line, importer_module=source.module, scope=scope, guarded=guarded, type_checking=type_checking,
                conditional=asks_environment or unreferenced, eager=source.module in eager and _runs_on_import(record) and reach is True, **base,
            )
            if source.module in self.reached_by and _runs_on_import(record) and reach is True:
                context["reached_by"] = tuple(sorted(self.reached_by[source.module]))
            site_problems = list(self._check_site(source.module, source.is_package, kind, level, module, names))
            # Following calls costs a read of the package per function: it is paid only where the
            # finding could be above info (a dead import or drift that runs when its path runs).
            could_warn = not (type_checking or asks_environment or unreferenced) and any(p[0] != "uninstalled" for p in site_problems)
            never_called = _why_never_called(calls, source.module, line) if could_warn and scope == "function" else None
            site_note = note
            if never_called is not None:
                # Reported as info with the reason, never dropped: the scanner's "never runs" may be wrong.
                context["conditional"] = True
                site_note = f"; {never_called}{note}"
            for problem in site_problems:
                kind_, absolute, missing, detail, imported = problem
                if self._other_platform(missing):
                    continue
                if kind_ == "uninstalled" and missing in unit.vendored_tops:
                    continue  # the distribution ships it and imports it once its folder is on sys.path
                statement = lines.text(line, end_line) if self._wants_statement(unit, kind_, missing) else ""
                yield self._problem(unit, kind_, absolute, missing, detail + site_note, imported, statement, context)

    def _fallback_runs(self, source, summary: dict, fallback: Tuple[int, int], reach: Optional[bool]) -> Optional[bool]:
        """An import in an `except ImportError:` handler runs only when its try failed: never
        (False) when every import of the try body resolves on this target, as the first thing
        tried when one of them fails (`reach` unchanged), and unknown (None) when the try body
        imports nothing the scanner can judge (it fails, or not, at run time)."""
        succeeds = self._try_succeeds(source.module, source.is_package, summary, fallback)
        return None if succeeds is None else (False if succeeds else reach)

    def _try_succeeds(self, module: str, is_package: bool, summary: dict, lines: Tuple[int, int]) -> Optional[bool]:
        """Whether the imports of the try body on `lines` all resolve on this target (None:
        it imports nothing the scanner can judge)."""
        key = (module, lines)
        if key in self._tries:
            return self._tries[key]
        self._tries[key] = None  # a flag asked again while deciding this try is unknown
        first, last = lines
        lookup = self.flags.lookup(module, is_package, summary)
        tried = [
            record for record in summary["imports"]
            if first <= record[LINE] <= last and reachable(record[CONDITIONS], self.traits, lookup) is not False
        ]
        verdict: Optional[bool] = None
        if tried:
            verdict = all(next(self._check_site(module, is_package, *_site_of(record)), None) is None for record in tried)
        self._tries[key] = verdict
        return verdict

    def _other_platform(self, missing: str) -> bool:
        """A module named for another platform than the target's (`_macosx` on Linux)."""
        words = set(missing.rpartition(".")[2].lower().strip("_").split("_"))
        platform = self.traits.strings.get("sys.platform", "")
        return any(words & names for name, names in PLATFORM_WORDS.items() if not platform.startswith(name))

    def _not_imported(self, unit: ScanUnit, summaries: Dict[str, dict]) -> Tuple[Set[str], Set[str]]:
        """(never imported, left out): the unit's submodules that no import statement of the unit
        reaches on this target, and among them those that are left out on purpose: imported
        only under branches that cannot run here, or left out of a package whose `__init__`
        imports its other submodules (transformers' `modular_*.py` code templates beside the
        `modeling_*.py` its `__init__` names).  A plugin folder that a loader reads at run time
        (an empty `__init__`, or none) names no submodule, so its modules are not left out."""
        reached: Set[str] = set()
        named_anywhere: Set[str] = set()
        declared: Dict[str, Set[str]] = {}  # package -> submodules its own __init__ imports
        for source in unit.files:
            summary = summaries.get(source.path)
            if summary is None or summary["error"]:
                continue
            lookup = self.flags.lookup(source.module, source.is_package, summary)
            for record in summary["imports"]:
                target = import_target(source.module, source.is_package, record)
                if not target:
                    continue
                named = [target] + ([f"{target}.{name}" for name in record[NAMES]] if record[KIND] == "from" else [])
                runs = reachable(record[CONDITIONS], self.traits, lookup) is not False
                for name in named:
                    parts = name.split(".")
                    prefixes = {".".join(parts[: i + 1]) for i in range(len(parts))}
                    named_anywhere.update(prefixes)
                    if runs:
                        reached.update(prefixes)
                    if source.is_package and name.startswith(source.module + "."):
                        declared.setdefault(source.module, set()).add(name)
        never = {source.module for source in unit.files if "." in source.module and source.module not in reached}
        left_out = {
            module for module in never
            if module in named_anywhere or declared.get(module.rpartition(".")[0], set()) - {module}
        }
        return never, left_out

    def _wants_statement(self, unit: ScanUnit, kind: str, missing: str) -> bool:
        """Statement text for every dead import, but only for the first few sites of a module
        that is not installed at all: a --no-deps install imports torch from 2,000 places."""
        if kind != "uninstalled":
            return True
        key = (unit.label, missing)
        count = self._uninstalled_sites.get(key, 0)
        self._uninstalled_sites[key] = count + 1
        return count < SITES_WITH_TEXT

    def _eager_modules(self, unit: ScanUnit, summaries: Dict[str, dict]) -> Set[str]:
        """The unit's modules that `import <its top-level package>` runs."""
        by_module = {source.module: source for source in unit.files}
        return self._run_on_import([name for name in by_module if "." not in name], by_module, summaries)

    def follow_across(self, units: List[ScanUnit], summaries: Dict[str, dict]) -> None:
        """Note, for each scanned module, the other scanned packages whose own import runs it:
        flash-linear-attention's `import fla.layers` runs fla-core's fla.ops modules, so a
        module-level `import triton` there breaks flash-linear-attention's import too."""
        everywhere: Dict[str, object] = {}
        for unit in units:
            for source in unit.files:
                everywhere.setdefault(source.module, source)
        for unit in units:
            own = {source.module: source for source in unit.files}
            label = f"{unit.distribution.name} {unit.distribution.version}" if unit.distribution else unit.label
            for root in _roots(own, everywhere):
                for name in self._run_on_import([root], everywhere, summaries) - own.keys():
                    self.reached_by.setdefault(name, set()).add(f"import {root} ({label})")
            # Its own public subpackages: `import liger_kernel` runs no triton, the
            # `import liger_kernel.transformers` its users write does.
            eager = self._eager_modules(unit, summaries)
            for entry in public_subpackages(unit.files):
                for name in self._run_on_import([entry], own, summaries, known=eager):
                    self.reached_by.setdefault(name, set()).add(f"import {entry} ({label})")

    def _run_on_import(self, roots: List[str], by_module: Dict[str, object], summaries: Dict[str, dict],
                       known: Set[str] = frozenset()) -> Set[str]:
        """The modules that importing `roots` runs, with the module-level flags decided as
        _file_problems decides them."""
        return modules_run_on_import(roots, by_module, summaries, self.traits, self.flags.lookup, known)

    def _check_site(self, importer: str, is_package: bool, kind: str, level: int, module: str, names) -> Iterator[tuple]:
        """(kind, absolute module, missing, detail, imported names) for each way the import fails."""
        if self.stubbed and level == 0 and module.partition(".")[0] in self.stubbed:
            return
        if kind == "import":
            failure = self.finder.why_missing(module)
            if failure is not None:
                yield self._missing_kind(failure.missing), module, failure.missing, failure.reason, ()
            return
        absolute = absolute_module(importer, is_package, level, module)
        if absolute is None:
            yield "beyond-top-level", "." * level + module, "." * level + module, f"{importer} is not deep enough in a package for this relative import", names
            return
        failure = self.finder.why_missing(absolute)
        if failure is not None:
            yield self._missing_kind(failure.missing), absolute, failure.missing, failure.reason, names
            return
        if names == ("*",):
            return
        for name in names:
            if absolute == importer:  # `from . import x` in a package's own __init__
                if not self._binds_itself(importer, name):
                    yield "missing-name", absolute, name, f"{absolute} has no submodule {name!r} and binds no {name!r} elsewhere", names
                continue
            if not self._binds(absolute, name):
                yield "missing-name", absolute, name, f"{absolute} has no name {name!r} and no submodule {name!r}", names

    def _missing_kind(self, missing: str) -> str:
        top = missing.partition(".")[0]
        return "uninstalled" if missing == top and top not in self.owner_by_top else "missing-module"

    def _binds(self, module: str, name: str) -> bool:
        key = (module, name)
        known = self._has_name.get(key)
        if known is None:
            info = self.finder.find(module)
            names = self.exports.names(info) if info is not None else None
            known = names is None or name in names or self.finder.find(f"{module}.{name}") is not None
            self._has_name[key] = known
        return known

    def _binds_itself(self, module: str, name: str) -> bool:
        """A module importing from itself binds the name by that very statement, so the
        statement proves nothing: only a submodule, a definition or another import counts."""
        if self.finder.find(f"{module}.{name}") is not None:
            return True
        info = self.finder.find(module)
        summary = self.exports.summary(info) if info is not None else None
        if summary is None or summary["dynamic"] or summary["getattr"]:
            return True
        if name in summary["defs"] or name in summary["assigned"]:
            return True
        is_package = info.kind == "package"
        for record in summary["imports"]:
            if record[SCOPE] != "module" or import_target(module, is_package, record) == module:
                continue
            bound = [record[MODULE].partition(".")[0]] if record[KIND] == "import" else list(record[NAMES] or ())
            if name in bound or "*" in bound:
                return True
        return False

    # -- building the problem ------------------------------------------------------------
    def _problem(self, unit: ScanUnit, kind: str, absolute: str, missing: str, detail: str, names, statement: str, context: dict) -> ImportProblem:
        provider = self._provider(unit, absolute) if kind != "uninstalled" else None
        homes: Tuple[str, ...] = ()
        if kind in ("missing-module", "missing-name"):
            homes = self._homes(unit, provider, absolute, missing, kind, names)
        provider_name, provider_version = provider if provider else (None, None)
        return ImportProblem(
            kind=kind, module=absolute, missing=missing, detail=detail, names=tuple(names or ()),
            statement=statement, provider=provider_name, provider_version=provider_version, homes=homes, **context,
        )

    def _provider(self, unit: ScanUnit, module: str) -> Optional[Tuple[str, Optional[str]]]:
        top = module.partition(".")[0]
        if unit.distribution is None and top in self._top_level_of(unit):
            return unit.label, None  # a scanned source folder's own package
        dist = self.owner_by_top.get(top)
        if dist is not None:
            return dist.name, dist.version
        info = self.finder.find(top)
        if info is not None and (info.kind == "builtin" or self._in_stdlib(info)):
            return STANDARD_LIBRARY, self.facts.interpreter.version if self.facts.interpreter else None
        return None

    def _top_level_of(self, unit: ScanUnit) -> Set[str]:
        tops = self._unit_tops.get(unit.label)
        if tops is None:
            tops = self._unit_tops[unit.label] = {source.module.partition(".")[0] for source in unit.files}
        return tops

    def _in_stdlib(self, info) -> bool:
        where = os.path.normpath(info.path or (info.locations[0] if info.locations else ""))
        return any(where.startswith(root + os.sep) for root in self.stdlib_roots)

    def _homes(self, unit: ScanUnit, provider, absolute: str, missing: str, kind: str, names) -> Tuple[str, ...]:
        """Where the missing names live now: "name=module" for each definition found."""
        if provider is None or provider[0] == STANDARD_LIBRARY:
            return ()
        index = self._definition_index(unit, provider[0])
        wanted = [missing] if kind == "missing-name" else [n for n in names or () if n != "*"]
        homes = []
        for name in wanted:
            # A def or class is where a name lives; an assignment only when nothing defines it
            # (`x = None` in a try/except fallback is not a home).
            places = [m for m in index.get(name, ()) if m != absolute] or [
                m for m in index.get("\0assigned:" + name, ()) if m != absolute
            ]
            homes.extend(f"{name}={place}" for place in places[:MAX_HOMES])
        if kind == "missing-module" and not names:  # `import a.b.c`: modules named c elsewhere
            last = missing.rpartition(".")[2]
            homes.extend(f"{last}={m}" for m in index.get("\0module:" + last, ())[:MAX_HOMES])
        return tuple(homes)

    def _definition_index(self, unit: ScanUnit, provider: str) -> Dict[str, List[str]]:
        """name -> modules that define it with def or class ("\0assigned:name": by assignment,
        "\0module:last": modules whose last component is `last`) in one distribution."""
        if provider in self._definitions:
            return self._definitions[provider]
        if unit.distribution is not None and unit.distribution.name == provider:
            source_unit = unit
        else:
            dist = self.facts.active_distributions().get(canonicalize(provider))
            source_unit = distribution_unit(dist, self.finder) if dist is not None else None
        index: Dict[str, List[str]] = {}
        if source_unit is not None:
            summaries = self.store.prefetch(source_unit.root, [f.path for f in source_unit.files])
            for source in source_unit.files:
                summary = summaries.get(source.path)
                if summary is None:
                    continue
                for name in summary["defs"]:
                    index.setdefault(name, []).append(source.module)
                for name in summary["assigned"]:  # second choice: `name = ...` may be a fallback
                    index.setdefault("\0assigned:" + name, []).append(source.module)
                index.setdefault("\0module:" + source.module.rpartition(".")[2], []).append(source.module)
        self._definitions[provider] = index
        return index


def _why_never_called(calls: CallSites, module: str, line: int) -> Optional[str]:
    """Why the private module-level function holding the line cannot be called on this target, or None."""
    function = calls.enclosing_function(module, line)
    return calls.why_never_runs(module, function) if function is not None else None


class _LazyLines:
    """A file's lines, read only when a problem needs its statement text."""

    def __init__(self, path: str):
        self.path = path
        self._lines: Optional[List[str]] = None

    def text(self, line: int, end_line: int) -> str:
        if self._lines is None:
            try:
                with open(self.path, "r", encoding="utf-8", errors="replace") as handle:
                    self._lines = handle.read().splitlines()
            except OSError:
                self._lines = []
        chunk = self._lines[line - 1 : end_line]
        return " ".join(part.strip() for part in chunk).strip()
