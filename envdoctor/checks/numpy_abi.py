"""Extension modules compiled against a NumPy C-API that the installed NumPy does not provide."""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

from envdoctor.api import check, report
from envdoctor.checks._shared import first_lines
from envdoctor.model.facts import Distribution, Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.model.numpy_facts import NumpyBuild
from envdoctor.model.plan import InstallRequest
from envdoctor.vocabulary.numpy_releases import FIRST_BUILT_FOR_NUMPY_2
from envdoctor.vocabulary.active_numpy_builds import active_numpy_builds
from envdoctor.vocabulary.requirements_in_force import active_requirements
from envdoctor.vocabulary.stack import NUMPY
from envdoctor.vocabulary.versions import parse_version

# The last NumPy 1.x release: a requirement that admits it does not need NumPy 2.
LAST_NUMPY_1 = "1.26.4"
REFERENCES = (
    "https://numpy.org/doc/stable/dev/depending_on_numpy.html#numpy-2-abi-handling",
    "https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility",
    "numpy/numpy#26191",
)


@check(
    code="NPY001",
    name="compiled-for-numpy-1",
    summary="Extension modules compiled against NumPy 1.x with NumPy 2 installed: their import fails.",
    needs=("distributions", "numpy_builds"),
    fix="reinstall",
)
def compiled_for_numpy_1(facts: Facts) -> Iterator:
    """Find distributions whose extension modules were compiled against NumPy 1.x while NumPy 2 is installed.

    What it detects
        An installed distribution that depends on numpy and whose extension modules (`.so`,
        `.pyd`) were compiled with NumPy 1.x's headers, while the installed numpy is 2.0 or
        newer. It is read from the modules' bytes, never by importing them: NumPy's header
        `__multiarray_api.h` compiles into every module that calls `import_array()` the name of
        the module it imports at run time. NumPy 1.x headers write `numpy.core._multiarray_umath`
        only; NumPy 2 headers write `numpy._core._multiarray_umath` (and the old name as a
        fallback, for NumPy 1). Only distributions that declare a numpy dependency are read, and
        only their extension modules, not the libraries vendored beside them.

    Why it breaks
        NumPy 2 changed the C ABI. A module built against NumPy 1.x asks NumPy 2 for
        `numpy.core._multiarray_umath._ARRAY_API`, and NumPy 2 refuses: the import prints "A module
        that was compiled using NumPy 1.x cannot be run in NumPy 2.x.y as it may crash" and fails
        with `ImportError: numpy.core.multiarray failed to import` (or "_ARRAY_API not found"), so
        `import scipy.linalg`, `import pandas`, `import matplotlib` fail. Many such releases do not
        pin `numpy<2` in their metadata (they were built before NumPy 2 existed), and a later
        `pip install numpy` or an unrelated package's requirement brings NumPy 2 in.

        Severity: an error, because importing the distribution fails. A distribution whose
        modules carry NumPy 2's import (built for both) is never reported, and neither is one
        whose compiled modules do not use NumPy's C-API at all.

    Example
        pandas 2.1.4 is compiled against NumPy 1.x, but numpy 2.0.0 is installed

    Fix
        The smallest change that makes both work: the first release of the distribution built
        against NumPy 2 where it is known (`pandas>=2.2.2`, `scipy>=1.13`, `opencv-python>=4.10`,
        from numpy/numpy#26191 and the projects' notes); otherwise `numpy<2` when no installed
        distribution requires NumPy 2; otherwise upgrade it by hand. Through `envdoctor fix`, all
        installs of the run are resolved together, and the fix is verified by probing again.
        `check --deep` confirms the failure by importing the distribution's top-level module.

    References
        https://numpy.org/doc/stable/dev/depending_on_numpy.html#numpy-2-abi-handling
        https://numpy.org/devdocs/numpy_2_0_migration_guide.html
        https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility
        numpy/numpy#26191
        spyder-ide/spyder#22187
        ompl/ompl#1225
    """
    numpy = facts.active_distributions().get(NUMPY)
    numpy_version = parse_version(numpy.version) if numpy else None
    if numpy_version is None or numpy_version.major < 2:
        return
    for dist, build in active_numpy_builds(facts):
        if build.numpy_1_count:
            yield _numpy_1_finding(facts, dist, build, numpy)


@check(
    code="NPY002",
    name="compiled-for-newer-numpy",
    summary="Extension modules compiled for a NumPy C-API newer than the installed NumPy 1.x: their import fails.",
    needs=("distributions", "numpy_builds"),
    fix="reinstall",
)
def compiled_for_newer_numpy(facts: Facts) -> Iterator:
    """Find distributions built with NumPy 2 for a NumPy C-API newer than the installed NumPy 1.x.

    What it detects
        An installed distribution whose extension modules were compiled with NumPy 2's headers
        for a C-API version (`NPY_TARGET_VERSION`, compiled into the module's error message as
        "(NumPy 1.23)") newer than the installed numpy 1.x.

    Why it breaks
        A module built with NumPy 2 runs on NumPy 1.x, down to the C-API version it targets (by
        default the oldest NumPy that supported its Python). Below that, `import_array()` fails:
        "module was compiled against NumPy C-API version 0x10 (NumPy 1.23) but the running NumPy
        has C-API version 0xf", and the import fails.

        Severity: an error, because importing the distribution fails. A NumPy 2 build on a NumPy
        1.x at or above its target works, and is not reported.

    Example
        scipy 1.17.1 is compiled for NumPy 1.23 or newer, but numpy 1.22.4 is installed

    Fix
        Install a NumPy 1.x at or above the targeted version (`numpy>=1.23,<2`: NumPy 2 would
        break whatever else is built for 1.x), within what every installed distribution accepts.

    References
        https://numpy.org/doc/stable/dev/depending_on_numpy.html#numpy-2-abi-handling
        https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility
    """
    numpy = facts.active_distributions().get(NUMPY)
    numpy_version = parse_version(numpy.version) if numpy else None
    if numpy_version is None or numpy_version.major >= 2:
        return
    for dist, build in active_numpy_builds(facts):
        target = parse_version(build.numpy_2_target) if build.numpy_2_target else None
        if build.numpy_2_count and target is not None and numpy_version.release[:2] < target.release[:2]:
            yield _newer_target_finding(facts, dist, build, numpy)


