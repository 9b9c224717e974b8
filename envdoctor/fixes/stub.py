"""The stub fixer: a stand-in package for a module that cannot exist or run on this machine.

First (and so far only) the triton stub for macOS/MPS and CPU-only machines
(MPS003, STK003).  Like a shim it is a stdlib-only module from
envdoctor/fixes/runtime/ copied into site-packages with a .pth line that loads
it at interpreter start; it installs a PEP 451 finder that serves `triton.*`
only while no real triton is importable.
"""

from __future__ import annotations

from typing import Optional

from envdoctor.fixes.fixer_api import FixContext, FixPlan, fixer
from envdoctor.vocabulary.installed import installed
from envdoctor.vocabulary.stack import TRITON_MODULE
from envdoctor.fixes.shim import shim_files
from envdoctor.model.finding import Finding


def real_module_present(context: FixContext, name: str) -> bool:
    """A distribution or a folder on sys.path already provides `name`: a stub must never shadow it."""
    facts = context.facts
    module = (facts.modules or {}).get(name)
    return installed(facts, name) is not None or bool(module and module.found)


@fixer(name="stub-triton", kind="stub", codes=("MPS003", "STK003"))
def stub_triton(finding: Finding, context: FixContext) -> Optional[FixPlan]:
    """Install envdoctor's triton stub: `import triton`, `@triton.jit`, `triton.language` work; kernels refuse to launch."""
    facts = context.facts
    if not facts.interpreter or not facts.interpreter.site_packages or real_module_present(context, TRITON_MODULE):
        return None
    if TRITON_MODULE in (facts.import_system.stubbed_modules if facts.import_system else ()):
        return None  # already served by a stub
    actions = shim_files(context, "envdoctor_stub_triton", "a PEP 451 finder serving `triton` and `triton.*` with stand-ins")
    notes = (
        "triton.__envdoctor_stub__ is True and triton.__version__ is 0.0.0+envdoctor.stub; "
        "launching a kernel raises RuntimeError",
        "the stub steps aside by itself when a real triton is importable (checked at every interpreter start)",
    )
    return FixPlan("install envdoctor's triton stub", actions, safe=False, notes=notes)
