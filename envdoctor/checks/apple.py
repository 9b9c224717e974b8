"""Apple silicon: MPS, Rosetta, and stack packages that need Triton, which macOS cannot have."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.checks._shared import is_macos
from envdoctor.checks._triton_imports import stubbed_requirement_findings, triton_import_findings
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.stack import TORCH, TRITON


def _apple_silicon(facts: Facts) -> bool:
    apple = facts.stack.apple if facts.stack else None
    return bool(apple and (apple.machine == "arm64" or apple.translated))


@check(
    code="MPS001",
    name="mps-unavailable",
    summary="With --deep: on Apple silicon, torch has no MPS support or MPS is unavailable.",
    needs=("stack", "deep"),
    fix="manual",
)
def mps_unavailable(facts: Facts) -> Iterator:
    """Report an Apple-silicon torch that cannot use the GPU through MPS.

    What it detects
        On an arm64 Mac, the deep torch probe found `torch.backends.mps.is_built()` False (a
        build without MPS) or `is_available()` False (macOS older than 12.3, or a virtual
        machine without Metal), or a one-element MPS kernel launch failed.

    Why it breaks
        Frameworks pick `mps` when it is available and the CPU otherwise, so the workload runs
        ten to fifty times slower without an error; code that asks for `device="mps"` fails.

        Severity: always an error: code that asks for `device="mps"` fails, and frameworks
        that pick the device themselves run on the CPU. The check runs only on Apple
        silicon, where the GPU is what torch is installed for.

    Example
        torch 2.13.0 on Apple silicon: torch.backends.mps.is_available() is False

    Fix
        Use a native arm64 Python and the torch wheel from PyPI on macOS 12.3 or newer.

    References
        https://pytorch.org/docs/stable/notes/mps.html
    """
    runtime = facts.deep.torch if facts.deep else None
    if runtime is None or not _apple_silicon(facts):
        return
    if runtime.mps_built is False or runtime.mps_available is False:
        what = "is not built with MPS" if runtime.mps_built is False else "reports MPS unavailable"
        yield report(
            Severity.ERROR, f"torch {runtime.version} {what} on this Apple-silicon Mac",
            subject=TORCH,
            message="The GPU goes unused: frameworks fall back to the CPU, and device='mps' raises.",
            evidence=(f"torch.backends.mps.is_built() = {runtime.mps_built}", f"torch.backends.mps.is_available() = {runtime.mps_available}",
                      f"macOS {facts.stack.apple.macos_version}, {facts.stack.apple.machine}"),
            location=Location(distribution=TORCH),
            fix=FixProposal("manual", "install torch from PyPI into a native arm64 Python on macOS >= 12.3"),
        )
    elif runtime.kernel and runtime.kernel != "ok" and not runtime.cuda_available:
        yield report(
            Severity.ERROR, f"a one-element MPS kernel launch fails: {runtime.kernel}",
            subject=TORCH, message="MPS is reported available, but running code on it fails.",
            evidence=(f"torch.ones(1, device='mps') + 1 -> {runtime.kernel}",), location=Location(distribution=TORCH),
            fix=FixProposal("manual", "update macOS and torch"),
        )


@check(
    code="MPS002",
    name="rosetta-python",
    summary="An x86_64 Python running under Rosetta 2 on Apple silicon: no MPS, no arm64 wheels.",
    needs=("stack",),
    fix="manual",
)
def rosetta_python(facts: Facts) -> Iterator:
    """Detect an Intel (x86_64) interpreter translated by Rosetta 2 on an Apple-silicon Mac.

    What it detects
        `sysctl.proc_translated` is 1 for the target interpreter: it is an x86_64 build
        running on an arm64 Mac.

    Why it breaks
        pip then installs x86_64 macOS wheels: torch has published none since 2.2, so pip
        resolves an old torch or builds from source; MPS is not available to translated
        processes, and everything runs several times slower. Usually the cause is an Intel
        Homebrew or Anaconda installation in /usr/local carried over by Migration Assistant.

        Severity: always an error: pip for this interpreter installs only x86_64 wheels, so
        installing or upgrading the stack fails or resolves a torch older than 2.2, and code
        that asks for MPS fails.

    Example
        the target Python is x86_64 under Rosetta 2 on an Apple-silicon Mac

    Fix
        Create the environment with a native arm64 Python (`/opt/homebrew/bin/python3`,
        `uv python install`, or an arm64 Miniforge).

    References
        https://developer.apple.com/documentation/apple-silicon/about-the-rosetta-translation-environment
        https://pytorch.org/get-started/locally/#mac-installation
    """
    apple = facts.stack.apple
    if apple is None or not apple.translated:
        return
    yield report(
        Severity.ERROR, "the target Python is x86_64 under Rosetta 2 on an Apple-silicon Mac",
        subject=facts.interpreter.executable if facts.interpreter else "python",
        message="Translated processes get no MPS and only x86_64 wheels (none for torch since 2.2): slow, old, or built from source.",
        evidence=(f"sysctl.proc_translated = 1; platform.machine() = {apple.machine}; macOS {apple.macos_version}",),
        fix=FixProposal("manual", "recreate the environment with a native arm64 Python"),
    )


@check(
    code="MPS003",
    name="triton-on-macos",
    summary="On macOS, an installed stack package imports triton at its top level; Triton does not exist for macOS.",
    needs=("imports", "markers", "distributions"),
    fix="stub",
)
def triton_on_macos(facts: Facts) -> Iterator:
    """Find stack packages whose own import needs triton on a platform Triton has no build for.

    What it detects
        On macOS, the import scan found a module-level `import triton` (or `from triton...`)
        that runs whenever the package is imported (not guarded by try/except, not inside a
        function), while no triton is installed. The stack packages are the ones envdoctor
        names and every installed package that requires torch, triton or one of them
        (transitively, markers evaluated for the Mac); an import also counts when the import
        of one of the package's public subpackages runs it (`import liger_kernel.transformers`)
        or another scanned package's import does (flash-linear-attention's `import fla.layers`
        runs fla-core's fla.ops). A package that declares triton in its requirements gets this
        one finding instead of REQ001's as well.

    Why it breaks
        Triton has no macOS wheels, so `import sglang.srt...` on a Mac (MPS) stops with
        "No module named 'triton'" before any MPS code path is chosen. SGLang installs a
        stand-in triton on macOS for this reason (sgl-project/sglang#21551).

        Severity: always an error: importing the package, or a public subpackage of it, fails
        on this Mac. With envdoctor's stub in place, a stack package's unmet requirement on
        triton is reported here as info instead of as REQ001's error.

    Example
        sglang 0.5.23 imports triton at module level in sglang/srt/layers/activation.py:12, and triton does not exist on macOS

    Fix
        Install envdoctor's triton stub (`envdoctor fix --select MPS003`): a PEP 451 stand-in
        that makes `import triton`, `triton.jit` and `triton.language` importable and marks
        itself as a stub, so CPU/MPS code paths run.

    References
        sgl-project/sglang#21551
    """
    if not is_macos(facts) or installed(facts, TRITON) is not None:
        return
    yield from triton_import_findings(
        facts, ", and triton does not exist on macOS",
        "Importing the package fails with \"No module named 'triton'\" before any MPS or CPU code path is chosen.",
    )
    yield from stubbed_requirement_findings(facts, " on macOS, where Triton does not exist")
