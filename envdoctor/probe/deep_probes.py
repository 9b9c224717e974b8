"""Deep probes (--deep): import each installed stack module in its own target subprocess (in_target/deep_import.py).

What only an import can tell: does `import sglang` work, what did it add to
sys.meta_path, is CUDA usable by torch, does a Triton kernel compile and run.
Each module gets its own subprocess and its own --timeout, counted from that
subprocess's start (not what is left of the probe's: a cold torch or Triton import
that takes most of a minute is slow, not hung); at its end the subprocess is ended
with every process it started, so a segfault, a hang or a poisoned CUDA context
costs that one answer, never the run.  An import that "hangs" (STK001) had its whole
--timeout.
Several run at once; torch's import dominates and the rest overlap with it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Callable, List, Optional, Sequence

from envdoctor.model.facts import Deep, Facts, canonicalize, from_dict
from envdoctor.model.target import Target
from envdoctor.probe.command import deep_argv, new_nonce
from envdoctor.probe.frame import end_marker, extract_document
from envdoctor.probe.gpu_runtime_probes import gpu_runtime
from envdoctor.probe.process import Completed, Running, describe_exit, stderr_tail
from envdoctor.vocabulary.active_numpy_builds import active_numpy_builds
from envdoctor.vocabulary.stack import DEEP_MODULES, NUMPY, TORCH_MODULE, TRITON_MODULE
from envdoctor.vocabulary.versions import parse_version
from envdoctor.vocabulary.stack_membership import joined_top_level_modules

# torch.cuda.is_available() through NVML: no CUDA context, so no fork poisoning.
DEEP_ENVIRONMENT = {"PYTORCH_NVML_BASED_CUDA_CHECK": "1"}


def deep_modules(facts: Facts) -> List[str]:
    """The stack's top-level modules found in the target: DEEP_MODULES in their order, then
    those of every package that joined the stack through its requirements, then those of
    distributions whose extension modules were built for the other NumPy major."""
    modules = facts.modules or {}
    wanted = dict.fromkeys([*DEEP_MODULES, *joined_top_level_modules(facts)])
    stack = [name for name in wanted if name in modules and modules[name].found]
    return stack + [name for name in numpy_suspects(facts) if name not in stack]


def numpy_suspects(facts: Facts) -> List[str]:
    """The top-level modules of distributions whose extension modules were built for the other
    NumPy major (facts.numpy_builds): importing them confirms NPY001/NPY002 (or shows the
    extension is imported later, by a submodule)."""
    numpy = facts.active_distributions().get(NUMPY)
    version = parse_version(numpy.version) if numpy else None
    if version is None:
        return []
    modules = facts.modules or {}
    found = []
    for dist, build in active_numpy_builds(facts):
        other_major = build.numpy_1_count if version.major >= 2 else build.numpy_2_count and build.numpy_2_target
        dist = facts.active_distributions().get(canonicalize(build.distribution))
        if not other_major or dist is None or dist.metadata_path != build.metadata_path:
            continue
        found += [name for name in dist.top_level
                  if not name.startswith("_") and name in modules and modules[name].found and name not in found]
    return found


def _attempt(module: str, result: Completed, nonce: str) -> dict:
    document = None if result.timed_out else extract_document(result.stdout, nonce)
    if document is not None:
        return document
    outcome = "timeout" if result.timed_out else "crash"
    tail = stderr_tail(result.stderr, lines=2).replace("\n", " | ")
    error = f"the import {describe_exit(result)}" + (f": {tail}" if tail else "")
    return {"module": module, "ok": False, "outcome": outcome, "error": error}


def run_deep(
    facts: Facts,
    target: Target,
    timeout: float,
    modules: Optional[Sequence[str]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> Deep:
    names = list(modules if modules is not None else deep_modules(facts))
    parallel = max(2, min(4, (os.cpu_count() or 2) // 2))
    started = time.perf_counter()
    triton_cache = tempfile.mkdtemp(prefix="envdoctor-triton-cache-")
    environment = {**DEEP_ENVIRONMENT, "TRITON_CACHE_DIR": triton_cache}
    documents = {}
    pending = list(names)
    running = []  # (module, nonce, Running), started in order, collected in order
    try:
        while pending or running:
            while pending and len(running) < parallel:
                module = pending.pop(0)
                nonce = new_nonce()
                argv = deep_argv(target.python, nonce, module)
                running.append((module, nonce, Running(argv, target.cwd, time.monotonic() + timeout, environment)))
            module, nonce, child = running.pop(0)
            if progress:
                progress(f"importing {module}")
            documents[module] = _attempt(module, child.wait(end_marker(nonce)), nonce)
    finally:
        for _, _, child in running:  # only after an interruption
            child.cancel()
        shutil.rmtree(triton_cache, ignore_errors=True)
    data = {
        "imports": [documents[name] for name in names],
        "torch": (documents.get(TORCH_MODULE) or {}).get("torch"),
        "triton": (documents.get(TRITON_MODULE) or {}).get("triton"),
        "seconds": round(time.perf_counter() - started, 3),
    }
    # The JIT build and the multi-GPU collective, after the imports (probe/gpu_runtime_probes.py).
    data.update(gpu_runtime(facts, target, timeout, data["torch"], progress))
    return from_dict(Deep, data)
