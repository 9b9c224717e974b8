"""GPU: does the installed torch build fit the machine's driver, GPUs and vendor?"""

from __future__ import annotations

import re
from typing import Iterator, Optional, Sequence, Tuple

from envdoctor.api import check, report
from envdoctor.checks._shared import environment
from envdoctor.model.facts import Facts, Gpu
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import torch_build, torch_variant
from envdoctor.vocabulary.stack import TORCH
from envdoctor.vocabulary.torch_build_choice import MINIMUM_CAPABILITY, build_options, runs_on_gpu
from envdoctor.vocabulary.torch_catalogue import build_of, load_catalogue
from envdoctor.vocabulary.versions import major_minor, release

TORCH_INSTALL = "https://pytorch.org/get-started/locally/"


def build_fix(facts: Facts, rule_files: Sequence[str], manual: str) -> FixProposal:
    """Reinstall the best published torch build this machine runs (vocabulary/torch_build_choice.py,
    from the torch catalogue and the builds and indexes of the config's rule files), every option in
    the parameters for the fixer to resolve in turn; `manual` is the last resort."""
    options = build_options(facts, load_catalogue(rule_files))
    if not options:
        return FixProposal("manual", manual)
    best = options[0]
    return FixProposal(
        "reinstall", f"install {best.summary} from {best.build.index_url} (else, by hand: {manual})",
        install=best.install(),
        parameters={"options": [option.to_parameters() for option in options], "manual": manual},
    )


def _driver_text(facts: Facts) -> str:
    nvidia = facts.stack.nvidia
    parts = []
    if nvidia.driver_version:
        parts.append(f"driver {nvidia.driver_version} ({nvidia.driver_source})")
    if nvidia.cuda_driver_version:
        parts.append(f"supports CUDA up to {nvidia.cuda_driver_version} ({nvidia.cuda_source})")
    return ", ".join(parts) or "driver version unknown"


