"""Triton imported at module level on a Linux or Windows machine without a GPU and without triton.

macOS has its own check (MPS003): Triton has no macOS build at all.  Here triton
could be installed, but it cannot compile or launch a kernel without an NVIDIA or
AMD GPU, and CPU-only images leave it out to save space; then the stack package
that imports it unconditionally does not import at all.
"""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check
from envdoctor.checks._shared import is_macos
from envdoctor.checks._triton_imports import stubbed_requirement_findings, triton_import_findings
from envdoctor.model.facts import Facts
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.stack import TRITON


def _has_gpu(facts: Facts) -> bool:
    stack = facts.stack
    return bool(stack and (stack.nvidia or stack.amd_gpus))


@check(
    code="STK003",
    name="triton-without-gpu",
    summary="On a machine without a GPU, an installed package imports triton at module level and no triton is installed.",
    needs=("imports", "markers", "distributions", "stack"),
    fix="stub",
)
def triton_without_gpu(facts: Facts) -> Iterator:
    """Find packages whose own import needs triton on a CPU-only machine that has none.

    What it detects
        No NVIDIA driver and no AMD GPU on a Linux or Windows machine, no triton installed,
        and the import scan found a module-level `import triton` (or `from triton...`) that
        runs whenever the package is imported: not guarded by try/except, not inside a function.
        The scan covers the stack by default: the packages envdoctor names (sglang, vllm,
        flashinfer, ...) and every installed package that requires torch, triton or one of
        them, transitively, with markers evaluated for the target (a quantisation or
        attention package is the stack as much as sglang is). An import counts when the
        package's own import runs it, when the import of one of its public subpackages does
        (every first-level subpackage whose name has no leading underscore:
        `import liger_kernel` works without triton, `import liger_kernel.transformers`, the
        module its users import, does not), or when another scanned package's import does:
        fla-core's fla.ops imports triton, and flash-linear-attention's `import fla.layers`
        runs it. A package that also declares triton in its requirements gets this one
        finding instead of REQ001's "triton is not installed": one problem, one fix.

    Why it breaks
        `import sglang.srt...` (or any package written this way) stops with
        "No module named 'triton'" before its CPU code path is chosen. Triton itself cannot
        compile or launch a kernel without a GPU, so CPU-only images leave it out; the
        package's CPU path never calls it, but its import still needs the module.

        Severity: always an error: importing the package, or a public subpackage of it
        that its users import, fails on this machine. Once envdoctor's stub serves triton,
        a stack package's unmet requirement on triton is reported here as info (the stub is
        what meets it on this machine) instead of as REQ001's error.

    Example
        sglang 0.5.23 imports triton at module level in sglang/srt/layers/activation.py:12; this machine has no GPU and no triton

        fla-core imports triton at module level (fla/modules/activations.py:17), run by import fla.layers (flash-linear-attention 0.5.2); this machine has no GPU and no triton

        liger_kernel imports triton at module level (liger_kernel/ops/attn_res.py:23), run by import liger_kernel.megatron (liger_kernel 0.8.5), import liger_kernel.ops (liger_kernel 0.8.5), import liger_kernel.transformers (liger_kernel 0.8.5), 1 more; this machine has no GPU and no triton

    Fix
        Install envdoctor's triton stub (`envdoctor fix --select STK003 --unsafe`): a PEP 451
        stand-in that makes `import triton`, `triton.jit`, `triton.autotune` and
        `triton.language` work at import time, identifies itself
        (`triton.__envdoctor_stub__`, version 0.0.0+envdoctor.stub) and raises a clear error
        if a kernel is ever launched. It steps aside by itself when a real triton is
        installed. Installing the real triton (`pip install triton`) also works, at ~500 MB.
        torch.compile keeps its CPU path with the stub in place (the stub declares no
        compiler backend).

    References
        sgl-project/sglang#21551
        fla-core 0.5.2's METADATA (torch and triton only behind its cuda/cpu/rocm/xpu extras)
        and flash-linear-attention 0.5.2's (fla-core==0.5.2, transformers>=4.45.0), read from
        their wheels
        liger-kernel 0.8.5's wheel (Requires-Dist triton>=2.3.1; liger_kernel/__init__.py loads
        its backends lazily, liger_kernel/transformers/__init__.py imports liger_kernel.ops,
        which imports triton at module level)
    """
    if is_macos(facts) or _has_gpu(facts) or installed(facts, TRITON) is not None:
        return
    yield from triton_import_findings(
        facts, "; this machine has no GPU and no triton",
        "Importing the package fails with \"No module named 'triton'\" before any CPU code path is chosen. "
        "Without a GPU Triton cannot run a kernel anyway: a stand-in that satisfies the import is enough.",
    )
    yield from stubbed_requirement_findings(facts, " on this machine without a GPU")
