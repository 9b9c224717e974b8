"""`fleet --deep`: a real all-reduce across the nodes, and, when it fails, one between every pair
of nodes, which localises the node or link that breaks it.

One rank per GPU of every node with the nccl backend when every node has NVIDIA GPUs, else one
rank per node with gloo (CPU); the ranks run probe/in_target/all_reduce_probe.py (the one that
`check --deep` runs on one machine), rendezvous at rank 0's node.  Rank r contributes r + 1, so
every rank must end with 1 + 2 + ... + world_size.  The engine starts the ranks
(ray_collector.all_reduce_on_ray); this module plans them and judges their answers.
"""

from __future__ import annotations

from itertools import combinations
from typing import List, Optional, Sequence, Tuple

from envdoctor.fleet.cross_node import TORCH_DIST, fleet_finding
from envdoctor.fleet.nodes import FleetNode
from envdoctor.model.finding import Finding, Severity
from envdoctor.model.record import Record, record

# Above this many nodes the pair test walks the ring (i, i+1) instead of every pair.
EVERY_PAIR_UP_TO = 8


@record
class Rank(Record):
    node: str
    rank: int
    local_rank: int


@record
class AllReduce(Record):
    """What the all-reduce across `nodes` gave; `pairs` only when it failed."""

    backend: str
    nodes: Tuple[str, ...]
    world_size: int
    ok: bool
    seconds: Optional[float] = None
    errors: Tuple[str, ...] = ()  # one line per rank that failed: "node-3 rank 2: ..."
    pairs: Tuple[Tuple[str, str, bool], ...] = ()  # (node, node, whether their all-reduce worked)

    def to_dict(self) -> dict:
        return {"backend": self.backend, "nodes": list(self.nodes), "world_size": self.world_size, "ok": self.ok,
                "seconds": self.seconds, "errors": list(self.errors),
                "pairs": [{"nodes": [a, b], "ok": ok} for a, b, ok in self.pairs]}


def plan(nodes: Sequence[FleetNode]) -> Tuple[str, List[Rank]]:
    """(backend, ranks): one rank per GPU on NVIDIA nodes (nccl), else one per node (gloo)."""
    gpus = {node.name: len(node.facts.stack.nvidia_gpus) if node.facts.stack else 0 for node in nodes}
    if all(gpus.values()):
        ranks = [(node.name, local) for node in nodes for local in range(gpus[node.name])]
        backend = "nccl"
    else:
        ranks = [(node.name, 0) for node in nodes]
        backend = "gloo"
    return backend, [Rank(name, index, local) for index, (name, local) in enumerate(ranks)]


def judged(ranks: Sequence[Rank], answers: Sequence[Optional[dict]]) -> Tuple[bool, Optional[float], Tuple[str, ...]]:
    """(every rank holds the right sum, the slowest rank's seconds, one line per failed rank)."""
    expected = len(ranks) * (len(ranks) + 1) / 2
    errors = []
    for rank, answer in zip(ranks, answers):
        where = f"{rank.node} rank {rank.rank}"
        if answer is None:
            errors.append(f"{where}: no answer within --timeout")
        elif "error" in answer:
            errors.append(f"{where}: {answer['error']}")
        elif answer.get("observed") != expected:
            errors.append(f"{where}: holds {answer.get('observed')} after the all-reduce, not {expected:g}")
    seconds = [answer["seconds"] for answer in answers if answer and "seconds" in answer]
    return not errors, (max(seconds) if seconds and not errors else None), tuple(errors)


def pairs_to_test(names: Sequence[str]) -> List[Tuple[str, str]]:
    if len(names) <= EVERY_PAIR_UP_TO:
        return list(combinations(names, 2))
    return [(names[i], names[(i + 1) % len(names)]) for i in range(len(names))]


def suspects(result: AllReduce) -> List[str]:
    """The nodes in every failing pair (with two or more failing pairs), or in no working pair."""
    failing = [(a, b) for a, b, ok in result.pairs if not ok]
    if not failing:
        return []
    common = set(failing[0]).intersection(*map(set, failing[1:]))
    if len(failing) > 1 and common:
        return sorted(common)
    working = {name for a, b, ok in result.pairs if ok for name in (a, b)}
    return sorted({name for pair in failing for name in pair} - working)


def all_reduce_findings(result: Optional[AllReduce]) -> List[Finding]:
    """FLT014 when the all-reduce across the nodes failed, naming the node the pair test localised."""
    if result is None or result.ok:
        return []
    blamed = suspects(result)
    failing = [(a, b) for a, b, ok in result.pairs if not ok]
    if blamed:
        where, subject = f": {', '.join(blamed)} fails with every other node", ", ".join(blamed)
    elif len(failing) == 1:  # both ends work with every other node: the link between them
        where, subject = f": the link between {failing[0][0]} and {failing[0][1]} fails", " + ".join(failing[0])
    else:
        where, subject = "", "fleet"
    pairs = [f"{a} + {b}: {'works' if ok else 'fails'}" for a, b, ok in result.pairs]
    title = f"the {result.backend} all-reduce across {len(result.nodes)} nodes ({result.world_size} ranks) failed{where}"
    return [fleet_finding("FLT014", Severity.ERROR, title, subject, evidence=(*result.errors, *pairs),
                          references=(TORCH_DIST,))]


def outcome_by_pair(pairs: Sequence[Tuple[str, str]], oks: Sequence[bool]) -> Tuple[Tuple[str, str, bool], ...]:
    return tuple((a, b, ok) for (a, b), ok in zip(pairs, oks))


def ranks_for_pair(pair: Tuple[str, str]) -> List[Rank]:
    return [Rank(pair[0], 0, 0), Rank(pair[1], 1, 0)]
