"""Which names a module binds at module level, for `from module import name`.

Defined names (def, class, assignments, loop and with targets, `global` names assigned
in functions), imported names, and the names star imports bring in, followed
transitively.  Definitions under any condition count: the scanner never claims a name is
missing when some run of the module could define it.

None means "unknown, accept any name": an extension or builtin module, a sourceless
`.pyc`, a module with a module-level `__getattr__`, one that edits globals() or
replaces itself in sys.modules, one whose star import comes from such a module or
from a computed `__all__`, and a file that did not parse.
"""

from __future__ import annotations

import os
from typing import Dict, FrozenSet, Optional

from envdoctor.scan.cache import SummaryStore
from envdoctor.scan.modules import ModuleInfo, StaticFinder
from envdoctor.scan.summary import KIND, LEVEL, MODULE, NAMES, SCOPE

# Names every module has without binding them.
IMPLICIT = frozenset(
    ("__name__", "__doc__", "__file__", "__loader__", "__spec__", "__package__", "__builtins__", "__cached__", "__dict__")
)


def absolute_module(importer: str, importer_is_package: bool, level: int, module: str) -> Optional[str]:
    """The absolute name a (possibly relative) import refers to; None if it climbs above the top."""
    if level == 0:
        return module
    parts = importer.split(".") if importer else []
    if not importer_is_package:
        parts = parts[:-1]
    if level - 1 > len(parts) - 1 or not parts:
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def import_target(importer: str, importer_is_package: bool, record: tuple) -> Optional[str]:
    """The absolute module a stored import record imports (from)."""
    if record[KIND] == "import":
        return record[MODULE]
    return absolute_module(importer, importer_is_package, record[LEVEL], record[MODULE])


# A module that registers modules says so near its top; a bound keeps a huge file cheap.
MODULE_READ_LIMIT = 1 << 20


class Exports:
    def __init__(self, finder: StaticFinder, store: SummaryStore):
        self.finder = finder
        self.store = store
        self._names: Dict[str, Optional[FrozenSet[str]]] = {}
        self._in_progress: set = set()

    def summary(self, info: ModuleInfo) -> Optional[dict]:
        if not info.has_source:
            return None
        return self.store.get(info.root or "", info.path)

    def names(self, info: ModuleInfo) -> Optional[FrozenSet[str]]:
        if info.name in self._names:
            return self._names[info.name]
        if info.name in self._in_progress:  # a star-import cycle: the outer call completes it
            return frozenset()
        self._in_progress.add(info.name)
        try:
            result = self._compute(info)
        finally:
            self._in_progress.discard(info.name)
        self._names[info.name] = result
        return result

    def may_add_submodules(self, info: ModuleInfo) -> bool:
        """Code that registers submodules itself (sys.modules edits, a finder on sys.meta_path)
        or rewrites `__path__`, in the package's `__init__` or in a module of the package that
        the `__init__` imports at module level: mpi4py 4 puts a finder on sys.meta_path from
        `mpi4py/_mpiabi.py` (`from . import _mpiabi; _mpiabi._install_finder()`), which gives
        `mpi4py.MPI` from MPI.mpich.so or MPI.openmpi.so at run time."""
        summary = self.summary(info)
        if summary is None:
            return False
        if summary["sys_modules"] or summary["path_dynamic"]:
            return True
        return any(_registers_modules(location, name) for location in info.locations
                   for name in _own_module_imports(summary))

    def public_names(self, info: ModuleInfo) -> Optional[FrozenSet[str]]:
        """What `from info import *` binds: __all__ if it is literal, else the names without '_'."""
        if info.kind == "namespace":
            return frozenset()  # a namespace package binds nothing; star-importing it brings nothing
        names = self.names(info)
        summary = self.summary(info)
        if names is None or summary is None or summary["all_dynamic"]:
            return None
        if summary["all"] is not None:
            return frozenset(summary["all"])
        return frozenset(name for name in names if not name.startswith("_"))

    def _compute(self, info: ModuleInfo) -> Optional[FrozenSet[str]]:
        if info.kind == "namespace":
            return frozenset()  # only its submodules, which the caller checks separately
        summary = self.summary(info)
        if summary is None or summary["error"] or summary["dynamic"] or summary["getattr"]:
            return None
        if self._sets_own_names(info, summary) or self._registered_by_decorator(info, summary):
            return None
        names = set(IMPLICIT)
        names.update(summary["defs"])
        names.update(summary["assigned"])
        names.update(summary["bound"])
        if info.kind == "package":
            names.add("__path__")
        for record in summary["imports"]:
            if record[KIND] != "from" or record[NAMES] != ("*",) or record[SCOPE] != "module":
                continue
            source = import_target(info.name, info.kind == "package", record)
            target = self.finder.find(source) if source else None
            if target is None:
                return None  # the star import fails or is opaque: do not guess what it brings
            brought = self.public_names(target)
            if brought is None:
                return None
            names.update(brought)
        return frozenset(names)

    def _sets_own_names(self, info: ModuleInfo, summary: dict) -> bool:
        """`setattr(dtypes, ...)` inside numpy/dtypes.py (after `from numpy import dtypes`), or a
        call given its own name: the module gets names at run time, so which it has is unknown."""
        own = info.name.rpartition(".")[2]
        if any(target.split(".")[-1] == own for target in summary.get("setattr_targets", ())):
            return True
        # `tvm_ffi.init_ffi_api("testing", __name__)`: the module hands its own name to code
        # that binds the registered functions in it (tvm's _ffi_api.py files).
        handed = summary.get("handed_names", ())
        return "__name__" in handed or info.name in handed

    def _registered_by_decorator(self, info: ModuleInfo, summary: dict) -> bool:
        """A module-level decorator that comes from a module which sets names in other modules
        (`setattr(sys.modules[...], ...)`): matplotlib's `@_Backend.export` gives each backend
        module its FigureCanvas and new_figure_manager at import time."""
        decorators = set(summary.get("decorators", ()))
        if not decorators:
            return False
        is_package = info.kind == "package"
        for record in summary["imports"]:
            if record[KIND] != "from" or record[SCOPE] != "module" or not decorators.intersection(record[NAMES] or ()):
                continue
            source = import_target(info.name, is_package, record)
            origin = self.finder.find(source) if source else None
            origin_summary = self.summary(origin) if origin is not None else None
            if origin_summary is not None and "sys.modules[" in origin_summary.get("setattr_targets", ()):
                return True
        return "sys.modules[" in summary.get("setattr_targets", ()) and bool(decorators & set(summary["defs"]))


def _own_module_imports(summary: dict):
    """Names of the package's own modules its `__init__` imports at module level (`from . import x`,
    `from .x import y`)."""
    for entry in summary["imports"]:
        if entry[KIND] != "from" or entry[LEVEL] != 1 or entry[SCOPE] != "module":
            continue
        if entry[MODULE]:
            yield entry[MODULE].partition(".")[0]
        else:
            yield from (name for name in entry[NAMES] if name != "*")


def _registers_modules(location: str, name: str) -> bool:
    """Whether the package module `name` in `location` edits sys.modules or sys.meta_path
    (read only when a submodule was not found: rare, and never more than a few files)."""
    try:
        with open(os.path.join(location, name + ".py"), "rb") as handle:
            source = handle.read(MODULE_READ_LIMIT)
    except OSError:
        return False
    return b"sys.modules" in source or b"meta_path" in source
