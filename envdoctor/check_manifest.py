"""A manifest of the registered checks, so that a check module is imported only when its check runs.

Importing every check module to learn the codes, names, needs and docs of its checks costs
about a fifth of a start (issue 22); selection (--select, the config), `list`, `explain`
and the skip of a check whose facts are absent need only those.  The manifest records,
per entry point of `envdoctor.checks`, what its module's @check functions declared; a
check found there gets a stand-in function that imports the module on its first call
(the engine calls it only when the check is selected and its facts exist).

It is written from the plugins themselves, under the user's cache folder (never the
target), and trusted only while everything it was read from is as it was: for every entry
point of the group, the entry point (name, value, group), the distribution and version that
provide it, the module file it names (path, size, mtime, inode), envdoctor's version and
whether docstrings are stripped (-OO); and every file of a module first imported while the
plugins were loaded (their helpers).  Anything else (an entry point added or removed, a new
version, an edited file, a damaged manifest) rebuilds it by loading every plugin, as the
registry did without it.  A plugin whose checks are defined outside its own module file
(re-exported, a function entry point) is imported every time.  A check that no longer exists
when its module is finally imported is an error of that run (EDR001), never a missing check.
Not covered: a module imported before the registry loads (envdoctor's core: api, model,
errors) changing without a version change, which only an editable install of envdoctor
itself can do.
"""

from __future__ import annotations

import json
import os
import sys
from typing import List, Optional, Tuple

from envdoctor import __version__
from envdoctor.api import CHECK_ATTRIBUTE, CheckSpec
from envdoctor.entry_points import EntryPoint
from envdoctor.errors import PluginError
from envdoctor.plugins import load, origin, specs_in

FORMAT = 1
# What a manifest entry keeps of each CheckSpec (the function is the one thing it cannot keep).
FIELDS = ("code", "name", "summary", "needs", "fix", "inputs")


def manifest_file(group: str) -> str:
    """ENVDOCTOR_CACHE_DIR/plugins/GROUP.json, else $XDG_CACHE_HOME (~/.cache)/envdoctor/plugins/GROUP.json."""
    configured = os.environ.get("ENVDOCTOR_CACHE_DIR")
    base = configured or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "envdoctor")
    return os.path.join(base, "plugins", f"{group}.json")


def module_stamp(ep: EntryPoint) -> Optional[list]:
    """[path, size, mtime_ns, inode] of the file the entry point's module is imported from, found
    without importing it (its parent packages are imported); None when there is no such file."""
    from importlib.util import find_spec

    module = ep.module
    try:
        spec = find_spec(module)
    except Exception:  # a parent package that fails to import: loading the plugin says it properly
        return None
    if spec is None or not spec.has_location or not spec.origin:
        return None
    return _file_stamp(spec.origin)


def entry_key(ep: EntryPoint, stamp: Optional[list]) -> str:
    """What a manifest entry is valid for, as one string."""
    return json.dumps([ep.group, ep.name, ep.value, ep.provider, stamp, __version__, sys.flags.optimize >= 2])


class LazyCheck:
    """A check's function that imports its plugin on the first call (a check module, once per
    process: Python's module cache) and runs the check the module defines under that code."""

    def __init__(self, ep: EntryPoint, code: str, doc: Optional[str], name: str, qualname: str, module: str):
        self.ep, self.code = ep, code
        self.__doc__, self.__name__, self.__qualname__, self.__module__ = doc, name, qualname, module

    def __call__(self, facts, **inputs):
        for spec in specs_in(load(self.ep), CHECK_ATTRIBUTE):
            if spec.code == self.code:
                return spec.function(facts, **inputs)
        raise PluginError(f"{origin(self.ep)} no longer defines check {self.code}: run envdoctor again")


def _file_stamp(path: str) -> Optional[list]:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [path, stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _module_files(names) -> List[str]:
    """The source (or bytecode, extension) files of these imported modules."""
    files = []
    for name in sorted(names):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            files.append(path)
    return files


class Manifest:
    """The group's manifest: valid as a whole or rebuilt as a whole.

    Valid while every entry point's key (entry_key) is what it was and every file of a module
    first imported while the plugins were loaded (their helpers: checks/_shared.py, a
    vocabulary module, a third party's own modules) has its recorded size, mtime and inode.
    Rebuilt by loading every plugin, in name order, as the registry always did."""

    def __init__(self, group: str, path: Optional[str] = None):
        self.group = group
        self.path = path or manifest_file(group)

    def _read(self) -> dict:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            return data if isinstance(data, dict) and data.get("format") == FORMAT else {}
        except (OSError, ValueError):
            return {}  # absent or unreadable: read from the plugins

    def plugins(self, points: List[EntryPoint]) -> List[Tuple[EntryPoint, list]]:
        """(entry point, its CheckSpecs) for each entry point, in the given order."""
        stamps = [module_stamp(ep) for ep in points]
        keys = [entry_key(ep, stamp) for ep, stamp in zip(points, stamps)]
        data = self._read()
        try:
            if data.get("keys") == keys and all(_file_stamp(stamp[0]) == stamp for stamp in data["files"]):
                return [(ep, _specs_of(ep, data["entries"][ep.name])) for ep in points]
        except (KeyError, TypeError, ValueError, IndexError):
            pass  # a damaged manifest: rebuilt below
        return self._rebuilt(points, keys, stamps)

    def _rebuilt(self, points: List[EntryPoint], keys: List[str],
                 stamps: List[Optional[list]]) -> List[Tuple[EntryPoint, list]]:
        before = set(sys.modules)
        loaded = [(ep, specs_in(load(ep), CHECK_ATTRIBUTE)) for ep in points]
        entries = {}
        for (ep, specs), stamp in zip(loaded, stamps):
            cacheable = stamp is not None and _all_defined_in(specs, stamp[0])
            entries[ep.name] = [_recorded(spec) for spec in specs] if cacheable else None  # None: load each time
        files = [stamp for stamp in map(_file_stamp, _module_files(set(sys.modules) - before)) if stamp is not None]
        self._write({"format": FORMAT, "keys": keys, "files": files, "entries": entries})
        return loaded

    def _write(self, data: dict) -> None:
        """A cache folder that cannot be written only costs the next start the same rebuild."""
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temporary, self.path)  # atomic: a concurrent run reads the old or the new file
        except OSError:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _specs_of(ep: EntryPoint, recorded: Optional[list]) -> list:
    if recorded is None:  # checks defined outside the entry point's own file: imported every time
        return specs_in(load(ep), CHECK_ATTRIBUTE)
    return [_lazy_spec(ep, data) for data in recorded]


def _all_defined_in(specs: List[CheckSpec], path: str) -> bool:
    """Whether every check's function was compiled from the entry point's own module file."""
    return bool(specs) and all(getattr(spec.function, "__code__", None) is not None
                               and os.path.abspath(spec.function.__code__.co_filename) == os.path.abspath(path)
                               for spec in specs)


def _recorded(spec: CheckSpec) -> dict:
    function = spec.function
    return {**{field: getattr(spec, field) for field in FIELDS}, "doc": function.__doc__,
            "function": [function.__name__, function.__qualname__, function.__module__]}


def _lazy_spec(ep: EntryPoint, data: dict) -> CheckSpec:
    name, qualname, module = data["function"]
    function = LazyCheck(ep, data["code"], data["doc"], name, qualname, module)
    return CheckSpec(code=data["code"], name=data["name"], summary=data["summary"], needs=tuple(data["needs"]),
                     function=function, fix=data["fix"], inputs=tuple(data["inputs"]))