def _numpy_1_finding(facts: Facts, dist: Distribution, build: NumpyBuild, numpy: Distribution):
    evidence = [f"{build.numpy_1_count} of its extension modules are built against NumPy 1.x; installed: "
                f"{numpy.metadata_path}", *_deep_evidence(facts, dist)]
    evidence += [f"{dist.location}/{path}: imports numpy.core._multiarray_umath (NumPy 1.x headers)"
                 for path in build.numpy_1]
    known = FIRST_BUILT_FOR_NUMPY_2.get(dist.canonical_name)
    return report(
        Severity.ERROR,
        f"{dist.display} is compiled against NumPy 1.x, but {numpy.display} is installed",
        subject=dist.name,
        message=(f"{dist.name}'s extension modules were compiled against NumPy 1.x, whose C ABI NumPy 2 does not "
                 "provide: importing them fails with 'A module that was compiled using NumPy 1.x cannot be run in "
                 "NumPy 2' and 'numpy.core.multiarray failed to import'."),
        evidence=first_lines(evidence, limit=8),
        location=Location(path=dist.metadata_path, distribution=dist.name),
        references=REFERENCES,
        fix=_numpy_1_fix(facts, dist, known.first if known else None),
        replaces=((f"{known.rule}:{dist.canonical_name}",) if known and known.rule else ()) + _failed_imports(facts, dist),
    )


def _deep_evidence(facts: Facts, dist: Distribution) -> List[str]:
    """What `check --deep` saw when it imported the distribution's top-level modules
    (probe/deep_probes.py imports them when their builds are for the other NumPy major)."""
    names = set(dist.top_level)
    lines = []
    for attempt in facts.deep.imports if facts.deep else ():
        if attempt.module in names:
            lines.append(f"--deep: import {attempt.module} failed: {attempt.error}" if not attempt.ok else
                         f"--deep: import {attempt.module} works; its extension modules load later, with the "
                         "submodules that use them")
    return lines


def _failed_imports(facts: Facts, dist: Distribution) -> Tuple[str, ...]:
    """STK001's findings on the same failed `--deep` import, which this finding explains."""
    names = set(dist.top_level)
    return tuple(f"STK001:{attempt.module}" for attempt in (facts.deep.imports if facts.deep else ())
                 if attempt.module in names and not attempt.ok)


def _numpy_1_fix(facts: Facts, dist: Distribution, first_for_numpy_2: Optional[str]) -> FixProposal:
    if first_for_numpy_2:
        wanted = f"{dist.name}>={first_for_numpy_2}"
        return _install(wanted, f"install {wanted}, the first {dist.name} release built against NumPy 2")
    needers = _need_numpy_2(facts, dist)
    if not needers:
        return _install("numpy<2", f"install numpy<2: nothing installed requires NumPy 2, and {dist.name} needs 1.x")
    return FixProposal("manual", f"upgrade {dist.name} to a release built against NumPy 2 (or rebuild it against "
                                 f"NumPy 2): numpy<2 is not an option, {', '.join(needers)} require NumPy 2")


def _need_numpy_2(facts: Facts, dist: Distribution) -> List[str]:
    """The installed distributions (besides `dist`) whose requirements in force exclude every NumPy 1.x."""
    return sorted({item.requirer.display for item in active_requirements(facts)
                   if item.parsed.key == NUMPY and item.requirer.canonical_name != dist.canonical_name
                   and not item.requirement.specifier.contains(LAST_NUMPY_1, prereleases=True)})


def _install(wanted: str, summary: str) -> FixProposal:
    return FixProposal("reinstall", summary, install=InstallRequest((wanted,)),
                       parameters={"requirement": wanted, "fixer": "install-requirement"})


def _newer_target_finding(facts: Facts, dist: Distribution, build: NumpyBuild, numpy: Distribution):
    target = build.numpy_2_target
    evidence = [f"installed: {numpy.metadata_path}", *_deep_evidence(facts, dist)]
    evidence += [f"{dist.location}/{path}: compiled with NumPy 2 headers for the NumPy {target} C-API"
                 for path in build.numpy_2]
    wanted = f"numpy>={target},<2"  # NumPy 2 would break what is built for 1.x: stay on 1.x
    return report(
        Severity.ERROR,
        f"{dist.display} is compiled for NumPy {target} or newer, but {numpy.display} is installed",
        subject=dist.name,
        message=(f"{dist.name}'s extension modules target NumPy's C-API of version {target}; the installed NumPy "
                 "has an older one, so import_array() fails and importing them fails."),
        evidence=first_lines(evidence, limit=8),
        location=Location(path=dist.metadata_path, distribution=dist.name),
        references=REFERENCES[:2],
        fix=_install(wanted, f"install {wanted}"),
        replaces=_failed_imports(facts, dist),
    )
