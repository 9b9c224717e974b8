"""The upgrade fixer: install the release a Python-upgrade finding proposes (the first fixed release,
or for pkg_resources without one, `setuptools<82`), and let verification import again."""

from __future__ import annotations

from typing import Optional

from envdoctor.fixes.fixer_api import FixContext, FixPlan, fixer
from envdoctor.model.finding import Finding


@fixer(name="upgrade-to-fixed-release", kind="reinstall", codes=("PYU001", "PYU002", "PYU003"))
def upgrade_to_fixed_release(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Install the release the finding names: the first that no longer uses what the target lacks."""
    request = finding.fix.install if finding.fix else None
    if request is None:
        return None  # no fixed release known: the finding says what to do by hand
    command = context.install_command(finding.fix.summary, request)
    return FixPlan(f"install {', '.join(request.requirements)}", (command,), safe=finding.fix.safe,
                   notes=(context.installer_note(),))
