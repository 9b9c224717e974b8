"""The fix flow on a real temporary environment: plan, confirm, apply, verify, roll back, undo.

The target is a folder laid out like a venv (pyvenv.cfg, bin/python, site-packages with
dist-info folders). Its `bin/python` is a stand-in shell script: the plan's real command
`bin/python -m pip install 'idna<4,>=2.5'` runs it, and it does what the file `behaviour`
says (install idna 3.7, fail with exit 1, install idna and break another distribution, do
nothing). `collect` reads the folder's dist-info METADATA files into Facts every time it is
called, as the probe reads metadata, so verification sees what the command really did.
Fast (no venv is built): tests/mutation runs these against every mutant of fixes/flow.py.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import List

import pytest

from envdoctor.errors import ProbeError, UsageError
from envdoctor.fixes import flow
from envdoctor.fixes.flow import FixOptions
from envdoctor.fixes.journal import Journal
from envdoctor.model.facts import FACTS_SCHEMA_VERSION, Facts
from envdoctor.registry import load_registry
from tests.helpers.facts import MARKERS, dist, interpreter
from tests.helpers.venvs import tree_state

SITE_REL = "lib/python3.11/site-packages"

STAND_IN_PYTHON = """#!/bin/sh
# Stand-in for the target's python: only `-m pip install ...` is ever run by these tests.
env="$(cd "$(dirname "$0")/.." && pwd)"
site="$env/lib/python3.11/site-packages"
install_idna() {
    ls -l /proc/$$/fd > "$env/../descriptors" 2>/dev/null  # beside the target: what the command inherited
    rm -rf "$site/idna-2.0.dist-info"
    mkdir "$site/idna-3.7.dist-info"
    printf 'Metadata-Version: 2.1\\nName: idna\\nVersion: 3.7\\n' > "$site/idna-3.7.dist-info/METADATA"
}
case " $* " in
    *" --dry-run "*)  # fix's resolution in advance: changes nothing
        if [ "$(cat "$env/behaviour")" = unresolvable ]; then echo "ERROR: ResolutionImpossible" >&2; exit 1; fi
        echo '{"install": []}'; exit 0 ;;
esac
echo "stand-in pip: $*"
case "$(cat "$env/behaviour")" in
    good) install_idna ;;
    fail) rm -rf "$site/idna-2.0.dist-info"; echo "ERROR: No matching distribution found for idna<4" >&2; exit 1 ;;
    breaks) install_idna
            mkdir "$site/broken-1.0.dist-info"
            printf 'Name: broken\\nVersion: 1.0\\nRequires-Dist: missing-thing\\n' > "$site/broken-1.0.dist-info/METADATA" ;;
    crash) install_idna; touch "$site/crash.pth" ;;
    nothing) ;;
esac
"""


def _metadata(name: str, version: str, requires: List[str] = ()) -> str:
    lines = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    return "\n".join(lines + [f"Requires-Dist: {r}" for r in requires]) + "\n"


def make_target(root: Path, behaviour: str, requirers=("requests",)) -> Path:
    """A venv-shaped folder: requirers need idna<4,>=2.5 and idna 2.0 is installed (REQ002)."""
    env = root / "env"
    site = env / SITE_REL
    site.mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (env / "behaviour").write_text(behaviour)
    python = env / "bin" / "python"
    python.parent.mkdir()
    python.write_text(STAND_IN_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    installed = [("pip", "24.0", []), ("idna", "2.0", [])] + [(name, "2.32.3", ["idna<4,>=2.5"]) for name in requirers]
    for name, version, requires in installed:
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(_metadata(name, version, requires))
    return env


def collect(env: Path) -> Facts:
    """Facts of the folder as it is now: every dist-info's Name, Version and Requires-Dist."""
    site = str(env / SITE_REL)
    if os.path.exists(os.path.join(site, "crash.pth")):
        raise ProbeError("the target's interpreter exited at start-up (crash.pth)")  # as run_probe does
    dists = []
    for folder in sorted(os.listdir(site)):
        if not folder.endswith(".dist-info"):
            continue
        fields = {"Requires-Dist": []}
        for line in Path(site, folder, "METADATA").read_text().splitlines():
            key, _, value = line.partition(": ")
            fields["Requires-Dist"].append(value) if key == "Requires-Dist" else fields.setdefault(key, value)
        dists.append(dist(fields["Name"], fields["Version"], requires=fields["Requires-Dist"], location=site))
    facts = interpreter()
    facts.update(executable=str(env / "bin" / "python"), prefix=str(env), exec_prefix=str(env), site_packages=[site])
    return Facts.from_dict({
        "schema_version": FACTS_SCHEMA_VERSION, "envdoctor_version": "test",
        "target": {"python": str(env / "bin" / "python"), "cwd": str(env), "source": "--python"},
        "interpreter": facts, "markers": dict(MARKERS), "distributions": dists,
    })


CHECKS = [load_registry().by_code()[code] for code in ("REQ001", "REQ002")]
YES = FixOptions(yes=True, dry_run=False, unsafe=False)


