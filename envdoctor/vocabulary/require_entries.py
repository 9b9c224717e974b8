"""The `require = [...]` entries of [tool.envdoctor]: what a name means and how an entry parses.

    require = ["torch>=2.9", "triton", "cuda>=12.4", "driver>=550", "gpu>=2"]

Each entry is a PEP 508 requirement.  Most name distributions; the names in
MACHINE_NAMES name a property of the machine or the build instead.  The config loader
parses every entry up front (a bad one is a usage error naming it); check EXP001
compares each with the facts.
"""

from __future__ import annotations

from typing import Optional

from envdoctor.model.facts import canonicalize
from envdoctor.model.record import Record, record

# Names that stand for the machine or the build, not a distribution, and what each means.
MACHINE_NAMES = {
    "python": "the target interpreter's version",
    "cuda": "the CUDA runtime torch was built for (torch.version.cuda)",
    "hip": "the HIP version torch was built for (torch.version.hip)",
    "driver": "the NVIDIA driver version",
    "cuda-driver": "the newest CUDA version the NVIDIA driver runs",
    "cuda-toolkit": "the CUDA toolkit JIT builds use (CUDA_HOME / nvcc)",
    "rocm": "the ROCm installation's version",
    "gpu": "the number of NVIDIA and AMD GPUs",
    "nvidia-gpu": "the number of NVIDIA GPUs",
    "amd-gpu": "the number of AMD GPUs",
    "mps": "an Apple-silicon GPU usable through MPS (1 or 0)",
    "accelerator": "the number of GPUs, Apple's MPS included",
}
# Machine names that count devices: compared with whole numbers, and alone they mean ">=1".
COUNTED = ("gpu", "nvidia-gpu", "amd-gpu", "mps", "accelerator")


@record
class Declared(Record):
    """One `require` entry as the config wrote it, and where."""

    text: str
    path: Optional[str] = None  # the config file
    line: Optional[int] = None


@record
class Expectation(Record):
    declared: Declared
    name: str  # canonical
    specifier: str  # "" = present at all
    marker: Optional[object]  # packaging Marker, or None

    @property
    def machine(self) -> bool:
        return self.name in MACHINE_NAMES


def parse_expectation(declared: Declared) -> Expectation:
    """A `require` entry, parsed; ValueError says what is wrong with it."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(declared.text)
    except InvalidRequirement as exc:
        raise ValueError(f"not a requirement ({str(exc).splitlines()[0]})") from None
    if requirement.url:
        raise ValueError("a URL cannot be checked against an environment; give a name and a version range")
    if requirement.extras:
        raise ValueError("extras are not checked; require the extra's distributions themselves")
    name = canonicalize(requirement.name)
    if name in COUNTED:
        for spec in requirement.specifier:
            if not spec.version.isdigit():
                raise ValueError(f"{name} counts devices: compare it with a whole number, e.g. {name}>=1")
    return Expectation(declared, name, str(requirement.specifier), requirement.marker)
