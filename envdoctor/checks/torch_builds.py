"""torch and the builds that must match it: triton, torchvision, torchaudio."""

from __future__ import annotations

from typing import Iterator, Optional

from envdoctor.api import check, report
from envdoctor.checks.requirements import pin_fields, requirement_key, spec_text
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import installed, torch_build
from envdoctor.vocabulary.requirements_in_force import unmet_requirements
from envdoctor.vocabulary.stack import TORCH, TORCHAUDIO, TORCHVISION, TRITON_DISTRIBUTIONS, TRITON_MODULE
from envdoctor.vocabulary.versions import major_minor, public, release
from envdoctor.model.plan import InstallRequest



@check(
    code="TOR001",
    name="torch-triton-pin",
    summary="The installed triton is not the one the torch build pins for this platform.",
    needs=("distributions", "markers"),
    fix="reinstall",
)
def torch_triton_pin(facts: Facts) -> Iterator:
    """Compare the installed triton with the exact version torch's metadata pins.

    What it detects
        torch's own Requires-Dist on triton (`triton==3.6.0; platform_system == "Linux" and
        platform_machine == "x86_64"`, or `pytorch-triton-rocm==...` for ROCm builds), in force
        for this interpreter, unmet: triton missing or another version.

    Why it breaks
        torch.compile, Inductor and every Triton-based kernel library (FlashInfer's, SGLang's,
        vLLM's) generate code against the Triton release torch was built with. Another Triton
        fails at compile time with AttributeErrors inside `torch._inductor` or
        `triton.compiler`, or in kernels with "unexpected keyword argument". It happens when
        a package pins its own triton, or `pip install -U triton` upgrades it alone.

        Severity: always an error: a requirement that pip enforces is unmet, and
        torch.compile and Triton-based kernels fail against another Triton.

    Example
        torch 2.11.0+cu130 pins triton==3.6.0, but triton 3.5.1 is installed

    Fix
        Install the pinned version (`python -m pip install triton==3.6.0`); the reinstall
        fixer does it.

    References
        https://github.com/pytorch/pytorch/blob/main/RELEASE.md
    """
    for item, provider in unmet_requirements(facts):
        if item.requirer.canonical_name != TORCH or item.parsed.key not in TRITON_DISTRIBUTIONS:
            continue
        wanted = spec_text(item.requirement)
        have = f"{provider.display} is installed" if provider else f"no {item.requirement.name} is installed"
        yield report(
            Severity.ERROR,
            f"{item.requirer.display} pins {wanted}, but {have}",
            subject=TORCH,
            message=(
                "torch.compile/Inductor and Triton-based kernels generate code against the Triton release torch "
                "was built with; another one fails at compile time, often with an AttributeError deep in "
                "torch._inductor or triton.compiler."
            ),
            references=("https://github.com/pytorch/pytorch/blob/main/RELEASE.md",),
            **pin_fields(facts, item, provider),
        )


@check(
    code="TOR002",
    name="two-tritons",
    summary="More than one distribution that installs the `triton` package (triton, pytorch-triton-rocm, ...).",
    needs=("distributions",),
    fix="manual",
)
def two_tritons(facts: Facts) -> Iterator:
    """Find several distributions that each install the top-level `triton` package.

    What it detects
        Two or more of `triton`, `pytorch-triton`, `pytorch-triton-rocm` and
        `pytorch-triton-xpu` installed at once.

    Why it breaks
        They all write `site-packages/triton/`: the files on disk are a mix of both, whichever
        installed last wins file by file, and uninstalling one deletes files the other needs.
        `import triton` then reports one version and behaves like another (CUDA backends on a
        ROCm machine, "cannot import name" errors inside triton).

        Severity: always an error: the `triton` package that imports is a mix of files from
        several distributions, and uninstalling one deletes files the other imports.

    Example
        triton 3.6.0 and pytorch-triton-rocm 3.6.0 both install the `triton` package

    Fix
        Uninstall both and reinstall the one torch pins for this platform (TOR001 names it).

    References
        https://github.com/pytorch/pytorch/blob/main/RELEASE.md
    """
    found = [d for d in (installed(facts, n) for n in TRITON_DISTRIBUTIONS) if d is not None]
    if len(found) < 2:
        return
    yield report(
        Severity.ERROR,
        f"{' and '.join(d.display for d in found)} all install the `triton` package",
        subject=TRITON_MODULE,
        message="Their files overwrite each other in site-packages/triton: the package on disk is a mix, and uninstalling either breaks the other.",
        evidence=tuple(f"{d.display}: {d.metadata_path}" for d in found),
        location=Location(distribution=found[0].name, module=TRITON_MODULE),
        fix=FixProposal("manual", "uninstall all of them, then install the one torch pins",
                        install=InstallRequest(tuple(d.name for d in found), uninstall=True)),
    )


