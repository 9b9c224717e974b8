"""Module-level flags, decided per target: `if compat.py310:`, `if TRANSFORMERS_WITH_AXIAL_ROPE:`.

A summary records module-level assignments whose value is a condition the scanner can
encode (`py310 = sys.version_info >= (3, 10)`, `X = Version(version("transformers")) >=
Version("5.17")`) or a version source (`V = importlib.metadata.version("transformers")`).
A condition that names such a flag, in the same module or through an import (`from . import
compat` then `compat.py310`, or `from .compat import py310`), is evaluated with the target's
traits and installed versions, so the branch that cannot run is skipped.  A flag set by a
module-level `try: import x` / `except ImportError:` (`HAS_X = True` / `HAS_X = False`, or
`x = None`) is True where the try's imports resolve on the target.  A call without arguments
(`if is_x_available():`) is decided when the module-level function it names is one `return`
of such a condition; `importlib.util.find_spec("x") is not None` when x resolves.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

from envdoctor.model.facts import canonicalize
from envdoctor.scan.conditions import TargetTraits, compare, evaluate
from envdoctor.scan.exports import Exports, absolute_module
from envdoctor.scan.modules import StaticFinder
from envdoctor.scan.summary import KIND, LEVEL, MODULE, NAMES, SCOPE
from envdoctor.vocabulary.versions import parse_version

# Flags defined through flags: deeper chains are left unknown.
MAX_DEPTH = 4


class Flags:
    def __init__(self, finder: StaticFinder, exports: Exports, traits: TargetTraits, versions: Dict[str, str], module_versions: Dict[str, str]):
        self.finder = finder
        self.exports = exports
        self.traits = traits
        self.versions = versions  # canonical distribution name -> installed version
        self.module_versions = module_versions  # top-level module -> its distribution's version
        # (module, is package, summary, (first, last)) -> do the imports of that try body resolve?
        # Set by the Resolver, which owns import resolution.
        self.try_succeeds: Optional[Callable[[str, bool, dict, Tuple[int, int]], Optional[bool]]] = None

    def lookup(self, module: str, is_package: bool, summary: dict, depth: int = 0):
        """The Lookup for conditions written in `module` (whose summary is given)."""
        return lambda condition: self._decide(module, is_package, summary, condition, depth)

    def _decide(self, module: str, is_package: bool, summary: dict, condition: tuple, depth: int) -> Optional[bool]:
        if depth > MAX_DEPTH:
            return None
        if condition[0] == "try_ok":
            # Whether the imports of the try body resolve on the target: the resolver knows.
            return self.try_succeeds(module, is_package, summary, condition[1:]) if self.try_succeeds else None
        if condition[0] == "dist_version":
            _, source, op, wanted = condition
            installed = self._version(module, is_package, summary, source, depth)
            return None if installed is None else _compare_versions(installed, op, wanted)
        if condition[0] == "find_spec":
            return self.finder.why_missing(condition[1]) is None
        table = "returns" if condition[0] == "call" else "flags"
        found = self._flag(module, is_package, summary, condition[1], depth, table)
        if found is None:
            return None
        where, where_is_package, where_summary, encoded = found
        return evaluate(encoded, self.traits, self.lookup(where, where_is_package, where_summary, depth + 1))

    def _flag(self, module: str, is_package: bool, summary: dict, dotted: str, depth: int, table: str = "flags") -> Optional[Tuple[str, bool, dict, tuple]]:
        """(module, is package, summary, encoded value) of the flag `dotted` seen from `module`;
        with table="returns", of the condition the function `dotted` returns."""
        root, _, rest = dotted.partition(".")
        if not rest:
            if root in summary.get(table, {}):
                return module, is_package, summary, summary[table][root]
            origin = self._imported(module, is_package, summary, root)
            if origin is None or depth >= MAX_DEPTH:
                return None
            return self._flag_in(origin, root, depth, table)
        if "." in rest:
            return None
        bound = self._imported(module, is_package, summary, root)
        # `from . import compat`: the flag lives in the module sqlalchemy.util.compat.
        owner = f"{bound}.{root}" if bound is not None and self.finder.find(f"{bound}.{root}") is not None else self._imported_module(summary, root)
        return self._flag_in(owner, rest, depth, table) if owner else None

    def _flag_in(self, module: str, name: str, depth: int, table: str = "flags") -> Optional[Tuple[str, bool, dict, tuple]]:
        info = self.finder.find(module)
        summary = self.exports.summary(info) if info is not None else None
        if summary is None or summary["error"]:
            return None
        return self._flag(module, info.kind == "package", summary, name, depth + 1, table)

    def _imported(self, module: str, is_package: bool, summary: dict, name: str) -> Optional[str]:
        """The absolute module of the module-level `from M import name` that binds `name`."""
        for record in summary["imports"]:
            if record[SCOPE] == "module" and record[KIND] == "from" and name in (record[NAMES] or ()):
                return absolute_module(module, is_package, record[LEVEL], record[MODULE])
        return None

    def _imported_module(self, summary: dict, name: str) -> Optional[str]:
        """`import sqlalchemy.util.compat as compat` / `import compat`: the module bound to `name`."""
        for record in summary["imports"]:
            if record[SCOPE] == "module" and record[KIND] == "import" and record[MODULE].partition(".")[0] == name:
                return record[MODULE] if "." not in record[MODULE] else None
        return None

    def _version(self, module: str, is_package: bool, summary: dict, source: tuple, depth: int) -> Optional[str]:
        kind, value = source
        if kind == "dist":
            return self.versions.get(canonicalize(value))
        if kind == "module":
            return self.module_versions.get(value.partition(".")[0])
        found = self._flag(module, is_package, summary, value, depth)  # a NAME holding a version
        if found is None or found[3][0] != "version_of":
            return None
        return self._version(found[0], found[1], found[2], found[3][1], depth + 1)


def _compare_versions(installed: str, op: str, wanted: str) -> Optional[bool]:
    mine, theirs = parse_version(installed), parse_version(wanted)
    return None if mine is None or theirs is None else compare(mine, op, theirs)
