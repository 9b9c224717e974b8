"""The machine-readable findings document.  Its schema is docs/reference/json-output.md.

REPORT_SCHEMA_VERSION changes whenever a field changes meaning or goes away;
adding a field does not change it.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from envdoctor import __version__
from envdoctor.report.escape import without_surrogates
from envdoctor.vocabulary.installer import fix_command

REPORT_SCHEMA_VERSION = 1


def fix_dict(fix, facts) -> dict:
    """The proposal as data, with the command it runs on this target (pip or uv) filled in."""
    data = asdict(fix)
    data["command"] = fix_command(fix, facts)
    return data


def finding_dict(finding, facts) -> dict:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "title": finding.title,
        "message": finding.message,
        "subject": finding.subject,
        "key": finding.key or finding.subject,
        "evidence": list(finding.evidence),
        "location": asdict(finding.location) if finding.location else None,
        "references": list(finding.references),
        "fix": fix_dict(finding.fix, facts) if finding.fix else None,
    }


def report_dict(context) -> dict:
    facts, run = context.facts, context.run
    interpreter = facts.interpreter
    counts = run.counts()
    return {
        "envdoctor": __version__,
        "schema_version": REPORT_SCHEMA_VERSION,
        "target": {
            "python": facts.target.python,
            "cwd": facts.target.cwd,
            "source": facts.target.source,
            "python_version": interpreter.version if interpreter else None,
            "prefix": interpreter.prefix if interpreter else None,
            "in_venv": interpreter.in_venv if interpreter else None,
            "distributions": len(facts.distributions) if facts.distributions is not None else None,
        },
        "findings": [finding_dict(f, facts) for f in run.findings],
        "skipped": [{"code": s.code, "name": s.name, "reason": s.reason} for s in run.skipped],
        "checks_run": list(run.ran),
        "summary": {
            **counts,
            "total": len(run.findings),
            "strict": context.strict,
            "failed": run.failed(context.strict),
            "elapsed_s": round(context.elapsed, 3),
        },
    }


def render_json(context) -> str:
    return json.dumps(without_surrogates(report_dict(context)), indent=2) + "\n"