@check(
    code="GPU001",
    name="driver-too-old",
    summary="The NVIDIA driver is older than the CUDA runtime the installed torch build needs.",
    needs=("stack", "distributions"),
    fix="reinstall",
    inputs=("rule_files",),
)
def driver_too_old(facts: Facts, rule_files: Sequence[str] = ()) -> Iterator:
    """Compare torch's CUDA runtime with the newest CUDA the installed driver runs.

    What it detects
        A CUDA build of torch (torch/version.py `cuda = '13.0'`) on a machine whose NVIDIA
        driver reports an older CUDA version (cuDriverGetVersion, NVML), or, when only the
        driver version is known, a driver older than the oldest one that CUDA major runs on.

    Why it breaks
        A newer major fails at the first CUDA call: "CUDA driver version is insufficient for
        CUDA runtime version", and torch.cuda.is_available() is False. Within one major, CUDA's
        minor-version compatibility runs precompiled kernels, but anything that JIT-compiles
        PTX for the newer toolkit (Triton kernels, torch.compile, FlashInfer's JIT) fails with
        "the provided PTX was compiled with an unsupported toolchain".

        Severity: an error when torch's CUDA major is newer than the driver's (or, with only
        the driver version known, the driver is older than that major's minimum): every CUDA
        call the workload makes fails. A warning when only the minor is newer: torch's
        precompiled kernels run under minor-version compatibility, so the workload starts;
        what JIT-compiles PTX (Triton kernels, torch.compile, FlashInfer's JIT) fails the
        first time it is used.

    Example
        torch 2.11.0+cu130 needs CUDA 13.0, but driver 550.54.14 supports CUDA up to 12.4

    Fix
        `envdoctor fix` reinstalls a torch build the driver runs, chosen from the torch
        catalogue (docs/explanation/torch-catalogue.md): the same release built for an older
        CUDA first (`pip install torch==2.11.0+cu126 --index-url
        https://download.pytorch.org/whl/cu126`), else the nearest release that has one, with
        torchvision/torchaudio of the same build; each option is resolved by the installer's dry
        run before anything changes. Upgrading the NVIDIA driver is the manual last resort.

    References
        https://docs.nvidia.com/deploy/cuda-compatibility/
        https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/
    """
    build = torch_build(facts)
    nvidia = facts.stack.nvidia
    if build is None or nvidia is None or torch_variant(build) != "cuda" or not build.cuda:
        return
    needed = major_minor(build.cuda)
    have = major_minor(nvidia.cuda_driver_version)
    evidence = [f"torch {build.version}: CUDA {build.cuda} ({build.source})", _driver_text(facts)]
    fix = build_fix(facts, rule_files, f"upgrade the NVIDIA driver to one that supports CUDA {build.cuda}")
    location = Location(distribution=TORCH, path=build.source)
    if have is None:
        minimum = load_catalogue(rule_files).minimum_linux_driver(needed[0]) if needed else None
        driver = release(nvidia.driver_version)
        if minimum and driver and driver < release(minimum):
            yield report(
                Severity.ERROR,
                f"torch {build.version} needs CUDA {build.cuda}, which needs driver >= {minimum}; driver {nvidia.driver_version} is installed",
                subject=TORCH, message="Every CUDA call fails with 'CUDA driver version is insufficient for CUDA runtime version'.",
                evidence=evidence, location=location, fix=fix, references=("https://docs.nvidia.com/deploy/cuda-compatibility/",),
            )
        return
    if needed is None or needed <= have:
        return
    if needed[0] > have[0]:
        yield report(
            Severity.ERROR,
            f"torch {build.version} needs CUDA {build.cuda}, but the driver supports CUDA up to {nvidia.cuda_driver_version}",
            subject=TORCH,
            message=(
                f"A CUDA {needed[0]}.x runtime does not run on a driver of CUDA {have[0]}.x: torch.cuda.is_available() is "
                "False and every CUDA call fails with 'CUDA driver version is insufficient for CUDA runtime version'."
            ),
            evidence=evidence, location=location, fix=fix,
            references=("https://docs.nvidia.com/deploy/cuda-compatibility/",),
        )
    else:
        yield report(
            Severity.WARNING,
            f"torch {build.version} is built for CUDA {build.cuda}, newer than the driver's CUDA {nvidia.cuda_driver_version}",
            subject=TORCH,
            message=(
                "CUDA's minor-version compatibility runs torch's precompiled kernels, but PTX that is JIT-compiled "
                "for the newer toolkit (Triton kernels, torch.compile, FlashInfer's JIT) fails with 'the provided PTX "
                "was compiled with an unsupported toolchain'."
            ),
            evidence=evidence, location=location, fix=fix,
            references=("https://docs.nvidia.com/deploy/cuda-compatibility/#minor-version-compatibility",),
        )


_ARCH = re.compile(r"^(sm|compute)_(\d+)(a|f)?$")


