"""The NumPy builds (facts.numpy_builds) of the copies that import would load.

A distribution installed twice (a --user copy and a venv copy, a folder put on sys.path by a
`.pth`) has one copy that `import` loads: the first on sys.path, the one
`Facts.active_distributions()` keeps.  scan/numpy_builds.py reads only that copy, but a
snapshot taken by an older envdoctor may hold builds of shadowed copies too: NPY001/NPY002
and the --deep suspects go through this one filter.
"""

from __future__ import annotations

from typing import List, Tuple

from envdoctor.model.facts import Distribution, Facts, canonicalize
from envdoctor.model.numpy_facts import NumpyBuild


def active_numpy_builds(facts: Facts) -> List[Tuple[Distribution, NumpyBuild]]:
    """(distribution, build) for each build whose metadata is the active copy's."""
    active = facts.active_distributions()
    pairs = []
    for build in facts.numpy_builds or ():
        dist = active.get(canonicalize(build.distribution))
        if dist is not None and dist.metadata_path == build.metadata_path:
            pairs.append((dist, build))
    return pairs
