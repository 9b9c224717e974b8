"""The toolchain that FlashInfer, SGLang, DeepGEMM and torch.utils.cpp_extension build kernels with at run time.

Each check speaks only where something installed builds kernels at run time (the probe's
`toolchain.triggers`: a CUDA build of torch, FlashInfer, SGLang, DeepGEMM, ...) and names
what triggered it in its evidence; a CPU-only environment gets no finding.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

from envdoctor.api import check, report
from envdoctor.checks._cuda_arches import (
    TORCH_SUPPORTED, capability_of, flashinfer_arches, parse, runs_on, split_entries,
)
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Severity
from envdoctor.model.toolchain_facts import JitToolchain
from envdoctor.vocabulary.installed import torch_build
from envdoctor.vocabulary.stack import FLASHINFER_MODULE, FLASHINFER_PYTHON, RUNTIME_JIT_MODULES, TORCH_MODULE
from envdoctor.vocabulary.versions import major_minor, release

CPP_EXTENSION = "https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py"
NVCC_HOST_COMPILERS = "https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#host-compiler-support-policy"
CUDA_COMPATIBILITY = "https://docs.nvidia.com/cuda/cuda-c-programming-guide/#binary-compatibility"
LOW_SPACE_BYTES = 1 << 30
# KB004 (flashinfer-python without a toolkit), which JIT001 says more precisely when CUDA_HOME is set.
KB004_FLASHINFER = "KB004:" + FLASHINFER_PYTHON  # one JIT build of FlashInfer's attention kernels writes a few hundred MB


def _toolchain(facts: Facts) -> Optional[JitToolchain]:
    toolchain = facts.toolchain
    return toolchain if toolchain is not None and toolchain.triggers else None


def _triggered_by(toolchain: JitToolchain) -> str:
    return "builds kernels at run time: " + ", ".join(toolchain.triggers)


def _runtime_jit(toolchain: JitToolchain) -> List[str]:
    """Triggers that compile whatever the user does (not only on an explicit cpp_extension.load)."""
    return [name for name in toolchain.triggers if name in RUNTIME_JIT_MODULES]


@check(
    code="JIT001",
    name="jit-cuda-home",
    summary="CUDA_HOME/CUDA_PATH names no toolkit with nvcc, or no toolkit is found where a library compiles at run time.",
    needs=("toolchain",),
    fix="manual",
)
def jit_cuda_home(facts: Facts) -> Iterator:
    """Find the CUDA toolkit the way torch.utils.cpp_extension does.

    What it detects
        `CUDA_HOME` (or `CUDA_PATH`) set to a folder without `bin/nvcc`; or, where DeepGEMM
        (which compiles every kernel on first use) is installed, no toolkit at all: no
        `CUDA_HOME`/`CUDA_PATH`, no `nvcc` on PATH, no `/usr/local/cuda`. The toolkit is looked
        up in `torch.utils.cpp_extension._find_cuda_home`'s order. FlashInfer without a
        toolkit is KB004's (its JIT-cache package makes nvcc unnecessary); where both would
        speak, this finding names the variable and replaces KB004's.

    Why it breaks
        torch's `_check_cuda_version` raises "nvcc not found at '<CUDA_HOME>/bin/nvcc'" before
        any build, and without a toolkit `load`/`load_inline` stop with "CUDA_HOME environment
        variable is not set". FlashInfer and DeepGEMM build their kernels with that nvcc the
        first time a model runs, so the server fails at its first request, not at start-up.

        Severity: a warning: every run-time build fails, but whether the workload needs one
        (a kernel that is not precompiled, an explicit `load`) cannot be told from here, as
        for KB004. Nothing is said when no toolkit is found and only torch builds at run time:
        a CUDA build of torch needs no toolkit to run.

    Example
        CUDA_HOME=/usr/local/cuda-12.4 has no bin/nvcc; torch (CUDA 13.0) builds kernels with it

    Fix
        Point CUDA_HOME at the toolkit that matches torch's CUDA (`export
        CUDA_HOME=/usr/local/cuda-13.0`), or unset it; install the toolkit where FlashInfer
        compiles kernels (or install flashinfer-jit-cache).

    References
        https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py
        https://docs.flashinfer.ai/installation.html
    """
    toolchain = _toolchain(facts)
    if toolchain is None or toolchain.nvcc:
        return
    if toolchain.cuda_home and toolchain.cuda_home_via in ("CUDA_HOME", "CUDA_PATH"):
        yield report(
            Severity.WARNING,
            f"{toolchain.cuda_home_via}={toolchain.cuda_home} has no bin/nvcc; {', '.join(toolchain.triggers)} "
            "builds kernels with it",
            subject=toolchain.cuda_home_via,
            message="torch.utils.cpp_extension raises \"nvcc not found\" before any JIT build, and every run-time "
                    "kernel build (FlashInfer, SGLang, DeepGEMM) fails the same way.",
            evidence=tuple(line for line in (f"{toolchain.cuda_home_via}={toolchain.cuda_home}", toolchain.nvcc_error,
                                             _triggered_by(toolchain)) if line),
            references=(CPP_EXTENSION,),
            fix=FixProposal("manual", f"point {toolchain.cuda_home_via} at a CUDA toolkit with bin/nvcc, or unset it"),
            replaces=(KB004_FLASHINFER,),
        )
        return
    compilers = _runtime_jit(toolchain)
    if compilers:
        found = f"{toolchain.cuda_home} ({toolchain.cuda_home_via}) has no bin/nvcc" if toolchain.cuda_home else \
            "no CUDA_HOME/CUDA_PATH, no nvcc on PATH, no /usr/local/cuda"
        yield report(
            Severity.WARNING,
            f"no CUDA toolkit found, but {', '.join(compilers)} compiles its kernels at run time",
            subject=compilers[0],
            message="Its kernels are built with the toolkit's nvcc the first time they run; without a toolkit "
                    "that build fails at the first request.",
            evidence=(found, _triggered_by(toolchain)),
            references=(CPP_EXTENSION,),
            fix=FixProposal("manual", "install the CUDA toolkit matching torch's CUDA and set CUDA_HOME"),
        )


@check(
    code="JIT002",
    name="jit-nvcc-version",
    summary="The toolkit's nvcc is another CUDA release than torch was built with.",
    needs=("toolchain", "stack"),
    fix="manual",
)
def jit_nvcc_version(facts: Facts) -> Iterator:
    """Compare the release `nvcc --version` prints with torch.version.cuda, as torch does before a JIT build.

    What it detects
        A CUDA build of torch whose CUDA version differs from the release of the nvcc that
        JIT builds use (`CUDA_HOME/bin/nvcc`, found in torch's order).

    Why it breaks
        torch.utils.cpp_extension's `_check_cuda_version` raises "The detected CUDA version
        (12.4) mismatches the version that was used to compile PyTorch (13.0)" when the major
        versions differ, so `load`, `load_inline` and every extension build stop. A different
        minor version only logs a warning ("Most likely this shouldn't be a problem").

        Severity: an error for a different major version (the build refuses); info for a
        different minor version, which torch accepts.

    Example
        nvcc 12.4 (/usr/local/cuda-12.4/bin/nvcc) builds kernels for torch 2.13.0+cu130, built with CUDA 13.0

    Fix
        Point CUDA_HOME at a toolkit of torch's CUDA major version, or install the torch
        build for the toolkit's CUDA.

    References
        https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py
    """
    toolchain = _toolchain(facts)
    build = torch_build(facts)
    if toolchain is None or not toolchain.nvcc_version or build is None or not build.cuda:
        return
    nvcc, torch_cuda = major_minor(toolchain.nvcc_version), major_minor(build.cuda)
    if nvcc is None or torch_cuda is None or nvcc == torch_cuda:
        return
    major = nvcc[0] != torch_cuda[0]
    yield report(
        Severity.ERROR if major else Severity.INFO,
        f"nvcc {toolchain.nvcc_version} ({toolchain.nvcc}) builds kernels for torch {build.version}, built with "
        f"CUDA {build.cuda}",
        subject=TORCH_MODULE,
        message=("torch.utils.cpp_extension refuses to build when the CUDA major versions differ ('The detected "
                 "CUDA version mismatches the version that was used to compile PyTorch')." if major else
                 "torch logs a warning for a different CUDA minor version and builds; most extensions work."),
        evidence=(f"{toolchain.nvcc_source}: release {toolchain.nvcc_version}",
                  f"CUDA home: {toolchain.cuda_home} ({toolchain.cuda_home_via})",
                  f"torch.version.cuda = {build.cuda} ({build.source})", _triggered_by(toolchain)),
        references=(CPP_EXTENSION,),
        fix=FixProposal("manual", f"set CUDA_HOME to a CUDA {torch_cuda[0]}.x toolkit"),
    )


@check(
    code="JIT003",
    name="jit-arch-list",
    summary="TORCH_CUDA_ARCH_LIST (or FLASHINFER_CUDA_ARCH_LIST) builds no code that runs on a local GPU.",
    needs=("toolchain", "stack"),
    fix="manual",
)
def jit_arch_list(facts: Facts) -> Iterator:
    """Read the arch-list variables against the compute capabilities of the local GPUs.

    What it detects
        `TORCH_CUDA_ARCH_LIST` (read by torch.utils.cpp_extension and the libraries built on
        it) or `FLASHINFER_CUDA_ARCH_LIST` (FlashInfer, where installed) set to a list with no
        entry whose code runs on a GPU of this machine: no cubin of the GPU's major version at or
        below its minor, and no PTX at or below its capability that the driver could compile for
        it. FlashInfer builds "9.0" as 9.0a and "10.0" as 10.0a (that architecture only) and no
        PTX. Also an entry the library cannot read, which stops the build.

    Why it breaks
        The build succeeds and the kernel fails at its first launch with "no kernel image is
        available for execution on the device" (or a device-side error), the way FlashInfer's,
        SGLang's and DeepGEMM's JIT kernels fail on a machine their arch list left out. An
        unknown entry raises "Unknown CUDA arch (...) or GPU not supported" before building.

        Severity: an error: every kernel built under the list fails on that GPU. Without
        GPU facts (no driver) there is nothing to judge and nothing is reported.

    Example
        TORCH_CUDA_ARCH_LIST=8.0 builds no code for GPU 0 NVIDIA H200 (capability 9.0)

    Fix
        Add the GPU's capability (`export TORCH_CUDA_ARCH_LIST="9.0"`), add `+PTX` to the
        newest entry, or unset the variable (torch then builds for the visible GPUs).

    References
        https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py
        https://docs.nvidia.com/cuda/cuda-c-programming-guide/#binary-compatibility
        https://docs.flashinfer.ai/installation.html
    """
    toolchain = _toolchain(facts)
    if toolchain is None:
        return
    gpus = [(gpu, capability_of(gpu.capability)) for gpu in facts.stack.nvidia_gpus]
    gpus = [(gpu, capability) for gpu, capability in gpus if capability]
    for variable, value in sorted(toolchain.arch_lists.items()):
        is_torch = variable == "TORCH_CUDA_ARCH_LIST"
        if not (is_torch or (variable == "FLASHINFER_CUDA_ARCH_LIST" and FLASHINFER_MODULE in toolchain.triggers)):
            continue
        if value.strip() in ("", "native"):
            continue  # torch builds for the visible GPUs
        if is_torch:
            entries = split_entries(value, expand_named=True)
            unknown = [e for e in entries if e.replace("+PTX", "") not in TORCH_SUPPORTED or parse(e) is None]
            arches = [parse(entry) for entry in entries] if not unknown else []
        else:
            arches = flashinfer_arches(value) or []
            unknown = [] if arches else [value]
        if unknown:
            yield _unknown_arch(toolchain, variable, value, unknown)
            continue
        for gpu, capability in gpus:
            if not any(runs_on(arch, capability) for arch in arches):
                yield _missing_arch(toolchain, variable, value, gpu)


def _unknown_arch(toolchain: JitToolchain, variable: str, value: str, unknown: List[str]):
    return report(
        Severity.ERROR,
        f"{variable}={value} has entries the build does not know: {', '.join(unknown)}",
        subject=variable,
        message=("torch.utils.cpp_extension stops with \"Unknown CUDA arch (...) or GPU not supported\" before "
                 "it compiles anything." if variable == "TORCH_CUDA_ARCH_LIST" else
                 "FlashInfer reads it as 'X.Y' entries separated by single spaces and fails with a ValueError "
                 "when it builds its first kernel."),
        evidence=(f"{variable}={value}", _triggered_by(toolchain)),
        references=(CPP_EXTENSION,),
        fix=FixProposal("manual", "write it as 'X.Y' entries separated by ';' (e.g. 9.0;10.0+PTX)"
                        if variable == "TORCH_CUDA_ARCH_LIST" else "write it as 'X.Y' entries separated by spaces (e.g. 9.0 10.0)"),
    )


def _missing_arch(toolchain: JitToolchain, variable: str, value: str, gpu):
    return report(
        Severity.ERROR,
        f"{variable}={value} builds no code for GPU {gpu.index} {gpu.name} (capability {gpu.capability})",
        subject=variable,
        message="Kernels built under this list fail at their first launch on this GPU with 'no kernel image is "
                "available for execution on the device': no cubin of its major version at or below its "
                "capability, and no PTX the driver could compile for it.",
        evidence=(f"{variable}={value}", f"GPU {gpu.index}: {gpu.name}, compute capability {gpu.capability}",
                  _triggered_by(toolchain)),
        references=(CPP_EXTENSION, CUDA_COMPATIBILITY),
        fix=FixProposal("manual", f"add {gpu.capability} to {variable}, or unset it"),
    )


@check(
    code="JIT004",
    name="jit-host-compiler",
    summary="The host compiler nvcc would run is missing, or newer than the toolkit's host_config.h accepts.",
    needs=("toolchain",),
    fix="manual",
)
def jit_host_compiler(facts: Facts) -> Iterator:
    """Compare the host compiler's version with the range the toolkit's nvcc accepts.

    What it detects
        The compiler nvcc runs for host code (`$CC`, which torch passes as `-ccbin`;
        `$NVCC_CCBIN`; else `gcc` on PATH) missing, or a gcc (clang) major version above
        the newest one the toolkit's `include/crt/host_config.h` lets through, unless
        `-allow-unsupported-compiler` is in `NVCC_APPEND_FLAGS`/`NVCC_PREPEND_FLAGS`.

    Why it breaks
        host_config.h stops every nvcc compilation with "#error -- unsupported GNU version!
        gcc versions later than 15 are not supported!"; without a host compiler nvcc cannot
        compile anything. Every JIT build fails.

        Severity: an error: every run-time kernel build fails.

    Example
        gcc 16.1.0 (/usr/bin/gcc) is newer than CUDA 13.0's nvcc accepts (gcc <= 15)

    Fix
        Install a supported gcc and point CC at it (`export CC=/usr/bin/gcc-13`), or a newer
        toolkit.

    References
        https://docs.nvidia.com/cuda/cuda-installation-guide-linux/#host-compiler-support-policy
        https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py
    """
    toolchain = _toolchain(facts)
    if toolchain is None or not toolchain.nvcc or toolchain.compiler is None:
        return
    compiler, limits = toolchain.compiler, toolchain.compiler_range
    evidence = (f"host compiler: {compiler.command} ({compiler.via})", _triggered_by(toolchain))
    if compiler.path is None:
        yield report(
            Severity.ERROR, f"the host compiler nvcc runs, {compiler.command}, is not on PATH",
            subject=compiler.command, message="nvcc compiles the host half of every kernel with it; without it "
                                              "every JIT build fails.",
            evidence=evidence, references=(NVCC_HOST_COMPILERS,),
            fix=FixProposal("manual", "install gcc/g++ (or set CC to an installed compiler)"),
        )
        return
    if limits is None or limits.allow_unsupported or not compiler.version:
        return
    newest = limits.gcc_max_major if compiler.family == "gcc" else limits.clang_max_major
    parts = release(compiler.version)
    if newest is None or parts is None or parts[0] <= newest:
        return
    yield report(
        Severity.ERROR,
        f"{compiler.family} {compiler.version} ({compiler.path}) is newer than CUDA {toolchain.nvcc_version}'s nvcc "
        f"accepts ({compiler.family} <= {newest})",
        subject=compiler.command,
        message=f"The toolkit's host_config.h stops every compilation with '#error -- unsupported "
                f"{'GNU' if compiler.family == 'gcc' else 'clang'} version!'.",
        evidence=evidence + (f"{limits.source}: {compiler.family} newer than {newest} is an #error",),
        references=(NVCC_HOST_COMPILERS,),
        fix=FixProposal("manual", f"set CC to a {compiler.family} <= {newest}"),
    )


@check(
    code="JIT005",
    name="jit-ninja",
    summary="ninja, which torch.utils.cpp_extension builds with, is not on the target's PATH.",
    needs=("toolchain",),
    fix="manual",
)
def jit_ninja(facts: Facts) -> Iterator:
    """Look for ninja where torch's JIT build looks: the PATH of the target's process.

    What it detects
        A CUDA toolkit and a library that builds kernels at run time, but no `ninja` on the
        target's PATH, including a `ninja` installed in the venv's `bin/` folder that the
        PATH does not hold (the venv is used without being activated).

    Why it breaks
        `load`/`load_inline` call `verify_ninja_availability()`, which runs `ninja --version`
        from PATH and raises "Ninja is required to load C++ extensions"; FlashInfer's JIT
        writes a build.ninja and runs ninja the same way.

        Severity: a warning: only run-time builds fail, and a precompiled kernel may never
        need one.

    Example
        ninja is not on PATH; /venv/bin/ninja exists but PATH does not hold /venv/bin

    Fix
        `pip install ninja` into the environment and run it activated (or add its bin/ to PATH).

    References
        https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py
    """
    toolchain = _toolchain(facts)
    if toolchain is None or not toolchain.nvcc or toolchain.ninja:
        return
    beside = toolchain.ninja_beside_interpreter
    yield report(
        Severity.WARNING,
        "ninja is not on PATH" + (f"; {beside} exists but PATH does not hold its folder" if beside else ""),
        subject="ninja",
        message="torch.utils.cpp_extension raises 'Ninja is required to load C++ extensions' before any run-time "
                "build; FlashInfer's JIT builds with ninja too.",
        evidence=(f"nvcc: {toolchain.nvcc}", _triggered_by(toolchain)),
        references=(CPP_EXTENSION,),
        fix=FixProposal("manual", "activate the environment (its bin/ on PATH)" if beside else "pip install ninja"),
    )


@check(
    code="JIT006",
    name="jit-cache-dir",
    summary="A JIT cache folder (torch extensions, FlashInfer, Triton) cannot be written or has under 1 GiB free.",
    needs=("toolchain",),
    fix="manual",
)
def jit_cache_dir(facts: Facts) -> Iterator:
    """Check each installed JIT compiler's cache folder: writable by this user, with space left.

    What it detects
        The folder torch's extensions (`TORCH_EXTENSIONS_DIR`, else ~/.cache/torch_extensions),
        FlashInfer (`FLASHINFER_WORKSPACE_BASE`/.cache/flashinfer, else ~/.cache/flashinfer)
        or Triton (`TRITON_CACHE_DIR`, else ~/.triton/cache) build into, where that library is
        installed, when it (or the nearest folder that exists above it) is not writable, or
        its file system has less than 1 GiB free.

    Why it breaks
        Every JIT build writes its sources, objects and the built module there; Triton writes
        every compiled kernel there. A read-only home (containers, shared clusters) fails the
        first build with "Permission denied"; a full disk fails it midway with errors that
        name a temporary file.

        Severity: an error when Triton's or FlashInfer's folder cannot be written (they
        compile on first use, whatever the program does); a warning for torch's extensions
        folder (written only by an explicit `load`/`load_inline` or a package built on it)
        and when space is low.

    Example
        TRITON_CACHE_DIR=/readonly/triton cannot be written (nearest existing folder /readonly)

    Fix
        Point the variable at a writable folder with space (`export TRITON_CACHE_DIR=/tmp/triton`).

    References
        https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py
        https://github.com/flashinfer-ai/flashinfer/blob/main/flashinfer/jit/env.py
        https://github.com/triton-lang/triton/blob/main/python/triton/knobs.py
    """
    toolchain = _toolchain(facts)
    if toolchain is None:
        return
    for folder in toolchain.cache_dirs:
        named = f"{folder.via}={folder.path}" if folder.via != "default" else f"{folder.path} (the default)"
        evidence = (f"{folder.module}'s JIT cache: {folder.path} (nearest existing folder: {folder.existing})",
                    _triggered_by(toolchain))
        if folder.writable is False or folder.existing is None:
            yield report(
                Severity.WARNING if folder.module == TORCH_MODULE else Severity.ERROR,
                f"{named} cannot be written: {folder.module} builds kernels into it",
                subject=folder.path, message="The first run-time build fails with 'Permission denied'.",
                evidence=evidence, fix=FixProposal("manual", "point the variable at a writable folder"),
            )
        elif folder.free_bytes is not None and folder.free_bytes < LOW_SPACE_BYTES:
            yield report(
                Severity.WARNING, f"{named} has {folder.free_bytes // (1 << 20)} MiB free: {folder.module} builds "
                                  "kernels into it",
                subject=folder.path, message="A JIT build writes hundreds of MB; a full disk fails it midway.",
                evidence=evidence, fix=FixProposal("manual", "free space or point the variable at another disk"),
            )


# The static checks whose findings explain a failed JIT build, by code.
STATIC_CAUSES = (("JIT001", jit_cuda_home), ("JIT002", jit_nvcc_version), ("JIT003", jit_arch_list),
                 ("JIT004", jit_host_compiler))


@check(
    code="JIT007",
    name="jit-build-fails",
    summary="--deep: a one-line CUDA kernel built at run time (nvcc, torch's arch flags) fails to build or to run.",
    needs=("deep",),
    fix="manual",
)
def jit_build_fails(facts: Facts) -> Iterator:
    """Build a one-line CUDA kernel the way a run-time build does, load it into torch's context and run it.

    What it detects
        With `--deep`, on a machine where torch sees a GPU and something installed builds
        kernels at run time: a kernel compiled by the toolkit's nvcc with the architecture
        flags torch.utils.cpp_extension computes (`TORCH_CUDA_ARCH_LIST`, else the visible
        GPUs) and `$CC` as host compiler, then loaded into torch's CUDA context and launched
        on a tensor, that fails to compile, to load ("no kernel image is available for
        execution on the device"), to run, or gives a wrong result. The build runs in a
        temporary folder that is removed, within `--timeout`.

    Why it breaks
        It is the path FlashInfer's, SGLang's and DeepGEMM's JIT kernels and
        `load_inline` take: what fails here fails there, at the first request. The static
        JIT checks name the cause where they can (their codes are in the finding); otherwise
        the compiler's or CUDA's own message is shown.

        Severity: an error: run-time kernel builds fail on this machine.

    Example
        the run-time build of a one-line CUDA kernel fails at launch: CUDA error 209: no kernel
        image is available for execution on the device (explained by JIT003)

    Fix
        Fix what the named static finding says; otherwise read the compiler's message.

    References
        https://github.com/pytorch/pytorch/blob/main/torch/utils/cpp_extension.py
        https://docs.nvidia.com/cuda/cuda-driver-api/group__CUDA__MODULE.html
    """
    build = facts.deep.jit_build if facts.deep else None
    if build is None or build.outcome == "ok":
        return
    causes = [f"{code}: {finding.title}" for code, function in STATIC_CAUSES
              for finding in function(facts) if finding.severity == Severity.ERROR]
    stage = {"build-failed": "to build", "launch-failed": "at launch", "wrong-result": "with a wrong result",
             "timeout": f"within --timeout ({build.seconds:.0f} s)"}.get(build.outcome, f"({build.outcome})")
    first = (build.error or "").strip().splitlines()[-1:] or [""]
    codes = dict.fromkeys(cause.split(":")[0] for cause in causes)  # one GPU model twice: one code
    explained = f" (explained by {', '.join(codes)})" if causes else ""
    yield report(
        Severity.ERROR,
        f"the run-time build of a one-line CUDA kernel fails {stage}: {first[0]}{explained}",
        subject="jit-build",
        message="FlashInfer, SGLang and DeepGEMM build their kernels this way at the first request; they fail the "
                "same way on this machine.",
        evidence=tuple(causes) + tuple((build.error or "").strip().splitlines()[-6:])
        + ((f"TORCH_CUDA_ARCH_LIST={build.arch_list}",) if build.arch_list else ()),
        references=(CPP_EXTENSION,),
        fix=FixProposal("manual", "fix the named JIT finding first" if causes else "read the compiler's message"),
    )