class Run:
    """One `fix` over a target: its exit code, what it wrote, and the journal entry it left."""

    def __init__(self, env: Path, options: FixOptions = YES, **keywords):
        self.env = env
        self.written: List[str] = []
        self.probes = 0
        self.code = flow.fix(options, self.probe, CHECKS, self.written.append, **keywords)

    def probe(self) -> Facts:
        self.probes += 1
        return collect(self.env)

    @property
    def entry(self):
        entries = Journal(str(self.env)).entries()
        assert len(entries) == 1, entries
        return entries[0]


def without_journal(state: dict) -> dict:
    return {path: value for path, value in state.items() if not path.startswith(".envdoctor")}


def test_a_fix_that_works_is_verified_and_can_be_undone(tmp_path, capsys):
    env = make_target(tmp_path, "good")
    before = tree_state(env)
    run = Run(env)
    assert run.code == 0 and run.probes == 2
    assert "install idna<4,>=2.5" in run.written[0]
    assert run.written[-1] == "Summary: fixed 1\n"
    site = env / SITE_REL
    assert (site / "idna-3.7.dist-info").is_dir() and not (site / "idna-2.0.dist-info").exists()
    entry = run.entry
    assert entry.status == "verified"
    assert entry.data["verification"] == {"still_present": [], "new_errors": []}
    assert entry.data["versions_before"]["idna"] == "2.0" and entry.data["versions_after"]["idna"] == "3.7"
    assert [step["status"] for step in entry.data["steps"]] == ["done"]
    assert entry.data["target_python"] == str(env / "bin" / "python")
    assert [(p["fixer"], p["kind"]) for p in entry.data["plans"]] == [("install-requirement", "reinstall")]
    err = capsys.readouterr().err
    assert f"journal entry {entry.id} ({entry.path})" in err and "nothing applied" not in err
    assert "fixed: REQ002" in err and f"undo with: envdoctor undo {entry.id} --python {env}/bin/python" in err

    out: List[str] = []
    assert flow.undo(str(env / "bin" / "python"), None, False, out.append) == 0
    assert without_journal(tree_state(env)) == without_journal(before)
    assert Journal(str(env)).entries()[0].status == "undone"
    assert ("  removed " + str(site / "idna-3.7.dist-info") + "\n") in out
    assert ("  restored " + str(site / "idna-2.0.dist-info") + "\n") in out
    with pytest.raises(UsageError, match="nothing to undo"):
        flow.undo(str(env / "bin" / "python"), None, False, out.append)
    with pytest.raises(UsageError, match=f"is undone; there is nothing to undo"):
        flow.undo(str(env / "bin" / "python"), entry.id, False, out.append)


@pytest.mark.parametrize("behaviour, because, verification", [
    ("fail", "a step failed", None),
    ("breaks", "verification failed", {"still_present": [], "new_errors": [
        "REQ001 broken 1.0 requires missing-thing, which is not installed"]}),
    ("nothing", "verification failed", {"still_present": ["REQ002 requests"], "new_errors": []}),
    ("crash", "verification could not run", None),
])
def test_a_fix_that_fails_or_breaks_something_is_rolled_back_byte_identical(tmp_path, capsys, behaviour, because,
                                                                            verification):
    env = make_target(tmp_path, behaviour)
    before = tree_state(env)
    run = Run(env)
    assert run.code == 1
    assert without_journal(tree_state(env)) == without_journal(before)
    assert run.written[-1] == "Summary: fixed 0\n"  # applied, then rolled back: not counted as fixed
    entry = run.entry
    assert entry.status == "rolled-back" and entry.data["rolled_back_because"] == because
    assert entry.data["verification"] == verification
    err = capsys.readouterr().err
    assert f"rolled back ({because}):" in err
    if behaviour == "fail":
        assert entry.data["steps"] == [dict(entry.data["steps"][0], status="failed", returncode=1)]
        assert "step 1 failed (exit 1)" in err and "No matching distribution found for idna<4" in err
    if behaviour == "breaks":
        assert "verification failed: new error REQ001 broken 1.0 requires missing-thing" in err
    if behaviour == "nothing":
        assert "verification failed: REQ002 requests 2.32.3 requires idna<4,>=2.5" in err
    # A closed entry is not in the way of the next fix, and there is nothing to undo.
    with pytest.raises(UsageError, match="nothing to undo"):
        flow.undo(str(env / "bin" / "python"), None, False, [].append)


def test_an_error_that_was_there_before_is_not_new(tmp_path):
    env = make_target(tmp_path, "good")
    site = env / SITE_REL
    (site / "broken-1.0.dist-info").mkdir()
    # An unpinned torch is never planned (reinstall.py): REQ001 stays, unfixable, before and after.
    (site / "broken-1.0.dist-info" / "METADATA").write_text(_metadata("broken", "1.0", ["torch"]))
    run = Run(env)
    assert run.code == 1  # still not clean, but the fix is verified: the old error is not new
    assert run.entry.status == "verified"
    assert "REQ001" in run.written[0]  # listed as what cannot be fixed automatically
    assert run.written[-1] == "Summary: fixed 1 · 1 by hand only (see 'No automatic fix for' above)\n"


