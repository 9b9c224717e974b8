# Where each top-level module name comes from: find_spec's answer (which runs finders but
# no module code), or the same answer read from directory listings when only CPython's own
# finders take part; and every place on sys.path that could provide the name.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os
import sys

from .module_names import module_suffixes


class ListingIndex(object):
    """Which sys.path folders could provide each top-level name, read from their listings in one
    pass: `holders[name]`, the entries (in sys.path order) whose folder lists `name` itself or a
    file `name<suffix>` for a loader suffix; `stems[folder][name]`, those suffixes.  Resolving
    5,000 names is then a lookup per name, not one per name, folder and suffix (a string made
    for each): 150 ms at 5,000 distributions.  The listings are DirCache's, read once."""

    def __init__(self, path_entries, dircache):
        self.stems = {}
        self.holders = {}
        self.prefixes = {}  # folder -> os.path.join(folder, ""): a name is joined to it by +
        suffixes = module_suffixes()
        any_suffix = tuple(suffixes)
        for entry in path_entries:
            if entry["kind"] != "dir":
                continue
            folder = entry["path"]
            names = dircache.names(folder)
            if not names:
                continue
            stems = self.stems.get(folder)
            if stems is None:
                stems = self.stems[folder] = {}
                self.prefixes[folder] = os.path.join(folder, "")
                for filename in names:
                    if filename.endswith(any_suffix):
                        # "x.abi3.so" is stem "x" with ".abi3.so" and stem "x.abi3" with ".so":
                        # only identifiers are looked up, so the second is never asked for.
                        for suffix in suffixes:
                            if filename.endswith(suffix):
                                stems.setdefault(filename[: -len(suffix)], set()).add(suffix)
            for name in names.union(stems):
                self.holders.setdefault(name, []).append(entry)

    def suffixes(self, folder, name):
        """The loader suffixes `name` has a file for in `folder` (empty when none)."""
        return self.stems.get(folder, {}).get(name, ())


def module_candidates(name, dircache, index):
    """Every place on sys.path that could provide top-level `name`, in order."""
    found = []
    for entry in index.holders.get(name, ()):
        names = dircache.names(entry["path"])
        prefix = index.prefixes[entry["path"]]
        if name in names:
            full = prefix + name
            if os.path.isdir(full):
                sub = dircache.names(full) or ()
                kind = "package" if any(("__init__" + s) in sub for s in module_suffixes()) else "namespace-portion"
                found.append({"path_index": entry["index"], "path": full, "kind": kind})
        present = index.suffixes(entry["path"], name)
        if present:
            for suffix in module_suffixes():
                if suffix in present:
                    kind = "module" if suffix in (".py", ".pyc") else "extension"
                    found.append({"path_index": entry["index"], "path": prefix + name + suffix, "kind": kind})
    return found


def _owning_entry(name, origin, path_entries):
    """Index of the first sys.path entry holding `origin` as `name.<suffix>` or `name/__init__.<suffix>`."""
    for entry in path_entries:
        prefix = entry["path"].rstrip(os.sep) + os.sep
        if not origin.startswith(prefix):
            continue
        rest = origin[len(prefix):]
        if rest.startswith(name + os.sep) and rest.count(os.sep) == 1 or os.sep not in rest and rest.startswith(name + "."):
            return entry["index"]
    return None
