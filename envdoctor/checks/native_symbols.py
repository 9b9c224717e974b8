"""Extension modules of the stack whose native references the dynamic linker cannot satisfy."""

from __future__ import annotations

import os
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from envdoctor.api import check, report
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Severity
from envdoctor.model.native_facts import LIBRARY, SYMBOL, VERSION, UnresolvedReference
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.requires_dist import parsed_requirements
from envdoctor.vocabulary.stack import TORCH
from envdoctor.vocabulary.versions import satisfies

# Symbols shown in a title, and in the evidence, per finding.
_SHOWN = 3
_EVIDENCE = 10
_TORCH_LIBRARIES = ("libc10", "libtorch", "libshm")
_CUDA_DRIVER = "libcuda.so"
_VIA_LD_LIBRARY_PATH = "LD_LIBRARY_PATH"
LD_SO_MANUAL = "https://www.unix.com/man-page/posix/8/ld.so/"


def _by_extension(facts: Facts, kinds: Tuple[str, ...]) -> Dict[str, List[UnresolvedReference]]:
    grouped: Dict[str, List[UnresolvedReference]] = {}
    for problem in facts.native_linkage.problems:
        if problem.kind in kinds:
            grouped.setdefault(problem.extension, []).append(problem)
    return grouped


def _symbol_text(problem: UnresolvedReference) -> str:
    if problem.kind == VERSION:
        return f"version {problem.name} of {problem.library}"
    name = f"{problem.name}@{problem.version}" if problem.version else problem.name
    return f"{name} ({problem.demangled})" if problem.demangled else name


def _torch_reason(facts: Facts, problem: UnresolvedReference, libraries: Iterable[str]) -> Optional[str]:
    """'built for torch X, torch Y is installed' when the failing object links torch's `libraries`
    and its distribution's torch requirement excludes the installed torch."""
    if problem.distribution == TORCH or not any(name.startswith(_TORCH_LIBRARIES) for name in libraries):
        return None
    torch = installed(facts, TORCH)
    dist = installed(facts, problem.distribution)
    if torch is None or dist is None:
        return None
    requirements, _ = parsed_requirements(dist)
    wanted = next((r for r in requirements if r.key == TORCH and r.has_specifier), None)
    if wanted is None or satisfies(torch.version, str(wanted.requirement.specifier)):
        return f"{problem.distribution} {problem.distribution_version} was built against another torch than the installed torch {torch.version}"
    return (f"{problem.distribution} {problem.distribution_version} was built for torch{wanted.requirement.specifier} "
            f"(its Requires-Dist); torch {torch.version} is installed, and torch's C++ ABI changes between releases")


def _needed(problem: UnresolvedReference) -> Tuple[str, ...]:
    return tuple(entry.name for entry in problem.libraries)


def _driver_reason(facts: Facts, problem: UnresolvedReference) -> Optional[str]:
    cuda = next((entry for entry in problem.libraries if entry.name.startswith(_CUDA_DRIVER)), None)
    if cuda is None or not problem.name.startswith("cu"):
        return None
    nvidia = facts.stack.nvidia if facts.stack else None
    driver = f"driver {nvidia.driver_version} (CUDA {nvidia.cuda_driver_version})" if nvidia and nvidia.driver_version else "the installed driver"
    return f"{cuda.path} of {driver} does not export the CUDA driver API {problem.name}: the package needs a newer driver"


def _override_reason(problem: UnresolvedReference) -> Optional[str]:
    overridden = [entry for entry in problem.libraries if entry.via == _VIA_LD_LIBRARY_PATH]
    if not overridden:
        return None
    return "taken from LD_LIBRARY_PATH ahead of the package's own: " + ", ".join(f"{e.name} = {e.path}" for e in overridden)


def _cause(facts: Facts, problem: UnresolvedReference) -> Tuple[str, FixProposal, Tuple[str, ...]]:
    """Why the reference does not bind, what to do, and the references: the first cause that
    applies, in one order (an LD_LIBRARY_PATH override, the driver, another torch)."""
    override = _override_reason(problem)
    if override:
        return (override, FixProposal("manual", "remove the folder from LD_LIBRARY_PATH (or put the package's own library first)"),
                (LD_SO_MANUAL,))
    driver = _driver_reason(facts, problem)
    if driver:
        return (driver, FixProposal("manual", "upgrade the NVIDIA driver, or install a build of the package made for this driver's CUDA"),
                ("sgl-project/sglang#8131",))
    rebuild = FixProposal("manual", f"install a build of {problem.distribution} made for the installed libraries (torch included), "
                                    "or the libraries it was built for")
    torch = _torch_reason(facts, problem, _needed(problem))
    if torch:
        return torch, rebuild, ("Dao-AILab/flash-attention#931", "sgl-project/sglang#30562")
    found = f"the {problem.library} found does not define it" if problem.library else "no library in its load order defines it"
    return found, rebuild, (LD_SO_MANUAL,)


