"""The reinstall fixer: pip (or uv) commands, and metadata removal, that restore a consistent install.

Each function handles one finding code; all commands run with the target's
own installer (vocabulary/installer.py) and are limited to what the finding needs:
`--no-deps` where nothing else should move.
"""

from __future__ import annotations

import dataclasses
import os
from typing import List, Optional

from envdoctor.fixes.fixer_api import FixContext, FixPlan, InstallRequest, RemovePath, fixer
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.requires_dist import parse_requirement
from envdoctor.vocabulary.stack import TORCH
from envdoctor.vocabulary.requirements_in_force import active_requirements
from envdoctor.model.facts import Distribution, canonicalize
from envdoctor.model.finding import Finding


def _installed(context: FixContext, finding: Finding) -> Optional[Distribution]:
    """The distribution a finding is about: by its metadata path, else by name."""
    path = finding.location.path if finding.location else None
    for dist in context.facts.distributions or ():
        if path and dist.metadata_path == path:
            return dist
    return installed(context.facts, finding.subject)


@fixer(name="reinstall-incomplete", kind="reinstall", codes=("INT001",))
def reinstall_incomplete(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Reinstall the same version in place (--force-reinstall --no-deps NAME==VERSION)."""
    dist = _installed(context, finding)
    if dist is None or not dist.version or dist.editable:
        return None  # an editable project's files live in its source tree: nothing to reinstall from
    pinned = f"{dist.name}=={dist.version}"
    command = context.install_command(f"put back the {dist.missing_count} missing files of {dist.display}",
                                      InstallRequest((pinned,), reinstall=True, no_deps=True))
    return FixPlan(f"reinstall {pinned} in place", (command,), notes=(context.installer_note(),))


@fixer(name="reinstall-for-interpreter", kind="reinstall", codes=("WHL001",))
def reinstall_for_interpreter(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Reinstall the same version, so the installer picks the wheel built for this interpreter."""
    proposed = finding.fix.install if finding.fix else None
    dist = _installed(context, finding)
    if proposed is None or dist is None or not dist.version or dist.editable:
        return None  # no install proposed (an OS package's), or an editable project: nothing to pick a wheel for
    command = context.install_command(f"replace {dist.display}'s compiled code with the build for this interpreter",
                                      proposed)
    return FixPlan(f"reinstall {dist.name}=={dist.version} for this interpreter", (command,),
                   notes=(context.installer_note(),))


@fixer(name="install-requirement", kind="reinstall", codes=("REQ001", "REQ002", "TOR001", "FLI002", "EXP001", "EXP002"))
def install_requirement(finding: Finding, context: FixContext) -> Optional[FixPlan]:
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
    if not specifiers and parsed.key == TORCH:
        return None  # an unpinned torch resolves a multi-GB build of pip's choosing: never planned
    wanted = parsed.requirement.name + ",".join(specifiers)
    requirers = sorted({item.requirer.display for item in on_it}) or [finding.code]
    command = context.install_command(f"satisfy {', '.join(requirers)}", InstallRequest((wanted,)))
    pins = [spec.lstrip("=") for spec in specifiers if spec.startswith("==") and "*" not in spec]  # == or ===
    chooses = (f"installs {parsed.requirement.name} {pins[0]}, the pinned version," if pins
               else f"picks the newest release of {wanted}")
    notes = (context.installer_note(), f"{context.installer().name} {chooses} and moves other distributions only if they must")
    return FixPlan(f"install {wanted}", (command,), notes=notes)


@fixer(name="reinstall-editable-compat", kind="reinstall", codes=("NSP001",))
def reinstall_editable_compat(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Reinstall an editable project in setuptools' compat mode, so a same-named folder cannot mask it."""
    name = finding.location.distribution if finding.location else None
    dist = installed(context.facts, name or "")
    source = dist.source_dir if dist is not None else None
    if dist is None or not dist.editable or not source:
        return None
    request = InstallRequest((source,), no_deps=True, editable=True, config_settings=("editable_mode=compat",))
    command = context.install_command(
        f"serve {finding.subject} through a .pth path line instead of a finder appended after PathFinder", request)
    return FixPlan(f"reinstall {dist.name} from {source} with editable_mode=compat", (command,),
                   notes=(context.installer_note(),))


@fixer(name="remove-stale-metadata", kind="reinstall", codes=("INT003",))
def remove_stale_metadata(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Remove the stale metadata folder of a project installed twice in one folder, keeping the copy the files belong to."""
    copies = context.facts.distributions_by_name.get(canonicalize(finding.subject), ())
    keeper = _owner_of_the_files(copies)
    if len(copies) < 2 or keeper is None:
        return None
    stale = [d for d in copies if d is not keeper]
    if any(os.path.normcase(d.location) != os.path.normcase(keeper.location) for d in stale):
        return None  # a copy elsewhere owns its own files there: uninstalling it is the user's call
    why = "its RECORD hashes match the files on disk" if keeper.record_hashes_match else "it has all its files"
    actions = tuple(RemovePath(d.metadata_path, f"stale metadata of {d.display}; {keeper.display} owns the files ({why})")
                    for d in stale)
    return FixPlan(f"keep {keeper.display}, remove {len(stale)} stale metadata folder(s)", actions, safe=False)


def _owner_of_the_files(copies) -> Optional[Distribution]:
    """The one copy whose files are on disk: complete, and the only one whose RECORD hashes match
    where hashes were compared.  None when that is not certain (then the user decides)."""
    complete = [d for d in copies if not d.missing_count]
    if any(d.record_hashes_match is not None for d in copies):
        matching = [d for d in complete if d.record_hashes_match]
        return matching[0] if len(matching) == 1 else None
    return complete[0] if len(complete) == 1 else None


@fixer(name="align-flashinfer-companions", kind="reinstall", codes=("FLI001",))
def align_flashinfer_companions(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Install flashinfer-cubin / flashinfer-jit-cache at flashinfer-python's version (the JIT cache from FlashInfer's index)."""
    proposed = finding.fix.install if finding.fix else None
    if proposed is None or not proposed.requirements:
        return None
    # --no-deps: only the companion moves; flashinfer-python and torch stay as they are.
    request = dataclasses.replace(proposed, no_deps=True)
    command = context.install_command(f"align {finding.subject} with flashinfer-python", request)
    notes = [context.installer_note()]
    if request.index_url:
        notes.append(f"{finding.subject} is published on FlashInfer's own index ({request.index_url}), not on PyPI")
    return FixPlan(f"install {', '.join(request.requirements)}", (command,), notes=tuple(notes))
