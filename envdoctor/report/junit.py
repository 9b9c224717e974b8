"""JUnit XML for CI test reports (GitLab `artifacts:reports:junit`, Jenkins, Azure).

One testcase per check that ran or was skipped: a <failure> per error or
warning finding, <skipped> with the reason for a check that could not run, and
info findings as <system-out>.  The shape follows the Jenkins/Ant schema that
those parsers accept (tests/data/schemas/junit-10.xsd, Jenkins' xunit-plugin schema,
validates it in tests).
"""

from __future__ import annotations

import socket
import time
from xml.etree import ElementTree as ET

from envdoctor.model.finding import Severity
from envdoctor.report.escape import escape_controls
from envdoctor.vocabulary.installer import fix_command


def _failure_text(finding, facts) -> str:
    lines = [finding.title]
    if finding.message:
        lines += ["", finding.message]
    if finding.evidence:
        lines += ["", "evidence:"] + [f"  {line}" for line in finding.evidence]
    location = finding.location
    if location and location.path:
        lines += ["", f"at {location.path}" + (f":{location.line}" if location.line else "")]
    if finding.fix:
        command = fix_command(finding.fix, facts)
        lines += ["", f"fix ({finding.fix.kind}): {finding.fix.summary}" + (f"\n  {command}" if command else "")]
    if finding.references:
        lines += ["", "references: " + ", ".join(finding.references)]
    return "\n".join(lines)


def junit_element(context) -> ET.Element:
    run = context.run
    names = {spec.code: spec.name for spec in context.checks}
    by_code = {}
    for finding in run.findings:
        by_code.setdefault(finding.code, []).append(finding)
        names.setdefault(finding.code, finding.name)
    cases = []
    failures = skipped = 0
    for code in sorted(set(run.ran) | set(by_code) | {s.code for s in run.skipped}):
        case = ET.Element("testcase", {"classname": f"envdoctor.{code.rstrip('0123456789').lower()}",
                                        "name": f"{code} {names.get(code, '')}".strip(), "time": "0"})
        skip = next((s for s in run.skipped if s.code == code), None)
        if skip is not None:
            ET.SubElement(case, "skipped", {"message": skip.reason})
            skipped += 1
        out = []
        for finding in by_code.get(code, ()):
            if finding.severity is Severity.INFO:
                out.append(f"info: {finding.title}")
                continue
            element = ET.SubElement(case, "failure", {"message": finding.title, "type": finding.severity.value})
            element.text = _failure_text(finding, context.facts)
            failures += 1
        if out:
            ET.SubElement(case, "system-out").text = "\n".join(out)
        cases.append(case)
    attributes = {"tests": str(len(cases)), "failures": str(failures), "errors": "0", "time": f"{context.elapsed:.3f}"}
    root = ET.Element("testsuites", dict(attributes, name="envdoctor"))
    # `skipped` belongs on <testsuite> only: the Jenkins schema rejects it on <testsuites>.
    suite = ET.SubElement(root, "testsuite", dict(
        attributes, skipped=str(skipped), name=f"envdoctor check {context.facts.target.python}",
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"), hostname=socket.gethostname() or "localhost",
    ))
    suite.extend(cases)
    return root


def _xml_safe(root: ET.Element) -> None:
    """XML 1.0 cannot hold most control characters, lone surrogates (a file name's raw
    bytes) or U+FFFE/U+FFFF, not even escaped: ElementTree would write them and leave the
    document ill-formed.  They become visible escapes in every text and attribute."""
    for element in root.iter():
        if element.text:
            element.text = escape_controls(element.text)
        for name, value in element.attrib.items():
            element.attrib[name] = escape_controls(value)


def render_junit(context) -> str:
    root = junit_element(context)
    _xml_safe(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