def test_interrupted_during_a_step_is_rolled_back_and_reraised(tmp_path):
    env = make_target(tmp_path, "good")
    before = tree_state(env)

    def interrupt(index):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Run(env, after_step=interrupt)
    assert without_journal(tree_state(env)) == without_journal(before)
    entry = Journal(str(env)).entries()[0]
    assert entry.status == "rolled-back" and entry.data["rolled_back_because"] == "interrupted"


def test_interrupted_verification_is_rolled_back_and_reraised(tmp_path):
    env = make_target(tmp_path, "good")
    before = tree_state(env)
    calls = []

    def probe():
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return collect(env)

    with pytest.raises(KeyboardInterrupt):
        flow.fix(YES, probe, CHECKS, [].append)
    assert without_journal(tree_state(env)) == without_journal(before)
    assert Journal(str(env)).entries()[0].data["rolled_back_because"] == "verification could not run"


def test_a_killed_fix_must_be_undone_before_the_next(tmp_path):
    env = make_target(tmp_path, "good")
    before = tree_state(env)

    class Killed(Exception):
        """Stands for kill -9 after the step: no handler of envdoctor's runs."""

    def kill(index):
        raise Killed

    with pytest.raises(Killed):
        Run(env, after_step=kill)
    entry = Journal(str(env)).entries()[0]
    assert entry.status == "applying"
    with pytest.raises(UsageError, match=f"earlier fix \\({entry.id}, status applying\\) did not finish; "
                                         f"run `envdoctor undo {entry.id} --python {env}/bin/python` first"):
        Run(env)
    listed: List[str] = []
    assert flow.undo(str(env / "bin" / "python"), None, True, listed.append) == 0
    assert listed == [f"{entry.id}  applying     {entry.data['created']}  install idna<4,>=2.5\n"]
    assert flow.undo(str(env / "bin" / "python"), entry.id, False, [].append) == 0
    assert without_journal(tree_state(env)) == without_journal(before)
    assert Run(env).code == 0  # the next fix goes ahead


def test_undo_of_a_fix_killed_while_backing_up_discards_the_backup(tmp_path, capsys):
    env = make_target(tmp_path, "good")
    facts = collect(env)
    plans = list(flow.build_plans(flow.run_checks(CHECKS, facts), facts).plans)
    entry = Journal(str(env)).create(facts.target.python, plans, flow.versions(facts))
    assert flow.undo(str(env / "bin" / "python"), None, False, [].append) == 0
    entry = Journal(str(env)).entries()[0]
    assert entry.status == "abandoned" and not entry.snapshot_dir.exists()
    assert "stopped before changing anything; marked abandoned" in capsys.readouterr().err


def test_undo_list_without_entries(tmp_path):
    env = make_target(tmp_path, "good")
    out: List[str] = []
    assert flow.undo(str(env / "bin" / "python"), None, True, out.append) == 0
    assert out == [f"no journal entries in {env}/.envdoctor/journal\n"]


def _one_install_plan(plans) -> bool:
    return [plan.summary for plan in plans] == ["install idna<4,>=2.5"]


NOT_A_TERMINAL = "not a terminal and no --yes: nothing was changed (run again with --yes to apply)"


@pytest.mark.parametrize("options, confirm, applied, said", [
    (FixOptions(yes=False, dry_run=True, unsafe=False), None, False, "dry run: nothing was changed"),
    (FixOptions(yes=True, dry_run=True, unsafe=False), None, False, "dry run: nothing was changed"),
    (FixOptions(yes=False, dry_run=False, unsafe=False), None, False, NOT_A_TERMINAL),
    (FixOptions(yes=False, dry_run=False, unsafe=False), lambda plans: False, False, "nothing applied"),
    (FixOptions(yes=False, dry_run=False, unsafe=False), _one_install_plan, True, "fixed: REQ002"),
])
def test_only_a_yes_or_a_confirmation_applies(tmp_path, capsys, options, confirm, applied, said):
    env = make_target(tmp_path, "good")
    before = tree_state(env)
    run = Run(env, options, confirm=confirm)
    assert f"envdoctor: {said}" in capsys.readouterr().err
    assert run.code == (0 if applied else 1)
    assert "install idna<4,>=2.5" in run.written[0]
    assert run.written[-1] == ("Summary: fixed 1\n" if applied else "Summary: fixed 0 · 1 not applied\n")
    if applied:
        assert run.entry.status == "verified"
    else:
        assert tree_state(env) == before  # no journal either


def test_unsafe_plans_need_unsafe(tmp_path, capsys):
    env = make_target(tmp_path, "good")
    facts = collect(env)
    plans = list(flow.build_plans(flow.run_checks(CHECKS, facts), facts).plans)
    unsafe = [plan.__class__(**{**plan.__dict__, "safe": False}) for plan in plans]
    assert flow._choose(unsafe, YES, None) == []
    err = capsys.readouterr().err
    assert "it is unsafe; add --unsafe to apply it" in err and "envdoctor: nothing applied" in err
    assert flow._choose(unsafe, FixOptions(yes=True, dry_run=False, unsafe=True), None) == unsafe
    assert flow._choose(plans, YES, None) == plans


