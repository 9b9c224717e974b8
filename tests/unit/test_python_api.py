"""envdoctor.check() for notebooks and scripts: the Report, its HTML, and a fast `import envdoctor`."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from xml.etree import ElementTree as ET

from envdoctor.model.finding import Finding, Severity
from envdoctor.python_api import Report
from tests.unit.test_text_report import SCENARIOS, context


def _shown(html: str) -> str:
    return "".join(ET.fromstring(html).itertext())  # raises when the fragment is not well-formed


def test_html_is_well_formed_and_shows_every_finding():
    report = Report(context("many", 0))
    shown = _shown(report._repr_html_())
    for finding in SCENARIOS["many"]:
        assert f"{finding.code} {finding.title}" in shown, finding.code
    assert "No problems found." in _shown(Report(context("healthy", 0))._repr_html_())


def test_html_escapes_what_the_target_wrote():
    hostile = Finding("INT002", "invalid-metadata", Severity.ERROR, 'evil <script>alert(1)</script> & "quotes"',
                      subject="evil", evidence=("<img src=x onerror=alert(1)>",))
    base = context("one-error", 0)
    report = Report(dataclasses.replace(base, run=dataclasses.replace(base.run, findings=(hostile,))))
    html = report._repr_html_()
    assert "<script>" not in html and "<img" not in html
    shown = _shown(html)
    assert 'evil <script>alert(1)</script> & "quotes"' in shown and "<img src=x onerror=alert(1)>" in shown


def test_summary_text_and_repr():
    report = Report(context("many", 0))
    assert report.summary["errors"] == 3 and report.summary["warnings"] == 1 and report.ok is False
    assert report.summary["skipped"] == ["GPU004", "STK001", "STK002", "MGPU001"]
    assert str(report).startswith("envdoctor ") and "✖ REQ001" in str(report)
    assert repr(report).startswith("<envdoctor Report FAILED: 3 errors")
    assert Report(context("healthy", 0)).ok is True


def test_rich_renders_the_coloured_report_folded_to_the_console():
    import io

    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=80, force_terminal=True).print(Report(context("many", 0)))
    text = buffer.getvalue()
    assert "\x1b[" in text and "REQ001" in text


def test_import_envdoctor_stays_light_and_check_is_there_when_asked():
    code = ("import sys, envdoctor; heavy = [m for m in ('envdoctor.collect', 'envdoctor.python_api', 'rich') "
            "if m in sys.modules]; assert not heavy, heavy; assert callable(envdoctor.check); "
            "assert 'envdoctor.python_api' in sys.modules; print(envdoctor.Report.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "Report", done.stderr


def test_rich_shows_the_targets_control_characters_as_escapes():
    import io

    from rich.console import Console

    hostile = Finding("INT002", "invalid-metadata", Severity.ERROR, "evil\x1b[2Jname", subject="evil")
    base = context("one-error", 0)
    report = Report(dataclasses.replace(base, run=dataclasses.replace(base.run, findings=(hostile,))))
    buffer = io.StringIO()
    Console(file=buffer, width=80, force_terminal=True).print(report)
    assert "\x1b[2J" not in buffer.getvalue() and "INT002" in buffer.getvalue()
