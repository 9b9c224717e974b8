"""EXP001 (the config's `require`), EXP002 (drift from a known-good snapshot) and the diff they share, on facts."""

from __future__ import annotations

import dataclasses
import json

import pytest

from envdoctor.collect import select_checks
from envdoctor.config import Settings
from envdoctor.vocabulary.facts_diff import diff_facts
from envdoctor.vocabulary.require_entries import Declared, parse_expectation
from envdoctor.engine import run_checks
from envdoctor.errors import UsageError
from envdoctor.model.facts import Facts
from envdoctor.model.finding import Severity
from envdoctor.registry import load_registry
from tests.helpers.facts import H100, dist, make_facts, nvidia, torch_version_py


def with_inputs(**inputs):
    """Every registered check, with these inputs bound as `check` binds them."""
    return select_checks(load_registry(), Settings(), (), (), inputs)


def required(facts, *entries):
    parsed = [parse_expectation(Declared(text, "/proj/pyproject.toml", 7)) for text in entries]
    checks = with_inputs(expectations=tuple(parsed) or None)
    return list(run_checks([spec for spec in checks if spec.code == "EXP001"], facts).findings)


def drifted(known_good, facts):
    checks = with_inputs(known_good=known_good, known_good_source="known-good.json", known_good_mask=str)
    return list(run_checks([spec for spec in checks if spec.code == "EXP002"], facts).findings)


def cuda_box(torch="2.11.0+cu130", cuda="13.0", gpus=(H100,), driver="580.95.05", dists=(), env=None):
    stack = {"torch": torch_version_py(torch, cuda=cuda), "nvidia": dict(nvidia(*gpus, cuda="13.0"), driver_version=driver)}
    return make_facts(dists=[dist("torch", torch), dist("triton", "3.6.0"), *dists], stack=stack, environment=env)


def cpu_box():
    return make_facts(dists=[dist("numpy", "2.4.6")], stack={})


# The codes this module tests with positive and negative cases (test_checks.py's coverage test counts them).
COVERED = ("EXP001", "EXP002", "PRE001")  # PRE001 (check --with): tests/e2e/test_preflight_parts.py


# --- EXP001 ------------------------------------------------------------------------------------


def test_exp001_every_kind_holds_on_a_matching_machine():
    facts = cuda_box()
    assert required(facts, "torch>=2.9", "triton", "cuda>=12.4", "driver>=550", "cuda-driver>=13", "gpu", "nvidia-gpu==1",
                    "accelerator>=1", "python>=3.9,<3.14") == []


def test_exp001_reports_each_unmet_entry_with_where_it_is_declared():
    found = required(cpu_box(), "torch>=2.9", "numpy<2", "cuda>=12.4", "gpu", "driver>=550", "python>=3.12")
    by_key = {f.key: f for f in found}
    assert sorted(by_key) == ["cuda>=12.4", "driver>=550", "gpu", "numpy<2", "python>=3.12", "torch>=2.9"]
    assert all(f.severity is Severity.ERROR for f in found)
    assert by_key["numpy<2"].title == "the config requires numpy<2; numpy 2.4.6 is installed"
    assert by_key["numpy<2"].fix.parameters == {"requirement": "numpy<2"} and by_key["numpy<2"].fix.kind == "reinstall"
    assert by_key["torch>=2.9"].title == "the config requires torch>=2.9; torch is not installed"
    assert by_key["gpu"].title == "the config requires gpu>=1; none found"
    assert by_key["cuda>=12.4"].title == "the config requires cuda>=12.4; torch is not installed"
    assert by_key["python>=3.12"].title == "the config requires python>=3.12; python is 3.11.7"
    location = by_key["gpu"].location
    assert (location.path, location.line) == ("/proj/pyproject.toml", 7)
    assert "/proj/pyproject.toml:7: require 'gpu'" in by_key["gpu"].evidence


def test_exp001_versions_of_the_build_and_the_driver():
    facts = cuda_box(torch="2.8.0+cu121", cuda="12.1", driver="535.104.05")
    titles = sorted(f.title for f in required(facts, "cuda>=12.4", "driver>=550", "gpu>=2"))
    assert titles == ["the config requires cuda>=12.4; cuda is 12.1", "the config requires driver>=550; driver is 535.104.05",
                      "the config requires gpu>=2; 1 found"]


def test_exp001_entry_whose_marker_is_false_is_not_checked():
    assert required(cpu_box(), "gpu; sys_platform == 'win32'") == []
    assert len(required(cpu_box(), "gpu; sys_platform == 'linux'")) == 1