def test_the_tally_says_what_waits_for_unsafe_and_what_for_a_yes(tmp_path):
    env = make_target(tmp_path, "good")
    facts = collect(env)
    (plan,) = flow.build_plans(flow.run_checks(CHECKS, facts), facts).plans
    unsafe = plan.__class__(**{**plan.__dict__, "safe": False})
    # --yes without --unsafe: the unsafe plans wait for --unsafe, the others were not chosen.
    assert flow._tally([], [unsafe], YES, 0) == "Summary: fixed 0 · 1 needs --unsafe\n"
    assert flow._tally([], [unsafe, unsafe, plan], YES, 0) == "Summary: fixed 0 · 2 need --unsafe · 1 not applied\n"
    # Without --yes a "no" (or no terminal) left them, unsafe or not; with --unsafe nothing waits for it.
    asked = FixOptions(yes=False, dry_run=False, unsafe=False)
    assert flow._tally([plan], [unsafe], asked, 0) == "Summary: fixed 1 · 1 not applied\n"
    assert flow._tally([], [unsafe], FixOptions(yes=True, dry_run=False, unsafe=True), 2) == (
        "Summary: fixed 0 · 1 not applied · 2 by hand only (see 'No automatic fix for' above)\n")


def test_one_plan_for_findings_that_need_the_same_command(tmp_path):
    env = make_target(tmp_path, "good", requirers=("requests", "httpx"))
    site = env / SITE_REL
    for name, version, requires in (("zlib-user", "1.0", ["zzz>=1"]), ("zzz", "0.5", [])):
        (site / f"{name}-{version}.dist-info").mkdir()
        (site / f"{name}-{version}.dist-info" / "METADATA").write_text(_metadata(name, version, requires))
    facts = collect(env)
    run = flow.run_checks(CHECKS, facts)
    assert [f.subject for f in run.findings] == ["httpx", "requests", "zlib-user"]
    combined = flow.build_plans(run, facts)
    # Two findings needing the same command share one plan; the distinct install joins it in the
    # run's one resolution (fixes/combined.py), and its own plan says so.
    assert [plan.summary for plan in combined.plans] == [
        "install idna<4,>=2.5, zzz>=1",
        "install zzz>=1 (in the one resolution of REQ002 httpx's plan)",
    ] and combined.unfixable == ()
    assert [len(plan.actions) for plan in combined.plans] == [1, 0]


def test_nothing_to_fix(tmp_path):
    env = make_target(tmp_path, "good", requirers=())
    before = tree_state(env)
    assert Run(env).code == 0
    assert tree_state(env) == before
    # Only an error without an automatic fix: nothing to apply, and still a failure.
    (env / SITE_REL / "broken-1.0.dist-info").mkdir()
    (env / SITE_REL / "broken-1.0.dist-info" / "METADATA").write_text(_metadata("broken", "1.0", ["torch"]))
    assert Run(env).code == 1
    assert not (env / ".envdoctor").exists()


def _always_warns():
    from envdoctor.api import CHECK_ATTRIBUTE, Severity, check, report

    @check(code="TST001", name="always-warns", summary="A warning that no fix removes.", needs=("distributions",))
    def always_warns(facts):
        """Warns about every target."""
        yield report(Severity.WARNING, "a warning that stays", subject="target")

    return getattr(always_warns, CHECK_ATTRIBUTE)


def test_only_a_warning_without_a_fix_is_not_a_failure(tmp_path):
    env = make_target(tmp_path, "good", requirers=())
    assert flow.fix(YES, lambda: collect(env), CHECKS + [_always_warns()], [].append) == 0


def test_target_prefix(tmp_path):
    env = make_target(tmp_path, "good")
    assert flow.target_prefix(str(env / "bin" / "python")) == str(env)  # from pyvenv.cfg, nothing run
    # Elsewhere the interpreter is asked, with -S: stand-ins that answer only that exact question, or fail.
    (tmp_path / "sys" / "bin").mkdir(parents=True)
    answering = tmp_path / "sys" / "bin" / "python"
    answering.write_text('#!/bin/sh\n[ "$*" = "-S -c import sys; print(sys.prefix)" ] && echo /opt/base\n')
    answering.chmod(0o755)
    assert flow.target_prefix(str(answering)) == "/opt/base"
    long_error = "e" * 299 + "broken site"
    answering.write_text(f"#!/bin/sh\necho /opt/base; echo start{long_error} >&2; exit 1\n")
    with pytest.raises(UsageError) as failure:
        flow.target_prefix(str(answering))
    assert str(failure.value) == f"cannot find the prefix of {answering}: {long_error[-300:]}"
    answering.write_text("#!/bin/sh\nexit 0\n")  # says nothing
    with pytest.raises(UsageError, match="cannot find the prefix of"):
        flow.target_prefix(str(answering))
    with pytest.raises(UsageError, match="cannot run"):
        flow.target_prefix(str(tmp_path / "no" / "bin" / "python"))


