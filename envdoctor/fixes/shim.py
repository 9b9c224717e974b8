"""The shim fixer: a small stdlib-only module in the target's site-packages, activated by a .pth line.

The module's source lives in envdoctor/fixes/runtime/ and is copied as text;
the .pth line imports it at every interpreter start, and `envdoctor undo`
removes both files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from envdoctor.fixes.fixer_api import FixContext, FixPlan, WriteFile, fixer
from envdoctor.model.finding import Finding

RUNTIME = Path(__file__).parent / "runtime"


def shim_files(context: FixContext, module: str, purpose: str):
    """WriteFile actions for runtime/<module>.py and the .pth line that imports it."""
    site = context.facts.interpreter.site_packages[0]
    source = (RUNTIME / f"{module}.py").read_text(encoding="utf-8")
    return (
        WriteFile(os.path.join(site, f"{module}.py"), source, purpose),
        WriteFile(os.path.join(site, f"{module.replace('_', '-')}.pth"), f"import {module}\n",
                  f"import {module} at interpreter start"),
    )


@fixer(name="shim-legacy-finders", kind="shim", codes=("HOOK001", "HOOK002"))
def shim_legacy_finders(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Give find_module()-only sys.meta_path finders a PEP 451 find_spec() at interpreter start."""
    if not context.facts.interpreter or not context.facts.interpreter.site_packages:
        return None
    actions = shim_files(context, "envdoctor_shim_legacy_finders",
                         f"adapt {finding.subject} (and any later find_module()-only finder) to find_spec()")
    notes = ("the shim runs in every interpreter start of this environment; it changes only finders without find_spec()",)
    return FixPlan("install envdoctor's legacy-finder shim", actions, safe=False, notes=notes)


@fixer(name="shim-torch-patches", kind="shim", codes=("KB001",))
def shim_torch_patches(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Install envdoctor's version-guarded torch patches, applied when the affected torch module is imported."""
    facts = context.facts
    if not facts.interpreter or not facts.interpreter.site_packages:
        return None
    if facts.import_system is not None and facts.import_system.has_shim("torch-patches"):
        return None
    site = facts.interpreter.site_packages[0]
    support = (RUNTIME / "envdoctor_post_import.py").read_text(encoding="utf-8")
    actions = (WriteFile(os.path.join(site, "envdoctor_post_import.py"), support,
                         "post-import hooks: run a patch when its module is first imported, without importing it"),)
    actions += shim_files(context, "envdoctor_shim_torch_patches",
                          "patch torch._dynamo.convert_frame when imported, only while torch < 2.12 (vllm-project/vllm#37234)")
    notes = (
        "nothing is imported at start-up: the patch waits for torch._dynamo.convert_frame",
        "with torch >= 2.12 (fixed upstream, pytorch/pytorch#177558) the shim changes nothing",
    )
    return FixPlan("install envdoctor's torch-patches shim", actions, safe=False, notes=notes)
