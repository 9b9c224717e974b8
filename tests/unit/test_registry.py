"""Plugins come through entry points like the built-ins; bad ones fail at load with one clear error."""

from __future__ import annotations

import importlib
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest

from envdoctor.errors import PluginError, UsageError
from envdoctor.registry import load_registry
from tests.conftest import clean_env, envdoctor_executable

DOC = '''"""Docs.

    What it detects
        x
    Why it breaks
        x
    Example
        x
    Fix
        x
    References
        x
    """'''

GOOD = f'''
from envdoctor.api import check, report, Severity


@check(code="ACME001", name="acme-too-many-dists", summary="More than two distributions.", needs=("distributions",))
def too_many(facts):
    {DOC}
    if len(facts.distributions) > 2:
        yield report(Severity.WARNING, f"{{len(facts.distributions)}} distributions", subject="environment")


@check(code="ACME002", name="acme-crashes", summary="Always crashes.", needs=("distributions",))
def crashes(facts):
    {DOC}
    raise RuntimeError("boom")


@check(code="ACME003", name="acme-needs-startup", summary="Needs a section snapshots may lack.", needs=("startup",))
def needs_startup(facts):
    {DOC}
    return iter(())
'''


def install_plugin(root: Path, module: str, source: str, dist: str = "acme-envdoctor-checks", entry_points: str = "") -> Path:
    """A real installed distribution on a sys.path folder, registering `module` as a check plugin
    (or, with `entry_points`, as whatever that entry_points.txt text says)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points or f"[envdoctor.checks]\n{module} = {module}\n")
    return root


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    def add(module: str, source: str) -> Path:
        root = install_plugin(tmp_path / module, module, source)
        monkeypatch.syspath_prepend(str(root))
        importlib.invalidate_caches()
        return root

    return add


def test_builtins_are_registered_through_entry_points():
    registry = load_registry()
    assert all(spec.provider.startswith("envdoctor ") for spec in registry.checks)
    assert {"REQ001", "NSP001", "HOOK001", "PTH003"} <= set(registry.by_code())


def test_third_party_plugin_is_loaded_with_its_provider(plugin_path):
    plugin_path("acme_checks", GOOD)
    specs = load_registry().by_code()
    assert specs["ACME001"].provider == "acme-envdoctor-checks 1.0"


@pytest.mark.parametrize(
    "source, message",
    [
        ("raise ImportError('no torch here')", "failed to load: ImportError: no torch here"),
        ("X = 1", "defines no checks"),
        (GOOD.replace('code="ACME001"', 'code="acme1"'), "does not match"),
        (GOOD.replace('name="acme-crashes"', 'name="Acme_Crashes"'), "not kebab-case"),
        (GOOD.replace('needs=("distributions",))\ndef too_many', 'needs=("gpus",))\ndef too_many'), "unknown fact sections ['gpus']"),
        (GOOD.replace('code="ACME001"', 'code="REQ001"'), "already used by"),
        (GOOD.replace(DOC, '"""No sections."""', 1), "docstring lacks the sections"),
    ],
)
def test_bad_plugins_fail_at_load_naming_the_plugin(plugin_path, source, message):
    plugin_path(f"acme_bad_{uuid.uuid4().hex[:8]}", source)  # a fresh module name: sys.modules caches
    with pytest.raises(PluginError) as info:
        load_registry()
    assert message in str(info.value)
    assert "acme-envdoctor-checks 1.0" in str(info.value)


def test_select_by_code_prefix_and_name():
    registry = load_registry()
    assert [s.code for s in registry.select(["REQ"])] == ["REQ001", "REQ002", "REQ003"]
    assert [s.code for s in registry.select(["namespace-masquerade"])] == ["NSP001"]
    assert "REQ001" not in [s.code for s in registry.select([], ["missing-requirement"])]
    with pytest.raises(UsageError):
        registry.select(["NOPE"])


def test_plugin_end_to_end_crash_and_skip(tmp_path, new_venv):
    """Through the installed CLI: the plugin's finding, its crash as EDR001, and a skip on a snapshot."""
    root = install_plugin(tmp_path / "plugin", "acme_checks", GOOD)
    venv = new_venv()
    env = clean_env(PYTHONPATH=str(root))
    out = subprocess.run([envdoctor_executable(), "list"], capture_output=True, text=True, env=env)
    assert "ACME001" in out.stdout and "acme-envdoctor-checks 1.0" in out.stdout
    snapshot = tmp_path / "snap.json"
    subprocess.run([envdoctor_executable(), "snapshot", "--python", str(venv.python), "-o", str(snapshot)], env=env, check=True, cwd=tmp_path)
    import json

    data = json.loads(snapshot.read_text())
    del data["startup"]  # an older snapshot without this section
    snapshot.write_text(json.dumps(data))
    result = subprocess.run(
        [envdoctor_executable(), "check", "--facts", str(snapshot), "--format", "json", "--select", "ACME"],
        capture_output=True, text=True, env=env,
    )
    assert "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert result.returncode == 1
    crash = [f for f in doc["findings"] if f["code"] == "EDR001"]
    assert crash and crash[0]["subject"] == "ACME002" and "RuntimeError: boom" in crash[0]["title"]
    assert doc["skipped"] == [{"code": "ACME003", "name": "acme-needs-startup", "reason": "facts lack startup"}]


