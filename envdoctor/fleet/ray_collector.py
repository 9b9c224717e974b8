"""`fleet --ray`: one task per alive node of a running Ray cluster, pinned to it.

Each task is scheduled with NodeAffinitySchedulingStrategy(node_id, soft=False): Ray runs it on
that node or fails it (never elsewhere), and with num_cpus=0, so a node whose CPUs are all busy
still answers.  The task (ray_task.py, standard library only, shipped by value) runs the facts
probe against the Python that Ray's workers use on the node, or `--python`.  Every node gets
`timeout` seconds from the moment the tasks are submitted; a node that has not answered by then
(busy, hung, or died while collecting) is reported as not answering and its task cancelled.
Nodes that Ray's node table already lists as dead are reported too.

With --deep, the ranks of an all-reduce across the answering nodes are started the same way
(all_reduce.py plans and judges them), and, when it fails, one per pair of nodes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from typing import List, Optional, Sequence, Tuple

from envdoctor.errors import UsageError
from envdoctor.fleet import ray_task
from envdoctor.fleet.all_reduce import AllReduce, Rank, judged, outcome_by_pair, pairs_to_test, plan, ranks_for_pair
from envdoctor.fleet.nodes import FleetNode, unique_names
from envdoctor.probe.gpu_runtime_probes import NCCL_DEFAULTS
from envdoctor.fleet.remote_probe import (
    PLACEHOLDER, all_reduce_command, answer_document, facts_from_answer, probe_command,
)

INSTALL_HINT = "pip install 'envdoctor[ray]'"


def import_ray():
    """Ray, or one clear error saying how to install it."""
    try:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    except ImportError as exc:
        raise UsageError(f"fleet --ray needs Ray in envdoctor's environment ({exc}); install it with: {INSTALL_HINT}") from exc
    return ray, NodeAffinitySchedulingStrategy


def collect_ray(address: str, python: Optional[str], timeout: float,
                deep: bool = False) -> Tuple[List[FleetNode], Optional[AllReduce]]:
    """The nodes, and with `deep` the all-reduce across those that answered."""
    ray, affinity = import_ray()
    with _stdout_to_stderr():
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False, include_dashboard=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UsageError(f"fleet --ray: cannot connect to the Ray cluster at {address!r}: {exc}") from exc
        try:
            ray.cloudpickle.register_pickle_by_value(ray_task)  # the nodes need no envdoctor
            launcher = _Launcher(ray, affinity, python, timeout)
            nodes = launcher.collect()
            answering = [node for node in nodes if node.answered]
            return nodes, (launcher.all_reduce(answering) if deep and len(answering) > 1 else None)
        finally:
            ray.shutdown()


@contextlib.contextmanager
def _stdout_to_stderr():
    """Ray's core worker writes its own messages (a node that died, a task that failed) to file
    descriptor 1; the report owns stdout, so while Ray runs, descriptor 1 is stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _Launcher:
    """Tasks pinned to nodes, each with `timeout` seconds from submission."""

    def __init__(self, ray, affinity, python: Optional[str], timeout: float):
        self.ray, self.affinity, self.python, self.timeout = ray, affinity, python, timeout
        self.task = ray.remote(ray_task.probe_on_node)
        self.port_task = ray.remote(ray_task.free_port)

    def submit(self, node_id: str, sources, argv, defaults=None):
        strategy = self.affinity(node_id=node_id, soft=False)
        return self.task.options(scheduling_strategy=strategy, num_cpus=0, max_retries=0).remote(
            sources, argv, PLACEHOLDER, self.python, self.timeout, defaults)

    def answers(self, refs: list) -> list:
        """Each ref's answer (a dict), or a string saying why there is none, in order."""
        deadline = time.monotonic() + self.timeout
        waiting, ready = list(refs), set()
        while waiting and time.monotonic() < deadline:
            done, waiting = self.ray.wait(waiting, num_returns=1, timeout=max(0.0, deadline - time.monotonic()))
            ready.update(done)
        for ref in waiting:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001  a node that died takes its task with it
                pass
        return [self._answer(ref) if ref in ready else f"no answer within --timeout {self.timeout:g} s" for ref in refs]

    def _answer(self, ref):
        try:
            return self.ray.get(ref, timeout=5)
        except Exception as exc:  # noqa: BLE001  Ray's errors for a task lost with its node have no common base
            lines = str(exc).strip().splitlines()
            return f"its task failed: {type(exc).__name__}: {lines[0] if lines else ''}"

    def collect(self) -> List[FleetNode]:
        table = sorted(self.ray.nodes(), key=lambda n: (n.get("NodeManagerHostname") or "", n["NodeID"]))
        names = unique_names(tuple(n.get("NodeManagerHostname") or n.get("NodeManagerAddress") or "?" for n in table),
                             tuple(n["NodeID"] for n in table))
        sources, argv, nonce = probe_command()
        alive = [(node, name) for node, name in zip(table, names) if node.get("Alive")]
        answers = dict(zip((node["NodeID"] for node, _ in alive),
                           self.answers([self.submit(node["NodeID"], sources, argv) for node, _ in alive])))
        nodes = []
        for node, name in zip(table, names):
            node_id, where = node["NodeID"], node.get("NodeManagerAddress") or ""
            answer = answers.get(node_id, "Ray's node table lists it as dead")
            if isinstance(answer, str):
                nodes.append(FleetNode(name, "ray", node_id, problem=answer, address=where))
                continue
            facts, problem = facts_from_answer(answer, nonce, "ray")
            nodes.append(FleetNode(name, "ray", node_id, facts=facts, problem=problem, address=where))
        return nodes

    def all_reduce(self, nodes: Sequence[FleetNode]) -> AllReduce:
        backend, ranks = plan(nodes)
        by_name = {node.name: node for node in nodes}
        ok, seconds, errors = self._run(backend, ranks, by_name)
        result = AllReduce(backend, tuple(by_name), len(ranks), ok, seconds, errors)
        if ok:
            return result
        pairs = pairs_to_test(list(by_name))
        oks = [self._run(backend, ranks_for_pair(pair), by_name)[0] for pair in pairs]
        return AllReduce(backend, tuple(by_name), len(ranks), False, None, errors, outcome_by_pair(pairs, oks))

    def _run(self, backend: str, ranks: Sequence[Rank], by_name) -> Tuple[bool, Optional[float], Tuple[str, ...]]:
        first = by_name[ranks[0].node]
        port = self.ray.get(self._free_port(first.node_id), timeout=self.timeout)
        nonce = None  # all_reduce_command's, shared by the ranks
        refs = []
        for rank in ranks:
            options = {"rank": rank.rank, "world_size": len(ranks), "local_rank": rank.local_rank, "port": port,
                       "backend": backend, "timeout": self.timeout, "address": first.address or "127.0.0.1"}
            sources, argv, nonce = all_reduce_command(json.dumps(options), nonce)
            # NCCL ranks get what `check --deep`'s get on one machine: NVLink multicast off and
            # NCCL_DEBUG=WARN, wherever the node's environment does not set them.
            defaults = NCCL_DEFAULTS if backend == "nccl" else None
            refs.append(self.submit(by_name[rank.node].node_id, sources, argv, defaults))
        answers = [answer_document(a, nonce) if isinstance(a, dict) else {"error": a} for a in self.answers(refs)]
        return judged(ranks, answers)

    def _free_port(self, node_id: str):
        strategy = self.affinity(node_id=node_id, soft=False)
        return self.port_task.options(scheduling_strategy=strategy, num_cpus=0).remote()
