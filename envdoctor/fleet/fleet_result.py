"""What `fleet` found: the nodes, each node's own check run, the matrix and the cross-node
findings, as one frozen object every fleet format renders (fleet_text, fleet_json, ...)."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from envdoctor import __version__
from envdoctor.engine import CheckRun
from envdoctor.errors import EXIT_FINDINGS, EXIT_OK
from envdoctor.fleet.all_reduce import AllReduce
from envdoctor.fleet.comparison import Row
from envdoctor.fleet.nodes import FleetNode
from envdoctor.model.finding import Finding, Severity
from envdoctor.model.record import Record, record
from envdoctor.report.json_report import finding_dict

FLEET_SCHEMA_VERSION = 1


@record
class FleetResult(Record):
    engine: str  # ray | slurm | files
    nodes: Tuple[FleetNode, ...]
    runs: Dict[str, CheckRun]  # node name -> its own findings (answering nodes only)
    rows: Tuple[Row, ...]
    cross_node: Tuple[Finding, ...]
    strict: bool = False
    all_reduce: Optional[AllReduce] = None  # --deep's
    elapsed: float = 0.0

    def node_findings(self) -> List[Tuple[str, Finding]]:
        """(node name, finding) for every node's own findings, in node order."""
        return [(node.name, finding) for node in self.nodes if node.name in self.runs
                for finding in self.runs[node.name].findings]

    def all_findings(self):
        for run in self.runs.values():
            yield from run.findings
        yield from self.cross_node

    def counts(self) -> Dict[str, int]:
        counts = {severity.value: 0 for severity in Severity}
        for finding in self.all_findings():
            counts[finding.severity.value] += 1
        return counts

    def exit_code(self) -> int:
        """1 when any node's own run or the cross-node checks failed (as `check` decides it), else 0."""
        worst = Severity.WARNING.rank if self.strict else Severity.ERROR.rank
        failed = any(finding.severity.rank >= worst for finding in self.all_findings())
        return EXIT_FINDINGS if failed else EXIT_OK

    def to_dict(self) -> dict:
        """The JSON document (docs/reference/fleet.schema.json)."""
        return {
            "envdoctor": __version__,
            "schema_version": FLEET_SCHEMA_VERSION,
            "engine": self.engine,
            "nodes": [self._node_dict(node) for node in self.nodes],
            "matrix": [{"area": row.area, "subject": row.subject, "impact": row.impact,
                        "majority": row.majority, "majority_found": row.majority_found,
                        "outliers": list(row.outliers), "cells": dict(row.cells)} for row in self.rows],
            "cross_node": [finding_dict(finding, self._facts_of(finding.subject)) for finding in self.cross_node],
            "all_reduce": self.all_reduce.to_dict() if self.all_reduce else None,
            "counts": self.counts(),
            "exit_code": self.exit_code(),
        }

    def _node_dict(self, node: FleetNode) -> dict:
        run = self.runs.get(node.name)
        interpreter = node.facts.interpreter if node.facts else None
        return {
            "name": node.name, "engine": node.engine, "node_id": node.node_id, "answered": node.answered,
            "problem": node.problem,
            "python": node.facts.target.python if node.facts else None,
            "python_version": interpreter.version.split()[0] if interpreter else None,
            "findings": [finding_dict(f, node.facts) for f in run.findings] if run else [],
            "counts": run.counts() if run else None,
        }

    def _facts_of(self, name: str):
        """A node's facts, for rendering a fix command in its installer's words; any node's otherwise."""
        answering = [node for node in self.nodes if node.answered]
        return next((node.facts for node in answering if node.name == name), answering[0].facts if answering else None)
