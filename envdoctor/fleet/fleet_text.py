"""`fleet` as text: the node x fact matrix with the cells that differ from the majority marked,
then each node's own findings, then the cross-node findings with the command that aligns a node."""

from __future__ import annotations

from typing import List

from envdoctor.report import plural
from envdoctor.report.escape import escape_controls

MARK = "*"  # a cell that differs from its row's majority
LEGEND = f"{MARK} differs from the majority; - absent"
# Beyond this many nodes the matrix lists only the nodes that differ somewhere.
ALL_NODES_UP_TO = 32


def _cell(value, differs: bool) -> str:
    text = "-" if value is None else escape_controls(str(value), one_line=True)
    return text + (MARK if differs else "")


def matrix_lines(result) -> List[str]:
    rows = result.rows
    if not rows:
        return ["every fact compared is the same on every answering node"]
    names = [node.name for node in result.nodes if node.answered]
    shown = names if len(names) <= ALL_NODES_UP_TO else [n for n in names if any(n in r.outliers for r in rows)]
    header = ["node"] + [row.subject for row in rows]
    table = [header, ["(majority)"] + [_cell(row.majority, False) if row.majority_found else "(split)" for row in rows]]
    for name in shown:
        table.append([name] + [_cell(row.value(name), name in row.outliers or not row.majority_found) for row in rows])
    widths = [min(40, max(len(line[i]) for line in table)) for i in range(len(header))]
    lines = ["  ".join(text[:width].ljust(width) for text, width in zip(line, widths)).rstrip() for line in table]
    if len(shown) < len(names):
        lines.append(f"({len(names) - len(shown)} nodes that match the majority everywhere are not listed)")
    return lines + [LEGEND]


def _finding_lines(finding, indent: str) -> List[str]:
    lines = [f"{indent}{finding.severity.value:<7} {finding.code} {escape_controls(finding.title, one_line=True)}"]
    lines += [f"{indent}        {escape_controls(line, one_line=True)}" for line in finding.evidence]
    if finding.fix and finding.fix.command:
        lines.append(f"{indent}        align: {finding.fix.command}")
    return lines


def all_reduce_line(all_reduce) -> str:
    outcome = f"worked in {all_reduce.seconds:g} s" if all_reduce.ok else "FAILED (see FLT014)"
    return (f"--deep: {all_reduce.backend} all-reduce across {plural(len(all_reduce.nodes), 'node')} "
            f"({all_reduce.world_size} ranks): {outcome}")


def render_fleet_text(result) -> str:
    answered = sum(1 for node in result.nodes if node.answered)
    lines = [f"envdoctor fleet ({result.engine}): {plural(len(result.nodes), 'node')}, {answered} answered", ""]
    lines += matrix_lines(result) + [""]
    for node in result.nodes:
        run = result.runs.get(node.name)
        if run is None:
            lines.append(f"{node.name}: did not answer ({escape_controls(node.problem or '', one_line=True)})")
            continue
        python = node.facts.target.python
        lines.append(f"{node.name}: {python}: {plural(len(run.findings), 'finding')} of its own")
        for finding in run.findings:
            lines += _finding_lines(finding, "  ")
    if result.all_reduce is not None:
        lines += ["", all_reduce_line(result.all_reduce)]
    lines += ["", f"across nodes: {plural(len(result.cross_node), 'finding')}"]
    for finding in result.cross_node:
        lines += _finding_lines(finding, "  ")
    counts = result.counts()
    lines += ["", f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info"]
    return "\n".join(lines) + "\n"