def arch_supports(arch_list: Tuple[str, ...], capability: str) -> bool:
    """Whether a build with `arch_list` has code for a device of `capability`.

    SASS for sm_XY runs on X.Z with Z >= Y (same major); PTX for compute_XY is JIT-compiled
    for any device of XY or newer.  Arch-specific targets (sm_90a, sm_100f) run only on their
    own major.  ROCm lists gfx names, which must match exactly.
    """
    if capability.startswith("gfx"):
        return capability.split(":")[0] in {a.split(":")[0] for a in arch_list}
    wanted = major_minor(capability)
    if wanted is None:
        return True
    for arch in arch_list:
        match = _ARCH.match(arch)
        if not match:
            continue
        number = int(match.group(2))
        have = (number // 10, number % 10)
        if match.group(1) == "sm" and have[0] == wanted[0] and have[1] <= wanted[1]:
            return True
        if match.group(1) == "compute" and not match.group(3) and have <= wanted:
            return True
    return False


def _devices(facts: Facts) -> Tuple[Gpu, ...]:
    deep = facts.deep.torch if facts.deep else None
    if deep and deep.devices:
        return deep.devices
    return facts.stack.nvidia_gpus + tuple(
        Gpu(index=i, name=gfx, capability=gfx) for i, gfx in enumerate(facts.stack.amd_gpus)
    )


@check(
    code="GPU002",
    name="arch-not-in-build",
    summary="A GPU's compute capability is not covered by the torch build's arch list: 'no kernel image is available'.",
    needs=("stack", "distributions"),
    fix="reinstall",
    inputs=("rule_files",),
)
def arch_not_in_build(facts: Facts, rule_files: Sequence[str] = ()) -> Iterator:
    """Match each GPU's compute capability against the architectures torch was compiled for.

    What it detects
        With `--deep`: a GPU whose capability (torch.cuda.get_device_capability, NVML) has no
        SASS of the same major at or below it and no PTX at or below it in
        `torch.cuda.get_arch_list()`; on ROCm, a gfx target missing from the list. Without
        `--deep`, for an official build the torch catalogue knows (its version and build tag,
        or PyPI's default build of a plain version): the same test against the
        TORCH_CUDA_ARCH_LIST it was built with; for any other build, a GPU older than the
        oldest capability the build's CUDA major supports (CUDA 13 dropped Maxwell, Pascal
        and Volta: capability < 7.5). `check --with` judges the torch it would install the same way.

    Why it breaks
        torch imports and even reports the GPU, then the first kernel fails with "CUDA error:
        no kernel image is available for execution on the device" (HIP: "invalid device
        function"). New GPUs (sm_120 Blackwell desktop) on older builds and old GPUs on new
        builds both hit it.

        Severity: always an error: the GPU is listed, but no kernel of this build runs on
        it, so the first GPU operation the workload runs fails.

    Example
        GPU 0 NVIDIA GeForce RTX 5090 (capability 12.0) is not in torch 2.6.0+cu124's arch list sm_50 ... sm_90

    Fix
        `envdoctor fix` reinstalls a torch build whose arch list (TORCH_CUDA_ARCH_LIST of the
        official wheels, in the torch catalogue) covers every GPU and that the driver runs: the
        same release first (a V100 under torch 2.13.0+cu130: 2.13.0+cu126), else the nearest
        release. Without such a build: build torch from source with TORCH_CUDA_ARCH_LIST
        including the GPU.

    References
        https://docs.nvidia.com/cuda/blackwell-compatibility-guide/
        https://pytorch.org/get-started/locally/
    """
    build = torch_build(facts)
    if build is None:
        return
    deep = facts.deep.torch if facts.deep else None
    arch_list = deep.arch_list if deep else ()
    # Without --deep, an official build's arch list comes from the torch catalogue (the
    # TORCH_CUDA_ARCH_LIST it was built with): also for a torch `check --with` would install.
    devices = _devices(facts)
    published = None if arch_list or not devices else build_of(build.version or "", load_catalogue(rule_files))
    for gpu in devices:
        if not gpu.capability:
            continue
        if arch_list:
            if arch_supports(arch_list, gpu.capability):
                continue
            shown = " ".join(arch_list)
            yield report(
                Severity.ERROR,
                f"GPU {gpu.index} {gpu.name} (capability {gpu.capability}) is not in torch {build.version}'s arch list {shown}",
                subject=f"gpu{gpu.index}",
                message="torch sees the GPU, but no kernel in this build runs on it: the first CUDA kernel fails with 'no kernel image is available for execution on the device'.",
                evidence=(f"torch.cuda.get_arch_list(): {shown}", f"GPU {gpu.index}: {gpu.name}, capability {gpu.capability}"),
                location=Location(distribution=TORCH),
                fix=build_fix(facts, rule_files, f"build torch from source with TORCH_CUDA_ARCH_LIST including {gpu.capability}"),
            )
            continue
        cuda_major = (major_minor(build.cuda) or (0, 0))[0] if torch_variant(build) == "cuda" else 0
        minimum = MINIMUM_CAPABILITY.get(cuda_major)
        wanted = major_minor(gpu.capability)
        if minimum and wanted and wanted < minimum:
            yield report(
                Severity.ERROR,
                f"GPU {gpu.index} {gpu.name} (capability {gpu.capability}) is older than CUDA {cuda_major} supports (>= {minimum[0]}.{minimum[1]}); torch {build.version} is built with CUDA {build.cuda}",
                subject=f"gpu{gpu.index}",
                message=f"CUDA {cuda_major} builds carry no code for this GPU: kernels fail with 'no kernel image is available for execution on the device'.",
                evidence=(f"torch {build.version}: CUDA {build.cuda}", f"GPU {gpu.index}: {gpu.name}, capability {gpu.capability} ({facts.stack.nvidia.gpus_source if facts.stack.nvidia else ''})"),
                location=Location(distribution=TORCH),
                fix=build_fix(facts, rule_files, f"install a torch build for CUDA {cuda_major - 1}.x ({TORCH_INSTALL})"),
            )
            continue
        # Above CUDA's own minimum: an official build may still leave the GPU out (sm_120 under cu124).
        if published is not None and published.arch_list and published.cuda and not runs_on_gpu(published, gpu.capability):
            shown = ";".join(published.arch_list)
            yield report(
                Severity.ERROR,
                f"GPU {gpu.index} {gpu.name} (capability {gpu.capability}) is not in torch {build.version}'s arch list {shown}",
                subject=f"gpu{gpu.index}",
                message="No kernel in this build runs on the GPU: the first CUDA kernel fails with 'no kernel image is available for execution on the device'.",
                evidence=(f"torch {published.version}: TORCH_CUDA_ARCH_LIST {shown} (the official build, from the torch catalogue; "
                          "--deep reads torch.cuda.get_arch_list())",
                          f"GPU {gpu.index}: {gpu.name}, capability {gpu.capability}"),
                location=Location(distribution=TORCH),
                fix=build_fix(facts, rule_files, f"install a torch build whose arch list includes {gpu.capability}"),
                # The knowledge base's GPU-generation rules say the same from the CUDA version
                # alone (an RTX 50xx under a CUDA 12.4 build); the arch list is the finer evidence.
                replaces=_GPU_GENERATION_RULES,
            )


# KB rules (kb/rules/gpu.toml) that name a GPU too new for the build's CUDA: KB005 (RTX 50xx),
# KB006 (B200/GB200), KB007 (H100 under CUDA < 11.8). Their subject is torch.
_GPU_GENERATION_RULES = ("KB005:torch", "KB006:torch", "KB007:torch")


def _vendor(facts: Facts) -> Optional[str]:
    if facts.stack.nvidia_gpus:
        return "nvidia"
    if facts.stack.amd_gpus:
        return "amd"
    return None


@check(
    code="GPU003",
    name="wrong-torch-variant",
    summary="The torch build does not match the machine's GPUs: CPU-only with a GPU, CUDA on AMD, ROCm on NVIDIA.",
    needs=("stack", "distributions"),
    fix="reinstall",
    inputs=("rule_files",),
)
def wrong_torch_variant(facts: Facts, rule_files: Sequence[str] = ()) -> Iterator:
    """Compare torch's build variant with the GPU vendor the machine has.

    What it detects
        A CPU-only torch (`+cpu`, or `cuda` and `hip` both None in torch/version.py) on a
        machine with NVIDIA or AMD GPUs; a CUDA build where only AMD GPUs are present; a ROCm
        build where only NVIDIA GPUs are present.

    Why it breaks
        Nothing fails at install or import: `torch.cuda.is_available()` is simply False and the
        workload runs on the CPU, or serving frameworks stop with "No CUDA GPUs are available".
        The usual cause is an unpinned `pip install torch` resolving the CPU wheel, or a
        dependency reinstalling torch from the default index.

        Severity: always an error: code that asks for the GPU (`.cuda()`, `device="cuda"`, a
        serving framework) fails with "Torch not compiled with CUDA enabled" or "No CUDA
        GPUs are available", and code that picks the device itself silently runs on the CPU.

    Example
        torch 2.13.0+cpu is a CPU-only build, but this machine has 8 NVIDIA GPUs (NVIDIA H100 80GB HBM3)

    Fix
        `envdoctor fix` installs the build of the same torch release for the machine's
        accelerator from PyTorch's index (the newest CUDA build the driver runs, e.g.
        `pip install torch==2.13.0+cu130 --index-url https://download.pytorch.org/whl/cu130`;
        a ROCm build on AMD), resolved by a dry run first.

    References
        https://pytorch.org/get-started/locally/
    """
    build = torch_build(facts)
    vendor = _vendor(facts)
    if build is None or vendor is None:
        return
    variant = torch_variant(build)
    gpus = facts.stack.nvidia_gpus if vendor == "nvidia" else facts.stack.amd_gpus
    names = sorted({g.name if isinstance(g, Gpu) else g for g in gpus})
    machine = f"{len(gpus)} {'NVIDIA' if vendor == 'nvidia' else 'AMD'} GPU{'s' if len(gpus) != 1 else ''} ({', '.join(names)})"
    wanted = "CUDA" if vendor == "nvidia" else "ROCm"
    if variant == "cpu":
        title = f"torch {build.version} is a CPU-only build, but this machine has {machine}"
    elif variant == "cuda" and vendor == "amd":
        title = f"torch {build.version} is a CUDA build, but this machine has {machine} and no NVIDIA GPU"
    elif variant == "rocm" and vendor == "nvidia":
        title = f"torch {build.version} is a ROCm build, but this machine has {machine}"
    else:
        return
    yield report(
        Severity.ERROR,
        title,
        subject=TORCH,
        message=f"torch.cuda.is_available() is False with this build: the GPUs go unused and GPU code paths fail. Install torch's {wanted} build.",
        evidence=(f"torch {build.version}: cuda={build.cuda}, hip={build.hip} ({build.source})", f"GPUs: {machine}"),
        location=Location(distribution=TORCH, path=build.source),
        fix=build_fix(facts, rule_files, f"install torch's {wanted} build ({TORCH_INSTALL})"),
    )


@check(
    code="GPU004",
    name="gpu-unusable",
    summary="With --deep: torch is a GPU build and the machine has GPUs, but CUDA/HIP is unavailable or a kernel launch fails.",
    needs=("stack", "deep"),
    fix="manual",
)
def gpu_unusable(facts: Facts) -> Iterator:
    """Report what the deep torch probe saw fail on a machine that has GPUs.

    What it detects
        `--deep` imported torch in a subprocess: `torch.cuda.is_available()` was False although
        the build is CUDA/ROCm and the driver lists GPUs, or a one-element kernel launch
        (`torch.ones(1, device="cuda") + 1`) raised.

    Why it breaks
        This is the failure every workload on the machine will hit; the error text here is the
        first one CUDA gives, before a server's own error handling hides it (driver/library
        mismatch, GPUs hidden by CUDA_VISIBLE_DEVICES, a busy or faulted GPU, missing
        /dev/nvidia* in a container).

        Severity: always an error: the deep probe ran torch on this machine and it failed,
        so every GPU code path of the workload fails the same way.

    Example
        torch.cuda.is_available() is False, but the driver lists 1 GPU (NVIDIA H100 80GB HBM3)

    Fix
        Read the evidence: it names the CUDA error. Other findings of this run (GPU001,
        ENV001, ENV002) usually name the cause.

    References
        https://pytorch.org/docs/stable/notes/cuda.html
    """
    runtime = facts.deep.torch
    build = torch_build(facts)
    if runtime is None or build is None or torch_variant(build) not in ("cuda", "rocm") or _vendor(facts) is None:
        return
    gpus = _devices(facts)
    evidence = [f"torch {runtime.version}: cuda={runtime.cuda}, hip={runtime.hip}"]
    if runtime.error:
        evidence.append(runtime.error)
    if runtime.cuda_available is False:
        visible = environment(facts).get("CUDA_VISIBLE_DEVICES")
        if visible is not None:
            evidence.append(f"CUDA_VISIBLE_DEVICES={visible!r}")
        yield report(
            Severity.ERROR,
            f"torch.cuda.is_available() is False, but the driver lists {len(gpus)} GPU{'s' if len(gpus) != 1 else ''} ({', '.join(sorted({g.name for g in gpus}))})",
            subject=TORCH, message="Every GPU code path of the workload fails or falls back to the CPU.",
            evidence=evidence, location=Location(distribution=TORCH),
            fix=FixProposal("manual", "see the other findings of this run for the cause"),
        )
    elif runtime.kernel and runtime.kernel != "ok":
        yield report(
            Severity.ERROR,
            f"a one-element torch kernel launch fails: {runtime.kernel}",
            subject=TORCH, message="torch sees the GPU, but running code on it fails; the workload will fail the same way.",
            evidence=evidence + [f"torch.ones(1, device='cuda') + 1 -> {runtime.kernel}"],
            location=Location(distribution=TORCH),
            fix=FixProposal("manual", "see the CUDA error; GPU002 reports a missing arch"),
        )
