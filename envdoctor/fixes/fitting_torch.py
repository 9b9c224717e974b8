"""The torch-build fixer: reinstall a torch build this machine runs (GPU001, GPU002, GPU003).

The finding carries its options, best first (vocabulary/torch_build_choice.py: another build of
the same release, then the nearest release with a fitting build, companions and engines moved
with it). Each option is resolved by the installer's own dry run against its index before
anything changes; the first that resolves is planned, and the options that did not are named
in the plan with the installer's words. `fix` then verifies that the finding is gone (with
--deep also that torch.cuda.is_available() and a kernel launch work: GPU004) or rolls back.
"""

from __future__ import annotations

from typing import List, Optional

from envdoctor.fixes.combined import resolve_dry_run
from envdoctor.fixes.fixer_api import FixContext, FixPlan, InstallRequest, fixer
from envdoctor.model.finding import Finding


def _request(option: dict) -> Optional[InstallRequest]:
    requirements = option.get("requirements")
    index_url = option.get("index_url")
    if not isinstance(requirements, list) or not requirements or not isinstance(index_url, str):
        return None
    return InstallRequest(tuple(str(item) for item in requirements), index_url=index_url)


@fixer(name="reinstall-torch-build", kind="reinstall", codes=("GPU001", "GPU002", "GPU003"))
def reinstall_torch_build(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Install the first torch build option of the finding that the installer's dry run resolves."""
    parameters = (finding.fix.parameters or {}) if finding.fix else {}
    options = parameters.get("options") or []
    not_resolved: List[str] = []
    for option in options:
        request = _request(option) if isinstance(option, dict) else None
        if request is None:
            continue
        ok, said = resolve_dry_run(context, request)
        if not ok:
            not_resolved.append(f"not possible: {option.get('summary')} ({said})")
            continue
        command = context.install_command(str(option.get("summary")), request)
        notes = [context.installer_note(), f"index: {request.index_url}",
                 f"resolved in advance by {context.installer().name}'s dry run: {said}", *not_resolved]
        if parameters.get("manual"):
            notes.append(f"last resort, by hand: {parameters['manual']}")
        return FixPlan(f"install {', '.join(request.requirements)} from {request.index_url}", (command,),
                       notes=tuple(notes))
    return None  # no option resolves: the finding stays, with its manual fix
