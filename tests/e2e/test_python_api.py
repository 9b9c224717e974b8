"""envdoctor.check() on real venvs, in this process and in a Jupyter kernel (nbclient/nbformat)."""

from __future__ import annotations

import json
import sys

import pytest

import envdoctor
from envdoctor.errors import TargetError


def _broken(new_venv):
    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)  # REQ001: its requirements are missing
    return venv


def test_check_returns_the_findings_facts_and_summary(new_venv, tmp_path):
    venv = _broken(new_venv)
    report = envdoctor.check(python=str(venv.python), cwd=str(tmp_path), no_scan=True)
    assert report.ok is False and report.summary["errors"] >= 1
    assert {f.code for f in report.findings} >= {"REQ001"}
    assert report.facts.target.python == str(venv.python)
    assert any(d.name == "requests" for d in report.facts.distributions)
    healthy = envdoctor.check(python=str(new_venv().python), cwd=str(tmp_path), no_scan=True)
    assert healthy.ok is True and healthy.findings == ()


def test_a_target_that_is_not_there_raises_the_clis_message(tmp_path):
    with pytest.raises(TargetError, match="not on PATH"):
        envdoctor.check(python="python9", cwd=str(tmp_path))


@pytest.mark.slow
def test_a_notebook_cell_shows_the_report_as_html(new_venv, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    venv = _broken(new_venv)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import envdoctor"),
        nbformat.v4.new_code_cell(f"envdoctor.check(python={str(venv.python)!r}, no_scan=True)"),
    ])
    # The kernel is this interpreter's (a real venv with envdoctor and ipykernel installed).
    kernel = tmp_path / "kernels" / "envdoctor-test"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "envdoctor test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    nbclient.NotebookClient(notebook, kernel_name="envdoctor-test", timeout=300,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    (result,) = [out for out in notebook.cells[1].outputs if out.get("output_type") == "execute_result"]
    html = result["data"]["text/html"]
    assert html.startswith('<div class="envdoctor-report">') and "REQ001" in html
    assert "requests 2.32.3 requires" in html
    assert result["data"]["text/plain"].startswith("envdoctor ")  # IPython's _repr_pretty_: the text report
