"""snapshot -> check --facts gives the same findings as checking the live target."""

from __future__ import annotations

import json

import pytest

from tests.helpers.venvs import tree_state

pytestmark = pytest.mark.slow


def test_snapshot_round_trip(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)
    before = tree_state(venv.root)
    snap = tmp_path / "snap.json"
    made = run_envdoctor("snapshot", "--python", venv.python, "-o", snap, cwd=tmp_path)
    assert made.returncode == 0 and "facts written to" in made.stderr
    data = json.loads(snap.read_text())
    assert data["schema_version"] == 1
    assert {d["name"] for d in data["distributions"]} == {"requests"}
    live = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=tmp_path)
    offline = run_envdoctor("check", "--facts", snap, "--format", "json", cwd=tmp_path)
    assert live.returncode == offline.returncode == 1
    assert live.json["findings"] == offline.json["findings"]
    assert tree_state(venv.root) == before


def test_json_document_shape(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)
    doc = run_envdoctor("check", "--python", venv.python, "--format", "json", "--select", "REQ", cwd=tmp_path).json
    assert set(doc) >= {"envdoctor", "schema_version", "target", "findings", "summary", "skipped", "checks_run"}
    assert doc["checks_run"] == ["REQ001", "REQ002", "REQ003"]
    finding = doc["findings"][0]
    assert set(finding) >= {"code", "name", "severity", "title", "message", "subject", "evidence", "location", "references", "fix"}
    assert finding["severity"] in ("error", "warning", "info")
    assert set(finding["location"]) == {"path", "line", "distribution", "module"}
    assert set(finding["fix"]) >= {"kind", "summary"}
    assert doc["summary"]["error"] == len(doc["findings"]) and doc["summary"]["failed"] is True


def test_ignore_by_name_and_prefix(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)
    by_name = run_envdoctor("check", "--python", venv.python, "--ignore", "missing-requirement", cwd=tmp_path)
    assert by_name.returncode == 0
    by_prefix = run_envdoctor("check", "--python", venv.python, "--format", "json", "--ignore", "REQ,INT", cwd=tmp_path)
    assert by_prefix.returncode == 0 and not any(c.startswith(("REQ", "INT")) for c in by_prefix.json["checks_run"])


def test_text_output_for_people(run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)
    result = run_envdoctor("check", "--python", venv.python, "-v", cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout
    assert "✖ REQ001 requests 2.32.3 requires" in out
    assert "fix (reinstall):" in out and f"uv pip install --python {venv.python}" in out  # a venv without pip
    assert "sys.path" in out and "(the working directory)" in out  # -v shows facts
    assert out.rstrip().splitlines()[-1].startswith("FAILED 4 errors, 0 warnings, 0 info")


def test_snapshot_carries_no_credentials(run_envdoctor, new_venv, tmp_path):
    """Index URLs with a password or a bare token, and a direct_url.json whose URL has credentials:
    neither the snapshot file (-o) nor stdout holds any of them.  Each credential becomes
    `[redacted]` with the rest of its URL kept, and the variables stay listed."""
    from tests.conftest import clean_env

    venv = new_venv()
    venv.install("requests==2.32.3", no_deps=True)
    info = next(venv.site_packages.glob("requests-*.dist-info"))
    (info / "direct_url.json").write_text(json.dumps(
        {"url": "https://deploy:Dir3ctPw@git.example/requests-2.32.3-py3-none-any.whl", "archive_info": {}}))
    env = clean_env(PIP_INDEX_URL="https://user:p4ss@host/simple", PIP_EXTRA_INDEX_URL="https://TOKEN123@host/simple")
    snap = tmp_path / "snap.json"
    written = run_envdoctor("snapshot", "--python", venv.python, "--no-scan", "-o", snap, cwd=tmp_path, env=env)
    printed = run_envdoctor("snapshot", "--python", venv.python, "--no-scan", cwd=tmp_path, env=env)
    assert written.returncode == printed.returncode == 0, written.stderr + printed.stderr
    for text in (snap.read_text(), printed.stdout):
        data = json.loads(text)
        environment = data["interpreter"]["environment"]
        assert environment["PIP_INDEX_URL"] == "https://[redacted]@host/simple"  # the rest of the URL is kept
        assert "PIP_EXTRA_INDEX_URL" in environment
        assert [d["direct_url"]["url"] for d in data["distributions"] if d["name"] == "requests"] == [
            "https://[redacted]@git.example/requests-2.32.3-py3-none-any.whl"]
        for secret in ("p4ss", "TOKEN123", "Dir3ctPw", "user:", "deploy:"):
            assert secret not in text
