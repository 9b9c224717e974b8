"""The node x fact matrix: what differs between the nodes, and which value the majority has.

There is one comparer, `diff`'s (vocabulary/facts_diff.py): every answering node is compared
with one reference node (the first by name), and each difference becomes a row whose cells
are the nodes' values (a node without a difference on that row has the reference's value).
That is linear in nodes x facts, and paths are compared relative to each node's own prefix,
so nodes whose venvs sit in different folders differ only where their content does.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from envdoctor.fleet.nodes import FleetNode
from envdoctor.model.record import Record, record
from envdoctor.vocabulary.facts_diff import AREAS, IMPACTS, diff_facts

# Variables that differ between the nodes of one job by design: never a row.
PER_PROCESS_VARIABLES = frozenset({"RANK", "LOCAL_RANK", "GROUP_RANK", "ROLE_RANK", "NODE_RANK", "CUDA_VISIBLE_DEVICES"})


@record
class Row(Record):
    """One fact that differs: each node's value (None: absent there), the majority's value and
    the nodes that differ from it.  `majority_found` is False on a tie: then no node is named."""

    area: str
    subject: str
    impact: str  # the highest impact `diff` gave any node's difference (IMPACTS)
    cells: Tuple[Tuple[str, Optional[str]], ...]  # (node name, value), in node order
    majority: Optional[str]
    majority_found: bool
    outliers: Tuple[str, ...]

    def value(self, node: str) -> Optional[str]:
        return dict(self.cells)[node]


def differing_rows(nodes: Sequence[FleetNode], mask: Optional[Callable[[str], str]] = None) -> List[Row]:
    """Every fact on which the answering nodes do not all agree, in `diff`'s order (impact first)."""
    answering = [node for node in nodes if node.answered]
    if len(answering) < 2:
        return []
    reference, others = answering[0], answering[1:]
    found: Dict[Tuple[str, str], dict] = {}
    for node in others:
        for difference in diff_facts(reference.facts, node.facts, mask):
            if difference.area == "environment" and difference.subject in PER_PROCESS_VARIABLES:
                continue
            row = found.setdefault((difference.area, difference.subject),
                                   {"reference": difference.before, "values": {}, "impacts": set()})
            row["values"][node.name] = difference.after
            row["impacts"].add(difference.impact)
    rows = [_row(area, subject, row, answering, reference.name) for (area, subject), row in found.items()]
    return sorted(rows, key=lambda row: (IMPACTS.index(row.impact), AREAS.index(row.area), row.subject.lower()))


def _row(area: str, subject: str, row: dict, answering: Sequence[FleetNode], reference: str) -> Row:
    values = row["values"]
    cells = tuple((node.name, values.get(node.name, row["reference"]) if node.name != reference else row["reference"])
                  for node in answering)
    majority, found = majority_value([value for _, value in cells])
    outliers = tuple(name for name, value in cells if value != majority) if found else ()
    impact = min(row["impacts"], key=IMPACTS.index)
    return Row(area, subject, impact, cells, majority, found, outliers)


def majority_value(values: Sequence[Optional[str]]) -> Tuple[Optional[str], bool]:
    """The value most nodes have, and whether it is a majority (more nodes than any other value)."""
    ranked = Counter(values).most_common(2)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None, False
    return ranked[0][0], True
