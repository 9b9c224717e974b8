"""Integrity: are the installed distributions whole, readable and one of each?"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence

from envdoctor.api import check, report
from envdoctor.checks._resolution import distinct_copies, is_within, lands_in_another_copy, resolution_paths
from envdoctor.checks._shared import first_lines
from envdoctor.model.facts import Distribution, Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.labels import describe_entry
from envdoctor.vocabulary.requires_dist import parsed_requirements
from envdoctor.vocabulary.versions import parse_version, requires_python_spec
from envdoctor.model.plan import InstallRequest


def os_managed(facts: Facts, dist: Distribution) -> Optional[str]:
    """Why pip must not change `dist`, or None: its metadata belongs to an OS package (dpkg), or
    the interpreter's prefix is externally managed (PEP 668), where pip refuses to install."""
    if dist.os_package:
        return f"{dist.name} belongs to the OS package {dist.os_package} (dpkg)"
    marker = facts.interpreter.externally_managed if facts.interpreter else None
    if marker:
        return f"this interpreter is externally managed ({marker}, PEP 668)"
    return None


def _reinstall_fix(facts: Facts, dist: Distribution) -> FixProposal:
    """pip's in-place reinstall, or, where the OS owns the files, what to do instead."""
    pinned = f"{dist.name}=={dist.version}" if dist.version else dist.name
    managed = os_managed(facts, dist)
    if managed and dist.os_package:
        return FixProposal("manual", f"{managed}: reinstall it with `apt-get install --reinstall {dist.os_package}`")
    if managed:
        return FixProposal("manual", f"{managed}: pip may not change it; install {pinned} in a venv instead")
    return FixProposal("reinstall", f"reinstall {pinned} in place",
                       install=InstallRequest((pinned,), reinstall=True, no_deps=True))


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
        not exist where pip put them: each path is resolved as pip resolves it, relative to the
        folder holding the `.dist-info`; entries that climb out of it (`../../../bin/NAME`,
        data, headers) are looked for there, and for `pip install --target DIR` in `DIR/bin`.
        Byte-code under `__pycache__` is ignored: Python regenerates it.

    Why it breaks
        An interrupted `pip install`, a failed upgrade, a cleanup script or an image layer that
        deleted part of a package leaves the top level importable while submodules are gone:
        `import triton_kernels` works and `import triton_kernels.matmul_ogs` fails, often only
        when a rarely used code path runs.

        Severity: an error when a missing file is importable code of the distribution (a
        module, a file of one of its packages, an extension): an import or a code path fails.
        A warning when only console scripts or data files are missing (outside site-packages, a
        `scripts-3.x/` folder, metadata extras): the command fails, imports do not. No finding
        for those of a distribution an OS package installed (dpkg): the packager decides which
        scripts and data ship, and moves them (Debian's pip RECORD names `../scripts/pip`; the
        package installs `/usr/bin/pip`).

    Example
        six 1.16.0 is missing 1 of 6 files listed in its RECORD

    Fix
        Reinstall exactly the same version without touching dependencies:
        `python -m pip install --force-reinstall --no-deps six==1.16.0`. On an externally
        managed interpreter (PEP 668) or for an OS package's distribution, pip must not: the
        fix says so (reinstall the OS package, or use a venv).

    References
        https://packaging.python.org/en/latest/specifications/recording-installed-packages/
        sgl-project/sglang#25335
    """
    for dist in facts.distributions or ():
        others = dist.missing_other_count if not dist.os_package else 0
        if not dist.missing_count and not others:
            continue
        code = bool(dist.missing_count)
        count = dist.missing_count + others
        listed = list(dist.missing_files) + (list(dist.missing_other) if others else [])
        what = "files" if code else "console scripts or data files (no module)"
        yield report(
            Severity.ERROR if code else Severity.WARNING,
            f"{dist.display} is missing {count} of {dist.record_count} {what} listed in its {dist.record}",
            subject=dist.name,
            message=(
                f"Part of {dist.name} is gone from {dist.location}. Its top level may still import while the "
                "missing modules, data files or extensions fail when first used." if code else
                f"{dist.name} imports, but the commands or data files its {dist.record} lists are gone: running "
                "those commands fails."
            ),
            evidence=first_lines([f"missing: {path}" for path in listed]),
            location=Location(path=dist.metadata_path, distribution=dist.name),
            fix=_reinstall_fix(facts, dist),
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
        an unreadable RECORD or direct_url.json; a `.dist-info` that is a file, not a folder, a
        dangling symlink or a symlink loop (importlib.metadata still yields a distribution for
        it).  Metadata this user may not read (permission denied) is INT005.

    Why it breaks
        pip, importlib.metadata and every tool that reads metadata disagree about such a
        distribution: `pip list` may skip it, `importlib.metadata.version()` may raise, and
        resolvers may ignore its requirements. It is usually the trace of a crashed install or a
        disk error.

        Severity: always an error: `importlib.metadata.version()` and the version checks
        built on it raise or misread, pip may skip the distribution or ignore its
        requirements, and envdoctor cannot check its requirements.

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


SITE_LAYERS = frozenset(("venv-site", "system-site", "user-site", "site-packages"))


def _layer(facts: Facts, dist: Distribution) -> str:
    """The provenance of the sys.path entry a copy was found through (its origin for facts
    collected before provenance existed)."""
    entry = facts.sys_path_entry(dist.path_index)
    return (entry.provenance or entry.origin) if entry else "unknown"


def _code_elsewhere(facts: Facts, first: Distribution, copies: Sequence[Distribution]) -> bool:
    """A top-level module of the copy importlib.metadata reports imports from another copy:
    the version Python reports is not the code that runs."""
    for module in dict.fromkeys(name.split(".")[0] for name in first.top_level):
        resolution = (facts.modules or {}).get(module)
        if resolution is None or not resolution.found:
            continue
        if any(is_within(p, first.location) for p in resolution_paths(resolution)):
            continue
        if lands_in_another_copy(resolution, [other for other in copies if other is not first]):
            return True
    return False


def duplicate_severity(facts: Facts, copies: Sequence[Distribution]) -> Severity:
    """error: two copies in one folder, copies whose code and metadata disagree, or a copy
    layered in front of the site folders by PYTHONPATH, a .pth or the working directory; Info
    when the copy found first is in a site folder and the others lie behind it (a venv over
    the system's, user site over system, a lower layer's folder a .pth appends): nothing
    imports them."""
    folders = [os.path.normcase(os.path.normpath(d.location)) for d in copies]
    if len(set(folders)) < len(folders) or _code_elsewhere(facts, copies[0], copies):
        return Severity.ERROR
    if _layer(facts, copies[0]) in SITE_LAYERS:
        return Severity.INFO
    return Severity.ERROR


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
        sys.path, in the order importlib.metadata finds them (sys.path order, then the order of
        the folder's listing): the same site-packages (a stale folder left by an interrupted
        upgrade), or different entries (user site vs the venv, a PYTHONPATH folder, a `--target`
        install, a venv over the system's site-packages). Not counted as a second install: an
        egg-info of the same version beside the dist-info in one folder (Debian's
        python3-cryptography ships both), in the project's own editable source folder, or in
        the working directory (a build artefact; pip ignores the working directory).

    Why it breaks
        `importlib.metadata.version()` reports the first, pip may uninstall the other, and
        the modules that import may come from a third place. Version checks then pass or fail
        for the wrong copy; an upgrade seems to do nothing.

        Severity: an error when two copies in one folder, copies whose code and metadata disagree (the
        module imports from another copy than the one importlib.metadata reports), or a copy put
        in front by PYTHONPATH, a `.pth` or the working directory (upgrades in the venv then
        seem to do nothing). Info when the first copy is in a site folder and is the one
        imported, the others behind it (a venv's over `--system-site-packages`, a user site
        over the system's, an image's lower layer that a `.pth` appends to sys.path): the
        lower copy is dead weight that nothing imports.

    Example
        six is installed 2 times: 1.16.0 in site-packages, 1.15.0 in /opt/extra

    Fix
        Remove the stale copy, keeping the one the files on disk belong to: for copies in one
        folder the probe compares each copy's RECORD hashes with the files, and the reinstall
        fixer keeps the only copy whose hashes match (none planned when that is not certain),
        or uninstall from the location that should not have it. Layered copies
        need nothing; an OS package's copy is the OS package manager's to remove.

    References
        https://packaging.python.org/en/latest/specifications/recording-installed-packages/
    """
    for all_copies in facts.distributions_by_name.values():
        copies = distinct_copies(facts, all_copies) if len(all_copies) > 1 else all_copies
        if len(copies) < 2:
            continue
        yield _duplicate_finding(facts, copies, duplicate_severity(facts, copies))


