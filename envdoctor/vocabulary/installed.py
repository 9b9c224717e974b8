"""What is installed in the target: a distribution by name, and torch's build.

Pure functions of facts, shared by checks and fixers.
"""

from __future__ import annotations

from typing import Optional

from envdoctor.model.facts import Distribution, Facts, TorchBuild, canonicalize
from envdoctor.vocabulary.stack import TORCH


def installed(facts: Facts, name: str) -> Optional[Distribution]:
    """The active distribution called `name` (any spelling), or None."""
    return facts.active_distributions().get(canonicalize(name))


def torch_build(facts: Facts) -> Optional[TorchBuild]:
    """torch's build as its version.py says, else as its distribution's version says."""
    if facts.stack and facts.stack.torch:
        return facts.stack.torch
    dist = installed(facts, TORCH)
    if dist is None or not dist.version:
        return None
    local = dist.version.split("+", 1)[1] if "+" in dist.version else None
    cuda = None
    if local and local.startswith("cu") and local[2:].isdigit():  # cu130 -> 13.0, cu126 -> 12.6
        cuda = f"{local[2:-1]}.{local[-1]}"
    hip = local[4:] if local and local.startswith("rocm") else None
    if local is None and _pypi_linux_x86_64(facts):
        # A plain `torch==2.13.0` from PyPI: on Linux x86_64 that wheel is a CUDA build (the
        # catalogue's pypi_default, read from each wheel's own Requires-Dist).
        from envdoctor.vocabulary.torch_catalogue import build_of

        published = build_of(dist.version)
        cuda = published.cuda if published is not None else None
    return TorchBuild(version=dist.version, local=local, cuda=cuda, hip=hip, source=dist.metadata_path)


def _pypi_linux_x86_64(facts: Facts) -> bool:
    markers = facts.markers or {}
    return markers.get("sys_platform") == "linux" and markers.get("platform_machine") == "x86_64"


def torch_variant(build: TorchBuild) -> str:
    """cuda | rocm | cpu | unknown, from what the build says about itself."""
    if build.hip or (build.local or "").startswith("rocm"):
        return "rocm"
    if build.cuda or (build.local or "").startswith("cu"):
        return "cuda"
    if build.local == "cpu" or (build.source.endswith("version.py") and not build.cuda and not build.hip):
        return "cpu"
    return "unknown"
