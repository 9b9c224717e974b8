"""The CI preflight on real venvs: several report files from one run, baselines, config, redaction."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import clean_env
from tests.helpers import schemas
from tests.helpers.venvs import make_venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


def add_consumer(venv, wheels: Path, name: str, requires: str) -> None:
    """An installed distribution whose requirement nothing installed satisfies (REQ001)."""
    venv.install_files(build_wheel(wheels, name, "1.0", {f"{name}.py": ""}, requires=[requires]), extra=["--no-deps"])


def test_one_run_writes_console_sarif_and_junit_then_baseline_gates_only_new_problems(run_envdoctor, tmp_path):
    venv = make_venv(tmp_path / "venv")
    wheels = tmp_path / "wheels"
    add_consumer(venv, wheels, "alpha", "missing-one>=1")
    add_consumer(venv, wheels, "beta", "missing-two")
    sarif, junit = tmp_path / "out.sarif", tmp_path / "out.xml"

    first = run_envdoctor("check", "--python", venv.python, "--no-scan", "-o", f"sarif={sarif}", "--output", f"junit={junit}", cwd=tmp_path)
    assert first.returncode == 1
    assert "alpha 1.0 requires missing-one>=1" in first.stdout and "beta 1.0 requires missing-two" in first.stdout
    schemas.assert_sarif(json.loads(sarif.read_text()))  # the official SARIF 2.1.0 schema
    schemas.assert_junit(junit.read_text())  # Jenkins' JUnit schema
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["REQ001", "REQ001"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "2"

    baseline = tmp_path / "baseline.json"
    written = run_envdoctor("check", "--python", venv.python, "--no-scan", "--write-baseline", baseline, cwd=tmp_path)
    assert written.returncode == 0 and "2 findings recorded" in written.stderr
    entries = json.loads(baseline.read_text())["findings"]
    assert sorted(e["key"] for e in entries) == ["alpha->missing-one", "beta->missing-two"]

    gated = run_envdoctor("check", "--python", venv.python, "--no-scan", "--baseline", baseline, "--format", "json", cwd=tmp_path)
    assert gated.returncode == 0 and gated.codes() == [], gated.stdout
    schemas.assert_findings(gated.json)
    assert "2 findings in the baseline" in gated.stderr

    add_consumer(venv, wheels, "gamma", "missing-three")
    regressed = run_envdoctor("check", "--python", venv.python, "--no-scan", "--baseline", baseline, "--format", "json", cwd=tmp_path)
    assert regressed.returncode == 1
    assert [f["title"] for f in regressed.json["findings"]] == ["gamma 1.0 requires missing-three, which is not installed"]

    # An entry past its expiry date stops suppressing.
    data = json.loads(baseline.read_text())
    data["findings"][0]["expires"] = "2001-01-01"
    data["findings"][0]["reason"] = "accepted until the image is rebuilt"
    baseline.write_text(json.dumps(data))
    expired = run_envdoctor("check", "--python", venv.python, "--no-scan", "--baseline", baseline, "--format", "json", cwd=tmp_path)
    assert len(expired.json["findings"]) == 2 and "expired" in expired.stderr


def test_config_select_ignore_strict_and_severity(run_envdoctor, tmp_path):
    venv = make_venv(tmp_path / "venv")
    add_consumer(venv, tmp_path / "wheels", "alpha", "missing-one")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.envdoctor]\nselect = ["REQ"]\nstrict = true\nseverity = { REQ001 = "warning" }\n')
    result = run_envdoctor("check", "--python", venv.python, "--format", "json", cwd=project)
    assert result.returncode == 1  # a warning now, but strict
    (finding,) = result.json["findings"]
    assert finding["code"] == "REQ001" and finding["severity"] == "warning"
    assert set(result.json["checks_run"]) <= {"REQ001", "REQ002", "REQ003"}

    (project / "pyproject.toml").write_text('[tool.envdoctor]\nseverity = { NOPE001 = "warning" }\n')
    bad = run_envdoctor("check", "--python", venv.python, cwd=project)
    assert bad.returncode == 2 and "NOPE001" in bad.stderr
    (project / "pyproject.toml").write_text('[tool.envdoctor]\nseverity = { REQ001 = "fatal" }\n')
    bad = run_envdoctor("check", "--python", venv.python, cwd=project)
    assert bad.returncode == 2 and "severity.REQ001" in bad.stderr


def test_planted_secrets_never_appear_in_any_format(run_envdoctor, tmp_path):
    hf, gh, aws = "hf_" + "a1B2c3D4e5F6g7H8i9J0kLmNoP", "ghp_" + "Z" * 36, "AKIA" + "ABCDEFGHIJKLMNOP"
    password = "s3cr3t-Pa55&word"
    venv = make_venv(tmp_path / "venv")
    # A token in a path envdoctor reports (a .pth line naming a missing folder) and a requirement.
    (venv.site_packages / "tokens.pth").write_text(f"/opt/{hf}/{gh}\n")
    add_consumer(venv, tmp_path / "wheels", "alpha", "missing-one")
    env = clean_env(HF_TOKEN=hf, MY_SERVICE_PASSWORD=password, AWS_ACCESS_KEY_ID=aws, CUDA_VISIBLE_DEVICES=password)
    outputs = []
    for fmt in ("text", "json", "sarif", "junit", "github", "markdown"):
        result = run_envdoctor("check", "--python", venv.python, "--no-scan", "--format", fmt, "-v", cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stderr
        outputs.append(result.stdout + result.stderr)
    report = run_envdoctor("report", "--python", venv.python, "--no-scan", cwd=tmp_path, env=env)
    assert report.returncode == 0 and "## Environment" in report.stdout and "tokens.pth" in report.stdout
    outputs.append(report.stdout)
    # diff compares environment values: CUDA_VISIBLE_DEVICES holds the password in one snapshot only.
    snapshot = tmp_path / "before.json"
    assert run_envdoctor("snapshot", "--python", venv.python, "--no-scan", "-o", snapshot, cwd=tmp_path).returncode == 0
    for fmt in ("text", "json"):
        diffed = run_envdoctor("diff", snapshot, venv.root, "--format", fmt, cwd=tmp_path, env=env)
        assert diffed.returncode == 1 and "CUDA_VISIBLE_DEVICES" in diffed.stdout, diffed.stdout + diffed.stderr
        outputs.append(diffed.stdout + diffed.stderr)
    # A baseline holds the findings' titles and keys: the .pth finding names the token path.
    baseline = tmp_path / "baseline.json"
    written = run_envdoctor("check", "--python", venv.python, "--no-scan", "--write-baseline", baseline, cwd=tmp_path, env=env)
    assert written.returncode == 0, written.stderr
    outputs.append(baseline.read_text())
    assert "tokens.pth" in outputs[-1] and "[redacted]" in outputs[-1]
    home = str(Path.home())
    for text in outputs:
        for secret in (hf, gh, aws, password, password.replace("&", "&amp;")):
            assert secret not in text
    assert "[redacted]" in outputs[0] and home not in report.stdout


def test_planted_secrets_never_appear_in_fix_output_journal_report_files_or_job_summary(run_envdoctor, tmp_path):
    """The outputs the format test above does not reach: `-o` report files, $GITHUB_STEP_SUMMARY,
    `fix --dry-run` output (whose install resolution fails on an index URL with a password), `fix
    --yes` output (INT001's reinstall in place, whose pip step fails on that index), and every
    file of the journal entry the failed fix leaves (pip itself masks the password it prints, so
    tests/unit/test_redaction.py::test_journal_files_are_redacted is what fails when the journal
    stops masking; this test fails when fix's own output does)."""
    hf, password = "hf_" + "q9W8e7R6t5Y4u3I2o1PaSdFgH", "Pl4nted-Passw0rd"
    venv = make_venv(tmp_path / "venv")
    (venv.site_packages / "tokens.pth").write_text(f"/opt/{hf}/lib\n")
    add_consumer(venv, tmp_path / "wheels", "alpha", "missing-one")
    venv.install("pip==24.2", "six==1.16.0")  # the fix runs the target's own pip
    (venv.site_packages / "six.py").unlink()  # INT001: six's code is gone; its fix reinstalls in place
    summary = tmp_path / "summary.md"
    # Port 9 on loopback refuses at once: pip fails without leaving the machine.
    env = clean_env(HF_TOKEN=hf, PIP_INDEX_URL=f"https://deploy:{password}@127.0.0.1:9/simple",
                    GITHUB_STEP_SUMMARY=str(summary))
    outputs = []
    files = {fmt: tmp_path / f"out.{fmt}" for fmt in ("json", "sarif", "junit", "markdown")}
    checked = run_envdoctor("check", "--python", venv.python, "--no-scan", "--format", "github",
                            *[f"--output={fmt}={path}" for fmt, path in files.items()], cwd=tmp_path, env=env)
    assert checked.returncode == 1, checked.stderr
    outputs += [checked.stdout + checked.stderr, summary.read_text(), *(path.read_text() for path in files.values())]
    assert "tokens.pth" in outputs[1]  # the summary was written, with the finding that names the token path
    planned = run_envdoctor("fix", "--python", venv.python, "--no-scan", "--dry-run", cwd=tmp_path, env=env)
    applied = run_envdoctor("fix", "--python", venv.python, "--no-scan", "--yes", "--select", "INT001", cwd=tmp_path, env=env)
    assert "missing-one" in planned.stdout and applied.returncode != 0, applied.stdout + applied.stderr
    assert "rolled back (a step failed)" in applied.stderr, applied.stderr
    outputs += [planned.stdout + planned.stderr, applied.stdout + applied.stderr]
    journal = venv.root / ".envdoctor" / "journal"
    logged = [path for path in journal.rglob("*") if path.is_file() and path.suffix in (".json", ".log")]
    assert logged, "the failed fix left no journal entry"
    outputs += [path.read_text(errors="replace") for path in logged]
    for text in outputs:
        for secret in (hf, password):
            assert secret not in text, (secret, text[:2000])