def _evidence(problems: List[UnresolvedReference]) -> Tuple[str, ...]:
    first = problems[0]
    lines = [f"undefined: {_symbol_text(p)} (needed by {p.needed_by})" for p in problems[:_EVIDENCE]]
    if len(problems) > _EVIDENCE:
        lines.append(f"... and {len(problems) - _EVIDENCE} more")
    lines.extend(f"{e.name} => {e.path} ({e.via})" for e in first.libraries)
    return tuple(lines)


# The C and C++ runtime: an extension that names only these in DT_NEEDED links no library that
# could define its other symbols.
_RUNTIME_LIBRARIES = frozenset({"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0",
                                "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"})


def _from_global_scope(problems: List[UnresolvedReference]) -> bool:
    """The extension itself holds every unresolved symbol, none versioned, and names no library
    beyond the C runtime: it is built to take them from a library an earlier import loads with
    RTLD_GLOBAL (cuda-core's torch bridge after ctypes.CDLL(torch._C, RTLD_GLOBAL)), not from its
    own load order. A broken build against a library it does link (vllm._C against libtorch) names
    that library in DT_NEEDED and stays an error."""
    return all(p.kind == SYMBOL and not p.version and p.needed_by == p.extension
               and all(library.name in _RUNTIME_LIBRARIES for library in p.libraries) for p in problems)


