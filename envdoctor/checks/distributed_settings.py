"""torch.distributed's rendezvous variables and Gloo's interface, judged for what is certain.

`init_process_group(init_method="env://")` (the default) reads MASTER_ADDR, MASTER_PORT,
WORLD_SIZE and RANK from the environment, and LOCAL_RANK picks the GPU by convention.
torchrun sets them for each process it starts, replacing what the shell had; a job started
with plain `python` (or by a scheduler's script) uses the values as they are.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Tuple

from envdoctor.api import check, report
from envdoctor.checks._shared import environment, whole_number
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Severity
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.stack import TORCH

# Variables whose value must be a whole number, with the smallest value that makes sense.
WHOLE_NUMBERS = {"WORLD_SIZE": 1, "RANK": 0, "LOCAL_RANK": 0, "LOCAL_WORLD_SIZE": 1, "MASTER_PORT": 0}
PORT_MAX = 65535
# CUDA documents 1 to 32 hardware work queues (CUDA C++ Programming Guide, environment variables).
CONNECTIONS = ("CUDA_DEVICE_MAX_CONNECTIONS", 1, 32)
TORCHRUN_NOTE = "torchrun sets its own values for each process; a job started with plain python uses these."


def _malformed(env: Dict[str, str]) -> List[Tuple[str, str]]:
    """(variable, what is wrong) for values that cannot be used at all."""
    problems = []
    for variable, smallest in WHOLE_NUMBERS.items():
        value = env.get(variable)
        if value is None:
            continue
        number = whole_number(value)
        if number is None:
            problems.append((variable, f"{variable}={value!r} is not a whole number"))
        elif number < smallest or (variable == "MASTER_PORT" and number > PORT_MAX):
            limit = f"0..{PORT_MAX}" if variable == "MASTER_PORT" else f"{smallest} or more"
            problems.append((variable, f"{variable}={value!r} is out of range ({limit})"))
    variable, low, high = CONNECTIONS
    value = env.get(variable)
    if value is not None and (whole_number(value) is None or not low <= whole_number(value) <= high):
        problems.append((variable, f"{variable}={value!r} is outside the {low}..{high} CUDA documents"))
    return problems


@check(
    code="DST001",
    name="distributed-variable-format",
    summary="A torch.distributed variable (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_PORT, ...) is not a usable number.",
    needs=("interpreter", "distributions"),
    fix="manual",
)
def distributed_variable_format(facts: Facts) -> Iterator:
    """Check that the rendezvous variables hold numbers torch.distributed can use.

    What it detects
        In an environment with torch: `WORLD_SIZE`, `RANK`, `LOCAL_RANK`, `LOCAL_WORLD_SIZE`
        or `MASTER_PORT` that is not a whole number, a negative rank, a world size below 1,
        a port outside 0..65535; `CUDA_DEVICE_MAX_CONNECTIONS` outside the 1..32 CUDA
        documents.

    Why it breaks
        `init_process_group` with the default `env://` converts these with int(): a value
        that is not a number raises ValueError, a port out of range fails when the store
        binds or connects, and a negative rank or a world size of 0 is refused. torchrun
        replaces them for the processes it starts, so a job launched by torchrun is not
        affected; one launched with plain `python`, or by a script that exports them, is.

        Severity: a warning: whether it breaks depends on how the job is launched, which
        envdoctor cannot see.

    Example
        WORLD_SIZE='two' is not a whole number

    Fix
        Set the variable to a whole number in range, or unset it and launch with torchrun.

    References
        https://docs.pytorch.org/docs/stable/distributed.html#environment-variable-initialization
        https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#env-vars
    """
    if installed(facts, TORCH) is None:
        return
    for variable, problem in _malformed(environment(facts)):
        yield report(
            Severity.WARNING,
            problem,
            subject=variable,
            message="torch.distributed's env:// initialisation cannot use it. " + TORCHRUN_NOTE,
            evidence=(problem,),
            fix=FixProposal("manual", f"set {variable} to a whole number in range, or unset it"),
        )


def _visible_gpus(facts: Facts, env: Dict[str, str]) -> Optional[int]:
    """How many GPUs a process sees here, when certain: the driver's count, narrowed by a
    CUDA_VISIBLE_DEVICES of plain indices (ENV001 judges any other form)."""
    count = len(facts.stack.nvidia_gpus) if facts.stack else 0
    if not count:
        return None
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return count
    entries = [entry.strip() for entry in visible.split(",") if entry.strip()]
    if not entries or not all(entry.isdigit() and int(entry) < count for entry in entries):
        return None
    return len(entries)


def _inconsistent(facts: Facts, env: Dict[str, str]) -> List[Tuple[str, str]]:
    numbers = {name: whole_number(env[name]) for name in WHOLE_NUMBERS if name in env}
    rank, world = numbers.get("RANK"), numbers.get("WORLD_SIZE")
    local, local_world = numbers.get("LOCAL_RANK"), numbers.get("LOCAL_WORLD_SIZE")
    problems = []
    if rank is not None and world is not None and 0 <= rank and 1 <= world <= rank:
        problems.append(("RANK", f"RANK={rank} is not below WORLD_SIZE={world} (ranks are 0..{world - 1})"))
    if local is not None and local_world is not None and 0 <= local and 1 <= local_world <= local:
        problems.append(("LOCAL_RANK", f"LOCAL_RANK={local} is not below LOCAL_WORLD_SIZE={local_world}"))
    gpus = _visible_gpus(facts, env)
    if local is not None and gpus is not None and local >= gpus:
        problems.append(("LOCAL_RANK", f"LOCAL_RANK={local} but this process sees {gpus} GPU{'s' if gpus != 1 else ''} (0..{gpus - 1})"))
    return problems


@check(
    code="DST002",
    name="distributed-rank-range",
    summary="RANK is not below WORLD_SIZE, or LOCAL_RANK names a GPU this process does not see.",
    needs=("interpreter", "distributions", "stack"),
    fix="manual",
)
def distributed_rank_range(facts: Facts) -> Iterator:
    """Check the ranks against the world size and the visible GPUs.

    What it detects
        In an environment with torch: `RANK` not below `WORLD_SIZE`, `LOCAL_RANK` not below
        `LOCAL_WORLD_SIZE`, or `LOCAL_RANK` not below the number of GPUs this process sees
        (the driver's GPUs, narrowed by a `CUDA_VISIBLE_DEVICES` of indices; not judged when
        the GPU count is unknown).

    Why it breaks
        A rank outside the world makes `init_process_group` wait for peers that never come
        (or be refused by the store), and `torch.cuda.set_device(LOCAL_RANK)` with an index
        beyond the visible GPUs fails with "invalid device ordinal". torchrun replaces these
        for the processes it starts; a job launched with plain `python` uses them.

        Severity: a warning: whether it breaks depends on how the job is launched.

    Example
        RANK=2 is not below WORLD_SIZE=2 (ranks are 0..1)

    Fix
        Give each process a rank below the world size and a LOCAL_RANK below its GPU count,
        or launch with torchrun, which sets them.

    References
        https://docs.pytorch.org/docs/stable/distributed.html#environment-variable-initialization
        https://docs.pytorch.org/docs/stable/elastic/run.html#environment-variables
    """
    if installed(facts, TORCH) is None:
        return
    for variable, problem in _inconsistent(facts, environment(facts)):
        yield report(
            Severity.WARNING,
            problem,
            subject=variable,
            message="The process group cannot form (or set_device fails) with these values. " + TORCHRUN_NOTE,
            evidence=(problem,),
            fix=FixProposal("manual", f"set {variable} within range, or launch with torchrun"),
        )


@check(
    code="DST003",
    name="gloo-socket-interface",
    summary="GLOO_SOCKET_IFNAME names a network interface this machine does not have.",
    needs=("interpreter", "distributions", "network"),
    fix="manual",
)
def gloo_socket_interface(facts: Facts) -> Iterator:
    """Check the interfaces GLOO_SOCKET_IFNAME names.

    What it detects
        In an environment with torch: a name in `GLOO_SOCKET_IFNAME` (a comma-separated list
        of whole interface names: unlike NCCL's variable, no prefixes and no `^`) that is not
        an interface of this machine.

    Why it breaks
        torch's Gloo backend creates one device per name listed, and Gloo stops with "Unable
        to find address for: NAME" when the interface does not exist. SGLang and vLLM create
        a Gloo process group for their CPU-side communication next to the NCCL one, so a
        server with tensor parallelism fails at start-up, not only jobs that ask for Gloo.

        Severity: an error: every Gloo process group created in this environment fails.

    Example
        GLOO_SOCKET_IFNAME='nope0' names nope0, which this machine does not have (lo, eth0)

    Fix
        Name an interface that `ip -o link` lists, or unset the variable.

    References
        https://docs.pytorch.org/docs/stable/distributed.html#choosing-the-network-interface-to-use
        https://discuss.pytorch.org/t/runtime-error-using-distributed-with-gloo/16579
    """
    value = environment(facts).get("GLOO_SOCKET_IFNAME")
    names = facts.network.interface_names()
    if not value or not names or installed(facts, TORCH) is None:
        return
    absent = [name for name in (entry.strip() for entry in value.split(",")) if name and name not in names]
    if not absent:
        return
    yield report(
        Severity.ERROR,
        f"GLOO_SOCKET_IFNAME={value!r} names {', '.join(absent)}, which this machine does not have ({', '.join(names)})",
        subject="GLOO_SOCKET_IFNAME",
        message="Gloo fails with \"Unable to find address for\" the interface when a Gloo process group is created "
                "(SGLang and vLLM create one for CPU communication).",
        evidence=(f"GLOO_SOCKET_IFNAME={value!r}", f"interfaces: {', '.join(names)} ({facts.network.interfaces_source})"),
        fix=FixProposal("manual", "name an interface this machine has, or unset GLOO_SOCKET_IFNAME"),
    )
