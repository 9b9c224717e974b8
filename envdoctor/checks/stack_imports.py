"""What the deep probes saw: stack packages that do not import, and Triton kernels that do not run."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.stack import TRITON, TRITON_MODULE


@check(
    code="STK001",
    name="stack-import-fails",
    summary="With --deep: an installed stack package (torch, triton, flashinfer, sglang, vllm, ...) fails to import, crashes or hangs.",
    needs=("deep",),
    fix="manual",
)
def stack_import_fails(facts: Facts) -> Iterator:
    """Report each stack module whose import failed in the deep probe's subprocess.

    What it detects
        `--deep` imports every installed stack module (torch, triton, triton_kernels,
        flashinfer, sgl_kernel, sglang, vllm, aiter, xformers, flash_attn, ...) in a subprocess
        from the target's working directory, torch first: an exception, a crash (a signal such
        as SIGSEGV or SIGABRT) or no answer within --timeout. An exception or crash met after
        other imports is confirmed by importing the module again alone.

    Why it breaks
        It is the error the workload will meet at start-up, reproduced without running the
        workload. A crash or hang at import usually means mixed native libraries (two CUDA
        runtimes, an extension built for another torch), which no Python traceback explains.

        Severity: always an error: the import was run in a subprocess and failed, so every
        program that imports the module here stops the same way.

    Example
        import flashinfer: ImportError: libcudart.so.12: cannot open shared object file: No such file or directory

    Fix
        The error names the cause; other findings of this run (TOR001, FLI001, ENV002,
        IMP001) usually explain it.

    References
        https://docs.python.org/3/reference/import.html
    """
    for attempt in facts.deep.imports:
        if attempt.ok:
            continue
        what = {"timeout": "hangs", "crash": "crashes"}.get(attempt.outcome, "fails")
        yield report(
            Severity.ERROR,
            f"import {attempt.module} {what}: {attempt.error}",
            subject=attempt.module,
            message=f"Every program that imports {attempt.module} in this environment (from this working directory) stops here.",
            evidence=(f"python -c 'import {attempt.module}' -> {attempt.outcome} after {attempt.seconds:.1f}s", attempt.error or ""),
            location=Location(module=attempt.module),
            fix=FixProposal("manual", "see the error and the other findings of this run"),
        )


@check(
    code="STK002",
    name="triton-kernel-fails",
    summary="With --deep: a one-line Triton kernel does not compile or run on the GPU.",
    needs=("deep",),
    fix="manual",
)
def triton_kernel_fails(facts: Facts) -> Iterator:
    """Compile and run a tiny `@triton.jit` kernel (x + 1 over 16 elements) and report its failure.

    What it detects
        With `--deep` and a GPU visible to torch: the kernel raised while compiling
        (ptxas/LLVM errors, an unsupported PTX version for the driver, a missing CUDA
        toolchain piece) or returned a wrong result.

    Why it breaks
        Every Triton-based path (torch.compile, FlashInfer and SGLang/vLLM Triton kernels,
        triton_kernels MoE) compiles the same way: if this kernel fails, those do too, at the
        first request instead of at start-up.

        Severity: always an error: the kernel was compiled and launched on this machine and
        failed, so every Triton kernel of the workload fails the same way.

    Example
        triton 3.6.0 kernel: RuntimeError: PTX was compiled with an unsupported toolchain

    Fix
        GPU001 (driver too old for Triton's PTX) and TOR001 (triton not the one torch pins)
        are the usual causes.

    References
        https://triton-lang.org/main/getting-started/installation.html
    """
    runtime = facts.deep.triton
    if runtime is None or not runtime.kernel or runtime.kernel == "ok" or runtime.kernel.startswith("skipped"):
        return
    triton = installed(facts, TRITON)
    yield report(
        Severity.ERROR,
        f"a one-line Triton kernel fails: {runtime.kernel}",
        subject=TRITON_MODULE,
        message="Every Triton kernel of the stack (torch.compile, FlashInfer, SGLang/vLLM, triton_kernels) compiles and launches the same way.",
        evidence=(f"triton {runtime.version}" + (f" ({triton.metadata_path})" if triton else ""), runtime.kernel),
        location=Location(module=TRITON_MODULE),
        fix=FixProposal("manual", "see GPU001 and TOR001 for the usual causes"),
    )
