"""`fleet --format markdown`: the matrix as a table (differing cells in bold) and every finding."""

from __future__ import annotations

from typing import List

from envdoctor.report import plural
from envdoctor.report.escape import escape_controls


def _cell(text) -> str:
    return escape_controls("-" if text is None else str(text), one_line=True).replace("|", "\\|")


def render_fleet_markdown(result) -> str:
    counts = result.counts()
    lines = [f"# envdoctor fleet ({result.engine}): {plural(len(result.nodes), 'node')}", "",
             f"**{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info**", ""]
    names = [node.name for node in result.nodes if node.answered]
    if result.rows:
        lines += ["| fact | majority | " + " | ".join(map(_cell, names)) + " |",
                  "|---|---|" + "---|" * len(names)]
        for row in result.rows:  # a row's cells are the answering nodes' values, in node order
            marked = set(row.outliers) if row.majority_found else set(names)
            cells = [f"**{_cell(value)}**" if name in marked else _cell(value) for name, value in row.cells]
            majority = _cell(row.majority) if row.majority_found else "*(split)*"
            lines.append(f"| {_cell(row.subject)} | {majority} | " + " | ".join(cells) + " |")
        lines.append("")
    findings = result.node_findings() + [("across nodes", f) for f in result.cross_node]
    if findings:
        lines += ["| where | severity | code | title | align |", "|---|---|---|---|---|"]
        for where, f in findings:
            command = f"`{_cell(f.fix.command)}`" if f.fix and f.fix.command else ""
            lines.append(f"| {_cell(where)} | {f.severity.value} | {f.code} | {_cell(f.title)} | {command} |")
    return "\n".join(lines) + "\n"
