"""SARIF 2.1.0 for code scanning (GitHub uploads it with github/codeql-action/upload-sarif).

One rule per check that ran, with its documentation; one result per finding,
located at its file and line where the finding has one (dead imports, .pth
lines, shadowing paths).  Paths under the working directory are made relative
to it (`%SRCROOT%`), so code scanning can place them in the repository; other
paths stay absolute `file://` URIs.  A finding without a file is located at its
distribution's metadata folder when known, else it carries no location.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List
from urllib.parse import quote

from envdoctor import DOCS_URL, __version__
from envdoctor.model.finding import Severity
from envdoctor.report.escape import without_surrogates
from envdoctor.vocabulary.installer import fix_command

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(spec) -> dict:
    doc = spec.doc or spec.summary
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip() or spec.summary
    return {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "fullDescription": {"text": first},
        "help": {"text": doc, "markdown": doc},
        "helpUri": f"{DOCS_URL}/checks/{spec.code}.md",
        "properties": {"fix": spec.fix or "none", "provider": spec.provider},
    }


def _artifact(path: str, root: str) -> dict:
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        relative = None
    if relative is not None and not relative.startswith(".."):
        # A URI reference: a space or '#' in a folder name must be percent-encoded (as_uri does the same),
        # and so must a file name's raw bytes, which fsencode gives back (str holds them as surrogates).
        return {"uri": quote(os.fsencode(Path(relative).as_posix())), "uriBaseId": "%SRCROOT%"}
    return {"uri": Path(absolute).as_uri()}


def _locations(finding, root: str) -> List[dict]:
    location = finding.location
    if location is None or not location.path:
        return []
    physical: Dict[str, object] = {"artifactLocation": _artifact(location.path, root)}
    if location.line:
        physical["region"] = {"startLine": int(location.line)}
    result: Dict[str, object] = {"physicalLocation": physical}
    if location.module or location.distribution:
        result["logicalLocations"] = [{"name": location.module or location.distribution,
                                       "kind": "module" if location.module else "package"}]
    return [result]


def _message(finding, facts) -> str:
    parts = [finding.title]
    if finding.message:
        parts.append(finding.message)
    if finding.fix:
        command = fix_command(finding.fix, facts)
        parts.append(f"Fix ({finding.fix.kind}): {finding.fix.summary}" + (f" — `{command}`" if command else ""))
    return "\n\n".join(parts)


def sarif_dict(context) -> dict:
    run, facts = context.run, context.facts
    root = facts.target.cwd or os.getcwd()
    specs = {spec.code: spec for spec in context.checks}
    codes = sorted(set(run.ran) | {f.code for f in run.findings})
    rules = [_rule(specs[code]) if code in specs else {"id": code, "shortDescription": {"text": code}} for code in codes]
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = []
    for finding in run.findings:
        result = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": _message(finding, facts)},
            "locations": _locations(finding, root),
            "partialFingerprints": {"envdoctorIdentity/v1": finding.identity},
            "properties": {"subject": finding.subject, "evidence": list(finding.evidence),
                           "references": list(finding.references)},
        }
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "envdoctor", "version": __version__, "semanticVersion": __version__,
                                "informationUri": DOCS_URL, "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.path.abspath(root)).as_uri() + "/"}},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": [
                                 {"level": "note", "message": {"text": f"{s.code} skipped: {s.reason}"}} for s in run.skipped]}],
            "results": results,
            "properties": {"target": facts.target.python},
        }],
    }


def render_sarif(context) -> str:
    return json.dumps(without_surrogates(sarif_dict(context)), indent=2) + "\n"
