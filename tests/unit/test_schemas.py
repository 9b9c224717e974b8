"""Every machine format validates against its schema, for the golden findings and for what every
check reports on its positive case; and the validators do reject a broken document."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from envdoctor.engine import run_checks
from envdoctor.registry import load_registry
from envdoctor.report import Format, render
from envdoctor.report.context import ReportContext
from tests.helpers import schemas
from tests.unit.test_reporters import GOLDEN, context


def test_golden_sarif_is_valid_sarif_2_1_0():
    schemas.assert_sarif(json.loads((GOLDEN / "findings.sarif").read_text()))


def test_golden_junit_is_valid_under_the_jenkins_schema():
    schemas.assert_junit((GOLDEN / "findings.xml").read_text())


def test_golden_json_is_valid_under_the_findings_schema():
    schemas.assert_findings(json.loads((GOLDEN / "findings.json").read_text()))


def test_the_validators_reject_broken_documents():
    sarif = json.loads(render(Format.sarif, context()))
    broken = copy.deepcopy(sarif)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert schemas.errors(schemas.THIRD_PARTY / "sarif-schema-2.1.0.json", broken)
    findings = json.loads(render(Format.json, context()))
    broken = copy.deepcopy(findings)
    broken["findings"][0]["severity"] = "critical"
    del broken["summary"]["failed"]
    assert len(schemas.errors(schemas.OWN / "findings.schema.json", broken)) == 2
    junit = render(Format.junit, context())
    assert schemas.junit_errors(junit.replace('<testsuites ', '<testsuites skipped="1" ', 1))


def _positive_cases():
    from tests.unit.test_checks import CASES
    from tests.unit.test_stack_checks import CASES as STACK_CASES

    return [pytest.param(case[0], id=code) for code, case in sorted({**CASES, **STACK_CASES}.items())]


@pytest.mark.parametrize("facts_of", _positive_cases())
def test_every_check_reports_valid_sarif_junit_and_json(facts_of):
    """What each check reports on its positive case, through every machine format (null lines,
    odd characters in titles, paths outside the working directory, skipped checks)."""
    facts = facts_of()
    checks = load_registry().checks
    run = run_checks(checks, facts)
    assert run.findings
    ctx = ReportContext(facts=facts, run=run, checks=checks, elapsed=0.1)
    schemas.assert_sarif(json.loads(render(Format.sarif, ctx)))
    schemas.assert_findings(json.loads(render(Format.json, ctx)))
    schemas.assert_junit(render(Format.junit, ctx))


def test_sarif_uris_of_awkward_paths_are_valid_uri_references():
    """Validation checks the uri formats (rfc3986-validator is a test dependency for that)."""
    import dataclasses

    from envdoctor.model.finding import Location
    from tests.helpers.facts import CWD

    base = context()
    odd = [dataclasses.replace(f, location=Location(path=path, line=3)) for f, path in
           zip(base.run.findings, (f"{CWD}/my src/#1/x.py", "/opt/with space/[x].pth", f"{CWD}/ünï.py", "relative/path.py"))]
    ctx = dataclasses.replace(base, run=dataclasses.replace(base.run, findings=tuple(odd)))
    document = json.loads(render(Format.sarif, ctx))
    schemas.assert_sarif(document)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]]
    assert "my%20src/%231/x.py" in uris and "file:///opt/with%20space/%5Bx%5D.pth" in uris


def test_snapshot_schema_is_generated_from_the_current_facts():
    result = subprocess.run([sys.executable, str(schemas.ROOT / "tools" / "gen_schemas.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_real_gpu_snapshot_is_valid_and_a_wrong_one_is_not():
    """tests/data/snapshot-h200-cuda13.json was taken on the H200 machine by an earlier envdoctor
    (it lacks fields added since, which have defaults: still valid)."""
    data = json.loads((schemas.ROOT / "tests" / "data" / "snapshot-h200-cuda13.json").read_text())
    schemas.assert_snapshot(data)
    data["distributions"][0]["version"] = 3
    data["stack"]["nvidia"]["surprise"] = True
    assert len(schemas.errors(schemas.OWN / "snapshot.schema.json", data)) == 2