RULE_FILE = """
[[rule]]
code = "ACME101"
name = "acme-requests-rule"
severity = "warning"
title = "{requests} is installed"
summary = "A rule from a third party's provider."
explanation = "Shows that provided rules are checks."
references = ["acme/rules#1"]

[rule.match]
distributions = { requests = "" }
"""

PROVIDER = """
import os

def rule_files():
    return [os.path.join(os.path.dirname(__file__), "acme_rules.toml")]
"""


def install_rule_provider(root: Path, provider_source: str = PROVIDER, rule_file: str = RULE_FILE) -> Path:
    install_plugin(root, "acme_rule_provider", provider_source, dist="acme-envdoctor-rules",
                   entry_points="[envdoctor.rules]\nacme = acme_rule_provider:rule_files\n")
    (root / "acme_rules.toml").write_text(rule_file)
    return root


def test_rule_file_provided_through_the_rules_group(tmp_path, monkeypatch):
    from envdoctor.engine import run_checks
    from tests.helpers.facts import dist, make_facts

    monkeypatch.syspath_prepend(str(install_rule_provider(tmp_path / "rules")))
    importlib.invalidate_caches()
    registry = load_registry()
    spec = registry.by_code()["ACME101"]
    assert spec.provider == "acme-envdoctor-rules 1.0" and spec.name == "acme-requests-rule"
    assert [s.code for s in registry.select(["acme-requests-rule"])] == ["ACME101"]
    assert "Knowledge-base rule" in spec.doc and "acme/rules#1" in spec.doc
    run = run_checks([spec], make_facts(dists=[dist("requests", "2.32.3")]))
    assert [f.title for f in run.findings] == ["requests 2.32.3 is installed"]
    assert registry.by_code()["KB012"].provider.startswith("envdoctor ")  # the built-in provider, same path


@pytest.mark.parametrize("source, rule_file, message", [
    ("def rule_files():\n    raise OSError('gone')\n", RULE_FILE, "failed: OSError: gone"),
    ("rule_files = 3\n", RULE_FILE, "is not a rule provider"),
    (PROVIDER, RULE_FILE.replace('severity = "warning"', 'severity = "fatal"'), "severity must be one of"),
    (PROVIDER, RULE_FILE.replace('"ACME101"', '"KB012"'), "already used by"),
])
def test_bad_rule_providers_fail_at_load_naming_the_plugin(tmp_path, monkeypatch, source, rule_file, message):
    module = "acme_rule_provider"
    root = tmp_path / uuid.uuid4().hex[:8]
    install_rule_provider(root, source, rule_file)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(__import__("sys").modules, module, raising=False)
    importlib.invalidate_caches()
    with pytest.raises(PluginError) as info:
        load_registry()
    assert message in str(info.value) and "acme-envdoctor-rules 1.0" in str(info.value)


def test_user_rule_files_are_a_provider_given_explicitly(tmp_path):
    rules = tmp_path / "mine.toml"
    rules.write_text(RULE_FILE)
    assert load_registry(rule_files=[str(rules)]).by_code()["ACME101"].provider == "config rules"
    assert "ACME101" not in load_registry().by_code()


REPORTER = """
def render(context):
    codes = ",".join(f.code for f in context.run.findings)
    return f"acme-report {codes} token=hf_a1B2c3D4e5F6g7H8i9J0kLmNoP\\n"
"""


def install_reporter(root: Path) -> Path:
    return install_plugin(root, "acme_reporter", REPORTER, dist="acme-envdoctor-reporters",
                          entry_points="[envdoctor.reporters]\nacme = acme_reporter:render\n")


def test_third_party_reporter_renders_redacted(tmp_path, monkeypatch):
    from envdoctor.report import Format, render, reporter_names
    from tests.unit.test_reporters import context

    monkeypatch.syspath_prepend(str(install_reporter(tmp_path / "reporter")))
    importlib.invalidate_caches()
    assert {f.value for f in Format} | {"acme"} == set(reporter_names())
    text = render("acme", context())
    assert text == "acme-report IMP001,REQ001,PTH001,IMP003 token=[redacted]\n"
    with pytest.raises(UsageError, match="unknown format 'nope'.*acme"):
        render("nope", context())


def test_third_party_reporter_through_the_cli(tmp_path, new_venv):
    """`--format NAME` takes any registered reporter.  Needs cli.py's --format to accept reporter names."""
    root = install_reporter(tmp_path / "reporter")
    venv = new_venv()
    env = clean_env(PYTHONPATH=str(root))
    out = subprocess.run([envdoctor_executable(), "check", "--python", str(venv.python), "--no-scan", "--format", "acme"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.stdout.startswith("acme-report ") and "hf_" not in out.stdout, out.stdout + out.stderr
    assert out.returncode == 0, out.stderr
