"""The text report a person reads: golden files for a healthy run, one error and many findings, at
terminal widths 80 and 120, and the promises behind them (areas, impact order, one --deep line,
folded lines that keep their indentation, -v for the whole evidence).

The test only compares.  After an intended change, regenerate with `python tools/update_golden.py`
and review `git diff tests/data/golden/text`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from envdoctor.engine import CheckRun
from envdoctor.model.finding import Finding, FixProposal, Location, Severity, Skipped
from envdoctor.report.context import ReportContext
from envdoctor.report.text import render_text
from tests.helpers.facts import CWD, SITE, dist, make_facts

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden" / "text"
WIDTHS = (80, 120)

RAN = ("PYU001", "WHL001", "REQ001", "REQ002", "INT001", "IMP001", "IMP003", "SHD001", "PTH001", "PTH002",
       "GPU001", "TOR001", "FLI001", "EXP001")
DEEP = tuple(Skipped(code, name, "facts lack deep") for code, name in
             (("GPU004", "gpu-unusable"), ("STK001", "stack-import-fails"), ("STK002", "triton-kernel-fails"),
              ("MGPU001", "all-reduce-fails")))

REQ001 = Finding(
    "REQ001", "missing-requirement", Severity.ERROR, "requests 2.32.3 requires idna<4,>=2.5, which is not installed",
    subject="requests",
    message="requests declares it needs idna; `import requests` itself fails with ModuleNotFoundError "
            f"({SITE}/requests/models.py imports idna when requests is imported).",
    evidence=(f"{SITE}/requests-2.32.3.dist-info: Requires-Dist: idna<4,>=2.5",),
    location=Location(path=f"{SITE}/requests-2.32.3.dist-info", distribution="requests"),
    fix=FixProposal("reinstall", "install idna<4,>=2.5", command="/venv/bin/python -m pip install 'idna<4,>=2.5'"),
    key="requests->idna")
IMP001 = Finding(
    "IMP001", "dead-import", Severity.ERROR, "sglang imports sglang.srt.old.fused_moe, which does not exist",
    subject="sglang", message="The import fails at start-up.",
    evidence=(f"{SITE}/sglang/srt/server.py:12: from sglang.srt.old.fused_moe import fused_experts",),
    location=Location(path=f"{SITE}/sglang/srt/server.py", line=12, distribution="sglang"),
    references=("sgl-project/sglang#24069",), fix=FixProposal("patch", "re-point the import", safe=False))
SHD001 = Finding(
    "SHD001", "shadowed-module", Severity.ERROR,
    f"`packaging` resolves to the folder {CWD}/packaging (the working directory, sys.path[0]) instead of packaging 24.1",
    subject="packaging", message="`import packaging` runs that folder's code, not the code packaging installed.",
    evidence=(f"expected: {SITE}/packaging (RECORD of packaging 24.1)",),
    location=Location(path=f"{CWD}/packaging", distribution="packaging", module="packaging"),
    fix=FixProposal("manual", "rename the folder packaging/ (or move it), or run from another directory"))
PTH001 = Finding(
    "PTH001", "pth-missing-path", Severity.WARNING, "stale.pth adds /gone, which does not exist",
    subject=f"{SITE}/stale.pth", evidence=tuple(f"{SITE}/stale.pth:{n}: /gone/{n}" for n in range(1, 6)),
    location=Location(path=f"{SITE}/stale.pth", line=1))
IMP003 = Finding(
    "IMP003", "import-of-missing-distribution", Severity.INFO,
    "sglang imports deep_gemm at 2 places; no installed distribution provides it", subject="sglang -> deep_gemm")


def _facts():
    return make_facts(dists=[dist("sglang", "0.5.23", requires=["requests", "packaging"]),
                             dist("requests", "2.32.3", requires=["idna<4,>=2.5"]), dist("packaging", "24.1")])


SCENARIOS = {
    "healthy": (),
    "one-error": (REQ001,),
    "many": (IMP001, REQ001, PTH001, SHD001, IMP003),  # the engine's order: by code within each check
}


def context(scenario: str, width: int, verbose: bool = False) -> ReportContext:
    run = CheckRun(findings=SCENARIOS[scenario], skipped=DEEP, ran=RAN)
    return ReportContext(facts=_facts(), run=run, elapsed=0.25, width=width, verbose=verbose)


def rendered() -> dict:
    """golden file -> the text rendered now (tools/update_golden.py writes these)."""
    return {GOLDEN / f"{scenario}-{width}.txt": render_text(context(scenario, width))
            for scenario in SCENARIOS for width in WIDTHS}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("width", WIDTHS)
def test_golden(scenario, width):
    golden = GOLDEN / f"{scenario}-{width}.txt"
    assert render_text(context(scenario, width)) == golden.read_text(encoding="utf-8"), f"{golden.name} differs"


def test_one_line_per_area_with_its_verdict():
    lines = render_text(context("many", 0)).splitlines()
    area = {line[2:].split("  ")[0].strip(): line[0] for line in lines if line[:2] in ("✓ ", "! ", "✗ ", "- ")}
    assert area["distributions"] == "✗" and area["import system"] == "✗" and area[".pth & start-up"] == "!"
    assert area["Python & interpreter"] == "✓" and area["torch & companions"] == "✓"
    healthy = render_text(context("healthy", 0))
    assert "✗" not in healthy and "No problems found." in healthy


def test_findings_are_ordered_by_impact():
    """Errors first; among them the one that breaks the most of the stack (requests: sglang needs it;
    packaging: sglang needs it) before sglang's own; the warning after every error."""
    text = render_text(context("many", 0))
    order = [line.split()[1] for line in text.splitlines() if line[:2] in ("✖ ", "▲ ", "● ")]
    assert order == ["REQ001", "SHD001", "IMP001", "PTH001", "IMP003"]


def test_skipped_deep_checks_are_one_line():
    text = render_text(context("healthy", 0))
    assert "- 4 checks need --deep: GPU004, STK001, STK002, MGPU001" in text
    assert "skipped GPU004" not in text
    assert "skipped GPU004 (gpu-unusable): facts lack deep" in render_text(context("healthy", 0, verbose=True))


def test_evidence_is_capped_without_verbose():
    text = render_text(context("many", 0))
    assert "/gone/3" in text and "/gone/4" not in text and "… 2 more lines of evidence (-v shows them)" in text
    assert "/gone/5" in render_text(context("many", 0, verbose=True))


@pytest.mark.parametrize("width", WIDTHS)
def test_folded_lines_keep_their_indentation(width):
    lines = render_text(context("many", width)).splitlines()
    assert max(len(line) for line in lines) <= width
    in_finding = False
    for line in lines:
        if line[:2] in ("✖ ", "▲ "):
            in_finding = True
        elif not line.strip() or line[:2] in ("● ", "- "):
            in_finding = False
        elif in_finding:
            assert line.startswith("    "), f"a folded line lost its indentation: {line!r}"


def test_unfolded_without_a_width():
    """A pipe or a file gets whole lines (grep finds a finding on one line)."""
    text = render_text(context("one-error", 0))
    assert any(len(line) > 120 for line in text.splitlines())