def _entry_with_changes(env: Path, count: int):
    """An applied entry whose undo puts back `count` paths: files created after the backup."""
    site = env / SITE_REL
    facts = collect(env)
    plans = list(flow.build_plans(flow.run_checks(CHECKS, facts), facts).plans)
    second = plans[0].__class__(**{**plans[0].__dict__, "summary": "second plan"})
    entry = Journal(str(env)).create(facts.target.python, [plans[0], second], {})
    from envdoctor.fixes import backup
    backup.take(entry.data["roots"], entry.snapshot_dir)
    entry.update(status="applied")
    for index in range(count):
        (site / f"new-{index:02d}.py").write_text("x")
    return entry


@pytest.mark.parametrize("count, more", [(20, None), (21, "  ... and 1 more\n"), (25, "  ... and 5 more\n")])
def test_undo_lists_twenty_changes_and_counts_the_rest(tmp_path, capsys, count, more):
    env = make_target(tmp_path, "good")
    entry = _entry_with_changes(env, count)
    listed: List[str] = []
    flow.undo(str(env / "bin" / "python"), None, True, listed.append)
    assert listed == [f"{entry.id}  applied      {entry.data['created']}  install idna<4,>=2.5; second plan\n"]
    out: List[str] = []
    assert flow.undo(str(env / "bin" / "python"), entry.id, False, out.append) == 0
    assert f"undid {entry.id}: {count} path(s) put back as they were" in capsys.readouterr().err
    assert len(out) == min(count, 20) + (more is not None)
    shown = out[:20]
    assert len(set(shown)) == len(shown) and all(line.startswith(f"  removed {env / SITE_REL}/new-") for line in shown)
    assert out[20:] == ([more] if more else [])


def test_a_warning_left_after_a_verified_fix_is_not_a_failure(tmp_path):
    env = make_target(tmp_path, "good")
    code = flow.fix(YES, lambda: collect(env), CHECKS + [_always_warns()], [].append)
    assert code == 0
    assert Journal(str(env)).entries()[0].status == "verified"


def test_dry_run_says_so(tmp_path, capsys):
    env = make_target(tmp_path, "good")
    assert Run(env, FixOptions(yes=True, dry_run=True, unsafe=False)).code == 1
    assert "envdoctor: dry run: nothing was changed" in capsys.readouterr().err


def test_a_crashed_verification_says_why(tmp_path, capsys):
    env = make_target(tmp_path, "crash")
    assert Run(env).code == 1
    assert "verification could not run: the target's interpreter exited at start-up (crash.pth)" in capsys.readouterr().err


def test_versions_of_a_distribution_without_one_are_empty():
    from tests.helpers.facts import make_facts
    assert flow.versions(make_facts(dists=[dist("a", "1.0"), dist("b", None)])) == {"a": "1.0", "b": ""}


# --- what the OS package manager owns is never changed (issue 16) ------------------------------


def _with(facts: Facts, interpreter=None, dists=None) -> Facts:
    import dataclasses

    changed = {}
    if interpreter:
        changed["interpreter"] = dataclasses.replace(facts.interpreter, **interpreter)
    if dists:
        changed["distributions"] = tuple(dataclasses.replace(d, **dists.get(d.name, {})) for d in facts.distributions)
    return dataclasses.replace(facts, **changed)


def test_an_externally_managed_prefix_gets_no_plan_and_is_told_why(tmp_path):
    env = make_target(tmp_path, "good")
    facts = _with(collect(env), interpreter={"externally_managed": "/usr/lib/python3.11/EXTERNALLY-MANAGED"})
    combined = flow.build_plans(flow.run_checks(CHECKS, facts), facts)
    assert combined.plans == () and [f.code for f in combined.unfixable] == ["REQ002"]
    assert combined.conflict == (
        f"{env} is externally managed (PEP 668, /usr/lib/python3.11/EXTERNALLY-MANAGED): envdoctor changes "
        "nothing the OS package manager owns; install into a virtual environment "
        "(python3 -m venv --system-site-packages VENV) or use the OS package")


def test_a_dpkg_owned_distribution_is_not_reinstalled_by_pip(tmp_path):
    env = make_target(tmp_path, "good", requirers=())
    (env / SITE_REL / "idna-2.0.dist-info" / "RECORD").write_text("idna/__init__.py,,\n")  # its code is gone: INT001
    facts = collect(env)
    facts = _with(facts, dists={"idna": {"record": "RECORD", "record_count": 1, "missing_count": 1,
                                          "missing_files": ("idna/__init__.py",)}})
    checks = [load_registry().by_code()["INT001"]]
    planned = flow.build_plans(flow.run_checks(checks, facts), facts)
    assert [plan.code for plan in planned.plans] == ["INT001"] and planned.conflict == ""  # the near miss
    owned = _with(facts, dists={"idna": {"os_package": "python3-idna"}})
    refused = flow.build_plans(flow.run_checks(checks, owned), owned)
    assert refused.plans == () and [f.code for f in refused.unfixable] == ["INT001"]
    assert refused.conflict == ("idna: installed by the OS package manager; reinstall the OS package "
                                "(apt-get install --reinstall ...) instead")