class PlainPathResolver(object):
    """Answers find_spec for top-level names from directory listings, as CPython's own
    PathFinder and FileFinder would, when nothing else takes part in the import.

    find_spec stats every sys.path entry for every name; with 1,000 distributions that is
    a quarter of the probe's time.  The listings are read anyway (for the candidates), so a
    name that only the standard finders can answer is decided from them: per sys.path entry
    in order, a folder with an `__init__` file of a loader suffix, else a file with a loader
    suffix (FileFinder's loader order: extensions, source, bytecode); a folder without
    `__init__` is a namespace portion, and those go to the real find_spec, as does every
    name the fast path cannot vouch for.  tests/e2e/test_probe_resolution.py holds the two
    to the same answers on real environments.
    """

    def __init__(self, path_entries, dircache, index):
        self.dircache = dircache
        self.index = index
        self.builtin = frozenset(sys.builtin_module_names)
        import _imp

        self.is_frozen = _imp.is_frozen
        self.entries = None  # None: not usable here, use find_spec for everything
        self.deferred = set()  # names a non-standard finder may answer
        self.loaders = None
        self._setup(path_entries)

    def _setup(self, path_entries):
        import importlib.machinery as machinery

        if os.environ.get("PYTHONCASEOK"):
            return  # FileFinder relaxes case matching: listings would not agree
        standard = (machinery.BuiltinImporter, machinery.FrozenImporter, machinery.PathFinder)
        for finder in sys.meta_path:
            cls = finder if isinstance(finder, type) else type(finder)
            if cls in standard:
                continue
            if getattr(cls, "__module__", "") == "_distutils_hack":
                # setuptools' finder answers only the names it has a spec_for_<name> method for.
                self.deferred.update(n[len("spec_for_"):] for n in dir(finder) if n.startswith("spec_for_"))
                continue
            return
        # Every entry's finder must be a plain FileFinder; looking up a name that does not
        # exist makes PathFinder create any that are missing, as the first import would.
        machinery.PathFinder.find_spec("__envdoctor_no_such_module__")
        entries = []
        for entry in path_entries:
            # PathFinder files the '' entry (the current folder) under os.getcwd().
            finder = sys.path_importer_cache.get(entry["entry"] or os.getcwd(), False)
            if finder is None:
                continue  # no finder for this entry: PathFinder skips it too
            if type(finder) is not machinery.FileFinder or not hasattr(finder, "_loaders"):
                return
            loaders = [(suffix, "%s.%s" % (loader.__module__, loader.__qualname__)) for suffix, loader in finder._loaders]
            if self.loaders is None:
                self.loaders = loaders
            elif loaders != self.loaders:
                return
            entries.append(entry)
        if self.loaders and any(suffix not in module_suffixes() for suffix, _ in self.loaders):
            return  # a FileFinder hook with loaders of its own: the listing index does not know their suffixes
        self.entries = entries
        self.usable = set(entry["index"] for entry in entries)

    def find(self, name):
        """The item fields for `name`, or None when find_spec must answer."""
        if self.entries is None or name in self.deferred or name in self.builtin:
            return None
        if self.is_frozen(name):
            return None
        # Only the entries whose listing holds the name can answer; the others are passed over.
        for entry in self.index.holders.get(name, ()):
            if entry["index"] not in self.usable:
                continue
            directory = entry["path"]
            names = self.dircache.names(directory)
            portion = False
            prefix = self.index.prefixes[directory]
            if name in names:
                package = prefix + name
                inside = self.dircache.names(package)
                if inside is not None:
                    for suffix, loader in self.loaders:
                        init = "__init__" + suffix
                        if init in inside and os.path.isfile(os.path.join(package, init)):
                            return {"origin": os.path.join(package, init), "locations": [package],
                                    "loader": loader, "path_index": entry["index"]}
                    portion = True  # unless a module file beside it wins
            present = self.index.suffixes(directory, name)
            if present:
                for suffix, loader in self.loaders:
                    if suffix in present:
                        origin = prefix + name + suffix
                        if os.path.isfile(origin):
                            return {"origin": origin, "locations": [], "loader": loader, "path_index": entry["index"]}
            if portion:
                return None  # a namespace portion: a later entry may still win; find_spec decides
        return {"origin": None}  # not found anywhere


def resolve_modules(names, path_entries, dircache, exact=False):
    import importlib.util

    index = ListingIndex(path_entries, dircache)
    resolver = None if exact else PlainPathResolver(path_entries, dircache, index)
    result = {}
    for name in sorted(names):
        if not name.isidentifier():
            continue
        item = {"name": name, "found": False, "origin": None, "namespace": False, "locations": [],
                "loader": None, "path_index": None, "error": None,
                "candidates": module_candidates(name, dircache, index), "resolved_by": "find_spec"}
        result[name] = item
        fast = resolver.find(name) if resolver is not None else None
        if fast is not None:
            item["resolved_by"] = "listing"
            if fast["origin"] is not None:
                item.update(fast, found=True)
            continue
        try:
            spec = importlib.util.find_spec(name)
        except BaseException as exc:  # a finder raising must not end the probe
            item["error"] = "%s: %s" % (type(exc).__name__, exc)
            spec = None
        if spec is not None:
            item["found"] = True
            locations = list(spec.submodule_search_locations or [])
            item["locations"] = locations
            loader = spec.loader
            item["loader"] = None if loader is None else "%s.%s" % (getattr(type(loader), "__module__", "?"), type(loader).__qualname__)
            item["namespace"] = spec.origin in (None, "namespace") and spec.submodule_search_locations is not None
            item["origin"] = spec.origin if spec.has_location else None
            if item["origin"]:
                item["path_index"] = _owning_entry(name, item["origin"], path_entries)
    return result
