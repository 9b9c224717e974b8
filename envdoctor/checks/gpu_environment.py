"""Environment variables that change which GPUs and which CUDA libraries a process gets."""

from __future__ import annotations

import os
from typing import Iterator, List, Optional

from envdoctor.api import check, report
from envdoctor.checks._shared import environment
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Severity
from envdoctor.vocabulary.installed import installed, torch_build
from envdoctor.vocabulary.versions import release

VISIBILITY_VARIABLES = ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES")


def _device_count(facts: Facts, variable: str) -> Optional[int]:
    """How many GPUs the variable chooses among; None when the driver lists none to judge by."""
    stack = facts.stack
    if variable == "CUDA_VISIBLE_DEVICES":  # ROCm honours it too
        count = len(stack.nvidia_gpus) or len(stack.amd_gpus)
    else:
        count = len(stack.amd_gpus)
    return count or None


def _absent(entries: List[str], count: int, uuids: List[str]) -> List[str]:
    """Entries naming no device.  CUDA stops at the first invalid entry, so later ones are lost too."""
    absent = []
    for entry in entries:
        if entry.isdigit():
            if int(entry) >= count:
                absent.append(entry)
        elif entry.startswith("GPU-"):
            if uuids and not any(u.startswith(entry) for u in uuids):
                absent.append(entry)
        elif not entry.startswith("MIG-"):
            absent.append(entry)
    return absent


@check(
    code="ENV001",
    name="visible-devices",
    summary="CUDA_VISIBLE_DEVICES (or HIP_/ROCR_VISIBLE_DEVICES) is set but empty, or names devices that do not exist.",
    needs=("stack", "interpreter"),
    fix="manual",
)
def visible_devices(facts: Facts) -> Iterator:
    """Read the device-visibility variables against the GPUs the driver lists.

    What it detects
        `CUDA_VISIBLE_DEVICES`, `HIP_VISIBLE_DEVICES` or `ROCR_VISIBLE_DEVICES` set to an empty
        string or -1 on a machine with GPUs, or listing an index beyond the GPUs present, a UUID
        no GPU has, or something that is neither.

    Why it breaks
        An empty value hides every GPU: torch.cuda.is_available() is False and serving
        frameworks stop with "No CUDA GPUs are available", with nothing in the message pointing
        at the variable (often inherited from a job scheduler or a Dockerfile `ENV`). CUDA
        reads the list up to the first invalid entry and silently drops the rest, so `0,4,1`
        on a 2-GPU machine gives one GPU, not two.

        Severity: an error when the value leaves no GPU visible (empty, -1, or a first entry
        that names no device): every GPU code path fails. A warning when a valid prefix
        remains: the workload runs, on fewer GPUs than the variable asks for, and a job that
        needs them all (tensor parallelism over the list) fails.

    Example
        CUDA_VISIBLE_DEVICES='' hides all 8 GPUs of this machine

    Fix
        Unset the variable, or list devices that exist (indices below the GPU count, or
        UUIDs from `nvidia-smi -L`).

    References
        https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#env-vars
    """
    env = environment(facts)
    for variable in VISIBILITY_VARIABLES:
        value = env.get(variable)
        count = _device_count(facts, variable) if value is not None else None
        if value is None or count is None:
            continue
        entries = [e.strip() for e in value.split(",") if e.strip()]
        uuids = [g.uuid for g in facts.stack.nvidia_gpus if g.uuid]
        fix = FixProposal("manual", f"unset {variable}, or set it to devices that exist (0..{count - 1})")
        if not entries or entries[0] == "-1":
            yield report(
                Severity.ERROR,
                f"{variable}={value!r} hides all {count} GPU{'s' if count != 1 else ''} of this machine",
                subject=variable,
                message="No GPU is visible to CUDA/HIP in this environment: torch.cuda.is_available() is False and GPU workloads fail or run on the CPU.",
                evidence=(f"{variable}={value!r}", f"{count} GPU(s) listed by the driver"),
                fix=fix,
            )
            continue
        absent = _absent(entries, count, uuids)
        if absent:
            kept = entries[: entries.index(absent[0])]
            yield report(
                Severity.ERROR if not kept else Severity.WARNING,
                f"{variable}={value!r} names device{'s' if len(absent) > 1 else ''} {', '.join(absent)} that this machine does not have ({count} GPU{'s' if count != 1 else ''})",
                subject=variable,
                message=(
                    "CUDA reads the list up to the first entry that names no device and ignores the rest: "
                    f"{'no GPU is visible' if not kept else 'only ' + ','.join(kept) + ' remain visible'}."
                ),
                evidence=(f"{variable}={value!r}", f"{count} GPU(s) listed by the driver"),
                fix=fix,
            )


# Which wheel ships each library torch loads, by the library's short name.
WHEEL_OF = {"cudart": "cuda-runtime", "nccl": "nccl", "cudnn": "cudnn", "cublas": "cublas", "nvrtc": "cuda-nvrtc"}