def test_fix_prints_why_nothing_was_planned(tmp_path, capsys):
    env = make_target(tmp_path, "good")
    marker = "/usr/lib/python3.11/EXTERNALLY-MANAGED"
    written: List[str] = []
    code = flow.fix(YES, lambda: _with(collect(env), interpreter={"externally_managed": marker}), CHECKS, written.append)
    assert code == 1  # the REQ002 error stays
    assert f"Not planned: {env} is externally managed (PEP 668, {marker})" in written[0]
    assert "No automatic fix for:\n  REQ002" in written[0]


def test_every_reason_for_not_planning_is_said_once(tmp_path):
    """Two dpkg-owned incomplete distributions refused, and an install the resolver cannot satisfy:
    one sentence each, joined."""
    env = make_target(tmp_path, "unresolvable")
    site = env / SITE_REL
    for name in ("idna", "pip"):
        info = next(site.glob(f"{name}-*.dist-info"))
        (info / "RECORD").write_text(f"{name}/__init__.py,,\n")
    missing = {"record": "RECORD", "record_count": 1, "missing_count": 1}
    facts = _with(collect(env), dists={
        "idna": {**missing, "missing_files": ("idna/__init__.py",), "os_package": "python3-idna"},
        "pip": {**missing, "missing_files": ("pip/__init__.py",), "os_package": "python3-pip"}})
    checks = [load_registry().by_code()[code] for code in ("INT001", "REQ002")]
    combined = flow.build_plans(flow.run_checks(checks, facts), facts)
    assert combined.plans == ()
    assert combined.conflict == (
        "idna, pip: installed by the OS package manager; reinstall the OS package (apt-get install --reinstall ...) "
        "instead; pip cannot resolve idna<4,>=2.5 together: ERROR: ResolutionImpossible")


def test_progress_lines_on_stderr_are_masked(tmp_path, capsys):
    """The step lines name the command, whose argv holds the target's path: a token in it is masked."""
    token = "ghp_" + "T" * 36
    env = make_target(tmp_path / token, "good")
    assert Run(env).code == 0
    err = capsys.readouterr().err
    assert "[1] run" in err and "[redacted]" in err and token not in err


# --- one fix or undo at a time; undo waits for step processes, notices later changes -------------

import dataclasses  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

from envdoctor.fixes import backup, executor, step_processes  # noqa: E402
from envdoctor.fixes.lock import JournalBusy  # noqa: E402
from envdoctor.model.facts import Startup, StartupFailure  # noqa: E402
from envdoctor.model.plan import FixPlan, WriteFile  # noqa: E402


def python_of(env: Path) -> str:
    return str(env / "bin" / "python")


class Killed(Exception):
    """Stands for kill -9 after the step: no handler of envdoctor's runs."""


def killed_fix(env: Path):
    def kill(index):
        raise Killed

    with pytest.raises(Killed):
        Run(env, after_step=kill)
    return Journal(str(env)).entries()[0]


def test_undo_refuses_while_a_step_process_still_runs(tmp_path, capsys):
    env = make_target(tmp_path, "good")
    before = tree_state(env)
    entry = killed_fix(env)
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        entry.step(0, pid=sleeper.pid, pid_started=step_processes.start_time(sleeper.pid))
        with pytest.raises(UsageError) as refused:
            flow.undo(python_of(env), None, False, [].append)
        assert str(refused.value) == (f"step 1 of fix {entry.id} is still running (pid {sleeper.pid}); undo now would be "
                                      "overwritten by it. Wait until it has ended (or end it: kill PID), then run undo again")
        shown: List[str] = []
        assert flow.undo(python_of(env), None, False, shown.append, dry_run=True) == 0
        assert shown[0] == f"undo {entry.id} would put back 4 path(s):\n" and len(shown) == 5
        assert f"warning: step 1 of fix {entry.id} is still running (pid {sleeper.pid}); undo waits for it" in capsys.readouterr().err
        assert Journal(str(env)).entries()[0].status == "applying"
    finally:
        sleeper.kill()
        sleeper.wait()
    assert flow.undo(python_of(env), None, False, [].append) == 0
    assert without_journal(tree_state(env)) == without_journal(before)


def test_a_step_pid_of_another_process_does_not_block_undo(tmp_path):
    env = make_target(tmp_path, "good")
    entry = killed_fix(env)
    entry.step(0, pid=os.getpid(), pid_started="1")  # this pid now, but started at another time: reused
    entry.step(1, pid="x")
    assert flow.undo(python_of(env), None, False, [].append) == 0


