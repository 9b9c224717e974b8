"""Which extension modules are resolved, in which order, into the `native_linkage` facts."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from envdoctor.linkage.elf_objects import ElfObject
from envdoctor.linkage.linker_search import search_places
from envdoctor.linkage import result_cache
from envdoctor.linkage.object_cache import ObjectCache, default_cache_dir
from envdoctor.linkage.resolution import Loaded, Linker, references, unresolved
from envdoctor.model.facts import Distribution, Facts
from envdoctor.model.native_facts import LIBRARY, NativeLinkage
from envdoctor.vocabulary.requires_dist import parsed_requirements
from envdoctor.vocabulary.stack import TORCH, is_stack

def native_linkage(facts: Facts, cache_dir: Optional[Path] = None) -> NativeLinkage:
    """The section, from the result cache when nothing it depends on changed (result_cache.py)."""
    started = time.perf_counter()
    cache_dir = cache_dir or default_cache_dir()
    interpreter = facts.interpreter
    order = [(dist, _extension_files(facts, dist), _requirements(facts, dist)) for dist in _in_dependency_order(facts)]
    if not any(files for _, files, _ in order):
        return NativeLinkage(seconds=round(time.perf_counter() - started, 3))  # nothing to resolve, nothing read
    key = (os.path.realpath(interpreter.executable), interpreter.environment.get("LD_LIBRARY_PATH", ""),
           interpreter.environment.get("LD_PRELOAD", ""), os.uname().machine,
           tuple((dist.canonical_name, dist.version, tuple(files), tuple(required)) for dist, files, required in order))
    result_file = cache_dir / ("result-" + hashlib.sha256(interpreter.prefix.encode()).hexdigest()[:16] + ".pickle")
    result = result_cache.load(result_file, key)
    if result is None:
        objects = ObjectCache(cache_dir / "objects.pickle")
        result, files, folders = _resolve(facts, order, objects)
        result_cache.store(result_file, key, result_cache.validators(files, folders), result)
        objects.save()
    return dataclasses.replace(result, seconds=round(time.perf_counter() - started, 3))


def _resolve(facts: Facts, order, objects: ObjectCache):
    """(the section, the files read, the folders looked in) for the extensions of `order`."""
    interpreter = facts.interpreter
    executable_path = os.path.realpath(interpreter.executable)
    places = search_places(interpreter.environment.get("LD_LIBRARY_PATH", ""), os.path.dirname(executable_path))
    linker = Linker(places, objects.read, None)
    executable = linker.executable = linker.open(executable_path)
    start = linker.load(executable, None, []) if executable is not None else Loaded()
    _preload(linker, start, interpreter.environment.get("LD_PRELOAD", ""), executable)
    scope = tuple(start.objects)
    problems, count = [], 0
    loaded_by: Dict[str, Loaded] = {}
    for dist, files, required in order:
        before = _merged(start, [loaded_by[name] for name in required if name in loaded_by])
        for path, module in files:
            obj = linker.open(path)
            if obj is None or "PyInit_" + module.rpartition(".")[2] not in obj.exports:
                continue  # a plain library, not a module Python imports
            count += 1
            missing: List[tuple] = []
            loaded = linker.load(obj, before, missing)
            problems.extend(references(path, module, dist, LIBRARY, failing, name, loaded) for failing, name in missing)
            if not missing:  # ld.so gives up at the missing library: nothing else is known to fail
                problems.extend(references(path, module, dist, kind, failing, detail, loaded)
                                for failing, kind, detail in unresolved(loaded, scope))
            before = loaded  # its other extensions come later, with this one loaded
        loaded_by[dist.canonical_name] = before
    section = NativeLinkage(extensions=count, problems=tuple(_demangled(problems)),
                            unreadable=tuple(f"{path}: {why}" for path, why in sorted(linker.unreadable.items())))
    return section, objects.used_paths(), linker.folders


def _preload(linker: Linker, start: Loaded, value: str, executable: Optional[ElfObject]) -> None:
    """LD_PRELOAD's libraries join the global scope (space- or colon-separated, as ld.so reads it)."""
    for name in re.split(r"[ :]+", value.strip()) if value.strip() else ():
        if "/" in name:
            found = linker.open(name)
        else:
            hit = linker.find(name, executable, ()) if executable is not None else None
            found = hit[0] if hit else None
        if found is not None:
            for obj in linker.load(found, start, []).new:  # its own needed libraries come with it
                start.add(obj, os.path.basename(obj.path), obj.soname)


def _merged(start: Loaded, parts: Sequence[Loaded]) -> Loaded:
    merged = Loaded(start)
    for part in parts:
        for name, obj in part.by_name.items():
            merged.by_name.setdefault(name, obj)
        for path, via in part.first_found.items():
            merged.first_found.setdefault(path, via)
        for obj in part.objects:
            merged.add(obj)
    merged.new = []
    return merged


def _requirements(facts: Facts, dist: Distribution) -> List[str]:
    """The installed distributions `dist` requires, all the way down, and torch: a stack
    extension is imported after torch (its package imports torch first, declared or not)."""
    installed = facts.active_distributions()
    seen: Dict[str, None] = {}
    todo = [dist]
    while todo:
        requirements, _ = parsed_requirements(todo.pop())  # markers and extras aside: doubt means "loaded"
        for name in (requirement.key for requirement in requirements):
            if name in installed and name not in seen and name != dist.canonical_name:
                seen[name] = None
                todo.append(installed[name])
    if TORCH in installed and dist.canonical_name != TORCH:
        seen[TORCH] = None
    return list(seen)


def _in_dependency_order(facts: Facts) -> List[Distribution]:
    """The stack's distributions with compiled files, each after the ones it requires."""
    chosen = {name: dist for name, dist in facts.active_distributions().items() if is_stack(name) and dist.compiled_files}
    ordered: Dict[str, Distribution] = {}

    def visit(name: str, trail: Tuple[str, ...]) -> None:
        if name in ordered or name in trail:
            return
        for required in _requirements(facts, chosen[name]):
            if required in chosen:
                visit(required, trail + (name,))
        ordered[name] = chosen[name]

    for name in sorted(chosen):
        visit(name, ())
    return list(ordered.values())


def _extension_files(facts: Facts, dist: Distribution) -> List[Tuple[str, str]]:
    """(path, dotted module) of the distribution's files named like extension modules,
    shallowest first (a package's top-level `_C` is imported before its submodules')."""
    suffixes = sorted(facts.interpreter.extension_suffixes, key=len, reverse=True)
    found = []
    for relative in dist.compiled_files:
        suffix = next((s for s in suffixes if relative.endswith(s)), None)
        if suffix is None:
            continue
        module = relative[: -len(suffix)].replace("/", ".")
        found.append((os.path.normpath(os.path.join(dist.location, relative)), module))
    return sorted(found, key=lambda item: (item[1].count("."), item[1]))


def _demangled(problems):
    """C++ symbols with their c++filt spelling (one c++filt for all; left out without it)."""
    mangled = sorted({p.name for p in problems if p.name.startswith("_Z")})
    program = shutil.which("c++filt")
    if not mangled or program is None:
        return problems
    try:
        out = subprocess.run([program], input="\n".join(mangled), capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return problems
    names = dict(zip(mangled, out.splitlines()))
    return [dataclasses.replace(p, demangled=names[p.name]) if names.get(p.name, p.name) != p.name else p for p in problems]
