"""--deep on GPUs: a real JIT build and launch, and an all-reduce across every visible GPU.

Both run the target's torch in target subprocesses (in_target/jit_build_probe.py,
in_target/all_reduce_probe.py), each bounded by --timeout and ended with every process it
started (processes.py), like the deep imports.  The all-reduce starts one process per GPU at
once, as torchrun would, with a rendezvous on 127.0.0.1 at a free port; NCCL gets
NCCL_NVLS_ENABLE=0 (multicast off) and NCCL_DEBUG=WARN unless the user's environment sets
them, and the ranks' NCCL WARN lines are kept.  The same orchestration runs with the gloo
backend on CPU for the tests.  `nvidia-smi topo -m` gives the NVLink/PCIe topology; it runs
at the same time as the all-reduce.

Both start with the deep imports where the static facts allow (start_gpu_runtime) and are
collected after them: each run's --timeout counts from its own start, and a run that finished
while the imports went on gives its answer when collected (probe/process.py), never a timeout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import time
from typing import Any, Callable, Dict, List, Mapping, Optional

from envdoctor.errors import TargetError
from envdoctor.model.facts import Facts
from envdoctor.model.target import Target
from envdoctor.probe.bytecode_cache import bytecode_environment, bytecode_prefix
from envdoctor.probe.command import (ALL_REDUCE_PROGRAM, JIT_BUILD_PROGRAM, TRITON_KERNEL_PROGRAM, deep_options, new_nonce,
                                     program_source)
from envdoctor.probe.frame import end_marker, extract_document
from envdoctor.probe.process import Completed, Running, describe_exit, stderr_tail

TOPOLOGY_TIMEOUT = 10.0
NCCL_WARNING = re.compile(r"NCCL WARN .*")
# What the probe sets for the ranks when the user's environment does not.
NCCL_DEFAULTS = {"NCCL_NVLS_ENABLE": "0", "NCCL_DEBUG": "WARN"}


def _argv(python: str, program, nonce: str, options: Dict[str, Any]) -> List[str]:
    return [python, "-B", "-c", program_source(program), nonce, json.dumps(options)]


def _failure(result: Completed) -> str:
    tail = stderr_tail(result.stderr, lines=4).replace("\n", " | ")
    return f"the probe {describe_exit(result)}" + (f": {tail}" if tail else "")


class JitBuildRun:
    """The JIT build probe, started: `finish()` collects it and removes its temporary folder."""

    def __init__(self, python: str, cwd: str, nvcc: str, timeout: float, facts: Optional[Facts] = None):
        self.build_dir = tempfile.mkdtemp(prefix="envdoctor-jit-")
        self.nonce, self.started = new_nonce(), time.perf_counter()
        prefix = bytecode_prefix(facts)
        options = {"build_dir": self.build_dir, "nvcc": nvcc, "timeout": timeout, "bytecode_prefix": prefix}
        try:
            self.child = Running(_argv(python, JIT_BUILD_PROGRAM, self.nonce, options), cwd, time.monotonic() + timeout,
                                 bytecode_environment(prefix))
        except BaseException:
            shutil.rmtree(self.build_dir, ignore_errors=True)
            raise

    def finish(self) -> dict:
        try:
            result = self.child.wait(end_marker(self.nonce))
        finally:
            shutil.rmtree(self.build_dir, ignore_errors=True)
        document = None if result.timed_out else extract_document(result.stdout, self.nonce)
        if document is not None:
            return document
        return {"outcome": "timeout" if result.timed_out else "crash", "error": _failure(result),
                "seconds": round(time.perf_counter() - self.started, 3),
                "arch_list": os.environ.get("TORCH_CUDA_ARCH_LIST")}

    def cancel(self) -> None:
        self.child.cancel()
        shutil.rmtree(self.build_dir, ignore_errors=True)


def run_jit_build(python: str, cwd: str, nvcc: str, timeout: float) -> dict:
    """Build the one-line kernel with `nvcc` in a temporary folder (removed afterwards) and launch it."""
    return JitBuildRun(python, cwd, nvcc, timeout).finish()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rank_environment(backend: str, user: Mapping[str, str] = os.environ) -> Dict[str, str]:
    """What the ranks get on top of the user's environment: NCCL's defaults the user did not set."""
    if backend != "nccl":
        return {}
    return {name: value for name, value in NCCL_DEFAULTS.items() if name not in user}


class AllReduceRun:
    """One process per rank, all started at once; each all-reduces rank + 1 and reports what it got."""

    def __init__(self, python: str, cwd: str, world_size: int, backend: str, timeout: float,
                 facts: Optional[Facts] = None):
        self.backend, self.world_size = backend, world_size
        self.environment = rank_environment(backend)
        prefix = bytecode_prefix(facts)
        port, deadline, self.started = free_port(), time.monotonic() + timeout, time.perf_counter()
        self.ranks = []
        try:
            for rank in range(world_size):
                nonce = new_nonce()
                options = {"rank": rank, "world_size": world_size, "port": port, "backend": backend,
                           "timeout": max(1, int(timeout)), "bytecode_prefix": prefix}
                argv = _argv(python, ALL_REDUCE_PROGRAM, nonce, options)
                self.ranks.append((nonce, Running(argv, cwd, deadline, {**self.environment, **bytecode_environment(prefix)})))
        except BaseException:
            self.cancel()
            raise

    def finish(self) -> dict:
        documents, log = [], []
        try:
            for nonce, child in self.ranks:
                result = child.wait(end_marker(nonce))
                log += [match.group(0).strip() for match in NCCL_WARNING.finditer(result.stderr)]
                document = None if result.timed_out else extract_document(result.stdout, nonce)
                documents.append(document or {"error": _failure(result), "timed_out": result.timed_out})
                if "error" in documents[-1]:
                    break  # the others wait for this rank until their own timeout: end them now
        finally:
            self.cancel()
        return _all_reduce_result(self.backend, self.world_size, documents, log, self.environment,
                                  time.perf_counter() - self.started)

    def cancel(self) -> None:
        for _, child in self.ranks:
            child.cancel()


def run_all_reduce(python: str, cwd: str, world_size: int, backend: str, timeout: float) -> dict:
    return AllReduceRun(python, cwd, world_size, backend, timeout).finish()


def _all_reduce_result(backend, world_size, documents, log, environment, seconds) -> dict:
    expected = float(world_size * (world_size + 1) // 2)
    result = {"backend": backend, "world_size": world_size, "expected": expected, "nccl_log": log[:20],
              "environment": environment, "seconds": round(seconds, 3)}
    failed = [d for d in documents if "error" in d]
    if failed:
        result["outcome"] = "timeout" if failed[0].get("timed_out") else "failed"
        result["error"] = failed[0]["error"]
        return result
    observed = [d.get("observed") for d in documents]
    result["observed"] = observed[0]
    result["outcome"] = "ok" if all(value == expected for value in observed) else "wrong-result"
    result["seconds"] = max(d.get("seconds", 0.0) for d in documents)  # the collective, start-up excluded
    result["peer_access"] = documents[0].get("peer_access")
    return result


def parse_topology(text: str) -> Dict[str, Dict[str, str]]:
    """`nvidia-smi topo -m`'s matrix: each GPU's link to each other GPU and NIC (X, NV18, PIX, SYS, ...)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    columns = [cell.strip() for cell in lines[0].split("\t") if cell.strip()]
    devices = [name for name in columns if re.match(r"^(GPU|NIC)\d+$", name)]
    matrix = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split("\t")]
        if not re.match(r"^GPU\d+$", cells[0]):
            continue
        values = [cell for cell in cells[1:] if cell][:len(devices)]
        matrix[cells[0]] = {device: value for device, value in zip(devices, values) if device != cells[0]}
    return matrix