def _duplicate_finding(facts: Facts, copies: Sequence[Distribution], severity: Severity):
    first = copies[0]
    versions = ", ".join(f"{d.version} in {d.location}" for d in copies)
    evidence = []
    for position, dist in enumerate(copies):
        state = "files complete" if not dist.missing_count else f"{dist.missing_count} files missing"
        role = "seen first by importlib.metadata" if position == 0 else "hidden behind the first"
        if dist.record_hashes_match is not None:
            role += "; RECORD hashes match the files" if dist.record_hashes_match else "; RECORD hashes do not match the files"
        owner = f"; OS package {dist.os_package}" if dist.os_package else ""
        evidence.append(
            f"{dist.metadata_path} ({dist.version}; {state}; {role}{owner}; {describe_entry(facts.sys_path_entry(dist.path_index))})"
        )
    if severity is Severity.INFO:
        message = (f"Python imports {first.name} from {first.location} and importlib.metadata reports that copy; the "
                   "copies in lower site folders are never imported. Nothing breaks; they only take space.")
        fix = None
    else:
        message = ("Tools disagree about which version is installed: importlib.metadata reports the first, pip may "
                   "act on another, and the modules that import can come from either.")
        managed = next((why for why in (os_managed(facts, d) for d in copies) if why), None)
        fix = (FixProposal("manual", f"{managed}: remove the stale copy with the OS package manager") if managed else
               FixProposal("reinstall", "remove the stale copy, keeping the one whose files are present", safe=False))
    return report(
        severity,
        f"{first.name} is installed {len(copies)} times: {versions}",
        subject=first.name,
        message=message,
        evidence=evidence,
        location=Location(path=copies[1].metadata_path, distribution=first.name),
        fix=fix,
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

        Severity: always an error: the files on disk are not what either distribution
        installed, so the code that runs on import is a mix, and uninstalling either one
        deletes files the other imports.

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


@check(
    code="INT005",
    name="unreadable-path",
    summary="A sys.path folder, a distribution's metadata or a .pth file cannot be read, so it was not checked.",
    needs=("sys_path", "distributions", "pth_files"),
    fix="manual",
)
def unreadable_path(facts: Facts) -> Iterator:
    """Find what envdoctor could not read: what it holds was not checked.

    What it detects
        What this user may not read (permission denied), read as the user who runs the target
        interpreter: a folder on `sys.path` (site-packages, a `.pth` or `PYTHONPATH` entry), a
        `.dist-info`/`.egg-info` folder or its METADATA/PKG-INFO file, or a `.pth` file of a
        site folder.  A dangling symlink, a symlink loop or a folder named `*.pth` is not this:
        site skips such a `.pth` as if it were absent, and such a metadata folder is invalid
        metadata (INT002).

    Why it breaks
        Each kind breaks something else for that user.  A `sys.path` folder: nothing can be
        imported from it.  A `.pth` file: site skips it without a word, so the folders and
        imports it adds are missing.  A distribution's metadata: the distribution still
        imports, but importlib.metadata (and pip through it) sees it without name, version or
        requirements, so `importlib.metadata.version()` of it returns None.  In every case
        envdoctor cannot say the environment is healthy: what these hold is missing from its
        facts, so `check` exits 2 ("could not check") rather than 0.

        Severity: an error for a `sys.path` folder or a `.pth` file (imports fail); a warning
        for a distribution's metadata (imports still work; tools see no version or
        requirements).  Whatever the severity, the run's exit code is 2 ("could not check"):
        envdoctor cannot vouch for what it did not read.

    Example
        could not read /venv/lib/python3.11/site-packages: Permission denied

    Fix
        Give the user who runs Python read permission on the file, or read and search
        permission on the folder, named in the finding (`chmod`, `chown`), or run envdoctor
        as the user the environment belongs to.

    References
        https://docs.python.org/3/library/site.html
        https://docs.python.org/3/library/importlib.metadata.html
    """
    for entry in facts.sys_path or ():
        if entry.unreadable:
            yield _unreadable_finding(
                Severity.ERROR, entry.path, entry.unreadable, subject=entry.path,
                breaks="Python run by this user cannot import anything from this folder, and envdoctor "
                       "could not check the modules and distributions in it",
            )
    for dist in facts.distributions or ():
        if dist.unreadable:
            path, error = _unreadable_metadata_path(dist)
            yield _unreadable_finding(
                Severity.WARNING, path, error, subject=dist.name, distribution=dist.name,
                breaks=f"{dist.name} still imports, but importlib.metadata and pip see it without name, version or "
                       f"requirements, and envdoctor could not check its metadata (requirements, files)",
            )
    for pth in facts.pth_files or ():
        if pth.error:
            yield _unreadable_finding(
                Severity.ERROR, pth.path, pth.error, subject=pth.path,
                breaks="site skips this .pth file when Python starts, so the folders and imports it adds are "
                       "missing, and envdoctor could not check them",
            )


def _unreadable_metadata_path(dist: Distribution):
    """(the path that could not be read, why): the probe writes "METADATA: Permission denied"
    when the folder was listed but its METADATA (or PKG-INFO) file could not be read, and only
    the reason when the folder itself could not be listed."""
    name, separator, reason = dist.unreadable.partition(": ")
    if not separator or name not in ("METADATA", "PKG-INFO", os.path.basename(dist.metadata_path)):
        return dist.metadata_path, dist.unreadable
    if name == os.path.basename(dist.metadata_path):  # a single-file .egg-info is the PKG-INFO itself
        return dist.metadata_path, reason
    return os.path.join(dist.metadata_path, name), reason


def _unreadable_finding(severity: Severity, path: str, error: str, *, subject: str, breaks: str,
                        distribution: Optional[str] = None):
    return report(
        severity,
        f"could not read {path}: {error}",
        subject=subject,
        message=f"{breaks}; the run is incomplete, not clean.",
        evidence=[f"{path}: {error}"],
        location=Location(path=path, distribution=distribution),
        fix=FixProposal("manual", f"make {path} readable by the user who runs Python, or run envdoctor as its owner"),
    )