# The companions compare their CUDA version with torch's when they load their extension.
# torchvision compares only the major since 0.16 (pytorch/vision#7726); torchaudio compares the
# minor too, and raises "compiled with different CUDA versions".
MAJOR_ONLY_CUDA_CHECK = {TORCHVISION: (0, 16)}


def _cuda_major(tag: str) -> Optional[int]:
    """13 for cu130, 12 for cu126; None for cpu, rocm6.4 and other tags."""
    return int(tag[2:-1]) if tag.startswith("cu") and tag[2:].isdigit() and len(tag) > 3 else None


def _tag_mismatch_breaks(name: str, version: str, companion_tag: str, torch_tag: str) -> bool:
    """Whether a companion built for another variant than torch's fails: always for another variant
    (cpu, rocm) or CUDA major; for another CUDA minor only where its load check compares minors."""
    ours, theirs = _cuda_major(companion_tag), _cuda_major(torch_tag)
    if ours is None or ours != theirs:
        return True
    since, have = MAJOR_ONLY_CUDA_CHECK.get(name), release(version)
    return since is None or have is None or have[:2] < since


# torchaudio from 2.11 on is built on torch's stable C ABI: its libraries are *.abi3.so that call
# the aoti_torch_* shim, and its METADATA requires no torch (vLLM 0.33.0 pins torchaudio==2.11.0
# next to torch==2.14.0). Such a build loads into the torch release it was built with and later ones.
_STABLE_ABI_TORCHAUDIO = (2, 11)


def _expected_companion(name: str, torch_version) -> Optional[str]:
    """torchvision 0.(minor+15) and torchaudio 2.minor pair with torch 2.minor."""
    if torch_version is None or torch_version[0] != 2:
        return None
    if name == TORCHVISION:
        return f"0.{torch_version[1] + 15}"
    if name == TORCHAUDIO:
        return f"2.{torch_version[1]}"
    return None


