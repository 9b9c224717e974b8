"""Load extension modules the way ld.so would, on paper, and list what would not resolve.

CPython imports an extension with dlopen(RTLD_NOW | RTLD_LOCAL): every strong undefined
symbol of the extension and of each library it brings in must bind when it is imported, to a
definition in the global scope (the executable, its libraries, LD_PRELOAD, and what earlier
imports loaded RTLD_GLOBAL, like torch's libtorch_global_deps) or in the extension's own
dependency tree.  Libraries that an earlier import loaded are reused by soname without a
search: for an extension of distribution D, those are the libraries of the extensions of the
distributions D requires (torch's libs for a torch extension).  Doubt goes to "resolves":
every object loaded before counts as visible, and a weak reference never fails.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from envdoctor.linkage.elf_objects import ElfObject, NotElf
from envdoctor.linkage.linker_search import SearchPlaces, candidates
from envdoctor.model.native_facts import LIBRARY, SYMBOL, VERSION, LoadedLibrary, UnresolvedReference

VIA_LOADED = "loaded before"

# Symbols of the Python C API: answered by the interpreter (its executable or libpython).
# An interpreter that exports none of them (read wrongly, or embedded) is not used to judge them.
_PYTHON_API_MARKER = "PyModule_Create2"


class Loaded:
    """The objects of one load: by name (DT_NEEDED name and soname), in load order, and how each
    needed entry of each object was found."""

    def __init__(self, before: Optional["Loaded"] = None):
        self.by_name: Dict[str, ElfObject] = dict(before.by_name) if before else {}
        self.objects: List[ElfObject] = list(before.objects) if before else []
        self.found: Dict[Tuple[str, str], LoadedLibrary] = {}
        self.new: List[ElfObject] = []
        # How each library file was found the first time (its later users reuse it by name).
        self.first_found: Dict[str, str] = dict(before.first_found) if before else {}

    def add(self, obj: ElfObject, *names: str) -> None:
        for name in names:
            if name:
                self.by_name.setdefault(name, obj)
        if all(obj.path != known.path for known in self.objects):
            self.objects.append(obj)
            self.new.append(obj)


class Linker:
    def __init__(self, places: SearchPlaces, read, executable: Optional[ElfObject]):
        self.places = places
        self.read = read  # path -> ElfObject (cached), NotElf when it is none
        self.executable = executable
        self.unreadable: Dict[str, str] = {}
        self.folders: Dict[str, None] = {}  # every folder a library was looked for in

    def load(self, root: ElfObject, before: Optional[Loaded], problems: List[tuple]) -> Loaded:
        """Load `root` and its DT_NEEDED tree breadth first, as ld.so does; a needed library
        found nowhere is recorded in `problems` as (object, name)."""
        loaded = Loaded(before)
        loaded.add(root, os.path.basename(root.path), root.soname)
        chain: Dict[str, Tuple[ElfObject, ...]] = {root.path: ()}
        queue = deque([root])
        while queue:
            obj = queue.popleft()
            for name in obj.needed:
                known = loaded.by_name.get(name)
                if known is not None:
                    via = loaded.first_found.get(known.path, VIA_LOADED)
                    loaded.found[(obj.path, name)] = LoadedLibrary(name=name, path=known.path, via=via)
                    continue
                hit = self.find(name, obj, chain[obj.path])
                if hit is None:
                    problems.append((obj, name))
                    continue
                library, via = hit
                loaded.found[(obj.path, name)] = LoadedLibrary(name=name, path=library.path, via=via)
                loaded.first_found.setdefault(library.path, via)
                first_time = all(library.path != known.path for known in loaded.objects)
                loaded.add(library, name, library.soname)
                if first_time:
                    chain[library.path] = (obj, *chain[obj.path])
                    queue.append(library)
        return loaded

    def open(self, path: str) -> Optional[ElfObject]:
        """The object in `path`, or None (the reason kept in `unreadable`)."""
        try:
            return self.read(os.path.normpath(path))
        except (NotElf, OSError) as exc:
            self.unreadable[path] = str(exc)
            return None

    def find(self, name: str, requester: ElfObject, loaders: Sequence[ElfObject]):
        for path, via in candidates(name, requester, loaders, self.executable, self.places):
            self.folders[os.path.dirname(path)] = None
            library = self.open(path) if os.path.isfile(path) else None
            # ld.so passes over a file of another ELF class or machine and searches on.
            if library is not None and (library.elf_class, library.machine) == (requester.elf_class, requester.machine):
                return library, via
        return None


def unresolved(loaded: Loaded, scope: Sequence[ElfObject]) -> Iterable[Tuple[ElfObject, str, object]]:
    """(object, kind, detail) for each reference of a newly loaded object that would fail:
    a version need its library does not define, an undefined symbol nothing defines."""
    visible = [*scope, *loaded.objects]
    python_api = any(_PYTHON_API_MARKER in obj.exports for obj in scope)
    for obj in loaded.new:
        for soname, version in obj.version_needs:
            provider = _provider(loaded, obj, soname)
            if provider is not None and provider.version_definitions and version not in provider.version_definitions:
                yield obj, VERSION, (soname, version)
        for symbol in obj.undefined:
            if not python_api and symbol.name.startswith(("Py", "_Py")):
                continue
            if not any(candidate.defines(symbol.name, symbol.version) for candidate in visible):
                yield obj, SYMBOL, symbol


def _provider(loaded: Loaded, obj: ElfObject, soname: str) -> Optional[ElfObject]:
    entry = loaded.found.get((obj.path, soname))
    if entry is not None:
        return next((known for known in loaded.objects if known.path == entry.path), None)
    return loaded.by_name.get(soname)


def references(extension: str, module: str, dist, kind: str, obj: ElfObject, detail, loaded: Loaded) -> UnresolvedReference:
    """One problem as facts: what failed, where, and how the failing object's libraries were found."""
    libraries = tuple(loaded.found[(obj.path, name)] for name in obj.needed if (obj.path, name) in loaded.found)
    common = dict(extension=extension, module=module, distribution=dist.name, distribution_version=dist.version,
                  needed_by=obj.path, libraries=libraries)
    if kind == LIBRARY:
        return UnresolvedReference(kind=LIBRARY, name=detail, **common)
    if kind == VERSION:
        soname, version = detail
        return UnresolvedReference(kind=VERSION, name=version, library=soname, **common)
    return UnresolvedReference(kind=SYMBOL, name=detail.name, version=detail.version, library=detail.version_file, **common)
