"""A static finder: where would `import a.b.c` find its module in the target?

It follows what CPython's PathFinder and FileFinder do, from directory listings: for
each search location, a folder with `__init__` is a package, else an extension
module, a `.py`, a sourceless `.pyc`, in that order; folders without `__init__` are
namespace portions, used only when nothing else is found.  Top-level modules the probe
resolved itself (through the target's real meta_path, editable finders included) are
taken from the facts instead of being re-derived.

"unknown" means the module may exist but nothing static can say: submodules of an
extension module, of a module that edits sys.modules, of a package that rewrites its
`__path__`, or anything inside a zip on sys.path.  Unknown is never reported as missing.
"""

from __future__ import annotations

import os
from typing import Callable, Dict, Iterable, NamedTuple, Optional, Sequence, Tuple


class ModuleInfo(NamedTuple):
    name: str
    kind: str  # package | module | namespace | extension | builtin | compiled | unknown
    path: Optional[str] = None  # the source file (module, __init__.py) or extension
    locations: Tuple[str, ...] = ()  # where its submodules are looked for
    root: Optional[str] = None  # the search location it was found under (its cache bucket)

    @property
    def has_source(self) -> bool:
        return self.kind in ("package", "module") and bool(self.path) and self.path.endswith(".py")


# Why a module cannot be found, for the message: the name that is missing, and the reason.
class Missing(NamedTuple):
    missing: str  # the first dotted prefix that does not exist
    reason: str


