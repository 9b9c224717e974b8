"""Snapshots, `envdoctor diff`, `check/fix --against` and the config's `require` on real venvs built with real pip."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from tests.conftest import clean_env
from tests.e2e.test_fix import offline_env, venv_with_pip
from tests.helpers import schemas

pytestmark = pytest.mark.slow


@pytest.fixture
def two_venvs(tmp_path):
    """Same Python and pip; they differ in four distributions: six changed, idna removed, tqdm and
    packaging added."""
    before = venv_with_pip(tmp_path / "before")
    after = venv_with_pip(tmp_path / "after")
    before.install("six==1.15.0", "idna==3.20", "certifi==2026.10.18", no_deps=True)
    after.install("six==1.16.0", "tqdm==4.70.1", "packaging==26.3", "certifi==2026.10.18", no_deps=True)
    return before, after


def snapshot(run_envdoctor, venv, path, cwd, **env):
    result = run_envdoctor("snapshot", "--python", venv.python, "--no-scan", "-o", path, cwd=cwd, env=clean_env(**env))
    assert result.returncode == 0, result.stderr
    data = json.loads(path.read_text())
    schemas.assert_snapshot(data)  # a real snapshot is valid under docs/reference/snapshot.schema.json
    return data


def test_diff_lists_exactly_the_packages_and_the_variable_that_differ(run_envdoctor, two_venvs, tmp_path):
    before, after = two_venvs
    snapshot(run_envdoctor, before, tmp_path / "a.json", tmp_path, CUDA_VISIBLE_DEVICES="0")
    snapshot(run_envdoctor, after, tmp_path / "b.json", tmp_path, CUDA_VISIBLE_DEVICES="1")

    result = run_envdoctor("diff", tmp_path / "a.json", tmp_path / "b.json", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    document = result.json
    schemas.assert_diff(document)
    found = [(d["area"], d["subject"], d["change"], d["before"], d["after"]) for d in document["differences"]]
    assert sorted(found) == sorted([
        ("distributions", "idna", "removed", "3.20", None),
        ("distributions", "six", "changed", "1.15.0", "1.16.0"),
        ("distributions", "tqdm", "added", None, "4.70.1"),
        ("distributions", "packaging", "added", None, "26.3"),
        ("environment", "CUDA_VISIBLE_DEVICES", "changed", "0", "1"),
    ])
    assert document["differences"][0]["subject"] == "idna"  # the removal, highest impact, first
    assert document["summary"]["total"] == 5

    text = run_envdoctor("diff", tmp_path / "a.json", tmp_path / "b.json", cwd=tmp_path)
    assert text.returncode == 1
    assert "idna" in text.stdout and "1.15.0 -> 1.16.0" in text.stdout and "CUDA_VISIBLE_DEVICES" in text.stdout
    assert "5 differences" in text.stdout

    # A live environment against its own snapshot, in the same environment: nothing differs.
    same = run_envdoctor("diff", tmp_path / "b.json", after.root, cwd=tmp_path, env=clean_env(CUDA_VISIBLE_DEVICES="1"))
    assert same.returncode == 0 and "no differences" in same.stdout, same.stdout


def test_check_against_known_good_then_fix_restores_the_known_good_versions(run_envdoctor, two_venvs, tmp_path):
    before, after = two_venvs
    snapshot(run_envdoctor, before, tmp_path / "known-good.json", tmp_path)
    sarif = tmp_path / "drift.sarif"

    result = run_envdoctor("check", "--python", after.python, "--no-scan", "--select", "EXP002", "--against",
                           tmp_path / "known-good.json", "--format", "json", "-o", f"sarif={sarif}", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    schemas.assert_findings(result.json)
    schemas.assert_sarif(json.loads(sarif.read_text()))
    by_subject = {f["subject"]: f for f in result.json["findings"]}
    assert sorted(by_subject) == ["idna", "packaging", "six", "tqdm"]
    assert by_subject["idna"]["severity"] == "error"  # removed
    assert by_subject["six"]["fix"]["parameters"] == {"requirement": "six==1.15.0"}

    fixed = run_envdoctor("fix", "--python", after.python, "--no-scan", "--yes", "--against", tmp_path / "known-good.json",
                          cwd=tmp_path, env=offline_env())
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert after.run("import six, idna; assert six.__version__ == '1.15.0'").returncode == 0
    again = run_envdoctor("check", "--python", after.python, "--no-scan", "--select", "EXP002", "--against",
                          tmp_path / "known-good.json", "--format", "json", cwd=tmp_path)
    # What is left are the two additions, which the fixer leaves to a person (info, exit 0).
    assert sorted(f["subject"] for f in again.json["findings"]) == ["packaging", "tqdm"] and again.returncode == 0


def test_require_in_pyproject_reports_unmet_expectations_located_in_the_config(run_envdoctor, two_venvs, tmp_path):
    before, _ = two_venvs
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.envdoctor]\nrequire = [\n  "six>=1.16",\n  "idna",\n'
        '  "python>=3.9",\n  "gpu",\n  "cuda>=12.4; sys_platform == \'win32\'",\n]\n'
    )
    junit = project / "report.xml"
    result = run_envdoctor("check", "--python", before.python, "--no-scan", "--select", "EXP001", "--format", "sarif",
                           "-o", f"junit={junit}", cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads(result.stdout)
    schemas.assert_sarif(document)
    results = {r["message"]["text"].split("\n")[0]: r for r in document["runs"][0]["results"]}
    assert sorted(results) == ["the config requires gpu>=1; none found",
                               "the config requires six>=1.16; six 1.15.0 is installed"]
    located = results["the config requires six>=1.16; six 1.15.0 is installed"]["locations"][0]["physicalLocation"]
    assert located == {"artifactLocation": {"uri": "pyproject.toml", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 6}}
    schemas.assert_junit(junit.read_text())
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "2"

    bad = (project / "pyproject.toml").read_text().replace('"gpu"', '"gpu>=lots"')
    (project / "pyproject.toml").write_text(bad)
    refused = run_envdoctor("check", "--python", before.python, cwd=project)
    assert refused.returncode == 2 and "[tool.envdoctor], key 'require[3]': 'gpu>=lots'" in refused.stderr  # file, table, key (issue 21)
