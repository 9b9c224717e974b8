"""Deep probes (--deep): import the installed stack modules in one target subprocess (in_target/deep_import.py).

What only an import can tell: does `import sglang` work, what did it add to
sys.meta_path, is CUDA usable by torch, does a Triton kernel compile and run.
One process imports torch first and then each other module, so torch (which
dominates every stack module's import) is imported once, not once per module.
Each module still gets its own --timeout (not what is left of the probe's: a cold
torch or Triton import that takes most of a minute is slow, not hung): the first
counted from the process's start, each next one from the previous module's answer.
A module that runs out of it, or kills the process (a segfault, os._exit), costs
its own answer only: the process is ended with every process it started and the
modules after it are imported by a fresh one.  An import that "hangs" (STK001) had
its whole --timeout.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence

from envdoctor.model.facts import Deep, Facts, from_dict
from envdoctor.model.target import Target
from envdoctor.probe.bytecode_cache import bytecode_environment, bytecode_prefix
from envdoctor.probe.command import deep_argv, new_nonce
from envdoctor.probe.frame import end_marker, extract_document
from envdoctor.probe.gpu_runtime_probes import cancel_gpu_runtime, gpu_runtime, start_gpu_runtime, start_triton_kernel
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
        if not other_major:
            continue
        found += [name for name in dist.top_level
                  if not name.startswith("_") and name in modules and modules[name].found and name not in found]
    return found


class DeepImports:
    """The deep import processes of one run: the target, each module's --timeout, their environment."""

    def __init__(self, target: Target, timeout: float, environment: Dict[str, str],
                 progress: Optional[Callable[[str], None]] = None, triton_kernel_elsewhere: bool = False,
                 facts: Optional[Facts] = None):
        self.target, self.timeout, self.progress = target, timeout, progress
        self.triton_kernel_elsewhere = triton_kernel_elsewhere
        self.bytecode_prefix = bytecode_prefix(facts)
        self.environment = {**environment, **bytecode_environment(self.bytecode_prefix)}

    def answers(self, names: Sequence[str]) -> Dict[str, dict]:
        """Each module's answer, imported in order by one process; a module that hangs or crashes
        costs that process its own answer only, and the modules after it go on in a fresh one.

        An import that raised or crashed after other modules were imported in the same process is
        imported again alone, and that answer is kept: STK001 says `python -c 'import X'` fails,
        which an earlier import's side effects must not decide.  (A hang is not repeated: it would
        cost another --timeout.)"""
        documents: Dict[str, dict] = {}
        followed: List[str] = []  # modules imported after others in their process
        pending = list(names)
        while pending:
            answers = self.one_process(pending)
            documents.update((answer["module"], answer) for answer in answers)
            followed += [answer["module"] for answer in answers[1:]]
            pending = pending[len(answers):]
        for name in followed:
            if documents[name]["outcome"] in ("error", "crash"):
                documents[name] = self.one_process([name])[0]
        return documents

    def one_process(self, modules: Sequence[str]) -> List[dict]:
        """The answers of one deep import process, in order, at least one: the modules it answered
        for, then the first one it did not answer for (timeout or crash), where it stopped early.

        The watchdog is the process's deadline: --timeout from its start for the first module
        (start-up included, as a lone `python -c 'import X'` would have it), then --timeout from
        each answer for the next, so that every module has its own budget and a hang is blamed on
        the module that was being imported when the budget ran out."""
        nonce, timeout, progress = new_nonce(), self.timeout, self.progress
        ends = [end_marker(f"{nonce}-{index}") for index in range(len(modules))]
        answered, budget_start = 0, time.monotonic()

        def next_deadline(stdout: bytes) -> float:
            nonlocal answered, budget_start
            while answered < len(modules) and ends[answered] in stdout:
                answered += 1
                budget_start = time.monotonic()
                if progress and answered < len(modules):
                    progress(f"importing {modules[answered]}")
            return budget_start + timeout

        if progress:
            progress(f"importing {modules[0]}")
        argv = deep_argv(self.target.python, nonce, modules, self.bytecode_prefix, self.triton_kernel_elsewhere)
        child = Running(argv, self.target.cwd, budget_start + timeout, self.environment)
        result = child.wait(ends[-1], next_deadline=next_deadline)
        answers = []
        for index, module in enumerate(modules):
            document = extract_document(result.stdout, f"{nonce}-{index}")
            if document is None:
                return answers + [_failure(module, result, timeout, time.monotonic() - budget_start)]
            answers.append(document)
        return answers


def _failure(module: str, result: Completed, timeout: float, seconds: float) -> dict:
    """The answer for the module a deep import process stopped at without answering for it."""
    if result.timed_out:
        outcome, how = "timeout", f"no result within {timeout:.3g} s (killed)"
    else:
        outcome, how = "crash", describe_exit(result)
    tail = stderr_tail(result.stderr, lines=2).replace("\n", " | ")
    return {"module": module, "ok": False, "outcome": outcome, "seconds": round(min(seconds, timeout), 3),
            "error": f"the import {how}" + (f": {tail}" if tail else "")}


def run_deep(
    facts: Facts,
    target: Target,
    timeout: float,
    modules: Optional[Sequence[str]] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> Deep:
    names = list(modules if modules is not None else deep_modules(facts))
    started = time.perf_counter()
    triton_cache = tempfile.mkdtemp(prefix="envdoctor-triton-cache-")
    environment = {**DEEP_ENVIRONMENT, "TRITON_CACHE_DIR": triton_cache}
    # The JIT build, the all-reduce and the Triton kernel start now where the static facts allow,
    # so that they run while the modules are imported (probe/gpu_runtime_probes.py).
    gpu_runs = start_gpu_runtime(facts, target, timeout)
    kernel = None
    try:
        kernel = start_triton_kernel(facts, target, timeout, environment) if TRITON_MODULE in names else None
        documents = DeepImports(target, timeout, environment, progress, kernel is not None, facts).answers(names)
        triton = (documents.get(TRITON_MODULE) or {}).get("triton")
        if kernel is not None:
            answer = kernel.finish()
            # Only where triton imported: the deep import's own answer says why it did not.
            triton = {**triton, **answer} if triton is not None else None
    except BaseException:  # an interruption, or a target that cannot run: the GPU runs end too
        cancel_gpu_runtime(gpu_runs)
        raise
    finally:
        if kernel is not None:
            kernel.cancel()
        shutil.rmtree(triton_cache, ignore_errors=True)
    data = {
        "imports": [documents[name] for name in names],
        "torch": (documents.get(TORCH_MODULE) or {}).get("torch"),
        "triton": triton,
        "seconds": round(time.perf_counter() - started, 3),
    }
    # The JIT build and the multi-GPU collective: collected (or started) now that torch's import
    # has said whether CUDA works and how many GPUs it sees (probe/gpu_runtime_probes.py).
    data.update(gpu_runtime(facts, target, timeout, data["torch"], progress, gpu_runs))
    return from_dict(Deep, data)
