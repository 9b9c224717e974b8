"""Several GPUs in one job: the --deep all-reduce across every visible GPU, and peer access between them."""

from __future__ import annotations

from typing import Iterator, List

from envdoctor.api import check, report
from envdoctor.checks._shared import environment
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Severity

NCCL_ENVIRONMENT = "https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html"
NCCL_TROUBLESHOOTING = "https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html"
# Variables that choose how ranks find each other and talk (the NCCL checks judge their values).
COLLECTIVE_PREFIXES = ("NCCL_", "TORCH_NCCL_", "GLOO_", "MASTER_")


def _collective_settings(facts: Facts) -> List[str]:
    return [f"{name}={value}" for name, value in sorted(environment(facts).items())
            if name.startswith(COLLECTIVE_PREFIXES)]


@check(
    code="MGPU001",
    name="all-reduce-fails",
    summary="--deep: an all-reduce across every visible GPU (one process per GPU, NCCL) fails, hangs or sums wrong.",
    needs=("deep",),
    fix="manual",
)
def all_reduce_fails(facts: Facts) -> Iterator:
    """Run one NCCL all-reduce across all visible GPUs, one process each, the way torchrun starts a job.

    What it detects
        With `--deep` on a machine where torch sees two GPUs or more: one process per GPU,
        started at once, rendezvous on 127.0.0.1 at a free port, each contributing rank + 1 to
        `dist.all_reduce`; the finding is raised when a rank fails, the collective does not
        finish within `--timeout`, or the sum is wrong. The ranks run in the user's
        environment, with `NCCL_NVLS_ENABLE=0` (multicast off) and `NCCL_DEBUG=WARN` added
        unless the environment sets them; NCCL's WARN lines are kept as evidence.

    Why it breaks
        It is the first thing a multi-GPU SGLang or vLLM server, or a torchrun job, does.
        A wrong NCCL variable (an interface the machine lacks in `NCCL_SOCKET_IFNAME`,
        `NCCL_NET=IB` without InfiniBand, an unknown `NCCL_ALGO`/`NCCL_PROTO`), a broken
        peer-to-peer path or a mismatched NCCL library stop it with "invalid usage",
        "Bootstrap : no socket interface found", or a hang.

        Severity: an error: multi-GPU jobs fail on this machine. The NCCL settings in force
        are listed; the NCCL environment checks name a wrong one in their own finding.

    Example
        the all-reduce across 2 GPUs (nccl) fails: DistBackendError: NCCL error ... invalid usage

    Fix
        Fix or unset the NCCL variable named by the NCCL checks; otherwise read NCCL's WARN
        lines (rerun with `NCCL_DEBUG=INFO` for more).

    References
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html
        https://pytorch.org/docs/stable/distributed.html
    """
    multi = facts.deep.multi_gpu if facts.deep else None
    reduce = multi.all_reduce if multi else None
    if reduce is None or reduce.outcome == "ok":
        return
    if reduce.outcome == "wrong-result":
        what = f"sums to {reduce.observed}, not {reduce.expected}"
    elif reduce.outcome == "timeout":
        what = "does not finish within --timeout"
    else:
        what = "fails: " + ((reduce.error or "").strip().splitlines()[-1:] or ["?"])[0]
    settings = _collective_settings(facts)
    yield report(
        Severity.ERROR,
        f"the all-reduce across {reduce.world_size} GPUs ({reduce.backend}) {what}",
        subject="all-reduce",
        message="Multi-GPU serving (tensor parallelism) and torchrun jobs start with this collective; they fail "
                "the same way here." + (" NCCL settings are in force (see the NCCL checks' findings)." if settings
                                        else ""),
        evidence=tuple(f"set: {item}" for item in settings)
        + tuple(f"added by the probe: {k}={v}" for k, v in sorted(reduce.environment.items()))
        + tuple(reduce.nccl_log[:8]) + ((reduce.error,) if reduce.error else ()),
        references=(NCCL_ENVIRONMENT, NCCL_TROUBLESHOOTING),
        fix=FixProposal("manual", "fix or unset the NCCL settings named above" if settings
                        else "read NCCL's WARN lines; rerun with NCCL_DEBUG=INFO"),
    )


@check(
    code="MGPU002",
    name="no-peer-access",
    summary="--deep: two visible GPUs cannot access each other's memory directly (collectives go through the host).",
    needs=("deep",),
    fix="manual",
)
def no_peer_access(facts: Facts) -> Iterator:
    """Read the peer-access matrix (torch.cuda.can_device_access_peer) of the visible GPUs.

    What it detects
        With `--deep` on two GPUs or more: pairs of GPUs for which
        `torch.cuda.can_device_access_peer` is False, with the link `nvidia-smi topo -m`
        shows between them.

    Why it breaks
        It does not break: NCCL and CUDA copy through host memory instead, slower (PCIe
        through the CPU, or across sockets). Custom all-reduce kernels of serving frameworks
        (vLLM's and SGLang's custom all-reduce) need peer access and turn themselves off.

        Severity: info: slower collectives, nothing fails.

    Example
        GPU 0 and GPU 1 cannot access each other's memory directly (topology: SYS)

    Fix
        Nothing to fix in the environment; on virtual machines, peer-to-peer may need
        enabling in the hypervisor (check `nvidia-smi topo -p2p r`).

    References
        https://docs.nvidia.com/cuda/cuda-c-programming-guide/#peer-to-peer-memory-access
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/troubleshooting.html
    """
    multi = facts.deep.multi_gpu if facts.deep else None
    if multi is None or not multi.peer_access:
        return
    pairs = [(i, j) for i, row in enumerate(multi.peer_access) for j, ok in enumerate(row) if i < j and not ok]
    if not pairs:
        return
    links = [f"GPU {i} - GPU {j}: " + (multi.topology or {}).get(f"GPU{i}", {}).get(f"GPU{j}", "link unknown")
             for i, j in pairs]
    first_i, first_j = pairs[0]
    more = f" (and {len(pairs) - 1} more pairs)" if len(pairs) > 1 else ""
    yield report(
        Severity.INFO,
        f"GPU {first_i} and GPU {first_j} cannot access each other's memory directly{more}",
        subject="peer-access",
        message="Collectives and copies between them go through host memory: slower, and custom all-reduce "
                "kernels of serving frameworks switch themselves off.",
        evidence=tuple(links) + ((f"topology: {multi.topology_source}",) if multi.topology_source else ()),
        references=("https://docs.nvidia.com/cuda/cuda-c-programming-guide/#peer-to-peer-memory-access",),
    )