@check(
    code="SYM001",
    name="unresolved-native-symbol",
    summary="An extension module of the stack references a symbol (or symbol version) that no library it loads defines.",
    needs=("native_linkage",),
    fix="manual",
)
def unresolved_native_symbol(facts: Facts) -> Iterator:
    """Resolve each extension module of the stack as the dynamic linker would, and name what stays undefined.

    What it detects
        For every extension module of the stack's distributions (the `vocabulary/stack.py`
        names: torch, the nvidia-* wheels, sgl-kernel, vllm, flash-attn, xformers, ...), the
        dynamic linker's work done on paper: its DT_NEEDED libraries found in ld.so's order
        (DT_RPATH when there is no DT_RUNPATH, `LD_LIBRARY_PATH` as the target's environment
        sets it, DT_RUNPATH, `/etc/ld.so.cache`, the default folders; `$ORIGIN`, `$LIB`,
        `$PLATFORM` expanded), libraries an earlier import loaded reused by soname (torch's for
        a torch extension), then every strong undefined symbol of the extension and of each
        library it brings in looked up, with its symbol version, in the global scope (the
        interpreter and its libraries, `LD_PRELOAD`) and the extension's own tree. It reports
        the symbols nothing defines and the version needs (`GLIBC_2.34`, a library's
        `NCCL_2.x`) the library found does not define.

    Why it breaks
        CPython opens an extension with `dlopen(RTLD_NOW)`: one unresolved symbol and the
        import fails with `ImportError: ...so: undefined symbol: _ZN3c10...` (or `version
        'X' not found`). The usual causes: an extension built for another torch release
        (sgl-kernel, flash-attn, vllm's `_C` against torch 2.8 when built for 2.7: torch's C++
        ABI is not stable across releases); a kernel package that calls a CUDA driver API
        (`cuGreenCtxStreamCreate`, `cuTensorMapEncodeTiled`) newer than the installed driver
        exports; an NCCL or cuDNN in `LD_LIBRARY_PATH` older than the wheel the package was
        built with, which ld.so takes before the package's DT_RUNPATH.

        Severity: an error: importing the module fails on every run. Doubt counts as
        resolved: weak references are never reported, and every library loaded before the
        extension counts as visible (torch loads some with RTLD_GLOBAL). Info when the
        extension names no library beyond the C runtime in DT_NEEDED and holds every
        unversioned symbol that stays undefined itself: it is built to take them from a library
        an earlier import loads with RTLD_GLOBAL (cuda-core's torch bridge, imported only
        after `ctypes.CDLL(torch._C, RTLD_GLOBAL)`), so its import alone failing is by design.

    Example
        sgl_kernel.common_ops will not import: undefined symbol _ZN3c104cuda9SetDeviceEab (c10::cuda::SetDevice(signed char, bool)); sgl-kernel 0.3.0 was built for torch==2.8.0, torch 2.9.1 is installed

    Fix
        Install a build of the package made for the installed torch (or the torch it was built
        for); take the folder that shadows the wheel's library out of `LD_LIBRARY_PATH`;
        upgrade the driver for a driver API. The check runs by default: it reads ELF headers,
        the dynamic sections and symbol tables (no code runs), with each file's reading cached
        by (path, size, mtime).

    References
        https://www.unix.com/man-page/posix/8/ld.so/ (ld.so(8): the search order)
        Dao-AILab/flash-attention#931 (wheels built for torch 2.2.2 and 2.3.0 fail on 2.2.0: undefined symbol _ZN3c104cuda9SetDeviceEi)
        Dao-AILab/flash-attention#1832 (flash-attn 2.8.3 on torch 2.8: undefined symbol _ZN3c104cuda9SetDeviceEa)
        sgl-project/sglang#30562 (sgl-kernel next to another torch: undefined symbol c10::MessageLogger)
        sgl-project/sglang#17460 (sgl-kernel built with torch 2.9 and torch 2.10 installed: symbol errors)
        sgl-project/sglang#8131 (common_ops.abi3.so: undefined symbol cuGreenCtxStreamCreate with CUDA 12.4)
    """
    for extension, problems in _by_extension(facts, (SYMBOL, VERSION)).items():
        first = problems[0]
        shown = ", ".join(_symbol_text(p) for p in problems[:_SHOWN]) + (f" and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else "")
        if _from_global_scope(problems):
            yield report(
                Severity.INFO,
                f"{first.module} takes undefined symbol {shown} from the global scope: it links no library "
                "that defines them, so it imports only after another import loads one with RTLD_GLOBAL",
                subject=first.module,
                message=f"{os.path.basename(extension)} of {first.distribution} {first.distribution_version} names only "
                        "the C runtime in DT_NEEDED: its package loads the defining library with RTLD_GLOBAL first "
                        "(as cuda-core does with torch._C); importing the module on its own fails.",
                evidence=_evidence(problems),
                key=first.module,
            )
            continue
        why, fix, references = _cause(facts, first)
        yield report(
            Severity.ERROR,
            f"{first.module} will not import: undefined symbol {shown}; {why}",
            subject=first.module,
            message=f"{os.path.basename(extension)} of {first.distribution} {first.distribution_version}: importing it fails "
                    "with 'undefined symbol' (or 'version not found'): no library in its load order defines this.",
            evidence=_evidence(problems),
            references=references,
            fix=fix,
            key=first.module,
        )


@check(
    code="SYM002",
    name="missing-native-library",
    summary="An extension module of the stack needs a shared library that the dynamic linker finds nowhere.",
    needs=("native_linkage",),
    fix="manual",
)
def missing_native_library(facts: Facts) -> Iterator:
    """Name the DT_NEEDED libraries of the stack's extension modules that ld.so would not find.

    What it detects
        A library named in DT_NEEDED by an extension module of the stack (or by a library it
        loads) that is in none of the places ld.so searches (see SYM001 for the order), and
        that no earlier import has loaded.

    Why it breaks
        The import fails with `ImportError: libX.so.N: cannot open shared object file: No such
        file or directory`. Common causes: a CUDA library wheel (nvidia-*) missing or removed,
        a package built against a system library the machine lacks, `LD_LIBRARY_PATH` set in
        the shell that built the package but not in the one that runs it.

        Severity: an error: importing the module fails. Info when the module is an optional
        backend: its own distribution imports it at least once and only ever inside
        `try: ... except ImportError` (or ModuleNotFoundError, Exception, a bare except), so
        the package catches the failure and carries on without it (cupy without cuTENSOR:
        `cupy_backends.cuda.libs.cutensor`). When the first import happens (at the
        package's import or later) does not matter: an unguarded import anywhere (vllm's
        `_C`, loaded after `import vllm`) keeps it an error.

    Example
        vllm._C_stable_libtorch will not import: libcuda.so.1, libtorch_cuda.so are found nowhere (needed by _C_stable_libtorch.abi3.so); vllm 0.33.0 was built for torch==2.14.0 (its Requires-Dist); torch 2.13.0+cpu is installed, ...

    Fix
        Install the wheel that ships the library (for CUDA: the matching nvidia-* wheel), or
        add its folder to `LD_LIBRARY_PATH`.

    References
        https://www.unix.com/man-page/posix/8/ld.so/ (ld.so(8): the search order, DT_NEEDED names with a slash)
    """
    for problems in _by_extension(facts, (LIBRARY,)).values():
        first = problems[0]
        missing = sorted({p.name for p in problems})
        torch_reason = _torch_reason(facts, first, missing)
        guarded = first.guarded_imports
        optional = (f"; optional: {first.distribution} imports it only inside try/except ImportError and carries on without it"
                    if guarded else "")
        yield report(
            Severity.INFO if guarded else Severity.ERROR,
            f"{first.module} will not import: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} found nowhere "
            f"(needed by {os.path.basename(first.needed_by)})" + (f"; {torch_reason}" if torch_reason else "") + optional,
            subject=first.module,
            message="ld.so finds no file of that name in DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, ld.so.cache or the default folders."
                    + (" Every import of the module in its package is guarded: only the feature it backs is missing." if guarded else ""),
            evidence=tuple(f"{p.name} needed by {p.needed_by}" for p in problems[:_EVIDENCE])
            + tuple(f"guarded import: {site}" for site in guarded[:_EVIDENCE]),
            references=(LD_SO_MANUAL,),
            fix=FixProposal("manual", "install the package that ships the library, or add its folder to LD_LIBRARY_PATH"),
            key=first.module,
        )
