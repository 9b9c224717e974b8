"""The modules a distribution's users import besides its top-level package.

`import liger_kernel` runs none of liger-kernel's Triton code (its backends load lazily),
but its users write `from liger_kernel.transformers import AutoLigerKernelForCausalLM`,
and that import runs `import triton`.  What counts as public is read from the
distribution's own files, the way Python's naming convention says it: every first-level
subpackage of its top-level packages whose name has no leading underscore.  A first-level
plain module is left out: it is usually a helper of the package (`utils.py`), while a
subpackage is an area of the API.
"""

from __future__ import annotations

from typing import Iterable, List


def public_subpackages(files: Iterable) -> List[str]:
    """Sorted names of the non-private first-level subpackages among a unit's files (each
    with `.module` and `.is_package`) whose top-level package is among them too."""
    modules = {source.module for source in files}
    return sorted(
        source.module for source in files
        if source.is_package and source.module.count(".") == 1
        and not source.module.rpartition(".")[2].startswith("_") and source.module.partition(".")[0] in modules
    )