class TopologyRun:
    """`nvidia-smi topo -m`, started: `finish()` gives the topology as facts, or None where
    nvidia-smi is absent, fails or does not answer within TOPOLOGY_TIMEOUT."""

    def __init__(self, cwd: str):
        try:
            self.child: Optional[Running] = Running(["nvidia-smi", "topo", "-m"], cwd,
                                                    time.monotonic() + TOPOLOGY_TIMEOUT)
        except TargetError:  # no nvidia-smi on PATH
            self.child = None

    def finish(self) -> Optional[Dict[str, Any]]:
        if self.child is None:
            return None
        result = self.child.wait()
        matrix = parse_topology(result.stdout) if result.returncode == 0 else {}
        return {"topology": matrix, "topology_source": "nvidia-smi topo -m"} if matrix else None

    def cancel(self) -> None:
        if self.child is not None:
            self.child.cancel()


class MultiGpuRun:
    """The all-reduce across `world_size` GPUs and the topology read, started together: neither
    waits for the other.  `finish()` gives Deep's multi_gpu."""

    def __init__(self, python: str, cwd: str, world_size: int, timeout: float, facts: Optional[Facts] = None):
        self.world_size = world_size
        self.topology = TopologyRun(cwd)
        try:
            self.all_reduce = AllReduceRun(python, cwd, world_size, "nccl", timeout, facts)
        except BaseException:
            self.topology.cancel()
            raise

    def finish(self) -> dict:
        """The all-reduce's result, the peer-access matrix its rank 0 read, and the topology."""
        try:
            reduce = self.all_reduce.finish()
            topology = self.topology.finish()
        finally:
            self.cancel()
        peer = reduce.pop("peer_access", None) or ()
        return {"device_count": self.world_size, "peer_access": peer, "all_reduce": reduce, **(topology or {})}

    def cancel(self) -> None:
        self.all_reduce.cancel()
        self.topology.cancel()


