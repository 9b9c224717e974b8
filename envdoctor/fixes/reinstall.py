"""The reinstall fixer: pip (or uv) commands, and metadata removal, that restore a consistent install.

Each function handles one finding code; all commands run with the target's
own installer (installer.py) and are limited to what the finding needs:
`--no-deps` where nothing else should move.
"""

from __future__ import annotations

import os
from typing import List, Optional

from envdoctor.vocabulary.requires_dist import parse_requirement
from envdoctor.vocabulary.requirements_in_force import active_requirements
from envdoctor.fixes.api import FixContext, Proposal, RemovePath, RunCommand, fixer
from envdoctor.fixes.installer import install_roots
from envdoctor.model.facts import Distribution, canonicalize
from envdoctor.model.finding import Finding


def _installed(context: FixContext, finding: Finding) -> Optional[Distribution]:
    """The distribution a finding is about: by its metadata path, else by name."""
    path = finding.location.path if finding.location else None
    for dist in context.facts.distributions or ():
        if path and dist.metadata_path == path:
            return dist
    return context.facts.active_distributions().get(canonicalize(finding.subject))


def _run(context: FixContext, purpose: str, *args: str) -> RunCommand:
    return RunCommand(context.installer().install(*args), purpose, tuple(install_roots(context.facts)))


def _installer_note(context: FixContext) -> str:
    installer = context.installer()
    return f"installer: {installer.name} ({installer.reason})"


@fixer(name="reinstall-incomplete", kind="reinstall", codes=("INT001",))
def reinstall_incomplete(finding: Finding, context: FixContext) -> Optional[Proposal]:
    """Reinstall the same version in place (--force-reinstall --no-deps NAME==VERSION)."""
    dist = _installed(context, finding)
    if dist is None or not dist.version or dist.editable:
        return None  # an editable project's files live in its source tree: nothing to reinstall from
    pinned = f"{dist.name}=={dist.version}"
    command = _run(context, f"put back the {dist.missing_count} missing files of {dist.display}",
                   "--force-reinstall", "--no-deps", pinned)
    return Proposal(f"reinstall {pinned} in place", [command], notes=[_installer_note(context)])


@fixer(name="install-requirement", kind="reinstall", codes=("REQ001", "REQ002", "TOR001", "FLI002", "EXP001", "EXP002"))
def install_requirement(finding: Finding, context: FixContext) -> Optional[Proposal]:
    """Install a version that every installed distribution's requirement on it accepts."""
    text = (finding.fix.parameters or {}).get("requirement") if finding.fix else None
    parsed = parse_requirement(text) if text else None
    if parsed is None:
        return None
    # The smallest change that satisfies everyone: one install of the intersection of every
    # specifier in force on this distribution; pip keeps all else unless it must move.
    on_it = [item for item in active_requirements(context.facts) if item.parsed.key == parsed.key]
    # The finding's own requirement first: a knowledge-base rule's "torch>=2.12" may be
    # one that no installed distribution declares.
    specifiers: List[str] = [spec for spec in str(parsed.requirement.specifier).split(",") if spec]
    for item in on_it:
        for spec in str(item.requirement.specifier).split(","):
            if spec and spec not in specifiers:
                specifiers.append(spec)
    if not specifiers and parsed.key == "torch":
        return None  # an unpinned torch resolves a multi-GB build of pip's choosing: never planned
    wanted = parsed.requirement.name + ",".join(specifiers)
    requirers = sorted({item.requirer.display for item in on_it}) or [finding.code]
    command = _run(context, f"satisfy {', '.join(requirers)}", wanted)
    notes = [_installer_note(context), f"pip picks the newest release of {wanted} and moves other distributions only if they must"]
    return Proposal(f"install {wanted}", [command], notes=notes)


@fixer(name="reinstall-editable-compat", kind="reinstall", codes=("NSP001",))
def reinstall_editable_compat(finding: Finding, context: FixContext) -> Optional[Proposal]:
    """Reinstall an editable project in setuptools' compat mode, so a same-named folder cannot mask it."""
    name = finding.location.distribution if finding.location else None
    dist = context.facts.active_distributions().get(canonicalize(name or ""))
    source = dist.source_dir if dist is not None else None
    if dist is None or not dist.editable or not source:
        return None
    command = _run(context, f"serve {finding.subject} through a .pth path line instead of a finder appended after PathFinder",
                   "--no-deps", "--config-settings", "editable_mode=compat", "-e", source)
    return Proposal(f"reinstall {dist.name} from {source} with editable_mode=compat", [command],
                    notes=[_installer_note(context)])


@fixer(name="remove-stale-metadata", kind="reinstall", codes=("INT003",))
def remove_stale_metadata(finding: Finding, context: FixContext) -> Optional[Proposal]:
    """Remove the stale metadata folder of a project installed twice in one folder, keeping the complete copy."""
    copies = context.facts.distributions_by_name.get(canonicalize(finding.subject), ())
    complete = [d for d in copies if not d.missing_count]
    if len(copies) < 2 or not complete:
        return None
    keeper = complete[0]
    stale = [d for d in copies if d is not keeper]
    if any(os.path.normcase(d.location) != os.path.normcase(keeper.location) for d in stale):
        return None  # a copy elsewhere owns its own files there: uninstalling it is the user's call
    actions = [RemovePath(d.metadata_path, f"stale metadata of {d.display}; {keeper.display} has all its files")
               for d in stale]
    return Proposal(f"keep {keeper.display}, remove {len(stale)} stale metadata folder(s)", actions, safe=False)


@fixer(name="align-flashinfer-companions", kind="reinstall", codes=("FLI001",))
def align_flashinfer_companions(finding: Finding, context: FixContext) -> Optional[Proposal]:
    """Install flashinfer-cubin / flashinfer-jit-cache at flashinfer-python's version (the JIT cache from FlashInfer's index)."""
    parameters = (finding.fix.parameters or {}) if finding.fix else {}
    requirement = parameters.get("requirement")
    if not requirement:
        return None
    index = parameters.get("index_url")
    # --no-deps: only the companion moves; flashinfer-python and torch stay as they are.
    args = [requirement, "--no-deps"] + (["--index-url", index] if index else [])
    command = _run(context, f"align {finding.subject} with flashinfer-python", *args)
    notes = [_installer_note(context)]
    if index:
        notes.append(f"{finding.subject} is published on FlashInfer's own index ({index}), not on PyPI")
    return Proposal(f"install {requirement}", [command], notes=notes)