class StaticFinder:
    def __init__(
        self,
        roots: Sequence[str],
        extension_suffixes: Sequence[str],
        builtin_names: Iterable[str] = (),
        known_top_level: Optional[Dict[str, Optional[ModuleInfo]]] = None,
        may_add_submodules: Callable[[ModuleInfo], bool] = lambda info: False,
    ):
        self.roots = [root for root in roots if root]
        self.extension_suffixes = tuple(extension_suffixes)
        self.builtin_names = frozenset(builtin_names)
        self.known_top_level = dict(known_top_level or {})
        # True for a module whose code may register submodules itself (sys.modules edits,
        # __path__ rewrites): a submodule missing from its folder is then unknown, not missing.
        # Set after construction when the answer needs the summaries (Exports.may_add_submodules).
        self.may_add_submodules = may_add_submodules
        self._listings: Dict[str, Optional[Dict[str, bool]]] = {}
        # Every folder listed, with its mtime before the listing: a file added to or removed
        # from any of them changes it, which is how a cached scan result knows it is stale.
        self.listed: Dict[str, int] = {}
        self._zip_top_level: Optional[frozenset] = None
        self._found: Dict[str, object] = {}

    # -- public ---------------------------------------------------------------------
    def find(self, name: str) -> Optional[ModuleInfo]:
        """The module, or None when it cannot exist (`why_missing` says why)."""
        result = self._lookup(name)
        return result if isinstance(result, ModuleInfo) else None

    def why_missing(self, name: str) -> Optional[Missing]:
        result = self._lookup(name)
        return result if isinstance(result, Missing) else None

    def submodules(self, info: ModuleInfo) -> Iterable[Tuple[str, str, bool]]:
        """(module name, source path, is package) for every .py below a package, recursively."""
        stack = [(info.name, location) for location in info.locations]
        seen = set()
        while stack:
            prefix, folder = stack.pop()
            if folder in seen:
                continue
            seen.add(folder)
            listing = self._listing(folder) or {}
            for entry, is_dir in sorted(listing.items()):
                path = os.path.join(folder, entry)
                if is_dir:
                    if entry.isidentifier():
                        stack.append((f"{prefix}.{entry}", path))
                elif entry.endswith(".py"):
                    stem = entry[:-3]
                    if stem == "__init__":
                        yield prefix, path, True
                    elif stem.isidentifier():
                        yield f"{prefix}.{stem}", path, False

    # -- lookup ---------------------------------------------------------------------
    def _lookup(self, name: str):
        result = self._found.get(name)
        if result is None:
            result = self._found[name] = self._resolve(name)
        return result

    def _resolve(self, name: str):
        parent_name, _, last = name.rpartition(".")
        if not parent_name:
            return self._top_level(name)
        parent = self._lookup(parent_name)
        if isinstance(parent, Missing):
            return parent
        if parent.kind == "unknown":
            return ModuleInfo(name, "unknown")
        if parent.kind in ("extension", "builtin", "compiled"):
            # torch._C._nn: an extension module registers submodules when it loads.
            return ModuleInfo(name, "unknown")
        if parent.kind == "module":
            if self.may_add_submodules(parent):
                return ModuleInfo(name, "unknown")  # six.moves, os.path
            return Missing(name, f"{parent_name} is a module, not a package")
        info = self._search(name, last, parent.locations, parent.root)
        if info is not None:
            return info
        if parent.kind == "package" and self.may_add_submodules(parent):
            return ModuleInfo(name, "unknown")
        return Missing(name, f"no module {last!r} in {parent_name} ({_where(parent)})")

    def _top_level(self, name: str):
        if name in self.known_top_level:
            known = self.known_top_level[name]
            return known if known is not None else Missing(name, "no installed distribution or folder on sys.path provides it")
        if name in self.builtin_names:
            return ModuleInfo(name, "builtin")
        info = self._search(name, name, self.roots, None)
        if info is not None:
            return info
        if name in self._zipped_top_level():
            return ModuleInfo(name, "unknown")
        return Missing(name, "no installed distribution or folder on sys.path provides it")

    def _search(self, name: str, last: str, locations: Sequence[str], root: Optional[str]) -> Optional[ModuleInfo]:
        portions = []
        for location in locations:
            listing = self._listing(location)
            if not listing:
                continue
            where = root or location
            if listing.get(last):  # a folder
                folder = os.path.join(location, last)
                init = self._init_file(folder)
                if init is not None:
                    kind = "package" if init.endswith(".py") else ("compiled" if init.endswith(".pyc") else "extension")
                    return ModuleInfo(name, kind, init, (folder,), where)
                portions.append(folder)
            for suffix in self.extension_suffixes:
                if last + suffix in listing:
                    return ModuleInfo(name, "extension", os.path.join(location, last + suffix), (), where)
            if last + ".py" in listing:
                return ModuleInfo(name, "module", os.path.join(location, last + ".py"), (), where)
            if last + ".pyc" in listing:
                return ModuleInfo(name, "compiled", os.path.join(location, last + ".pyc"), (), where)
        if portions:
            return ModuleInfo(name, "namespace", None, tuple(portions), root or os.path.dirname(portions[0]))
        return None

    def _init_file(self, folder: str) -> Optional[str]:
        listing = self._listing(folder) or {}
        for suffix in (*self.extension_suffixes, ".py", ".pyc"):
            if "__init__" + suffix in listing:
                return os.path.join(folder, "__init__" + suffix)
        return None

    def _listing(self, folder: str) -> Optional[Dict[str, bool]]:
        """name -> is a folder, for one directory; None when it is not one."""
        if folder in self._listings:
            return self._listings[folder]
        self.listed[folder] = folder_mtime(folder)
        try:
            with os.scandir(folder) as entries:
                listing = {entry.name: _is_dir(entry) for entry in entries}
        except OSError:
            listing = None
        self._listings[folder] = listing
        return listing

    def _zipped_top_level(self) -> frozenset:
        """Top-level names inside zip files and eggs on sys.path (their contents are not scanned)."""
        if self._zip_top_level is None:
            import zipfile  # rare on modern sys.paths: imported only when asked

            names = set()
            for root in self.roots:
                if os.path.isfile(root) and zipfile.is_zipfile(root):
                    self.listed[root] = folder_mtime(root)
                    try:
                        with zipfile.ZipFile(root) as archive:
                            for member in archive.namelist():
                                top = member.split("/", 1)[0]
                                names.add(top[:-3] if top.endswith(".py") else top.split(".", 1)[0])
                    except (OSError, zipfile.BadZipFile):
                        continue
            self._zip_top_level = frozenset(names)
        return self._zip_top_level


def folder_mtime(folder: str) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _where(info: ModuleInfo) -> str:
    if info.kind == "namespace":
        return "namespace package in " + ", ".join(info.locations)
    return info.path or ", ".join(info.locations)
