"""Which published torch builds this machine runs, and the installs that switch to them, best first.

A pure function of the facts and the torch catalogue (vocabulary/torch_catalogue.py), shared
by the GPU checks (the fix a finding proposes) and the fixer that plans it. The order is the
one a user would choose: another build of the same torch release (newest CUDA first), then
the nearest other release with a build that fits; torchvision/torchaudio move with torch (the
same build label), triton with torch's own Requires-Dist pin, and a serving engine (vLLM,
SGLang, ...) only when its pin does not accept the new torch and the catalogue knows a
release of it that pins that torch. A driver upgrade is never an option here: it is the
manual last resort the finding states.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from envdoctor.model.facts import Facts, Gpu
from envdoctor.model.plan import InstallRequest
from envdoctor.model.record import Record, record
from envdoctor.vocabulary.installed import installed, torch_build
from envdoctor.vocabulary.requirements_in_force import active_requirements
from envdoctor.vocabulary.stack import TORCH, TORCHAUDIO, TORCHVISION
from envdoctor.vocabulary.torch_catalogue import Catalogue, PublishedBuild
from envdoctor.vocabulary.versions import major_minor, release

# The lowest compute capability each CUDA major still builds for (CUDA 12 dropped Kepler,
# CUDA 13 dropped Maxwell, Pascal and Volta), for a build whose arch list is not known.
MINIMUM_CAPABILITY = {12: (5, 0), 13: (7, 5)}
# Built with torch from the same release branch, with the same build label.
COMPANIONS = (TORCHVISION, TORCHAUDIO)
OTHER_RELEASES = 3  # how many other releases are offered after the same-release builds


@record
class Machine(Record):
    """What a torch build has to fit: the GPU vendor, the newest CUDA the driver runs, the GPUs."""

    vendor: Optional[str]  # "nvidia" | "amd" | None
    cuda: Optional[str]  # "12.8"
    capabilities: Tuple[str, ...]  # "9.0" per NVIDIA GPU


@record
class BuildOption(Record):
    build: PublishedBuild
    requirements: Tuple[str, ...]  # torch==2.13.0+cu126 first, then companions and engines that move
    summary: str

    def install(self) -> InstallRequest:
        return InstallRequest(self.requirements, index_url=self.build.index_url)

    def to_parameters(self) -> Dict[str, object]:
        """The option as a finding's fix parameters carry it (JSON)."""
        return {"summary": self.summary, "requirements": list(self.requirements), "index_url": self.build.index_url}


def machine_of(facts: Facts, catalogue: Catalogue) -> Machine:
    nvidia = facts.stack.nvidia if facts.stack else None
    if facts.stack and facts.stack.nvidia_gpus:
        cuda = nvidia.cuda_driver_version if nvidia else None
        if cuda is None and nvidia is not None and nvidia.driver_version:
            cuda = catalogue.newest_cuda_for(nvidia.driver_version, facts.interpreter.platform)
        capabilities = tuple(gpu.capability for gpu in facts.stack.nvidia_gpus if isinstance(gpu, Gpu) and gpu.capability)
        return Machine("nvidia", cuda, capabilities)
    if facts.stack and facts.stack.amd_gpus:
        return Machine("amd", None, ())
    return Machine(None, None, ())


def _arch_covers(arch_list: Tuple[str, ...], capability: Tuple[int, int]) -> bool:
    """TORCH_CUDA_ARCH_LIST semantics: a cubin for X.Y runs on X.Z (Z >= Y); "+PTX" runs on anything newer."""
    for entry in arch_list:
        built = major_minor(entry.replace("+PTX", "").rstrip("af"))
        if built is None:
            continue
        if built[0] == capability[0] and built[1] <= capability[1]:
            return True
        if entry.endswith("+PTX") and built <= capability:
            return True
    return False


def runs_on_gpu(build: PublishedBuild, capability: str) -> bool:
    wanted = major_minor(capability)
    if wanted is None:
        return True
    if build.arch_list:
        return _arch_covers(build.arch_list, wanted)
    minimum = MINIMUM_CAPABILITY.get((major_minor(build.cuda) or (0, 0))[0])
    return minimum is None or wanted >= minimum


def fits(build: PublishedBuild, machine: Machine) -> bool:
    """The build runs on this machine with nothing for GPU001/GPU002/GPU003 to say."""
    if machine.vendor == "amd":
        return build.variant == "rocm"
    if machine.vendor != "nvidia" or build.variant != "cuda" or machine.cuda is None:
        return False
    if major_minor(build.cuda) > major_minor(machine.cuda):
        return False
    return all(runs_on_gpu(build, capability) for capability in machine.capabilities)


def _newest_first(builds: List[PublishedBuild]) -> List[PublishedBuild]:
    return sorted(builds, key=lambda b: release(b.cuda or b.rocm or "0") or (0,), reverse=True)


def _moves(facts: Facts, catalogue: Catalogue, build: PublishedBuild) -> Optional[List[str]]:
    """The requirements besides torch that switching to `build` needs, or None when it cannot be done:
    a distribution whose requirement on torch rejects the build and that cannot be moved with it.
    A companion the catalogue lists for the release moves to it (same label); one it does not list
    (torchaudio after 2.11, which requires no torch) is judged by its requirement like any other."""
    companions = catalogue.companions.get(build.release, {})
    moves = [f"{name}=={companions[name]}+{build.build}" for name in COMPANIONS
             if name in companions and installed(facts, name) is not None]
    for item in active_requirements(facts):
        requirer = item.requirer.canonical_name
        if item.parsed.key != TORCH or requirer in companions:
            continue
        if item.requirement.specifier.contains(build.version, prereleases=True):
            continue
        releases = catalogue.engine_releases_for(requirer, build.release)
        if not releases:
            return None
        moves.append(f"{requirer}=={releases[0]}")
    return moves


def build_options(facts: Facts, catalogue: Catalogue) -> Tuple[BuildOption, ...]:
    """The installs that put a fitting torch build in place, best first; () when none is known."""
    current = torch_build(facts)
    version = current.version if current else None
    if not version or not release(version):
        return ()
    machine = machine_of(facts, catalogue)
    current_release = version.split("+")[0]
    options: List[BuildOption] = []
    same = [b for b in catalogue.builds_of(current_release) if fits(b, machine) and b.version != version]
    for build in _newest_first(same):
        moves = _moves(facts, catalogue, build)
        if moves is not None:
            options.append(BuildOption(build, (f"{TORCH}=={build.version}", *moves),
                                       f"the {build.build} build of the same torch {build.release}"))
    # nearest first (how many releases lie between, counting the current one where it would sort), then newest
    ordered = sorted({*catalogue.releases(), current_release}, key=release)
    here = ordered.index(current_release)
    others = [r for r in ordered if r != current_release]
    others.sort(key=lambda r: (abs(ordered.index(r) - here), [-part for part in release(r)]))
    offered = 0
    for other in others:
        if offered == OTHER_RELEASES:
            break
        for build in _newest_first([b for b in catalogue.builds_of(other) if fits(b, machine)]):
            moves = _moves(facts, catalogue, build)
            if moves is not None:
                options.append(BuildOption(build, (f"{TORCH}=={build.version}", *moves),
                                           f"torch {build.version}: the nearest release with a build this machine runs"))
                offered += 1
                break
    return tuple(options)
