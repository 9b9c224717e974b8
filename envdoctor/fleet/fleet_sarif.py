"""`fleet --format sarif`: one SARIF run, one result per finding; a node's own findings carry
the node's name in their fingerprint, so code scanning keeps them apart."""

from __future__ import annotations

import json

from envdoctor import DOCS_URL, __version__
from envdoctor.fleet.cross_node import CODES
from envdoctor.report.escape import without_surrogates
from envdoctor.report.sarif import LEVELS, SARIF_SCHEMA


def render_fleet_sarif(result) -> str:
    located = result.node_findings() + [(None, f) for f in result.cross_node]
    codes = sorted({f.code for _, f in located})
    rules = [{"id": code, "name": CODES[code][0] if code in CODES else f.name,
              "shortDescription": {"text": CODES[code][1] if code in CODES else f.name},
              "helpUri": f"{DOCS_URL}/fleet.md" if code in CODES else f"{DOCS_URL}/checks/{code}.md"}
             for code in codes for f in [next(f for _, f in located if f.code == code)]]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [{
        "ruleId": f.code, "ruleIndex": index[f.code], "level": LEVELS[f.severity],
        "message": {"text": f.title + (f"\n\n{f.message}" if f.message else "")
                    + (f"\n\nAlign: `{f.fix.command}`" if f.fix and f.fix.command else "")},
        "partialFingerprints": {"envdoctorIdentity/v1": f"{node or 'fleet'}/{f.identity}"},
        "properties": {"node": node, "subject": f.subject, "evidence": list(f.evidence)},
    } for node, f in located]
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "envdoctor", "version": __version__, "informationUri": DOCS_URL, "rules": rules}},
        "invocations": [{"executionSuccessful": True}],
        "results": results,
        "properties": {"engine": result.engine, "nodes": [node.name for node in result.nodes]},
    }]}
    return json.dumps(without_surrogates(document), indent=2) + "\n"
