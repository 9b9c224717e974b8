"""ROCm: torch's ROCm build against the system's, and AMD's aiter kernels."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.checks._shared import environment
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import installed, torch_build, torch_variant
from envdoctor.vocabulary.stack import AITER_MODULE, SGLANG, TORCH, VLLM
from envdoctor.vocabulary.versions import major_minor
from envdoctor.model.plan import InstallRequest

# Each switch, and the framework that reads it: without that framework nothing imports aiter.
AITER_SWITCHES = {"SGLANG_USE_AITER": SGLANG, "VLLM_ROCM_USE_AITER": VLLM}
TRUE = ("1", "true", "yes", "on")


@check(
    code="ROC001",
    name="rocm-version-mismatch",
    summary="torch's ROCm build (+rocmX.Y) differs from the ROCm installed on the system.",
    needs=("stack", "distributions"),
    fix="manual",
)
def rocm_version_mismatch(facts: Facts) -> Iterator:
    """Compare the HIP/ROCm version torch was built with and the system's /opt/rocm.

    What it detects
        A ROCm torch (torch/version.py `hip`, or `+rocm6.4`) whose ROCm major.minor differs
        from the system ROCm (`$ROCM_PATH/.info/version`, `/opt/rocm/.info/version`).

    Why it breaks
        torch bundles its own ROCm user-space libraries, but everything compiled on the machine
        links the system's: aiter's and SGLang's JIT kernels, vLLM's custom ops, flash-attention
        builds. Two ROCm versions in one process give "hipErrorNoBinaryForGpu", undefined HIP
        symbols, or kernels built for the wrong code object version.

        Severity: a warning: torch runs its own bundled ROCm, so torch itself works; what
        compiles against the system ROCm on this machine (aiter, SGLang/vLLM custom ops,
        flash-attention builds) breaks when it is built or loaded.

    Example
        torch 2.9.0+rocm6.4 is built for ROCm 6.4, but /opt/rocm is ROCm 6.2.4

    Fix
        Install the torch build for the system's ROCm (`--index-url
        https://download.pytorch.org/whl/rocm6.2`), or upgrade the system ROCm to torch's.

    References
        https://rocm.docs.amd.com/projects/install-on-linux/en/latest/install/3rd-party/pytorch-install.html
    """
    build = torch_build(facts)
    rocm = facts.stack.rocm
    if build is None or rocm is None or not rocm.version or torch_variant(build) != "rocm":
        return
    torch_rocm = build.hip or (build.local or "")[4:]
    if not torch_rocm or major_minor(torch_rocm) == major_minor(rocm.version):
        return
    yield report(
        Severity.WARNING,
        f"torch {build.version} is built for ROCm {'.'.join(map(str, major_minor(torch_rocm)))}, but the system ROCm is {rocm.version}",
        subject=TORCH,
        message="Kernels compiled on this machine (aiter, SGLang/vLLM custom ops) link the system ROCm while torch runs its own: expect missing HIP symbols or 'no binary for GPU'.",
        evidence=(f"torch {build.version}: hip={build.hip} ({build.source})", f"system ROCm {rocm.version} ({rocm.source})"),
        location=Location(distribution=TORCH),
        fix=FixProposal("manual", f"install torch for ROCm {'.'.join(rocm.version.split('.')[:2])}",
                        install=InstallRequest((TORCH,), index_url=f"https://download.pytorch.org/whl/rocm{'.'.join(rocm.version.split('.')[:2])}")),
    )


@check(
    code="ROC002",
    name="aiter-switched-on-but-missing",
    summary="SGLANG_USE_AITER / VLLM_ROCM_USE_AITER is on, but aiter is not importable (missing or an empty namespace package).",
    needs=("interpreter", "modules", "distributions"),
    fix="manual",
)
def aiter_switched_on_but_missing(facts: Facts) -> Iterator:
    """Check that aiter resolves to a real package wherever a framework is told to use it.

    What it detects
        `SGLANG_USE_AITER` or `VLLM_ROCM_USE_AITER` set to a true value while `aiter` is not
        installed, or resolves as a namespace package (a same-named folder, or an editable
        install masked by one; NSP001 explains that case).

    Why it breaks
        The framework imports aiter's kernels unconditionally once the switch is on: the server
        stops at start-up with "No module named 'aiter'" or "cannot import name ... from 'aiter'
        (unknown location)".

        Severity: an error when the framework the switch belongs to (SGLANG_USE_AITER:
        sglang, VLLM_ROCM_USE_AITER: vllm) is installed: its server stops at start-up. Info
        when it is not: nothing installed reads the switch, so nothing breaks until that
        framework is installed.

    Example
        SGLANG_USE_AITER=1, but aiter resolves to a namespace package at /workspace/aiter (unknown location)

    Fix
        Install aiter (`pip install amd-aiter`, or from source with
        `--config-settings editable_mode=compat`), or unset the variable.

    References
        sgl-project/sglang#22363
    """
    env = environment(facts)
    switched = [v for v in AITER_SWITCHES if env.get(v, "").strip().lower() in TRUE]
    if not switched:
        return
    resolution = (facts.modules or {}).get(AITER_MODULE)
    if resolution is not None and resolution.found and not resolution.namespace:
        return
    if resolution is not None and resolution.found:
        state = f"resolves to a namespace package at {', '.join(resolution.locations) or '?'} (unknown location)"
    else:
        state = "is not installed"
    readers = [AITER_SWITCHES[v] for v in switched if installed(facts, AITER_SWITCHES[v]) is not None]
    if readers:
        message = f"{' and '.join(readers)} imports aiter's kernels once the switch is on; the server stops at start-up."
    else:
        message = (f"Nothing installed reads the switch (no {' or '.join(AITER_SWITCHES[v] for v in switched)} is installed), "
                   "so nothing breaks now; installing that framework here makes its server stop at start-up.")
    yield report(
        Severity.ERROR if readers else Severity.INFO,
        f"{', '.join(f'{v}={env[v]}' for v in switched)} is set, but aiter {state}",
        subject=AITER_MODULE,
        message=message,
        evidence=tuple(f"{v}={env[v]!r}" for v in switched) + (f"aiter: {state}",),
        location=Location(module=AITER_MODULE),
        references=("sgl-project/sglang#22363",),
        fix=FixProposal("manual", f"install aiter, or unset {' and '.join(switched)}"),
    )
