"""A node of the fleet: who it is, and its facts, or why there are none."""

from __future__ import annotations

from typing import Optional, Tuple

from envdoctor.model.facts import Facts
from envdoctor.model.record import Record, record


@record
class FleetNode(Record):
    """One node: `name` as the report shows it, `engine` that reached it (ray | slurm | file),
    `node_id` the engine's own identity (Ray's node ID, the Slurm node name, the file path).

    `facts` is None when the node did not answer; `problem` then says why, in one line."""

    name: str
    engine: str
    node_id: str = ""
    facts: Optional[Facts] = None
    address: str = ""  # where other nodes reach it (Ray's NodeManagerAddress), for --deep's rendezvous
    problem: Optional[str] = None

    @property
    def answered(self) -> bool:
        return self.facts is not None


def unique_names(names: Tuple[str, ...], ids: Tuple[str, ...]) -> Tuple[str, ...]:
    """The names, each made unique with the start of its node ID where two nodes share one
    (Ray nodes on one host all report that host's name)."""
    counts = {name: names.count(name) for name in names}
    return tuple(name if counts[name] == 1 else f"{name}#{node_id[:8]}" for name, node_id in zip(names, ids))