def _wheel(facts: Facts, library: str):
    stem = WHEEL_OF.get(library)
    if not stem:
        return None
    for suffix in ("-cu13", "-cu12", "-cu11", ""):
        dist = installed(facts, f"nvidia-{stem}{suffix}")
        if dist is not None:
            return dist
    return None


@check(
    code="ENV002",
    name="library-path-override",
    summary="LD_LIBRARY_PATH puts a different CUDA runtime, NCCL or cuDNN ahead of the one torch ships with.",
    needs=("stack", "distributions"),
    fix="manual",
)
def library_path_override(facts: Facts) -> Iterator:
    """Find CUDA libraries in LD_LIBRARY_PATH that differ from the nvidia-* wheels torch uses.

    What it detects
        A `libnccl.so.2.X.Y`, `libcudart.so.12.X`, `libcudnn.so.9.X` or `libcublas.so.12.X` in an
        LD_LIBRARY_PATH folder with the same soname major as the copy in the installed
        `nvidia-*` wheel but a different version.

    Why it breaks
        torch's libraries find their CUDA dependencies through RUNPATH, which the dynamic
        loader searches after LD_LIBRARY_PATH: the system's older NCCL or runtime is loaded
        instead of the wheel's, and torch fails with "undefined symbol: ncclCommRegister" (or
        a cuDNN/cuBLAS version error) or, worse, runs with the wrong library's bugs.

        Severity: a warning: the two copies share a soname major, so torch usually loads and
        runs with the other copy; it breaks when torch calls a symbol that copy lacks (often
        after a torch upgrade) or hits that version's bugs. envdoctor cannot tell which
        symbols torch needs, so it does not say error.

    Example
        LD_LIBRARY_PATH folder /usr/local/cuda/lib64 has libnccl.so.2.21.5, but torch uses nvidia-nccl-cu12 2.27.3

    Fix
        Remove the folder from LD_LIBRARY_PATH (or put it after the wheel's), or install the
        matching `nvidia-*` wheel version.

    References
        https://man7.org/linux/man-pages/man8/ld.so.8.html
    """
    if torch_build(facts) is None:
        return
    for library in facts.stack.libraries:
        if library.via != "LD_LIBRARY_PATH" or not library.version:
            continue
        wheel = _wheel(facts, library.library)
        ours, theirs = release(library.version), release(wheel.version if wheel else None)
        if not ours or not theirs or ours[0] != theirs[0] or len(ours) < 2:
            continue  # another soname major, or only the soname known: not the same library
        if ours[: len(theirs)] == theirs[: len(ours)]:
            continue
        yield report(
            Severity.WARNING,
            f"LD_LIBRARY_PATH folder {os.path.dirname(library.path)} has lib{library.library} {library.version}, but torch uses {wheel.name} {wheel.version}",
            subject=library.path,
            message=(
                f"The loader searches LD_LIBRARY_PATH before torch's RUNPATH, so this lib{library.library} is the one loaded: "
                "expect undefined-symbol errors at import or the other version's behaviour at run time."
            ),
            evidence=(f"LD_LIBRARY_PATH[{library.position}]: {library.path}", f"{wheel.name} {wheel.version} ({wheel.metadata_path})"),
            fix=FixProposal("manual", f"remove {os.path.dirname(library.path)} from LD_LIBRARY_PATH, or install {wheel.name}=={library.version}"),
        )


@check(
    code="ENV003",
    name="preloaded-cuda-library",
    summary="LD_PRELOAD forces a CUDA, NCCL or cuDNN library into every process.",
    needs=("stack",),
    fix="manual",
)
def preloaded_cuda_library(facts: Facts) -> Iterator:
    """Report CUDA libraries that LD_PRELOAD loads ahead of everything.

    What it detects
        An LD_PRELOAD entry naming libcudart, libcuda, libnccl, libcudnn, libcublas or libnvrtc.

    Why it breaks
        A preloaded library wins over every RUNPATH and every wheel: torch, NCCL's plugins and
        JIT-compiled extensions all bind to it, whatever version they were built for. It is a
        common leftover of debugging an NCCL problem (`LD_PRELOAD=/path/libnccl.so.2`) that
        then breaks the next torch upgrade.

        Severity: a warning: a preloaded library works as long as its version suits
        everything built against it; the next torch, NCCL or driver upgrade that needs
        another version breaks every process at once.

    Example
        LD_PRELOAD loads /opt/nccl/lib/libnccl.so.2 into every process

    Fix
        Remove the entry from LD_PRELOAD (and from the shell profile or job script that sets it).

    References
        https://man7.org/linux/man-pages/man8/ld.so.8.html
    """
    for library in facts.stack.libraries:
        if library.via != "LD_PRELOAD":
            continue
        yield report(
            Severity.WARNING,
            f"LD_PRELOAD loads {library.path} into every process",
            subject=library.path,
            message=f"Every library and extension binds to this lib{library.library}, whichever version it was built against.",
            evidence=(f"LD_PRELOAD entry {library.position}: {library.path}",),
            fix=FixProposal("manual", f"remove {library.path} from LD_PRELOAD"),
        )
