"""Where should a distribution's top-level module come from, and where does it?

Shared by the shadowing and namespace-masquerade checks.
"""

from __future__ import annotations

import os
from typing import List, NamedTuple, Optional, Tuple

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


def resolves_as_expected(expect: ModuleExpectation, resolution: ModuleResolution) -> bool:
    paths = [resolution.origin] if resolution.origin else list(resolution.locations)
    return any(_is_under(path, root) for path in paths for root in expect.roots)


@per_facts  # SHD001 and NSP001 both need it
def expectations(facts: Facts) -> List[Tuple[ModuleExpectation, ModuleResolution]]:
    """(what each active distribution promises, how the module actually resolves)."""
    found = []
    for copies in facts.distributions_by_name.values():
        dist = copies[0]
        if len(copies) > 1 or dist.missing_count:
            continue  # INT003 / INT001 explain those better
        for module in dict.fromkeys(name.split(".")[0] for name in dist.top_level):
            resolution = (facts.modules or {}).get(module)
            if resolution is None or not resolution.found:
                continue
            expect = expectation(dist, module, resolution, facts)
            if expect is not None:
                found.append((expect, resolution))
    return found
