"""What NCCL accepts in its environment variables, by NCCL version, as data.

Each entry was read in NCCL's source at the release tags named (github.com/NVIDIA/nccl) and
in its environment-variable documentation; the checks in nccl_settings.py judge a setting
only against an entry here, and say nothing about a variable or a version this module does
not describe.  To add a release: read its src/init.cc (ncclAlgoStr, ncclProtoStr),
src/graph/tuning.cc (parseList) and src/debug.cc, and extend the ranges below.
"""

from __future__ import annotations

from typing import Optional, Tuple

from envdoctor.model.record import Record, record

ENV_DOCS = "https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html"
SOURCE = "https://github.com/NVIDIA/nccl/blob/v2.28.9-1/"

# The oldest release whose parsing of these variables was read; older ones are not judged.
OLDEST_KNOWN = (2, 18)
# The newest release read (the master branch in 2026-11): beyond it, a rejection is not claimed.
NEWEST_READ = (2, 30)
# From 2.24 (src/graph/tuning.cc parseList) an unknown NCCL_ALGO/NCCL_PROTO name, or an unknown
# collective before ':', is ncclInvalidUsage at the first collective; before 2.24 it was ignored.
REJECTS_UNKNOWN_FROM = (2, 24)
# 2.24 also added the per-collective form: "allreduce:tree,ring;allgather:^ring".
COLLECTIVE_PREFIX_FROM = (2, 24)
COLLECTIVES = ("Broadcast", "Reduce", "AllGather", "ReduceScatter", "AllReduce")  # src/init.cc ncclFuncStr


@record
class ValueSet(Record):
    """The names a variable accepts from release `since` on (case-insensitive: NCCL compares
    with strcasecmp), with where that was read."""

    names: Tuple[str, ...]
    since: Tuple[int, int]
    reference: str


# NCCL_ALGO (src/init.cc ncclAlgoStr): PAT joined in 2.23.
ALGORITHMS = (
    ValueSet(("Tree", "Ring", "CollNetDirect", "CollNetChain", "NVLS", "NVLSTree"), (2, 18),
             "https://github.com/NVIDIA/nccl/blob/v2.18.1-1/src/init.cc"),
    ValueSet(("Tree", "Ring", "CollNetDirect", "CollNetChain", "NVLS", "NVLSTree", "PAT"), (2, 23),
             "https://github.com/NVIDIA/nccl/blob/v2.23.4-1/src/init.cc"),
)
# NCCL_PROTO (src/init.cc ncclProtoStr): unchanged since 2.18.
PROTOCOLS = (
    ValueSet(("LL", "LL128", "Simple"), (2, 18), "https://github.com/NVIDIA/nccl/blob/v2.18.1-1/src/init.cc"),
)
# NCCL_DEBUG (src/debug.cc): any other value is ignored, and NCCL prints nothing.
DEBUG_LEVELS = (
    ValueSet(("VERSION", "WARN", "INFO", "ABORT", "TRACE"), (2, 18),
             "https://github.com/NVIDIA/nccl/blob/v2.18.1-1/src/debug.cc"),
)
# The network transports NCCL itself provides (src/transport/net_ib.cc, net_socket.cc), matched
# case-insensitively against NCCL_NET (src/plugin/net.cc); other names are external plugins.
NET_IB = "IB"


@record
class Cost(Record):
    """A setting that slows NCCL down without breaking it: its cost, for an info finding."""

    variable: str
    value: str  # the value that has the cost, compared as NCCL parses it (an integer)
    effect: str  # what the setting turns off, for the title
    cost: str
    reference: str


COSTS = (
    Cost("NCCL_P2P_DISABLE", "1", "direct GPU-to-GPU (P2P) transfers are off",
         "GPUs on this machine stop talking directly over NVLink/PCIe; NCCL goes through host shared "
         "memory instead, several times slower on NVLink systems.", ENV_DOCS + "#nccl-p2p-disable"),
    Cost("NCCL_SHM_DISABLE", "1", "the shared-memory transport is off",
         "GPUs that cannot use P2P talk through the network "
         "transport (sockets or IB) even inside one machine.", ENV_DOCS + "#nccl-shm-disable"),
    Cost("NCCL_NVLS_ENABLE", "0", "NVLink SHARP (NVLS) collectives are off",
         "all-reduce on NVSwitch systems (H100/H200/B200) "
         "loses its fastest algorithm; often set on purpose where multicast is unsupported.",
         ENV_DOCS + "#nccl-nvls-enable"),
    Cost("NCCL_IB_DISABLE", "1", "the InfiniBand/RoCE transport is off",
         "traffic between machines goes over TCP sockets.", ENV_DOCS + "#nccl-ib-disable"),
)


def values_for(table: Tuple[ValueSet, ...], version: Optional[Tuple[int, ...]]) -> Optional[ValueSet]:
    """The entry in force for NCCL `version` (major, minor), or None when no entry covers it."""
    if version is None or tuple(version[:2]) < OLDEST_KNOWN:
        return None
    chosen = None
    for entry in table:
        if tuple(version[:2]) >= entry.since:
            chosen = entry
    return chosen


# torch's own NCCL settings that carried NCCL_ names until torch 2.2 renamed them TORCH_NCCL_
# (pytorch/pytorch#114077): torch 2.2 and later read the new name first and the old one with a
# deprecation warning; torch before 2.2 knows only the old name.
TORCH_RENAMED_IN = (2, 2)
TORCH_RENAMED = (
    ("NCCL_BLOCKING_WAIT", "TORCH_NCCL_BLOCKING_WAIT"),
    ("NCCL_ASYNC_ERROR_HANDLING", "TORCH_NCCL_ASYNC_ERROR_HANDLING"),
    ("NCCL_DESYNC_DEBUG", "TORCH_NCCL_DESYNC_DEBUG"),
    ("NCCL_ENABLE_TIMING", "TORCH_NCCL_ENABLE_TIMING"),
    ("NCCL_USE_TENSOR_REGISTER_ALLOCATOR_HOOK", "TORCH_NCCL_USE_TENSOR_REGISTER_ALLOCATOR_HOOK"),
)
TORCH_RENAMED_REFERENCE = "https://github.com/pytorch/pytorch/pull/114077"
