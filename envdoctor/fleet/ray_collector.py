"""`fleet --ray`: one task per alive node of a running Ray cluster, pinned to it.

Each task is scheduled with NodeAffinitySchedulingStrategy(node_id, soft=False): Ray runs it on
that node or fails it (never elsewhere), and with num_cpus=0, so a node whose CPUs are all busy
still answers.  The task (ray_task.py, standard library only, shipped by value) runs the facts
probe against the Python that Ray's workers use on the node, or `--python`.  Every node gets
`timeout` seconds from the moment the tasks are submitted; a node that has not answered by then
(busy, hung, or died while collecting) is reported as not answering and its task cancelled.
Nodes that Ray's node table already lists as dead are reported too.
"""

from __future__ import annotations

import time
from typing import List, Optional

from envdoctor.errors import UsageError
from envdoctor.fleet import ray_task
from envdoctor.fleet.nodes import FleetNode, unique_names
from envdoctor.fleet.remote_probe import PLACEHOLDER, facts_from_answer, probe_command

INSTALL_HINT = "pip install 'envdoctor[ray]'"


def import_ray():
    """Ray, or one clear error saying how to install it."""
    try:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    except ImportError as exc:
        raise UsageError(f"fleet --ray needs Ray in envdoctor's environment ({exc}); install it with: {INSTALL_HINT}") from exc
    return ray, NodeAffinitySchedulingStrategy


def collect_ray(address: str, python: Optional[str], timeout: float) -> List[FleetNode]:
    ray, affinity = import_ray()
    try:
        ray.init(address=address, logging_level="ERROR", log_to_driver=False, include_dashboard=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UsageError(f"fleet --ray: cannot connect to the Ray cluster at {address!r}: {exc}") from exc
    try:
        return _collect(ray, affinity, python, timeout)
    finally:
        ray.shutdown()


def _collect(ray, affinity, python: Optional[str], timeout: float) -> List[FleetNode]:
    table = sorted(ray.nodes(), key=lambda n: (n.get("NodeManagerHostname") or "", n["NodeID"]))
    names = unique_names(tuple(n.get("NodeManagerHostname") or n.get("NodeManagerAddress") or "?" for n in table),
                         tuple(n["NodeID"] for n in table))
    ray.cloudpickle.register_pickle_by_value(ray_task)  # the nodes need no envdoctor
    task = ray.remote(ray_task.probe_on_node)
    sources, argv, nonce = probe_command()
    pending = {}
    for node, name in zip(table, names):
        if node.get("Alive"):
            strategy = affinity(node_id=node["NodeID"], soft=False)
            ref = task.options(scheduling_strategy=strategy, num_cpus=0, max_retries=0).remote(
                sources, argv, PLACEHOLDER, python, timeout)
            pending[ref] = (node, name)
    answers = _wait(ray, list(pending), timeout)
    nodes = []
    for node, name in zip(table, names):
        node_id = node["NodeID"]
        if not node.get("Alive"):
            nodes.append(FleetNode(name, "ray", node_id, problem="Ray's node table lists it as dead"))
            continue
        ref = next(r for r, (n, _) in pending.items() if n is node)
        nodes.append(_node(ray, name, node_id, answers.get(ref), nonce, timeout))
    return nodes


def _wait(ray, refs: list, timeout: float) -> dict:
    """The refs that finished within `timeout` seconds in all; the others are cancelled."""
    deadline = time.monotonic() + timeout
    done, waiting = [], list(refs)
    while waiting:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, waiting = ray.wait(waiting, num_returns=1, timeout=left)
        done += ready
    for ref in waiting:
        try:
            ray.cancel(ref, force=True)
        except Exception:  # noqa: BLE001  a node that died takes its task with it
            pass
    return {ref: ref for ref in done}


def _node(ray, name: str, node_id: str, ref, nonce: str, timeout: float) -> FleetNode:
    if ref is None:
        return FleetNode(name, "ray", node_id, problem=f"no answer within --timeout {timeout:g} s")
    try:
        answer = ray.get(ref, timeout=5)
    except Exception as exc:  # noqa: BLE001  Ray's errors for a task lost with its node have no common base
        return FleetNode(name, "ray", node_id, problem=f"its task failed: {type(exc).__name__}: {_first_line(exc)}")
    facts, problem = facts_from_answer(answer, nonce, "ray")
    return FleetNode(name, "ray", node_id, facts=facts, problem=problem)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""
