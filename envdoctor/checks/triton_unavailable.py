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
from envdoctor.checks._triton_imports import triton_import_findings
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
        package's own import runs it, or another scanned package's does: fla-core's fla.ops
        imports triton, and flash-linear-attention's `import fla.layers` runs it.

    Why it breaks
        `import sglang.srt...` (or any package written this way) stops with
        "No module named 'triton'" before its CPU code path is chosen. Triton itself cannot
        compile or launch a kernel without a GPU, so CPU-only images leave it out; the
        package's CPU path never calls it, but its import still needs the module.

        Severity: always an error: importing the package fails on this machine.

    Example
        sglang 0.5.23 imports triton at module level in sglang/srt/layers/activation.py:12; this machine has no GPU and no triton

        fla-core imports triton at module level (fla/modules/activations.py:17), run by import fla.layers (flash-linear-attention 0.5.2); this machine has no GPU and no triton

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
    """
    if is_macos(facts) or _has_gpu(facts) or installed(facts, TRITON) is not None:
        return
    yield from triton_import_findings(
        facts, "; this machine has no GPU and no triton",
        "Importing the package fails with \"No module named 'triton'\" before any CPU code path is chosen. "
        "Without a GPU Triton cannot run a kernel anyway: a stand-in that satisfies the import is enough.",
    )
