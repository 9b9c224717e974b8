"""Integrity: are the installed distributions whole, readable and one of each?"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Dict, Iterator, List

from envdoctor.api import check, report
from envdoctor.checks._shared import first_lines
from envdoctor.model.facts import Distribution, Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.labels import describe_entry
from envdoctor.vocabulary.requires_dist import parsed_requirements
from envdoctor.vocabulary.versions import parse_version, requires_python_spec
from envdoctor.model.plan import InstallRequest


@check(
    code="INT001",
    name="incomplete-distribution",
    summary="Files listed in a distribution's RECORD are missing (partial install or interrupted upgrade).",
    needs=("distributions",),
    fix="reinstall",
)
def incomplete_distribution(facts: Facts) -> Iterator:
    """Find installed distributions whose files are not all there.

    What it detects
        Files listed in a distribution's RECORD (or an egg-info's installed-files.txt) that do
        not exist on disk. Byte-code under `__pycache__` is ignored: Python regenerates it.

    Why it breaks
        An interrupted `pip install`, a failed upgrade, a cleanup script or an image layer that
        deleted part of a package leaves the top level importable while submodules are gone:
        `import triton_kernels` works and `import triton_kernels.matmul_ogs` fails, often only
        when a rarely used code path runs.

    Example
        six 1.16.0 is missing 1 of 6 files listed in its RECORD

    Fix
        Reinstall exactly the same version without touching dependencies:
        `python -m pip install --force-reinstall --no-deps six==1.16.0`.

    References
        https://packaging.python.org/en/latest/specifications/recording-installed-packages/
        sgl-project/sglang#25335
    """
    for dist in facts.distributions or ():
        if not dist.missing_count:
            continue
        pinned = f"{dist.name}=={dist.version}" if dist.version else dist.name
        yield report(
            Severity.ERROR,
            f"{dist.display} is missing {dist.missing_count} of {dist.record_count} files listed in its {dist.record}",
            subject=dist.name,
            message=(
                f"Part of {dist.name} is gone from {dist.location}. Its top level may still import while the "
                "missing modules, data files or extensions fail when first used."
            ),
            evidence=first_lines([f"missing: {path}" for path in dist.missing_files]),
            location=Location(path=dist.metadata_path, distribution=dist.name),
            fix=FixProposal(
                "reinstall",
                f"reinstall {pinned} in place",
                install=InstallRequest((pinned,), reinstall=True, no_deps=True),
            ),
        )


def _metadata_problems(dist: Distribution) -> List[str]:
    problems = list(dist.problems)
    problems.extend(parsed_requirements(dist)[1])
    if dist.version and parse_version(dist.version) is None:
        problems.append(f"Version {dist.version!r} is not a valid PEP 440 version")
    if dist.requires_python and requires_python_spec(dist.requires_python) is None:
        problems.append(f"Requires-Python {dist.requires_python!r} is not a valid specifier")
    return problems


@check(
    code="INT002",
    name="invalid-metadata",
    summary="A distribution's metadata cannot be read or parsed.",
    needs=("distributions",),
    fix="reinstall",
)
def invalid_metadata(facts: Facts) -> Iterator:
    """Find distributions whose metadata is unreadable, incomplete or invalid.

    What it detects
        METADATA / PKG-INFO that is not UTF-8 text, lacks Name or Version, or has malformed
        headers; Requires-Dist lines, versions or Requires-Python values that do not parse;
        an unreadable RECORD or direct_url.json.

    Why it breaks
        pip, importlib.metadata and every tool that reads metadata disagree about such a
        distribution: `pip list` may skip it, `importlib.metadata.version()` may raise, and
        resolvers may ignore its requirements. It is usually the trace of a crashed install or a
        disk error.

    Example
        metadata of corrupt 1.0 is invalid: METADATA is not UTF-8 text (invalid start byte at byte 0)

    Fix
        Reinstall the distribution; if its metadata is unreadable, remove its `.dist-info`
        folder first.

    References
        https://packaging.python.org/en/latest/specifications/core-metadata/
    """
    for dist in facts.distributions or ():
        problems = _metadata_problems(dist)
        if not problems:
            continue
        yield report(
            Severity.ERROR,
            f"metadata of {dist.display} is invalid: {problems[0]}",
            subject=dist.name,
            message=(
                "Tools that read this metadata (pip, importlib.metadata, resolvers) will skip, misread or "
                "crash on it; envdoctor could not check this distribution's requirements fully."
            ),
            evidence=[f"{dist.metadata_path}: {problem}" for problem in problems],
            location=Location(path=dist.metadata_path, distribution=dist.name),
            fix=FixProposal(
                "reinstall",
                f"reinstall {dist.name}",
                install=InstallRequest((dist.name,), reinstall=True, no_deps=True),
            ),
        )


@check(
    code="INT003",
    name="duplicate-distribution",
    summary="One project has two or more metadata folders on sys.path.",
    needs=("distributions", "sys_path"),
    fix="reinstall",
)
def duplicate_distribution(facts: Facts) -> Iterator:
    """Find projects installed more than once where the interpreter can see them.

    What it detects
        Two or more `.dist-info` / `.egg-info` folders for the same project name anywhere on
        sys.path: the same site-packages (a stale folder left by an interrupted upgrade), or
        different entries (user site vs the venv, a PYTHONPATH folder, a `--target` install).

    Why it breaks
        `importlib.metadata.version()` reports the first one, pip may uninstall the other, and
        the modules that import may come from a third place. Version checks then pass or fail
        for the wrong copy; an upgrade seems to do nothing.

    Example
        six is installed 2 times: 1.16.0 in site-packages, 1.15.0 in /opt/extra

    Fix
        Remove the stale copy, keeping the one whose files are present (the reinstall fixer
        does this), or uninstall from the location that should not have it.

    References
        https://packaging.python.org/en/latest/specifications/recording-installed-packages/
    """
    for copies in facts.distributions_by_name.values():
        if len(copies) < 2:
            continue
        first = copies[0]
        versions = ", ".join(f"{d.version} in {d.location}" for d in copies)
        evidence = []
        for position, dist in enumerate(copies):
            state = "files complete" if not dist.missing_count else f"{dist.missing_count} files missing"
            role = "seen first by importlib.metadata" if position == 0 else "hidden behind the first"
            evidence.append(
                f"{dist.metadata_path} ({dist.version}; {state}; {role}; {describe_entry(facts.sys_path_entry(dist.path_index))})"
            )
        yield report(
            Severity.ERROR,
            f"{first.name} is installed {len(copies)} times: {versions}",
            subject=first.name,
            message=(
                "Tools disagree about which version is installed: importlib.metadata reports the first, pip may "
                "act on another, and the modules that import can come from either."
            ),
            evidence=evidence,
            location=Location(path=copies[1].metadata_path, distribution=first.name),
            fix=FixProposal(
                "reinstall",
                "remove the stale copy, keeping the one whose files are present",
                safe=False,
            ),
        )


@check(
    code="INT004",
    name="overlapping-files",
    summary="Two distributions install the same module files.",
    needs=("distributions", "shared_files"),
    fix="reinstall",
)
def overlapping_files(facts: Facts) -> Iterator:
    """Find distributions that overwrite each other's module files.

    What it detects
        Module files listed in the RECORD of two different installed distributions, e.g.
        `triton/__init__.py` owned by both `triton` and `pytorch-triton-rocm`. Namespace packages
        whose distributions ship different files under one folder (the `nvidia` wheels) are not
        reported.

    Why it breaks
        The last install overwrote the first one's files, so the code that runs is a mix of both
        or all of the later one, whatever the metadata says. Uninstalling either deletes files
        the other needs.

    Example
        triton 3.1.0 and pytorch-triton-rocm 3.1.0 both install triton/__init__.py (and 120 more files)

    Fix
        Uninstall both and install only the one this platform needs (for torch: the one its own
        Requires-Dist names).

    References
        https://github.com/pytorch/pytorch/issues/99613
    """
    by_metadata = {d.metadata_path: d for d in facts.distributions or ()}
    pairs: Dict[tuple, List[str]] = defaultdict(list)
    for shared in facts.shared_files or ():
        owners = tuple(sorted(shared.metadata_paths))
        pairs[owners].append(shared.path)
    for owners, paths in sorted(pairs.items()):
        dists = [by_metadata[m] for m in owners if m in by_metadata]
        if len({d.canonical_name for d in dists}) < 2:
            continue  # one project twice: INT003's business
        paths.sort()
        root = dists[0].location.rstrip(os.sep) + os.sep
        shown = paths[0][len(root) :] if paths[0].startswith(root) else paths[0]
        module = shown.split(os.sep, 1)[0].split(".", 1)[0]
        more = f" (and {len(paths) - 1} more files)" if len(paths) > 1 else ""
        names = " and ".join(d.display for d in dists)
        yield report(
            Severity.ERROR,
            f"{names} both install {shown}{more}",
            subject=module,
            message=(
                "Whichever was installed last overwrote the other's files; the code that runs is not what either "
                "distribution's metadata describes, and uninstalling one breaks the other."
            ),
            evidence=[f"{d.metadata_path}" for d in dists] + first_lines([f"shared: {p}" for p in paths], 3),
            location=Location(path=paths[0], distribution=dists[0].name, module=module),
            fix=FixProposal("reinstall", f"uninstall {names} and install only the one this platform needs", safe=False),
        )
