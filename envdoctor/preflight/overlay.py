"""The target's facts as they would be after an install that resolved: what the checks then see.

Each distribution the resolver picked takes the place of the installed copy of its name in the
folder the installer writes (the target's first site-packages) and is added there when there is
none; copies of the name elsewhere on sys.path stay where they are, as the installer leaves them.
The new copy carries the metadata the resolver read from its wheel: name, version, Requires-Dist,
Requires-Python, extras.

What only the files would tell is taken from the name and version: torch's build (CUDA, ROCm or
CPU) from its local version label (`+cu126`, `+rocm6.3`, `+cpu`) once torch/version.py is gone
from the facts.  The extension modules of a new copy are not known: the NumPy builds read from
the replaced copy name its metadata folder, not the new one's, so the NPY checks, which match
builds to distributions by that folder, do not judge them against the new version.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict

from envdoctor.model.facts import Distribution, Facts, canonicalize
from envdoctor.model.install_resolution import InstallResolution, PlannedDistribution
from envdoctor.vocabulary.stack import TORCH


def facts_after(facts: Facts, resolution: InstallResolution) -> Facts:
    """`facts` with the resolution's distributions installed; unchanged when nothing resolved."""
    if not resolution.resolved or not resolution.installs or facts.distributions is None:
        return facts
    site = _install_folder(facts)
    planned = {canonicalize(item.name): item for item in resolution.installs}
    kept = tuple(dist for dist in facts.distributions if not (dist.canonical_name in planned and dist.location == site))
    index = _path_index(facts, site)
    added = tuple(_distribution(item, site, index, resolution.installer) for item in planned.values())
    changes: Dict[str, object] = {
        "distributions": tuple(sorted(kept + added, key=lambda dist: dist.path_index)),
    }
    if TORCH in planned and facts.stack is not None:
        changes["stack"] = dataclasses.replace(facts.stack, torch=None)  # now read from the version label
    return dataclasses.replace(facts, **changes)


def _install_folder(facts: Facts) -> str:
    """Where the installer writes: the target's first site-packages (a venv's own)."""
    interpreter = facts.interpreter
    if interpreter is not None and interpreter.site_packages:
        return interpreter.site_packages[0]
    return facts.distributions[0].location if facts.distributions else ""


def _path_index(facts: Facts, folder: str) -> int:
    for entry in facts.sys_path or ():
        if os.path.normpath(entry.path) == os.path.normpath(folder):
            return entry.index
    return len(facts.sys_path or ())


def _distribution(item: PlannedDistribution, site: str, path_index: int, installer: str) -> Distribution:
    folder = f"{canonicalize(item.name).replace('-', '_')}-{item.version}.dist-info"
    return Distribution(
        name=item.name, version=item.version, metadata_path=os.path.join(site, folder), kind="dist-info",
        location=site, path_index=path_index, metadata_version=item.metadata_version,
        requires_dist=item.requires_dist, requires_python=item.requires_python, provides_extra=item.provides_extra,
        installer=installer, record="RECORD",
    )
