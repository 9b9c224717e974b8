"""triton_kernels: a package that is often installed from a source tree, partly, and apart from its triton."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.stack import SGLANG, TRITON_DISTRIBUTIONS, TRITON_KERNELS_MODULE
from envdoctor.vocabulary.versions import release

# Modules every triton_kernels release has; consumers import them first.
CORE_MODULES = ("matmul_ogs.py", "tensor.py")
# What SGLang's is_triton_kernels_available() also requires since sgl-project/sglang#25335.
SGLANG_PROBED = ("tensor_details/ragged_tensor.py",)
OLDEST_TRITON = (3, 4)  # the Triton release triton_kernels was first developed against


@check(
    code="TRK001",
    name="triton-kernels-partial",
    summary="triton_kernels imports at its top level, but modules every release has are missing (a partial install).",
    needs=("stack", "modules"),
    fix="manual",
)
def triton_kernels_partial(facts: Facts) -> Iterator:
    """Look inside the resolved triton_kernels package for the modules consumers import.

    What it detects
        `triton_kernels` resolves (so `import triton_kernels` works), but its folder lacks
        matmul_ogs.py or tensor.py, or it is a namespace package with no files at all; with
        SGLang installed, also `tensor_details/ragged_tensor.py`, which SGLang probes to
        decide whether triton_kernels is usable.

    Why it breaks
        triton_kernels is usually installed from the Triton repository's subfolder
        (`pip install "git+https://github.com/triton-lang/triton.git#subdirectory=python/triton_kernels"`)
        or copied into an image; a half-copied tree imports at the top and fails at the first
        submodule, or makes SGLang silently fall back to slower MoE kernels.

        Severity: an error when matmul_ogs.py or tensor.py is missing: the consumers' first
        `from triton_kernels.matmul_ogs import ...` fails. A warning when only the file
        SGLang probes is missing: SGLang runs, silently on other MoE kernels than the ones
        installed for it, and any code that imports the missing module fails.

    Example
        triton_kernels at /usr/lib/python3/site-packages/triton_kernels lacks matmul_ogs.py, tensor.py

    Fix
        Reinstall triton_kernels from the Triton commit that matches the installed triton.

    References
        sgl-project/sglang#25335
        https://github.com/triton-lang/triton/tree/main/python/triton_kernels
    """
    resolution = (facts.modules or {}).get(TRITON_KERNELS_MODULE)
    if resolution is None or not resolution.found:
        return
    files = set(facts.stack.package_files.get(TRITON_KERNELS_MODULE, ()))
    where = resolution.origin or ", ".join(resolution.locations) or "?"
    if resolution.namespace:
        missing = list(CORE_MODULES)
    else:
        missing = [m for m in CORE_MODULES if m not in files]
    if installed(facts, SGLANG) is not None:
        missing += [m for m in SGLANG_PROBED if m not in files]
    if not missing:
        return
    core = [m for m in missing if m in CORE_MODULES]
    yield report(
        Severity.ERROR if core else Severity.WARNING,
        f"triton_kernels at {where} lacks {', '.join(missing)}",
        subject=TRITON_KERNELS_MODULE,
        message=(
            "The package imports at its top level but not its submodules: a partial install. "
            + ("Consumers fail at `from triton_kernels.matmul_ogs import ...`." if core else
               "SGLang then treats triton_kernels as unavailable and falls back to other MoE kernels.")
        ),
        evidence=(f"import triton_kernels -> {where}" + (" (namespace package)" if resolution.namespace else ""),
                  f"{len(files)} .py files in the package"),
        location=Location(path=resolution.origin, module=TRITON_KERNELS_MODULE),
        references=("sgl-project/sglang#25335",),
        fix=FixProposal("manual", "reinstall triton_kernels from the Triton commit matching the installed triton"),
    )


@check(
    code="TRK002",
    name="triton-kernels-triton",
    summary="triton_kernels is installed without triton, or with a triton older than it was developed against.",
    needs=("distributions", "modules"),
    fix="manual",
)
def triton_kernels_triton(facts: Facts) -> Iterator:
    """Check that the triton triton_kernels is written for is installed.

    What it detects
        `triton_kernels` resolves but no `triton` (or `pytorch-triton*`) distribution is
        installed, or the installed triton is older than 3.4.

    Why it breaks
        triton_kernels is Triton code from the Triton repository's own tree and follows its
        language changes; it does not pin triton in its metadata, so nothing stops it from
        landing next to an older triton (or none, on a CPU image). Its kernels then fail to
        compile with errors about unknown `tl.` functions or arguments.

        Severity: an error when no triton is installed: every triton_kernels module imports
        triton. A warning when triton is older than 3.4: triton_kernels does not pin triton
        and its commit is unknown, so its kernels may still compile; those written for a
        newer Triton fail when first compiled.

    Example
        triton_kernels is installed, but triton 3.2.0 is older than 3.4

    Fix
        Install the triton that torch pins (TOR001), and triton_kernels from that triton's commit.

    References
        sgl-project/sglang#25335
    """
    resolution = (facts.modules or {}).get(TRITON_KERNELS_MODULE)
    if resolution is None or not resolution.found:
        return
    triton = next((d for d in (installed(facts, n) for n in TRITON_DISTRIBUTIONS) if d), None)
    if triton is None:
        yield report(
            Severity.ERROR, "triton_kernels is installed, but no triton is",
            subject=TRITON_KERNELS_MODULE,
            message="Every triton_kernels module imports triton at its top level.",
            evidence=(f"import triton_kernels -> {resolution.origin}",),
            location=Location(module=TRITON_KERNELS_MODULE), references=("sgl-project/sglang#25335",),
            fix=FixProposal("manual", "install the triton that torch pins"),
        )
        return
    version = release(triton.version)
    if version and version[:2] < OLDEST_TRITON:
        yield report(
            Severity.WARNING, f"triton_kernels is installed, but {triton.display} is older than {OLDEST_TRITON[0]}.{OLDEST_TRITON[1]}",
            subject=TRITON_KERNELS_MODULE,
            message="triton_kernels follows Triton's language as of its own commit; an older triton fails to compile its kernels.",
            evidence=(f"import triton_kernels -> {resolution.origin}", f"{triton.display}: {triton.metadata_path}"),
            location=Location(module=TRITON_KERNELS_MODULE), references=("sgl-project/sglang#25335",),
            fix=FixProposal("manual", "upgrade triton with torch (TOR001), and triton_kernels with it"),
        )
