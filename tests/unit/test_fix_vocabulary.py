"""One fix vocabulary: a finding proposes typed data, the target's installer renders it, and the
command a report shows is the command `envdoctor fix` runs."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from xml.etree import ElementTree

import pytest

from envdoctor.engine import CheckRun
from envdoctor.fixes import executor, flow
from envdoctor.fixes.fixer_api import FixContext
from envdoctor.fixes.journal import Journal
from envdoctor.fixes.patch import repoint_import
from envdoctor.fixes.reinstall import align_flashinfer_companions, install_requirement
from envdoctor.model.finding import Finding, FixProposal, Location, Severity
from envdoctor.model.plan import FIX_KINDS, FIXER_KINDS, FixPlan, InstallRequest, RunCommand, WriteFile
from envdoctor.report import Format, render
from envdoctor.report.context import ReportContext
from envdoctor.vocabulary.installer import fix_command, installer_for
from tests.helpers.facts import SITE, dist, make_facts

PIP_TARGET = make_facts(dists=[dist("pip", "24.0"), dist("requests", "2.32.3", requires=["idna<4,>=2.5"])])
UV_TARGET = make_facts(dists=[dist("requests", "2.32.3", requires=["idna<4,>=2.5"])])
IDNA = InstallRequest(("idna<4,>=2.5",))


def test_pip_where_the_target_has_pip_else_uv_pointed_at_it():
    assert installer_for(PIP_TARGET).command(IDNA) == "/venv/bin/python -m pip install 'idna<4,>=2.5'"
    assert installer_for(UV_TARGET).command(IDNA) == "uv pip install --python /venv/bin/python 'idna<4,>=2.5'"


@pytest.mark.parametrize("request_, pip_tail", [
    (InstallRequest(("six==1.16.0",), reinstall=True, no_deps=True), "install --force-reinstall --no-deps six==1.16.0"),
    (InstallRequest(("/src/aiter",), no_deps=True, editable=True, config_settings=("editable_mode=compat",)),
     "install --no-deps --config-settings editable_mode=compat -e /src/aiter"),
    (InstallRequest(("torch",), index_url="https://download.pytorch.org/whl/cu128"),
     "install torch --index-url https://download.pytorch.org/whl/cu128"),
    (InstallRequest(("triton", "pytorch-triton"), uninstall=True), "uninstall -y triton pytorch-triton"),
])
def test_every_request_shape_renders_alike_for_pip_and_uv(request_, pip_tail):
    verb, rest = pip_tail.split(" ", 1)
    assert installer_for(PIP_TARGET).command(request_) == f"/venv/bin/python -m pip {pip_tail}"
    assert installer_for(UV_TARGET).command(request_) == f"uv pip {verb} --python /venv/bin/python {rest}"


def test_a_command_written_by_hand_is_shown_as_is_and_an_install_wins():
    assert fix_command(FixProposal("manual", "do it", command="make it so"), UV_TARGET) == "make it so"
    assert fix_command(FixProposal("manual", "do it"), UV_TARGET) is None
    assert fix_command(FixProposal("reinstall", "x", install=IDNA), UV_TARGET).startswith("uv pip install")


def test_one_list_of_fix_kinds():
    from envdoctor import api

    assert api.FIX_KINDS is FIX_KINDS and set(FIXER_KINDS) == set(FIX_KINDS) - {"manual"}


REQ001 = Finding("REQ001", "missing-requirement", Severity.ERROR, "requests 2.32.3 requires idna<4,>=2.5, which is not installed",
                 subject="requests", location=Location(path=f"{SITE}/requests-2.32.3.dist-info", distribution="requests"),
                 fix=FixProposal("reinstall", "install idna<4,>=2.5", install=IDNA, parameters={"requirement": "idna<4,>=2.5"}),
                 key="requests->idna")


def _context(facts) -> ReportContext:
    return ReportContext(facts=facts, run=CheckRun(findings=(REQ001,), skipped=(), ran=("REQ001",)))


@pytest.mark.parametrize("facts, command", [
    (UV_TARGET, "uv pip install --python /venv/bin/python 'idna<4,>=2.5'"),
    (PIP_TARGET, "/venv/bin/python -m pip install 'idna<4,>=2.5'"),
])
def test_every_report_shows_the_command_for_the_targets_installer(facts, command):
    assert f"$ {command}" in render(Format.text, _context(facts))
    assert f"`{command}`" in render(Format.markdown, _context(facts))
    (result,) = json.loads(render(Format.sarif, _context(facts)))["runs"][0]["results"]
    assert f"`{command}`" in result["message"]["text"]
    assert command in ElementTree.fromstring(render(Format.junit, _context(facts))).find(".//failure").text
    (finding,) = json.loads(render(Format.json, _context(facts)))["findings"]
    assert finding["fix"]["command"] == command
    assert finding["fix"]["install"]["requirements"] == ["idna<4,>=2.5"]  # typed in the JSON too


def test_the_fixer_runs_exactly_the_command_the_report_shows(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    for facts in (UV_TARGET, PIP_TARGET):
        plan = install_requirement(REQ001, FixContext(facts))
        (command,) = plan.actions
        assert shlex.join(command.argv) == fix_command(REQ001.fix, facts)


def test_without_pip_or_uv_the_fixer_says_what_to_install(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(Exception, match="has no pip and uv is not on PATH"):
        install_requirement(REQ001, FixContext(UV_TARGET))


def test_flashinfer_companion_is_installed_from_the_proposed_index_without_dependencies():
    request = InstallRequest(("flashinfer-jit-cache==0.6.11.post1",), index_url="https://flashinfer.ai/whl/cu130")
    finding = Finding("FLI001", "n", Severity.ERROR, "t", subject="flashinfer-jit-cache",
                      fix=FixProposal("reinstall", "install it", install=request))
    (command,) = align_flashinfer_companions(finding, FixContext(PIP_TARGET)).actions
    assert command.argv[3:] == ("install", "--no-deps", "flashinfer-jit-cache==0.6.11.post1",
                                "--index-url", "https://flashinfer.ai/whl/cu130")


def test_patch_fixer_takes_typed_moves(tmp_path):
    source = tmp_path / "moe.py"
    source.write_text("import os\nfrom providerx.routing import topk, other\n")
    parameters = {"path": str(source), "line": 2, "module": "consumerx.moe", "moves": {"topk": "providerx.topk"}}
    finding = Finding("IMP002", "n", Severity.ERROR, "t", subject="consumerx",
                      fix=FixProposal("patch", "re-point", safe=False, parameters=parameters))
    (action,) = repoint_import(finding, FixContext(UV_TARGET)).actions
    assert action.text == "import os\nfrom providerx.routing import other\nfrom providerx.topk import topk\n"
    assert "(topk=providerx.topk)" in action.purpose


def test_a_fixers_plan_is_stamped_with_its_finding_and_round_trips(tmp_path):
    plan = FixPlan("s", [RunCommand(("uv", "pip"), "why", ("/site",))]).for_finding(REQ001, "install-requirement", "reinstall")
    assert (plan.code, plan.subject, plan.fixer, plan.kind) == ("REQ001", "requests", "install-requirement", "reinstall")
    data = plan.to_dict()
    assert data["actions"][0]["kind"] == "command" and data["actions"][0]["argv"] == ("uv", "pip")
    assert FixPlan.from_dict(json.loads(json.dumps(data))) == plan


OPTIONS = dict(dry_run=False, unsafe=False)
SAFE = FixPlan("s", (), code="A", subject="a")
UNSAFE = FixPlan("u", (), safe=False, code="B", subject="b")


def test_the_prompt_is_a_callback_and_without_one_nothing_is_applied():
    asked = []
    assert flow._choose([SAFE, UNSAFE], flow.FixOptions(yes=False, **OPTIONS), lambda plans: asked.append(plans) or True) == [SAFE, UNSAFE]
    assert asked == [[SAFE, UNSAFE]]
    assert flow._choose([SAFE], flow.FixOptions(yes=False, **OPTIONS), lambda plans: False) == []
    assert flow._choose([SAFE], flow.FixOptions(yes=False, **OPTIONS), None) == []
    assert flow._choose([SAFE, UNSAFE], flow.FixOptions(yes=True, **OPTIONS), None) == [SAFE]
    assert flow._choose([SAFE], flow.FixOptions(yes=True, dry_run=True, unsafe=False), lambda plans: True) == []


def test_the_executor_calls_back_after_each_step(tmp_path):
    written = [WriteFile(str(tmp_path / "site" / name), name, "test") for name in ("a", "b")]
    plan = FixPlan("write two files", tuple(written)).for_finding(REQ001, "test-fixer", "reinstall")
    entry = Journal(str(tmp_path)).create("/venv/bin/python", [plan], {})
    steps = []
    executor.apply(entry, lambda text: None, after_step=steps.append)
    assert steps == [0, 1] and entry.status == "applied"
    assert (tmp_path / "site" / "b").read_text() == "b"


# The one test variable shipped code reads, as issue 24 asks: the probe's stand-in root for /proc,
# /sys and /dev (docs/reference/test-variables.md), so the GPU collection runs on CPU machines.
DOCUMENTED_TEST_VARIABLES = {"ENVDOCTOR_TEST_SYSROOT": "envdoctor/probe/in_target/stack_facts.py"}


def test_no_test_hook_ships_in_envdoctor():
    import re

    root = Path(__file__).resolve().parents[2]
    documented = (root / "docs" / "reference" / "test-variables.md").read_text(encoding="utf-8")
    for folder, _, names in os.walk(root / "envdoctor"):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            for variable in re.findall(r"ENVDOCTOR_TEST_\w+", path.read_text(encoding="utf-8")):
                assert DOCUMENTED_TEST_VARIABLES.get(variable) == relative, f"{relative}: {variable}"
                assert variable in documented, f"{variable} is not in docs/reference/test-variables.md"
