"""EXP002: how the environment drifted from a known-good snapshot (`check --against FILE`).

The differences are vocabulary/facts_diff.py's; this check keeps those that change what code
does (every area but environment variables that only describe the shell) and rates
them by impact: high -> error, medium -> warning, low -> info.
"""

from __future__ import annotations

from typing import Callable, Iterator, Optional

from envdoctor.api import check, report
from envdoctor.model.facts import Facts, canonicalize
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.model.plan import InstallRequest

SEVERITY_OF_IMPACT = {"high": Severity.ERROR, "medium": Severity.WARNING, "low": Severity.INFO}


@check(
    code="EXP002",
    name="drift-from-known-good",
    summary="The environment differs from a known-good snapshot (check --against): versions, builds, driver, GPUs.",
    needs=("interpreter", "distributions"),
    fix="reinstall",
    inputs=("known_good", "known_good_source", "known_good_mask"),
)
def drift_from_known_good(facts: Facts, known_good: Optional[Facts] = None, known_good_source: str = "",
                          known_good_mask: Optional[Callable[[str], str]] = None) -> Iterator:
    """Compare the environment with a snapshot of one that worked.

    What it detects
        Every difference from the snapshot given with `check --against FILE` (taken
        with `envdoctor snapshot -o FILE` where the workload ran well) that would change
        behaviour: Python, platform, torch build, NVIDIA driver and CUDA, GPUs, ROCm,
        distributions added, removed or changed, install kinds, `.pth` files, import
        finders and shims, and environment variables that steer the stack
        (CUDA_VISIBLE_DEVICES, LD_LIBRARY_PATH, PYTHONPATH, ...). Paths are compared
        relative to each environment's prefix, so a snapshot from another folder or
        machine works.

    Why it breaks
        "It worked yesterday" environments fail after an unpinned upgrade, a base-image
        bump or a driver update, and nothing says what moved. The known-good snapshot is
        the reference; each difference is a lead, ordered by how likely it is to matter.

        Severity: from how likely the difference is to change what the code does
        (vocabulary/facts_diff.py rates it): the known-good environment is the reference,
        and each difference is a lead, not a proven breakage. An error (high impact) for
        another Python minor release, implementation or platform, Rosetta 2 translation,
        another torch build tag, CUDA or HIP runtime, NVIDIA driver, GPU set or ROCm, what
        the deep probe saw of torch on the GPU, an ML-stack package changed, another
        package's major release, or any distribution removed (code that imports it fails). A
        warning (medium) for another Python patch release, a venv where there was none or
        the reverse, another minor release of a package that is not in the ML stack, an
        ML-stack package added, a changed install kind or location, a second copy, the CUDA
        toolkit, macOS or the libraries found through LD_LIBRARY_PATH changed, import-system
        changes (`.pth` files and lines, finders, shims, sys.path order) and variables that
        steer the stack (CUDA_VISIBLE_DEVICES, LD_LIBRARY_PATH, ...). Info (low) for patch
        releases, other distributions added and sys.path entries added or removed. Variables
        that only describe the shell are not reported.

    Example
        `envdoctor check --against known-good.json` after `pip install -U flashinfer-python`:
        an error "flashinfer-python: 0.5.2 -> 0.6.0 (changed since the known-good snapshot)".

    Fix
        `envdoctor fix --against known-good.json` installs the known-good version of each
        changed or removed distribution. The rest (driver, GPUs, torch build, variables)
        is restored by hand, or a new snapshot is taken once the new state is known to work.

    References
        docs/ci.md (snapshots, diff and --against)
    """
    if known_good is None:
        return
    from envdoctor.vocabulary.facts_diff import diff_facts

    names = set(known_good.distributions_by_name) | set(facts.distributions_by_name)
    # The snapshot was masked when it was written: this environment is compared masked the same way.
    for item in diff_facts(known_good, facts, mask=known_good_mask):
        if item.area == "environment" and item.impact == "low":
            continue  # a variable that only describes the shell
        was = "absent" if item.before is None else item.before
        now = "absent" if item.after is None else item.after
        a_distribution = item.area == "distributions" and canonicalize(item.subject) in names
        yield report(
            SEVERITY_OF_IMPACT[item.impact],
            f"{item.subject}: {was} -> {now} ({item.change} since the known-good snapshot)",
            subject=item.subject, key=f"{item.area}:{item.subject}",
            message=f"{item.area.capitalize()}: {item.detail or item.change} since the known-good snapshot. "
                    "It may explain behaviour that differs from that environment's.",
            evidence=(f"known-good ({known_good_source or 'snapshot'}): {was}", f"this environment: {now}"),
            location=Location(distribution=item.subject) if a_distribution else None,
            fix=_fix(item, a_distribution),
        )


def _fix(item, a_distribution: bool) -> FixProposal:
    if a_distribution and item.before is not None:
        pinned = f"{item.subject}=={item.before}"
        return FixProposal("reinstall", f"install the known-good {pinned}", install=InstallRequest((pinned,)),
                           parameters={"requirement": pinned})
    if a_distribution:
        return FixProposal("manual", f"uninstall {item.subject} if nothing needs it",
                           install=InstallRequest((item.subject,), uninstall=True))
    if item.before is None:
        return FixProposal("manual", f"remove {item.subject} (absent from the known-good environment)")
    return FixProposal("manual", f"restore {item.subject} to {item.before}")

