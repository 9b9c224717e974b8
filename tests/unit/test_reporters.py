"""Every format renders the same set of findings: golden files, and what each format's consumers need.

The test only compares.  After an intended change, regenerate the golden files with
    python tools/update_golden.py
and review the diff (`git diff tests/data/golden`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from envdoctor.engine import CheckRun
from envdoctor.model.finding import Finding, FixProposal, Location, Severity, Skipped
from envdoctor.registry import load_registry
from envdoctor.report import Format, render
from envdoctor.report.context import ReportContext
from envdoctor.report.github import annotation
from tests.helpers.facts import CWD, SITE, dist, make_facts
from tests.helpers.strict_json import strict_json_loads

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"
SUFFIXES = {Format.text: "txt", Format.json: "json", Format.sarif: "sarif", Format.junit: "xml",
            Format.github: "github", Format.markdown: "md"}

FINDINGS = (
    Finding("IMP001", "dead-import", Severity.ERROR, "sglang imports sglang.srt.old.fused_moe, which does not exist",
            subject="sglang", message="The import fails at start-up.", evidence=(f"{SITE}/sglang/srt/server.py:12: from sglang.srt.old.fused_moe import fused_experts",),
            location=Location(path=f"{CWD}/src/server.py", line=12, distribution="sglang", module="sglang.srt.server"),
            references=("sgl-project/sglang#24069",), fix=FixProposal("patch", "re-point the import", safe=False)),
    Finding("REQ001", "missing-requirement", Severity.ERROR, "requests 2.32.3 requires idna<4,>=2.5, which is not installed",
            subject="requests", message="Importing requests fails.", location=Location(path=f"{SITE}/requests-2.32.3.dist-info", distribution="requests"),
            fix=FixProposal("reinstall", "install idna<4,>=2.5", command="/venv/bin/python -m pip install 'idna<4,>=2.5'"), key="requests->idna"),
    Finding("PTH001", "pth-missing-path", Severity.WARNING, "stale.pth adds /gone, which does not exist, a, b: 100%",
            subject=f"{SITE}/stale.pth", location=Location(path=f"{SITE}/stale.pth", line=1)),
    Finding("IMP003", "import-of-missing-distribution", Severity.INFO, "sglang imports deep_gemm at 2 places; no installed distribution provides it",
            subject="sglang -> deep_gemm"),
)


def context() -> ReportContext:
    facts = make_facts(dists=[dist("sglang", "0.5.23"), dist("requests", "2.32.3")])
    registry = load_registry()
    checks = tuple(s for s in registry.checks if s.code in ("IMP001", "IMP003", "REQ001", "PTH001", "GPU004"))
    run = CheckRun(findings=FINDINGS, skipped=(Skipped("GPU004", "gpu-unusable", "facts lack deep"),),
                   ran=("IMP001", "IMP003", "PTH001", "REQ001"))
    return ReportContext(facts=facts, run=run, elapsed=0.25, checks=checks)


def stable(fmt: Format, text: str) -> str:
    text = text.replace(f'"envdoctor": "{__import__("envdoctor").__version__}"', '"envdoctor": "VERSION"')
    if fmt is Format.junit:
        text = re.sub(r'timestamp="[^"]*"', 'timestamp="T"', text)
        text = re.sub(r'hostname="[^"]*"', 'hostname="H"', text)
    return text


@pytest.mark.parametrize("fmt", list(Format))
def test_golden(fmt, monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    text = stable(fmt, render(fmt, context()))
    golden = GOLDEN / f"findings.{SUFFIXES[fmt]}"
    assert text == golden.read_text(encoding="utf-8"), f"{golden.name} differs; see the module docstring"


def test_sarif_has_one_rule_per_check_and_located_results():
    data = json.loads(render(Format.sarif, context()))
    assert data["version"] == "2.1.0"
    (run,) = data["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["IMP001", "IMP003", "PTH001", "REQ001"]
    assert all(r["help"]["text"] and r["helpUri"].endswith(f"/checks/{r['id']}.md") for r in rules)
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"] == "IMP001" and first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    # Under the working directory: relative to %SRCROOT%, so code scanning shows it on the file.
    assert location == {"artifactLocation": {"uri": "src/server.py", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 12}}
    assert run["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")
    assert [r["level"] for r in run["results"]] == ["error", "error", "warning", "note"]


def test_junit_failures_skips_and_info():
    root = ET.fromstring(render(Format.junit, context()))
    suite = root.find("testsuite")
    assert suite.get("tests") == "5" and suite.get("failures") == "3" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["REQ001 missing-requirement"].find("failure").get("message").startswith("requests 2.32.3 requires")
    assert cases["GPU004 gpu-unusable"].find("skipped").get("message") == "facts lack deep"
    assert cases["IMP003 import-of-missing-distribution"].find("failure") is None
    assert "deep_gemm" in cases["IMP003 import-of-missing-distribution"].find("system-out").text


def test_github_annotation_escapes_properties_and_data():
    line = annotation(FINDINGS[2], CWD)
    # ',' and ':' would end a property; '%' and newlines would break the command.
    assert line.startswith("::warning file=/venv/lib/python3.11/site-packages/stale.pth,line=1,title=PTH001 pth-missing-path::")
    assert "a%2C b" not in line and "100%25" in line
    assert annotation(FINDINGS[0], CWD).startswith("::error file=src/server.py,line=12,title=IMP001 dead-import::")


# The target's text as a hostile environment holds it: escape sequences (clear screen, an OSC
# window title, a one-byte CSI), a carriage return, and a file name's raw byte (surrogateescape).
HOSTILE = "evil 1.0\x1b[2J\x1b]0;pwned\x07\r\x9b31m"
HOSTILE_PATH = f"{SITE}/stale\udcff.pth"


def hostile_context() -> ReportContext:
    finding = Finding("PTH001", "pth-missing-path", Severity.WARNING, f"{HOSTILE_PATH} adds {HOSTILE}",
                      subject=HOSTILE_PATH, message=f"why: {HOSTILE}", evidence=(f"{HOSTILE_PATH}:1: {HOSTILE}",),
                      location=Location(path=HOSTILE_PATH, line=1), fix=FixProposal("manual", f"delete {HOSTILE_PATH}"))
    run = CheckRun(findings=(finding,), skipped=(), ran=("PTH001",))
    checks = tuple(s for s in load_registry().checks if s.code == "PTH001")
    return ReportContext(facts=make_facts(), run=run, elapsed=0.1, checks=checks, verbose=True)


@pytest.mark.parametrize("fmt", list(Format))
def test_hostile_text_is_escaped_and_every_format_stays_valid(fmt, monkeypatch):
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    text = render(fmt, hostile_context())
    text.encode("utf-8")  # no lone surrogate left: the write to stdout cannot fail
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]", text), repr(text)
    if fmt in (Format.json, Format.sarif):
        document = strict_json_loads(text)  # what serde_json accepts: no escaped lone surrogate either
        assert document and "stale\\\\xff.pth" in text  # the raw byte shown as \xff, its backslash JSON-escaped
        return
    if fmt is Format.junit:
        ET.fromstring(text.encode("utf-8"))
    carriage_return = "%0D" if fmt is Format.github else "\\x0d"  # the runner's own encoding of \r
    assert f"1.0\\x1b[2J\\x1b]0;pwned\\x07{carriage_return}\\x9b31m" in text
    assert "stale\\xff.pth" in text


def test_diff_json_writes_a_raw_file_name_byte_as_visible_text_for_strict_parsers():
    from envdoctor.report.differences import Side, render_diff_json
    from envdoctor.vocabulary.facts_diff import Difference

    difference = Difference("import system", HOSTILE_PATH, "added", None, HOSTILE_PATH, "low")
    side = Side("snap.json", "/venv/bin/python", "3.11.7", {})
    text = render_diff_json(side, side, [difference])
    document = strict_json_loads(text)
    assert document["differences"][0]["subject"] == f"{SITE}/stale\\xff.pth"