def test_undo_refuses_to_revert_what_was_installed_after_the_fix(tmp_path, capsys):
    env = make_target(tmp_path, "good")
    site = env / SITE_REL
    run = Run(env)
    entry = run.entry
    assert entry.data["after_fix"] == backup.fingerprint(entry.snapshot_dir)
    capsys.readouterr()
    shown: List[str] = []
    assert flow.undo(python_of(env), None, False, shown.append, dry_run=True) == 0
    assert "warning" not in capsys.readouterr().err  # nothing changed since
    (site / "six-1.17.0.dist-info").mkdir()
    (site / "six.py").write_text("")
    changed = tree_state(env)
    with pytest.raises(UsageError) as refused:
        flow.undo(python_of(env), None, False, [].append)
    assert str(refused.value) == (
        f"the environment changed after fix {entry.id} (installed since: six-1.17.0.dist-info); undo would revert that "
        f"too. See what it would put back: envdoctor undo {entry.id} --dry-run --python {python_of(env)}; "
        "undo anyway with --force")
    shown = []
    assert flow.undo(python_of(env), entry.id, False, shown.append, dry_run=True) == 0
    assert f"  would be removed {site / 'six.py'}\n" in shown
    assert f"warning: the environment changed after fix {entry.id} (installed since: six-1.17.0.dist-info); undo " \
           "would revert that too (it asks for --force)" in capsys.readouterr().err
    assert tree_state(env) == changed
    assert flow.undo(python_of(env), None, False, [].append, force=True) == 0
    assert not (site / "six.py").exists() and (site / "idna-2.0.dist-info").is_dir()


@pytest.mark.parametrize("change, details", [
    (lambda site: os.rename(site / "requests-2.32.3.dist-info", site / "requests-2.32.4.dist-info"),
     "installed since: requests-2.32.4.dist-info; removed since: requests-2.32.3.dist-info"),
    (lambda site: (site / "requests-2.32.3.dist-info" / "RECORD").write_text(""),
     "files in the folders it changed were changed since"),
    (lambda site: (site / "y-1.egg-info").mkdir(), "installed since: y-1.egg-info"),
])
def test_every_later_change_is_named(tmp_path, change, details):
    env = make_target(tmp_path, "good")
    entry = Run(env).entry
    change(env / SITE_REL)
    with pytest.raises(UsageError, match="^" + re.escape(f"the environment changed after fix {entry.id} ({details}); ")):
        flow.undo(python_of(env), None, False, [].append)


def test_undo_dry_run_of_closed_and_unstarted_entries(tmp_path):
    env = make_target(tmp_path, "good")
    facts = collect(env)
    plans = list(flow.build_plans(flow.run_checks(CHECKS, facts), facts).plans)
    entry = Journal(str(env)).create(facts.target.python, plans, flow.versions(facts))
    shown: List[str] = []
    assert flow.undo(python_of(env), None, False, shown.append, dry_run=True) == 0
    assert shown == [f"{entry.id} is snapshotting: undo would put nothing back\n"]
    assert Journal(str(env)).entries()[0].status == "snapshotting"  # a dry run changes nothing
    entry.update(status="rolled-back")
    shown = []
    assert flow.undo(python_of(env), entry.id, False, shown.append, dry_run=True) == 0
    assert shown == [f"{entry.id} is rolled-back: undo would put nothing back\n"]


def test_undo_with_a_damaged_backup_changes_nothing(tmp_path):
    env = make_target(tmp_path, "good")
    entry = Run(env).entry
    for copy in (entry.snapshot_dir / "0").rglob("METADATA"):
        copy.unlink()
    fixed = tree_state(env)
    with pytest.raises(backup.BackupDamaged, match="is damaged: root 0: the backup copy of "):
        flow.undo(python_of(env), None, False, [].append)
    assert tree_state(env) == fixed and Journal(str(env)).entries()[0].status == "verified"


def unstartable(failure: StartupFailure):
    def probe(env):
        return dataclasses.replace(collect(env), startup=Startup(ok=False, failure=failure))
    return probe


@pytest.mark.parametrize("failure, said", [
    (StartupFailure("crash", "/s/evil.pth", 1, "import os; os._exit(3)", 3), "dies at start-up in line 1 of /s/evil.pth"),
    (StartupFailure("hang", "sitecustomize", None, None, None), "hangs at start-up in sitecustomize"),
])
def test_fix_runs_no_pip_through_an_interpreter_that_cannot_start(tmp_path, failure, said):
    env = make_target(tmp_path, "good")
    before = tree_state(env)
    with pytest.raises(UsageError) as refused:
        flow.fix(YES, lambda: unstartable(failure)(env), CHECKS, [].append)
    assert str(refused.value) == (f"{python_of(env)} {said} (PTH003), and the fix would run pip through it; nothing was "
                                  "changed. Fix PTH003 first (remove or repair that line), then run fix again")
    assert tree_state(env) == before


