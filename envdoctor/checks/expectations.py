"""EXP001: what the project declares the environment must have (`require = [...]` in [tool.envdoctor]).

    require = ["torch>=2.9", "triton", "cuda>=12.4", "driver>=550", "gpu>=2"]

Each entry is a PEP 508 requirement.  Most name distributions; the names in
MACHINE_NAMES (vocabulary/require_entries.py) name a property of the machine or the build instead (the CUDA
runtime torch was built for, the NVIDIA driver, GPUs present, ...).  The config
loader parses every entry up front (a bad one is a usage error naming it); the
check compares each with the facts and reports what does not hold.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterator, NamedTuple, Optional, Sequence

from envdoctor.api import check, report
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import installed, torch_build
from envdoctor.vocabulary.require_entries import COUNTED, MACHINE_NAMES, Declared, Expectation
from envdoctor.vocabulary.requires_dist import MarkerEvaluator
from envdoctor.vocabulary.stack import TORCH
from envdoctor.vocabulary.versions import satisfies
from envdoctor.model.plan import InstallRequest


class Observed(NamedTuple):
    value: Optional[str]  # a version, or a count for the accelerator names; None: not found
    source: str  # where the value was read, or why there is none


def _python(facts: Facts) -> Observed:
    interpreter = facts.interpreter
    if interpreter is None:
        return Observed(None, "the facts have no interpreter section")
    return Observed(interpreter.version.split()[0], f"{interpreter.executable} (sys.version)")


def _torch_field(field: str, label: str) -> Callable[[Facts], Observed]:
    def read(facts: Facts) -> Observed:
        build = torch_build(facts)
        if build is None:
            return Observed(None, "torch is not installed")
        value = getattr(build, field)
        return Observed(value, f"{build.source}: torch {build.version}" + ("" if value else f" has no {label}"))

    return read


def _stack_field(section: str, field: str, source_field: str, absent: str) -> Callable[[Facts], Observed]:
    def read(facts: Facts) -> Observed:
        part = getattr(facts.stack, section, None) if facts.stack else None
        value = getattr(part, field, None) if part is not None else None
        if value is None:
            errors = "; ".join(getattr(part, "errors", ()) or ())
            return Observed(None, absent + (f" ({errors})" if errors else ""))
        return Observed(value, getattr(part, source_field, "") or section)

    return read


def _count(count: int, what: str, source: str) -> Observed:
    return Observed(str(count), f"{count} {what} ({source})")


def _nvidia_gpus(facts: Facts) -> Observed:
    nvidia = facts.stack.nvidia if facts.stack else None
    return _count(len(facts.stack.nvidia_gpus) if facts.stack else 0, "NVIDIA GPUs",
                  (nvidia.gpus_source if nvidia else "") or "no NVIDIA driver found")


def _amd_gpus(facts: Facts) -> Observed:
    rocm = facts.stack.rocm if facts.stack else None
    return _count(len(facts.stack.amd_gpus) if facts.stack else 0, "AMD GPUs",
                  (rocm.gfx_source if rocm else "") or "no KFD topology found")


def _mps(facts: Facts) -> Observed:
    apple = facts.stack.apple if facts.stack else None
    if apple is None:
        return _count(0, "Apple-silicon GPUs", "not macOS")
    usable = apple.machine == "arm64" and not apple.translated
    return _count(int(usable), "Apple-silicon GPUs (MPS)", f"macOS {apple.macos_version}, {apple.machine}"
                  + (", under Rosetta 2" if apple.translated else ""))


def _total(*parts: Observed) -> Observed:
    return Observed(str(sum(int(part.value) for part in parts)), "; ".join(part.source for part in parts))


def _gpus(facts: Facts) -> Observed:
    return _total(_nvidia_gpus(facts), _amd_gpus(facts))


def _accelerators(facts: Facts) -> Observed:
    return _total(_nvidia_gpus(facts), _amd_gpus(facts), _mps(facts))


# How each machine name of the `require` language (vocabulary/require_entries.py) is read.
_READERS: Dict[str, Callable[[Facts], Observed]] = {
    "python": _python,
    "cuda": _torch_field("cuda", "CUDA runtime (a CPU or ROCm build)"),
    "hip": _torch_field("hip", "HIP (not a ROCm build)"),
    "driver": _stack_field("nvidia", "driver_version", "driver_source", "no NVIDIA driver found"),
    "cuda-driver": _stack_field("nvidia", "cuda_driver_version", "cuda_source", "no NVIDIA driver found"),
    "cuda-toolkit": _stack_field("cuda_toolkit", "version", "source", "no CUDA toolkit found"),
    "rocm": _stack_field("rocm", "version", "source", "no ROCm installation found"),
    "gpu": _gpus,
    "nvidia-gpu": _nvidia_gpus,
    "amd-gpu": _amd_gpus,
    "mps": _mps,
    "accelerator": _accelerators,
}


def _machine_finding(expectation: Expectation, facts: Facts, location: Location):
    name, spec = expectation.name, expectation.specifier
    meaning = MACHINE_NAMES[name]
    observed = _READERS[name](facts)
    wanted = spec or (">=1" if name in COUNTED else "")
    if satisfies(observed.value, wanted):
        return None
    if name in COUNTED:
        title = f"the config requires {name}{wanted}; {'none' if observed.value == '0' else observed.value} found"
    elif observed.value is None:
        title = f"the config requires {expectation.declared.text}; {observed.source}"
    else:
        title = f"the config requires {expectation.declared.text}; {name} is {observed.value}"
    return report(
        Severity.ERROR, title, subject=name, key=expectation.declared.text,
        message=f"`{name}` is {meaning}. The project declares this environment must satisfy "
                f"{expectation.declared.text!r}, and it does not.",
        evidence=(f"{name}: " + (observed.source if name in COUNTED else f"{observed.value or 'not found'} ({observed.source})"),
                  _where(expectation.declared)),
        location=location,
        fix=FixProposal("manual", f"provide {expectation.declared.text} (a different machine, driver or torch build), or change `require`"),
    )


def _distribution_finding(expectation: Expectation, facts: Facts, location: Location):
    dist = installed(facts, expectation.name)
    if dist is not None and satisfies(dist.version, expectation.specifier):
        return None
    text = expectation.declared.text.split(";")[0].strip()
    have = f"{dist.display} is installed" if dist else f"{expectation.name} is not installed"
    fix = FixProposal("reinstall", f"install {text}", install=InstallRequest((text,)), parameters={"requirement": text})
    if expectation.name == TORCH and not expectation.specifier:
        fix = FixProposal("manual", "install the torch build for this machine (pytorch.org/get-started)")
    return report(
        Severity.ERROR, f"the config requires {text}; {have}", subject=expectation.name, key=expectation.declared.text,
        message="The project declares this environment must provide it; code that relies on it will fail or behave differently.",
        evidence=((f"{dist.metadata_path}: Version {dist.version}",) if dist else ()) + (_where(expectation.declared),),
        location=location, fix=fix,
    )


def _where(declared: Declared) -> str:
    place = declared.path or "the config"
    return f"{place}" + (f":{declared.line}" if declared.line else "") + f": require {declared.text!r}"


@check(
    code="EXP001",
    name="unmet-expectation",
    summary="A `require` entry of the project's config (a distribution version, CUDA, driver, GPUs) does not hold.",
    needs=("interpreter", "markers", "distributions"),
    fix="reinstall",
    inputs=("expectations",),
)
def unmet_expectations(facts: Facts, expectations: Sequence[Expectation] = ()) -> Iterator:
    """Compare the environment with what the project declares it must have.

    What it detects
        An entry of `require = [...]` in `[tool.envdoctor]` that the environment does not
        satisfy. Entries are PEP 508 requirements (markers allowed: an entry whose marker
        is false for the target is not checked). A name is a distribution, except these,
        which name the machine or the build:

        - `python`: the interpreter's version
        - `cuda`: the CUDA runtime torch was built for (`torch.version.cuda`)
        - `hip`: the HIP version torch was built for
        - `driver`: the NVIDIA driver version; `cuda-driver`: the newest CUDA it runs
        - `cuda-toolkit`: the toolkit JIT builds use (CUDA_HOME, nvcc)
        - `rocm`: the ROCm installation's version
        - `gpu`, `nvidia-gpu`, `amd-gpu`, `mps`, `accelerator`: how many are present;
          alone they mean at least one, `gpu>=2` at least two

    Why it breaks
        A CI image or a teammate's machine drifts from what the code was tested on: a
        torch built for CUDA 12.1 where kernels need 12.4 features, a driver too old for
        the runtime, a runner without a GPU. Declared once, the expectation turns that
        drift into a preflight failure instead of a crash an hour into a job.

        Severity: always an error: the project declared the entry a requirement of its
        environment, and the point of declaring it is that `envdoctor check` fails (exit 1)
        in CI when it does not hold.

    Example
        `require = ["torch>=2.9", "cuda>=12.4", "gpu"]` on a machine with torch 2.8.0+cu121
        and no GPU: three findings, exit 1.

    Fix
        For distributions, `envdoctor fix` installs the required version. Machine facts
        (driver, CUDA build, GPUs) need another machine, a driver update or another torch
        build; or the expectation was wrong and `require` should change.

    References
        https://packaging.python.org/en/latest/specifications/dependency-specifiers/
        docs/ci.md (the `require` key)
    """
    evaluator = MarkerEvaluator(facts.markers or {})
    for expectation in expectations:
        if expectation.marker is not None and evaluator.holds(expectation.marker, "") is False:
            continue  # not meant for this target (a marker it cannot judge is checked)
        declared = expectation.declared
        location = Location(path=declared.path, line=declared.line, distribution=None if expectation.machine else expectation.name)
        found = (_machine_finding if expectation.machine else _distribution_finding)(expectation, facts, location)
        if found is not None:
            yield found

