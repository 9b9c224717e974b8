"""CUDA architecture lists (TORCH_CUDA_ARCH_LIST and its kin) and which GPUs their code runs on.

The rules are CUDA's compatibility rules (CUDA C++ Programming Guide, "Binary Compatibility"
and "PTX Compatibility"): a cubin for X.Y runs on X.Z with Z >= Y; PTX for X.Y is compiled by
the driver for any X'.Y' >= X.Y; architecture-specific targets (9.0a, 10.0a) run on exactly
that architecture, as cubin or PTX.  The list syntax is torch.utils.cpp_extension's
(_get_cuda_arch_flags, torch 2.13): entries separated by ';' or spaces, named generations
expanded, "+PTX" adds PTX, and an entry outside its valid list stops the build with
"Unknown CUDA arch".
"""

from __future__ import annotations

import re
from typing import List, NamedTuple, Optional, Tuple

# torch 2.13's named_arches and supported_arches (torch/utils/cpp_extension.py).
NAMED_ARCHES = (
    ("Kepler+Tesla", "3.7"), ("Kepler", "3.5+PTX"), ("Maxwell+Tegra", "5.3"), ("Maxwell", "5.0;5.2+PTX"),
    ("Pascal", "6.0;6.1+PTX"), ("Volta+Tegra", "7.2"), ("Volta", "7.0+PTX"), ("Turing", "7.5+PTX"),
    ("Ampere+Tegra", "8.7"), ("Ampere", "8.0;8.6+PTX"), ("Ada", "8.9+PTX"), ("Hopper", "9.0+PTX"),
    ("Blackwell+Tegra", "11.0"), ("Blackwell", "10.0;10.3;12.0;12.1+PTX"),
)
TORCH_SUPPORTED = frozenset({
    "3.5", "3.7", "5.0", "5.2", "5.3", "6.0", "6.1", "6.2", "7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0",
    "9.0a", "10.0", "10.0a", "11.0", "11.0a", "10.3", "10.3a", "12.0", "12.0a", "12.1", "12.1a",
})
ENTRY = re.compile(r"^(\d+)\.(\d+)([af]?)(\+PTX)?$")


class Arch(NamedTuple):
    text: str  # as written: "9.0a+PTX"
    major: int
    minor: int
    specific: bool  # "a": this architecture only
    ptx: bool


def split_entries(value: str, expand_named: bool) -> List[str]:
    """The list's entries as torch reads them: spaces are separators, named generations expanded."""
    value = value.strip().replace(" ", ";")
    if expand_named:
        for name, arches in NAMED_ARCHES:
            value = value.replace(name, arches)
    return [entry for entry in value.split(";") if entry]


def parse(entry: str) -> Optional[Arch]:
    match = ENTRY.match(entry)
    if not match:
        return None
    return Arch(entry, int(match.group(1)), int(match.group(2)), match.group(3) == "a", bool(match.group(4)))


def runs_on(arch: Arch, capability: Tuple[int, int]) -> bool:
    """Does code built for `arch` run on a GPU of `capability`, as a cubin or through its PTX?"""
    built = (arch.major, arch.minor)
    if arch.specific:
        return built == capability
    if capability[0] == arch.major and capability[1] >= arch.minor:
        return True  # the cubin
    return arch.ptx and capability >= built


def capability_of(text: Optional[str]) -> Optional[Tuple[int, int]]:
    match = re.match(r"^(\d+)\.(\d+)$", text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def flashinfer_arches(value: str) -> Optional[List[Arch]]:
    """FLASHINFER_CUDA_ARCH_LIST as FlashInfer's CompilationContext reads it, or None where it cannot:
    entries split on single spaces, each "X.Y" with an optional suffix; without one, 9.x and
    10+ become architecture-specific ("9.0a"), 12.x the family target ("12.0f", cubins for every
    12.x); no PTX is built."""
    arches = []
    for entry in value.split(" "):
        match = re.match(r"^(\d+)\.(\d+)([a-z]?)$", entry)
        if not match:
            return None
        major, minor, suffix = int(match.group(1)), int(match.group(2)), match.group(3)
        if not suffix:
            suffix = "f" if major == 12 else "a" if major >= 9 else ""
        if suffix == "f":
            minor = 0 if major == 12 else minor
        arches.append(Arch(entry, major, minor, suffix == "a", False))
    return arches
