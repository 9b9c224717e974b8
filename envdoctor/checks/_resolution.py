"""Where should a distribution's top-level module come from, and where does it?

Shared by the shadowing and namespace-masquerade checks, and by INT003: which copies of one
project are separate installs.
"""

from __future__ import annotations

import os
from typing import List, NamedTuple, Optional, Sequence, Tuple

from envdoctor.model.facts import Distribution, Facts, ModuleResolution
from envdoctor.vocabulary.facts_view import per_facts

SEPARATORS = os.sep + (os.altsep or "")


# A named tuple, not a record: one per installed top-level module of every distribution, every run,
# and a record's __init__ costs three times as much (2.8 us against 0.9 us).
class ModuleExpectation(NamedTuple):
    dist: Distribution
    module: str
    roots: Tuple[str, ...]  # paths the module may come from: a package folder or a module file stem
    regular: bool  # the distribution provides a regular package or module, not a namespace portion
    how: str  # "installed" | "editable finder" | "editable .pth"


def _pth_roots(dist: Distribution, facts: Facts) -> Tuple[str, ...]:
    if not dist.pth_files:
        return ()
    roots = []
    owned = set(dist.pth_files)
    for pth in facts.pth_files or ():
        if pth.path not in owned:
            continue
        roots.extend(line.target for line in pth.lines if line.kind == "path" and line.target)
    return tuple(roots)


def expectation(dist: Distribution, module: str, resolution: ModuleResolution, facts: Facts) -> Optional[ModuleExpectation]:
    if dist.editable_mapping and module in dist.editable_mapping:
        target = dist.editable_mapping[module]
        return ModuleExpectation(dist, module, (os.path.splitext(target)[0] if target.endswith(".py") else target,), True, "editable finder")
    if module in dist.record_modules:
        root = os.path.join(dist.location, module)
        mine = [c for c in resolution.candidates if _is_under(c.path, root)]
        regular = any(c.kind != "namespace-portion" for c in mine) if mine else True
        return ModuleExpectation(dist, module, (root,), regular, "installed")
    pth_roots = _pth_roots(dist, facts)
    if pth_roots:
        roots = tuple(os.path.join(r, module) for r in pth_roots)
        mine = [c for c in resolution.candidates if any(_is_under(c.path, r) for r in roots)]
        if mine:
            return ModuleExpectation(dist, module, roots, any(c.kind != "namespace-portion" for c in mine), "editable .pth")
    return None


def _is_under(path: str, root: str) -> bool:
    """`path` is the package folder `root`, a file in it, or the module file `root.<any suffix>`
    (`.py`, or an extension like `.cpython-311-x86_64-linux-gnu.so`)."""
    root = root.rstrip(SEPARATORS)
    if not path.startswith(root):
        return False
    rest = path[len(root) :]  # string tests: this runs for every module of every distribution
    return not rest or rest[0] in SEPARATORS or (rest[0] == "." and not any(sep in rest for sep in SEPARATORS))


def resolution_paths(resolution: ModuleResolution) -> List[str]:
    """Where a module resolved: its file, or a namespace package's folders."""
    return [resolution.origin] if resolution.origin else list(resolution.locations)


def resolves_as_expected(expect: ModuleExpectation, resolution: ModuleResolution) -> bool:
    return any(_is_under(path, root) for path in resolution_paths(resolution) for root in expect.roots)


def is_within(path: str, folder: str) -> bool:
    """`path` is `folder` or inside it (normalised, case as the OS compares)."""
    path, folder = os.path.normcase(os.path.normpath(path)), os.path.normcase(os.path.normpath(folder))
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _restates(facts: Facts, dist: Distribution, other: Distribution) -> bool:
    """`dist` is `other` written a second time, not a second install: an egg-info of the same
    version (1) beside `other`'s dist-info in one folder (Debian's python3-cryptography ships
    both), (2) in `other`'s editable source folder (setuptools writes it there for every
    editable install: seed 003), or (3) in the working directory, a build artefact that pip
    ignores (pip removes the working directory from sys.path)."""
    if dist.kind != "egg-info" or dist.version != other.version:
        return False
    if other.kind == "dist-info" and is_within(dist.location, other.location) and is_within(other.location, dist.location):
        return True
    source = other.editable_source or (other.source_dir if other.editable else None)
    if source and is_within(dist.location, source):
        return True
    entry = facts.sys_path_entry(dist.path_index)
    return bool(entry and entry.origin == "cwd" and not is_within(other.location, dist.location))


def distinct_copies(facts: Facts, copies: Sequence[Distribution]) -> List[Distribution]:
    """The copies of one project that are separate installs, in importlib.metadata's order."""
    return [d for d in copies if not any(o is not d and _restates(facts, d, o) for o in copies)]


def lands_in_another_copy(resolution: ModuleResolution, others: Sequence[Distribution]) -> bool:
    """The module resolved inside one of `others`' folders."""
    return any(is_within(p, other.location) for p in resolution_paths(resolution) if p for other in others)


@per_facts  # SHD001 and NSP001 both need it
def expectations(facts: Facts) -> List[Tuple[ModuleExpectation, ModuleResolution]]:
    """(what each active distribution promises, how the module actually resolves)."""
    found = []
    for all_copies in facts.distributions_by_name.values():
        # An incomplete distribution (INT001) can be shadowed too: two problems, two findings.
        copies = distinct_copies(facts, all_copies) if len(all_copies) > 1 else all_copies
        dist, others = copies[0], copies[1:]
        for module in dict.fromkeys(name.split(".")[0] for name in dist.top_level):
            resolution = (facts.modules or {}).get(module)
            if resolution is None or not resolution.found:
                continue
            if others and lands_in_another_copy(resolution, others):
                continue  # the code of another copy of the project: INT003's error, not shadowing
            expect = expectation(dist, module, resolution, facts)
            if expect is not None:
                found.append((expect, resolution))
    return found
