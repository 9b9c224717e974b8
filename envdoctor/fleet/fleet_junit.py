"""`fleet --format junit`: one test case per node (its own errors and warnings, or that it did
not answer) and one per cross-node check, so a CI job or a cluster health check can gate a launch."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from envdoctor.fleet.cross_node import CODES
from envdoctor.model.finding import Severity
from envdoctor.report.escape import escape_controls


def _text(finding) -> str:
    lines = [finding.title, *finding.evidence]
    if finding.fix and finding.fix.command:
        lines.append(f"align: {finding.fix.command}")
    return escape_controls("\n".join(lines))


def _case(suite: ET.Element, classname: str, name: str, findings) -> int:
    case = ET.SubElement(suite, "testcase", {"classname": classname, "name": escape_controls(name, one_line=True), "time": "0"})
    failed = 0
    for finding in findings:
        if finding.severity is Severity.INFO:
            continue
        element = ET.SubElement(case, "failure", {"message": escape_controls(finding.title, one_line=True),
                                                  "type": finding.severity.value})
        element.text = _text(finding)
        failed += 1
    return 1 if failed else 0


def render_fleet_junit(result) -> str:
    root = ET.Element("testsuites", {"name": "envdoctor fleet"})
    nodes = ET.SubElement(root, "testsuite", {"name": "envdoctor.fleet.nodes"})
    failures = 0
    unanswered = {f.subject: f for f in result.cross_node if f.code == "FLT001"}
    for node in result.nodes:
        own = result.runs[node.name].findings if node.name in result.runs else (unanswered[node.name],)
        failures += _case(nodes, "envdoctor.fleet.node", node.name, own)
    nodes.set("tests", str(len(result.nodes)))
    nodes.set("failures", str(failures))
    cross = ET.SubElement(root, "testsuite", {"name": "envdoctor.fleet.cross_node"})
    cross_failures = 0
    for code, (name, _) in CODES.items():
        cross_failures += _case(cross, "envdoctor.fleet.cross_node", f"{code} {name}",
                                [f for f in result.cross_node if f.code == code])
    cross.set("tests", str(len(CODES)))
    cross.set("failures", str(cross_failures))
    for suite in (nodes, cross):
        suite.set("errors", "0")
        suite.set("skipped", "0")
    root.set("tests", str(len(result.nodes) + len(CODES)))
    root.set("failures", str(failures + cross_failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