def test_exp001_unpinned_torch_is_never_an_automatic_install():
    (finding,) = required(cpu_box(), "torch")
    assert finding.fix.kind == "manual"


@pytest.mark.parametrize("text, problem", [
    ("torch>=", "not a requirement"),
    ("gpu>=two", "not a requirement"),
    ("gpu>=2.5", "whole number"),
    ("vllm[tensorizer]", "extras"),
    ("pkg @ https://example.com/pkg.whl", "URL"),
])
def test_bad_require_entries_are_rejected(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_expectation(Declared(text))


def test_config_require_errors_name_the_entry(tmp_path):
    from envdoctor.config import load_settings

    (tmp_path / "pyproject.toml").write_text('[tool.envdoctor]\nrequire = [\n  "torch>=2.9",\n  "gpu>=2.5",\n]\n')
    with pytest.raises(UsageError, match=r"pyproject.toml, \[tool.envdoctor\], key 'require\[1\]': 'gpu>=2.5'"):
        load_settings(str(tmp_path))
    (tmp_path / "pyproject.toml").write_text('[tool.envdoctor]\nrequire = [\n  "torch>=2.9",\n  \'gpu\',\n]\n')
    settings = load_settings(str(tmp_path))
    assert [(e.declared.text, e.declared.line) for e in settings.require] == [("torch>=2.9", 3), ("gpu", 4)]


def test_without_require_exp001_is_not_run():
    assert "EXP001" not in {spec.code for spec in with_inputs(expectations=None)}


# --- the diff and EXP002 -------------------------------------------------------------------------


def test_identical_environments_do_not_differ():
    assert diff_facts(cuda_box(), cuda_box()) == []
    assert drifted(cuda_box(), cuda_box()) == []


def test_diff_orders_areas_by_their_highest_impact():
    before = cuda_box(dists=[dist("six", "1.16.0"), dist("idna", "3.7"), dist("rich", "13.1.0")], env={"PIP_INDEX_URL": "a"})
    after = cuda_box(torch="2.11.0+cu128", cuda="12.8", driver="570.1", dists=[dist("six", "1.17.0"), dist("rich", "14.0.0"),
                     dist("attrs", "25.1.0")], env={"PIP_INDEX_URL": "b", "CUDA_VISIBLE_DEVICES": "1"})
    found = [(d.area, d.subject, d.change, d.impact) for d in diff_facts(before, after)]
    assert found == [
        ("accelerator", "NVIDIA driver", "changed", "high"),
        ("torch build", "torch build tag", "changed", "high"),
        ("torch build", "torch CUDA runtime", "changed", "high"),
        ("distributions", "idna", "removed", "high"),
        ("distributions", "rich", "changed", "high"),  # another major release
        ("distributions", "torch", "changed", "high"),  # an ML-stack package
        ("distributions", "six", "changed", "medium"),
        ("distributions", "attrs", "added", "low"),
        ("environment", "CUDA_VISIBLE_DEVICES", "added", "medium"),
        ("environment", "PIP_INDEX_URL", "changed", "low"),
    ]


def test_paths_are_compared_relative_to_each_prefix():
    before = cuda_box(env={"CUDA_HOME": "/venv/cuda"})
    moved = json.dumps(before.to_dict()).replace('"/venv', '"/elsewhere/venv')  # the same venv built in another folder
    after = Facts.from_dict(json.loads(moved))
    assert after.interpreter.prefix == "/elsewhere/venv" and after.distributions[0].location.startswith("/elsewhere/venv/")
    assert diff_facts(before, after) == []
    assert [d.subject for d in diff_facts(before, dataclasses.replace(after, interpreter=before.interpreter))] != []


def test_exp002_rates_by_impact_and_skips_shell_only_variables():
    before = cuda_box(dists=[dist("six", "1.16.0")], env={"PIP_INDEX_URL": "a"})
    after = cuda_box(driver="570.1", dists=[dist("six", "1.16.1"), dist("attrs", "25.1.0")],
                     env={"PIP_INDEX_URL": "b", "CUDA_VISIBLE_DEVICES": "1"})
    found = {f.subject: f for f in drifted(before, after)}
    assert sorted(found) == ["CUDA_VISIBLE_DEVICES", "NVIDIA driver", "attrs", "six"]
    assert found["NVIDIA driver"].severity is Severity.ERROR
    assert found["CUDA_VISIBLE_DEVICES"].severity is Severity.WARNING
    assert found["six"].severity is Severity.INFO
    assert found["six"].title == "six: 1.16.0 -> 1.16.1 (changed since the known-good snapshot)"
    assert found["six"].fix.parameters == {"requirement": "six==1.16.0"}
    assert found["attrs"].fix.kind == "manual"