@check(
    code="TOR003",
    name="torch-companion-mismatch",
    summary="torchvision or torchaudio is built for another torch release or another CUDA/ROCm variant.",
    needs=("distributions",),
    fix="manual",
)
def torch_companion_mismatch(facts: Facts) -> Iterator:
    """Pair torchvision and torchaudio with the installed torch, by release and by build tag.

    What it detects
        torchvision whose release does not pair with torch's (torchvision 0.(N+15) goes with
        torch 2.N; torchaudio 2.N with torch 2.N up to 2.10), or a companion whose build tag differs from
        torch's (`torchvision 0.26.0+cu126` with `torch 2.11.0+cu130`). torchaudio 2.11 and
        later is built on torch's stable C ABI (`*.abi3.so`, no torch in its Requires-Dist;
        vLLM 0.33.0 pins torchaudio 2.11.0 beside torch 2.14.0): it pairs with its own torch
        release and every later one, and is reported only beside an older torch.

    Why it breaks
        Both ship C++/CUDA extensions compiled against one torch ABI and one CUDA runtime.
        With another torch they fail at import with "undefined symbol" or
        "operator torchvision::nms does not exist"; with another CUDA variant their kernels
        load a second CUDA runtime or none, and their load check raises "PyTorch and
        torchvision were compiled with different CUDA major versions" (torchaudio: "different
        CUDA versions", the minor included).

        Severity: an error when the companion belongs to another torch release, or to
        another variant (cpu, rocm) or CUDA major: its extension fails at import or at its
        first operator with this torch. Also an error for another CUDA minor of torchaudio
        (and of torchvision before 0.16), whose load check compares minors and raises. Info
        for torchvision 0.16 or newer built for another CUDA minor of torch's major (+cu126
        beside +cu128): its check compares only the major (pytorch/vision#7726), and it runs
        on the CUDA runtime torch loads, so nothing breaks. A warning for a stable-ABI
        torchaudio beside an older torch: it fails to load only if it calls a shim function
        that torch release lacks.

    Example
        torchvision 0.25.0 pairs with torch 2.10, but torch 2.11.0+cu130 is installed

    Fix
        Install the companion release built for this torch from the same index, e.g.
        `pip install torchvision==0.26.0 --index-url https://download.pytorch.org/whl/cu130`.

    References
        https://github.com/pytorch/vision#installation
        https://github.com/pytorch/audio#dependencies
        pytorch/vision#7726
    """
    torch = installed(facts, TORCH)
    build = torch_build(facts)
    if torch is None or build is None:
        return
    torch_release = major_minor(torch.version)
    for name in (TORCHVISION, TORCHAUDIO):
        dist = installed(facts, name)
        if dist is None or not dist.version:
            continue
        expected = _expected_companion(name, torch_release)
        companion_local = dist.version.split("+", 1)[1] if "+" in dist.version else None
        problems, breaks, newer_stable_abi = [], False, False
        companion_release = major_minor(dist.version)
        stable_abi = name == TORCHAUDIO and companion_release is not None and companion_release >= _STABLE_ABI_TORCHAUDIO
        if stable_abi:
            if torch_release is not None and torch_release < companion_release:
                # Built against a newer stable ABI than this torch offers: shim functions it calls may be missing.
                problems.append(f"{name} {public(dist.version)} is built on torch's stable ABI of torch "
                                f"{companion_release[0]}.{companion_release[1]}, newer than torch {public(torch.version)}")
                newer_stable_abi = True
        elif expected and companion_release != major_minor(expected):
            problems.append(f"{name} {public(dist.version)} pairs with another torch release; torch {public(torch.version)} needs {name} {expected}.x")
            breaks = True
        if companion_local and build.local and companion_local != build.local:
            problems.append(f"{name} is a +{companion_local} build, torch a +{build.local} build")
            breaks = breaks or _tag_mismatch_breaks(name, dist.version, companion_local, build.local)
        if not problems:
            continue
        index = build.local if build.local else "cu130"
        if breaks:
            message = (f"{name}'s compiled extensions are built against one torch ABI and CUDA runtime; with another they fail at "
                       f"import ('undefined symbol', 'operator {name}::... does not exist', 'compiled with different CUDA versions').")
        elif newer_stable_abi:
            message = (f"{name} {public(dist.version)} calls torch's stable C shim (aoti_torch_*) as torch "
                       f"{companion_release[0]}.{companion_release[1]} offers it; an older torch may lack some of those "
                       "functions, and then its libraries fail to load.")
        else:
            message = (f"{name} {public(dist.version)} checks only the CUDA major against torch's, and both use the CUDA "
                       f"{_cuda_major(build.local)} runtime torch loads: it imports and runs. The index of torch's own build has "
                       f"the {name} built with it.")
        severity = Severity.ERROR if breaks else Severity.WARNING if newer_stable_abi else Severity.INFO
        yield report(
            severity,
            f"{dist.display} does not match torch {torch.version}: " + "; ".join(problems),
            subject=name,
            key=f"{dist.canonical_name}->torch",
            message=message,
            evidence=(f"{dist.display}: {dist.metadata_path}", f"torch {torch.version}: {torch.metadata_path}"),
            location=Location(path=dist.metadata_path, distribution=name),
            fix=FixProposal("manual", f"install the {name} built for torch {public(torch.version)}",
                            install=InstallRequest((f"{name}=={expected or public(dist.version)}.*",),
                                                   index_url=f"https://download.pytorch.org/whl/{index}")),
            replaces=(f"REQ002:{requirement_key(name, TORCH)}",),
        )
