"""All the installs of one `fix` run, planned together and resolved before anything changes.

Each finding's fixer plans its own install, and two such installs applied one after the
other can undo each other: with NumPy 2 under pandas 2.1.4, KB015 upgrades pandas (the
first release built for NumPy 2), then REQ002 installs `numpy<2` because pandas 2.1.4
asked for it — which the new pandas never did — and verification fails.  So the plain
installs of a run (no reinstall in place, no editable or index-specific install) become
one installer command:

- a requirement that only distributions this very command moves declared is dropped (the
  installer resolves what their new versions need); a plan left with nothing to install is
  kept as a note that the combined command settles it;
- requirements on one distribution are intersected (`--against` pins idna==3.10, REQ001
  wants idna<4,>=2.5: one `idna<4,==3.10,>=2.5`, one pip run);
- the command is resolved by the installer's own dry run (pip's `--dry-run --report`, uv's
  `--dry-run`) first: a resolution that fails means the constraints conflict, and then
  nothing is planned for them, with the resolver's words.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tempfile
from typing import Dict, List, Optional, Sequence, Set, Tuple

from envdoctor.model.facts import Facts, canonicalize
from envdoctor.model.finding import Finding
from envdoctor.model.plan import FixPlan, InstallRequest, RunCommand
from envdoctor.model.record import Record, record
from envdoctor.processes import ProcessTree
from envdoctor.vocabulary.installer import PIP
from envdoctor.vocabulary.requirements_in_force import active_requirements
from envdoctor.vocabulary.requires_dist import parse_requirement

# Findings whose install is what installed distributions declare; the others (knowledge-base
# rules, the config's `require`, a known-good snapshot) add a requirement of their own.
DECLARED = ("REQ001", "REQ002", "TOR001", "FLI002")
DRY_RUN_TIMEOUT = 300.0  # seconds; a resolver that needs longer is treated as a failed resolution


@record
class Planned(Record):
    """A finding and the plan its fixer made for it."""

    finding: Finding
    plan: FixPlan


@record
class Combined(Record):
    """What combining did: the plans to show and apply, and the findings left without one."""

    plans: Tuple[FixPlan, ...]
    unfixable: Tuple[Finding, ...] = ()
    conflict: str = ""  # the resolver's words when the constraints cannot all hold


def plain_install(plan: FixPlan) -> Optional[InstallRequest]:
    """The request of a plan that is one ordinary install, else None."""
    if len(plan.actions) != 1 or not isinstance(plan.actions[0], RunCommand):
        return None
    request = plan.actions[0].request
    if request is None or request.uninstall or request.reinstall or request.no_deps or request.editable:
        return None
    if request.index_url or request.config_settings:
        return None
    return request


def combine_installs(planned: Sequence[Planned], facts: Facts, context) -> Combined:
    """The plans with every plain install merged into the first of them (see the module's docstring)."""
    joinable = [item for item in planned if plain_install(item.plan) is not None]
    if not joinable:
        return Combined(tuple(item.plan for item in planned))
    wanted = _requirements_in_force(joinable, facts)
    requirements = tuple(_intersected(wanted))
    if not requirements:
        return Combined(tuple(item.plan for item in planned))
    request = InstallRequest(requirements)
    ok, said = resolve_dry_run(context, request)
    if not ok:
        conflict = f"{context.installer().name} cannot resolve {', '.join(requirements)} together: {said}"
        kept = tuple(item.plan for item in planned if item not in joinable)
        return Combined(kept, tuple(item.finding for item in joinable), conflict)
    return Combined(_merged(planned, joinable, request, wanted, said, context))


def _requirements_in_force(joinable: Sequence[Planned], facts: Facts) -> Dict[int, List[str]]:
    """For each joinable plan (by position), the requirements it still needs once every other
    plan's distribution moves; found as a fixed point, since dropping one plan can un-move a
    distribution another plan's requirement came from."""
    declared = active_requirements(facts)
    installed = facts.active_distributions()
    moving: Set[str] = {key for item in joinable for key in _keys(item.plan)}
    while True:
        wanted: Dict[int, List[str]] = {}
        for index, item in enumerate(joinable):
            texts = _needed(item, declared, moving)
            missing = [key for key in _keys(item.plan) if key not in installed]
            if texts or missing:
                # A missing distribution whose requirers all move is installed by name: the
                # installer resolves what their new versions ask of it.
                wanted[index] = texts or missing
        now_moving = {key for index in wanted for key in _keys(joinable[index].plan)}
        if now_moving == moving:
            return wanted
        moving = now_moving


def _keys(plan: FixPlan) -> List[str]:
    keys = []
    for text in plain_install(plan).requirements:
        parsed = parse_requirement(text)
        keys.append(parsed.key if parsed is not None else canonicalize(text))
    return keys


def _needed(item: Planned, declared, moving: Set[str]) -> List[str]:
    """The requirements on this plan's distribution(s) that still hold: the finding's own (when it
    is not a declared one) and those declared by distributions that stay where they are."""
    texts: List[str] = []
    own = (item.finding.fix.parameters or {}).get("requirement") if item.finding.fix else None
    if own and item.finding.code not in DECLARED:
        texts.append(own)
    for key in _keys(item.plan):
        for active in declared:
            if active.parsed.key == key and active.requirer.canonical_name not in moving:
                texts.append(str(active.requirement))
    return texts


def _intersected(wanted: Dict[int, List[str]]) -> List[str]:
    """One requirement per distribution: the names with their specifiers joined."""
    names: Dict[str, str] = {}
    specifiers: Dict[str, List[str]] = {}
    for texts in wanted.values():
        for text in texts:
            parsed = parse_requirement(text)
            if parsed is None:
                continue
            requirement = parsed.requirement
            names.setdefault(parsed.key, requirement.name)
            known = specifiers.setdefault(parsed.key, [])  # a bare name has none
            known.extend(spec for spec in sorted(str(s) for s in requirement.specifier) if spec not in known)
    return [names[key] + ",".join(specifiers[key]) for key in names]


def _merged(planned, joinable, request: InstallRequest, wanted, said: str, context) -> Tuple[FixPlan, ...]:
    """The first joinable plan carries the one command; every other joinable plan says so."""
    first = joinable[0]
    findings = ", ".join(f"{item.finding.code} {item.finding.subject}" for item in joinable)
    command = context.install_command(f"one resolution for {findings}", request)
    notes = (context.installer_note(), f"resolved in advance by {context.installer().name}'s dry run: {said}")
    lead = dataclasses.replace(first.plan, summary=f"install {', '.join(request.requirements)}",
                               actions=(command,), notes=notes)
    plans = []
    for item in planned:
        if item is first:
            plans.append(lead)
        elif item in joinable:
            plans.append(dataclasses.replace(item.plan, actions=(), notes=(), summary=_settled(item, joinable, wanted)))
        else:
            plans.append(item.plan)
    return tuple(plans)


def _settled(item: Planned, joinable, wanted) -> str:
    lead = joinable[0].finding
    if joinable.index(item) in wanted:
        return f"{item.plan.summary} (in the one resolution of {lead.code} {lead.subject}'s plan)"
    return (f"nothing to install: the requirement came from distributions that {lead.code} {lead.subject}'s "
            "plan moves, and their new versions' requirements are resolved with it")


def resolve_dry_run(context, request: InstallRequest) -> Tuple[bool, str]:
    """(resolvable, what the installer said): pip's report as "name version" changes, uv's summary."""
    installer = context.installer()
    try:
        returncode, stdout, stderr = _run_to_the_end(installer.dry_run_argv(request))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"the dry run could not finish: {exc}"
    if returncode != 0:
        if "no such option: --dry-run" in stderr or "no such option: --report" in stderr:
            return True, "this pip cannot resolve without installing (pip 22.2 and later can); not checked in advance"
        return False, _last_lines(stderr or stdout)
    if installer.name == PIP:
        return True, _pip_changes(stdout)
    return True, _last_lines(stderr or stdout) or "nothing to change"


def _run_to_the_end(argv: Sequence[str]) -> Tuple[int, str, str]:
    """Run the installer's dry run through the target's interpreter, ending everything it started.

    The interpreter runs the target's .pth files and sitecustomize, which may fork a helper that
    keeps stdout open: output goes to files, not pipes, so the run is over when the installer
    exits, and the helper is ended with it (envdoctor/processes.py)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        tree = ProcessTree.start(list(argv), dict(os.environ), stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            returncode = tree.child.wait(timeout=DRY_RUN_TIMEOUT)
        finally:
            tree.end()
        out.seek(0)
        err.seek(0)
        return returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")


def _pip_changes(report_json: str) -> str:
    try:
        report = json.loads(report_json)
        changes = [f"{item['metadata']['name']} {item['metadata']['version']}" for item in report.get("install", ())]
    except (ValueError, KeyError, TypeError):
        return "resolved"
    return "would install " + ", ".join(changes) if changes else "nothing to change"


def _last_lines(text: str, count: int = 6) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])