def test_a_start_up_failure_does_not_stop_a_plan_without_commands(tmp_path):
    env = make_target(tmp_path, "good")
    facts = unstartable(StartupFailure("crash", "/s/evil.pth", 1, "x", 3))(env)
    write = FixPlan(code="ABC001", subject="s", finding_title="t", fixer="f", kind="shim", summary="w", safe=True,
                    actions=(WriteFile(str(env / "w.py"), "w", "w"),))
    flow._refuse_unstartable([write], facts)
    flow._refuse_unstartable([write], dataclasses.replace(facts, startup=None))


def test_a_fix_waits_for_no_one_while_another_holds_the_lock(tmp_path):
    env = make_target(tmp_path, "good")
    before = tree_state(env)
    with Journal(str(env)).locked():
        with pytest.raises(JournalBusy):
            Run(env)
    assert without_journal(tree_state(env)) == without_journal(before)
    assert Journal(str(env)).entries() == []


def test_an_unfinished_fix_that_still_runs_is_busy_not_a_leftover(tmp_path):
    env = make_target(tmp_path, "good")
    entry = killed_fix(env)
    with Journal(str(env)).locked():
        with pytest.raises(JournalBusy):
            Run(env)
        with pytest.raises(JournalBusy):
            flow.undo(python_of(env), entry.id, False, [].append)
    assert Journal(str(env)).entries()[0].status == "applying"


def test_a_fix_that_ended_while_this_one_checked_makes_it_start_over(tmp_path):
    env = make_target(tmp_path, "good")
    journal = Journal(str(env))
    other = {}

    def probe():
        if not other:  # another fix ran to its end meanwhile
            other["entry"] = journal.create(python_of(env), [], {})
            other["entry"].update(status="verified")
        return collect(env)

    with pytest.raises(UsageError) as refused:
        flow.fix(YES, probe, CHECKS, [].append)
    assert str(refused.value) == (f"another fix or undo ({other['entry'].id}) changed this environment while this fix was "
                                  "checking it; nothing was changed: run fix again to plan from what is there now")
    assert [e.id for e in journal.entries()] == [other["entry"].id]
    assert flow.fix(YES, lambda: collect(env), CHECKS, [].append) == 0  # checked afterwards: goes ahead


def test_a_backup_that_cannot_be_taken_is_the_error_and_nothing_else(tmp_path, monkeypatch):
    env = make_target(tmp_path, "good")
    before = tree_state(env)

    def full(roots, into):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "take", full)
    with pytest.raises(executor.BackupFailed, match="no space left"):
        Run(env)
    assert without_journal(tree_state(env)) == without_journal(before) and Journal(str(env)).entries() == []


def test_half_built_entries_are_cleared_by_the_next_fix(tmp_path):
    env = make_target(tmp_path, "good")
    unborn = Journal(str(env)).root / ".new-x"
    unborn.mkdir(parents=True)
    assert Run(env).code == 0
    assert not unborn.exists()


def test_an_unfinished_entry_that_appeared_while_asking_is_a_leftover_under_the_lock(tmp_path):
    env = make_target(tmp_path, "good")
    journal = Journal(str(env))
    other = {}

    def confirm(plans):  # while the user read the question, another fix was killed half-way
        other["entry"] = journal.create(python_of(env), [], {})
        other["entry"].update(status="applying")
        return True

    with pytest.raises(UsageError, match=r"^an earlier fix \(.*, status applying\) did not finish; run `envdoctor undo"):
        flow.fix(FixOptions(yes=False, dry_run=False, unsafe=False), lambda: collect(env), CHECKS, [].append,
                 confirm=confirm)


def test_the_command_of_a_fix_holds_the_journal_lock(tmp_path):
    env = make_target(tmp_path, "good")
    assert Run(env).code == 0
    assert f"-> {env}/.envdoctor/journal\n" in (tmp_path / "descriptors").read_text()


def test_an_entry_written_at_the_very_moment_the_check_began_counts_as_meanwhile(tmp_path, monkeypatch):
    env = make_target(tmp_path, "good")
    journal = Journal(str(env))
    moment = 2_000_000_000.0
    monkeypatch.setattr(flow.time, "time", lambda: moment)

    def probe():
        if not journal.root.is_dir():
            other = journal.create(python_of(env), [], {})
            other.update(status="verified")
            os.utime(other.path / "entry.json", (moment, moment))
        return collect(env)

    with pytest.raises(UsageError, match="changed this environment while this fix was checking it"):
        flow.fix(YES, probe, CHECKS, [].append)


def test_several_later_installs_and_removals_are_listed(tmp_path):
    env = make_target(tmp_path, "good", requirers=("requests", "httpx"))
    entry = Run(env).entry
    site = env / SITE_REL
    for name in ("a-1.dist-info", "b-1.dist-info"):
        (site / name).mkdir()
    for name in ("requests-2.32.3.dist-info", "httpx-2.32.3.dist-info"):
        import shutil
        shutil.rmtree(site / name)
    with pytest.raises(UsageError, match="^" + re.escape(
            f"the environment changed after fix {entry.id} (installed since: a-1.dist-info, b-1.dist-info; "
            "removed since: httpx-2.32.3.dist-info, requests-2.32.3.dist-info); ")):
        flow.undo(python_of(env), None, False, [].append)