class TritonKernelRun:
    """The Triton kernel probe (in_target/triton_kernel_probe.py), started: `finish()` gives Deep's
    triton answer but for the version, which the deep import of triton reports."""

    def __init__(self, python: str, cwd: str, timeout: float, environment: Mapping[str, str],
                 facts: Optional[Facts] = None):
        self.nonce, self.timeout = new_nonce(), timeout
        prefix = bytecode_prefix(facts)
        options = {**deep_options(), "bytecode_prefix": prefix}
        self.child = Running(_argv(python, TRITON_KERNEL_PROGRAM, self.nonce, options), cwd,
                             time.monotonic() + timeout, {**environment, **bytecode_environment(prefix)})

    def finish(self) -> dict:
        result = self.child.wait(end_marker(self.nonce))
        document = None if result.timed_out else extract_document(result.stdout, self.nonce)
        if document is not None:
            return document
        if result.timed_out:
            return {"kernel": f"no result within {self.timeout:.3g} s (killed)"}
        return {"kernel": _failure(result)}

    def cancel(self) -> None:
        self.child.cancel()


def nvidia_gpus_for_torch(facts: Facts) -> int:
    """How many NVIDIA GPUs the driver lists (NVML) where torch is a CUDA build; else 0.  What the
    GPU runs started alongside the imports assume before torch's import confirms it."""
    stack = facts.stack
    gpus = len(stack.nvidia_gpus) if stack else 0
    torch_build = stack.torch if stack else None
    return gpus if torch_build is not None and torch_build.cuda else 0


def start_triton_kernel(facts: Facts, target: Target, timeout: float,
                        environment: Mapping[str, str]) -> Optional[TritonKernelRun]:
    """The Triton kernel, started alongside the deep imports where torch will run it on NVIDIA GPUs;
    None elsewhere (the deep import of triton runs it then: MPS, ROCm, or a skip where no GPU is)."""
    if not nvidia_gpus_for_torch(facts):
        return None
    return TritonKernelRun(target.python, target.cwd, timeout, environment, facts)


def start_gpu_runtime(facts: Facts, target: Target, timeout: float) -> Dict[str, Any]:
    """Start the JIT build and the multi-GPU run together with the deep imports, where the static
    facts already answer what they would wait for torch's import to say: NVIDIA GPUs that the
    driver lists (NVML), a CUDA build of torch and, for the all-reduce, how many GPUs the ranks
    will see (every GPU: no CUDA_VISIBLE_DEVICES).  Each run's --timeout counts from its own
    start; what torch's import then says still decides (gpu_runtime)."""
    gpus = nvidia_gpus_for_torch(facts)
    if not gpus:
        return {}
    toolchain, runs = facts.toolchain, {}
    try:
        if toolchain is not None and toolchain.triggers and toolchain.nvcc:
            runs["jit_build"] = JitBuildRun(target.python, target.cwd, toolchain.nvcc, timeout, facts)
        environment = facts.interpreter.environment if facts.interpreter else {}
        if gpus >= 2 and "CUDA_VISIBLE_DEVICES" not in environment:
            runs["multi_gpu"] = MultiGpuRun(target.python, target.cwd, gpus, timeout, facts)
    except BaseException:
        cancel_gpu_runtime(runs)
        raise
    return runs


def cancel_gpu_runtime(runs: Mapping[str, Any]) -> None:
    for run in runs.values():
        run.cancel()


def gpu_runtime(facts: Facts, target: Target, timeout: float, torch_runtime: Optional[Mapping[str, Any]],
                progress: Optional[Callable[[str], None]] = None,
                started: Optional[Mapping[str, Any]] = None) -> dict:
    """Deep's `jit_build` and `multi_gpu`, where torch sees a GPU: the build where something installed
    builds kernels at run time and a toolkit is there; the all-reduce where torch sees two GPUs or
    more.  Both run at once, each with its own --timeout.  `started`: the runs start_gpu_runtime()
    began with the imports, kept where torch's answer agrees with what they assumed (CUDA works,
    as many GPUs as ranks) and ended otherwise; what they did not start starts now."""
    runs: Dict[str, Any] = dict(started or {})
    try:
        runtime = torch_runtime or {}
        if not runtime.get("cuda_available"):
            return {}
        toolchain, count = facts.toolchain, runtime.get("device_count") or 0
        multi = runs.get("multi_gpu")
        if multi is not None and multi.world_size != count:  # torch sees another number of GPUs than NVML
            multi.cancel()
            del runs["multi_gpu"]
        if "jit_build" not in runs and toolchain is not None and toolchain.triggers and toolchain.nvcc:
            runs["jit_build"] = JitBuildRun(target.python, target.cwd, toolchain.nvcc, timeout, facts)
        if "multi_gpu" not in runs and count >= 2:
            runs["multi_gpu"] = MultiGpuRun(target.python, target.cwd, count, timeout, facts)
        if progress and runs:
            progress("building a CUDA kernel, all-reduce across GPUs" if len(runs) == 2 else
                     "building a CUDA kernel" if "jit_build" in runs else f"all-reduce across {count} GPUs")
        return {name: run.finish() for name, run in runs.items()}
    finally:
        cancel_gpu_runtime(runs)
