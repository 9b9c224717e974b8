"""The static import scanner: finds imports that cannot resolve, without running anything.

    sources.py   which code to scan (stack distributions, --scan NAME or FOLDER)
    summary.py   one file -> its imports and the names it binds (ast, statements only)
    cache.py     summaries cached per file (path, size, mtime) and parsed in parallel
    modules.py   a static finder over the target's sys.path: does module a.b.c exist, and where
    exports.py   which names a module binds, following star imports; "unknown" when dynamic
    resolve.py   every import site against modules and exports -> problems, with "did you mean"
    run.py       ties them together into the `imports` facts section

The scanner is fact collection (it reads the target's files, as the probe does); the IMP
checks that turn its problems into findings are pure functions of those facts.
"""

from typing import NamedTuple, Sequence


class ScanRequest(NamedTuple):
    """What the user asked for: `--scan` items, and whether the stack defaults apply."""

    items: Sequence[str] = ()
    include_stack: bool = True
    enabled: bool = True


# Scanned when installed, without being asked: the packages whose imports break most.
# (Here, not in sources.py, so the CLI can tell "nothing to scan" without importing the scanner.)
STACK_DISTRIBUTIONS = (
    "sglang",
    "sgl-kernel",
    "vllm",
    "flashinfer-python",
    "flashinfer",
    "triton-kernels",
    "aiter",
    "amd-aiter",
    "xformers",
    "lmdeploy",
)


def wanted(facts, items, include_stack: bool) -> bool:
    """Is there anything to scan in this target?"""
    if items:
        return True
    installed = facts.active_distributions() if facts.distributions is not None else {}
    return include_stack and any(name in installed for name in STACK_DISTRIBUTIONS)
