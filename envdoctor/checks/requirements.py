"""Requirements: every installed distribution's Requires-Dist, evaluated for the target.

Unlike `pip check`, the extras that installed distributions request of each
other count: if `foo` requires `bar[fast]`, bar's `extra == "fast"`
requirements must be installed too.  Markers are evaluated with the target's
own marker environment, never envdoctor's.
"""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

from envdoctor.api import check, report
from envdoctor.model.facts import Distribution, Facts, canonicalize
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.requirements_in_force import ActiveRequirement, unmet_requirements
from envdoctor.vocabulary.versions import parse_version, requires_python_spec
from envdoctor.model.plan import InstallRequest


def _why(item: ActiveRequirement) -> str:
    if not item.via_extra:
        return ""
    return f" (through its extra [{item.via_extra}], requested by {', '.join(item.extra_requested_by)})"


def _scanned(facts: Facts, name: str) -> bool:
    return facts.imports is not None and any(
        canonicalize(code.distribution or "") == canonicalize(name) for code in facts.imports.scanned)


def _eager_import(facts: Facts, item: ActiveRequirement):
    """Where the import scan saw the requirer import the missing distribution's module whenever
    the requirer itself is imported (top level, unguarded), or None (not scanned, or only lazily)."""
    if facts.imports is None:
        return None
    wanted = canonicalize(item.requirement.name)
    for problem in facts.imports.problems:
        if (problem.kind == "uninstalled" and problem.eager and not problem.guarded and not problem.type_checking
                and canonicalize(problem.importer or "") == canonicalize(item.requirer.name)
                and canonicalize(problem.missing.split(".")[0]) == wanted):
            return problem
    return None


def _missing_consequence(facts: Facts, item: ActiveRequirement) -> str:
    """What fails first: `import requests` itself when the scan saw it import the missing one at
    its top level; otherwise the import of the requirer or of its parts that use the missing one."""
    requirer, required = item.requirer.name, item.requirement.name
    eager = _eager_import(facts, item)
    if eager is not None:
        top = requirer.replace("-", "_").lower() if not item.requirer.top_level else item.requirer.top_level[0]
        return (f"`import {top}` itself fails with ModuleNotFoundError ({eager.path}:{eager.line} imports "
                f"{eager.missing} whenever {top} is imported).")
    if _scanned(facts, requirer):
        return f"the parts of {requirer} that import {required} fail with ModuleNotFoundError when they run."
    return (f"importing {requirer}, or the parts of it that use {required}, fails with ModuleNotFoundError "
            f"(--scan {requirer} tells which).")


def requirement_key(requirer: str, required: str) -> str:
    """The key of a REQ001/REQ002 finding, which a more specific check may replace."""
    return f"{canonicalize(requirer)}->{canonicalize(required)}"


def spec_text(requirement) -> str:
    return f"{requirement.name}{requirement.specifier}" if str(requirement.specifier) else requirement.name


def requirement_fields(facts: Facts, item: ActiveRequirement) -> dict:
    """location, key and fix of a finding about one unmet requirement (REQ001/002, TOR001, FLI002):
    the fix installs what the requirement asks for, through the install-requirement fixer."""
    wanted = spec_text(item.requirement)
    return {
        "location": Location(path=item.requirer.metadata_path, distribution=item.requirer.name),
        "key": requirement_key(item.requirer.name, item.parsed.key),
        "fix": FixProposal("reinstall", f"install {wanted}", install=InstallRequest((wanted,)),
                           parameters={"requirement": item.text}),
    }


def requirement_evidence(item: ActiveRequirement, provider: Optional[Distribution]) -> Tuple[str, ...]:
    """The Requires-Dist line, and the installed provider's metadata where there is one."""
    line = f"{item.requirer.metadata_path}: Requires-Dist: {item.text}"
    return (line, f"installed: {provider.metadata_path}") if provider else (line,)


def pin_fields(facts: Facts, item: ActiveRequirement, provider: Optional[Distribution]) -> dict:
    """requirement_fields() and the evidence of a finding that reports one unmet pin more
    precisely than REQ001/REQ002 (TOR001, FLI002), which it replaces."""
    fields = requirement_fields(facts, item)
    return {
        **fields,
        "evidence": requirement_evidence(item, provider),
        "replaces": (f"REQ001:{fields['key']}", f"REQ002:{fields['key']}"),
    }


def os_requirement_severity(item: ActiveRequirement, provider: Optional[Distribution]) -> Severity:
    """info when the OS package manager (dpkg) installed the requirer and everything it found
    installed: dpkg resolves that package's dependencies from its own control file, and what
    the packager left out is optional there (Debian's python3-gi works without python3-cairo,
    which PyGObject's requires.txt names); error otherwise."""
    if item.requirer.os_package and (provider is None or provider.os_package):
        return Severity.INFO
    return Severity.ERROR


def _os_fix(item: ActiveRequirement) -> FixProposal:
    return FixProposal("manual", f"{item.requirer.name} belongs to the OS package {item.requirer.os_package} (dpkg), "
                       f"which resolves its dependencies: install the OS package that provides {item.requirement.name} "
                       "if you use the part that needs it")


@check(
    code="REQ001",
    name="missing-requirement",
    summary="An installed distribution requires another that is not installed.",
    needs=("distributions", "markers"),
    fix="reinstall",
)
def missing_requirement(facts: Facts) -> Iterator:
    """Find requirements of installed distributions that nothing installed satisfies.

    What it detects
        A Requires-Dist of an installed distribution, whose environment marker holds for the
        target interpreter (or whose extra another installed distribution requests), naming a
        distribution that is not installed at all.

    Why it breaks
        The requiring package imports it; the first import fails with ModuleNotFoundError,
        often deep inside a server start-up. `pip install --no-deps`, a partial `pip uninstall`
        and copying site-packages between images are the usual causes. `pip check` misses the
        requirements that only an extra requested by another installed package activates.

        Severity: an error, since the import of the requiring package, or of its parts that use
        it, fails; when the import scan covers the requiring package, the finding says which.
        Info when the requirer belongs to an OS package (dpkg) and the packager did not make
        the requirement a dependency: it is optional there, and apt, not pip, manages it.
        Not checked: metadata found only in the working directory, the build artefact of a
        project that is not installed (pip ignores the working directory too).

    Example
        requests 2.32.3 requires idna<4,>=2.5, which is not installed

    Fix
        Install a version that satisfies the requirement with the target's own pip
        (`python -m pip install 'idna<4,>=2.5'`).

    References
        https://packaging.python.org/en/latest/specifications/core-metadata/#requires-dist-multiple-use
    """
    for item, provider in unmet_requirements(facts):
        if provider is not None:
            continue
        wanted = spec_text(item.requirement)
        severity = os_requirement_severity(item, None)
        fields = requirement_fields(facts, item)
        if severity is Severity.INFO:
            fields["fix"] = _os_fix(item)
        yield report(
            severity,
            f"{item.requirer.display} requires {wanted}, which is not installed",
            subject=item.requirer.name,
            message=f"{item.requirer.name} declares it needs {item.requirement.name}{_why(item)}; "
                    + _missing_consequence(facts, item),
            evidence=requirement_evidence(item, None),
            **fields,
        )


@check(
    code="REQ002",
    name="conflicting-requirement",
    summary="An installed distribution requires a version range that the installed version is outside of.",
    needs=("distributions", "markers"),
    fix="reinstall",
)
def conflicting_requirement(facts: Facts) -> Iterator:
    """Find installed versions that do not satisfy what other installed distributions require.

    What it detects
        A Requires-Dist in force for the target (markers and requested extras evaluated) whose
        version specifier excludes the version that is installed.

    Why it breaks
        The requiring package was built and tested against the range it declares; outside it,
        APIs it calls may be gone or behave differently (torch built against one triton, a
        consumer importing an API a newer dependency removed). Failures show up at import or,
        worse, as wrong results or hangs at run time.

        Severity: an error, since the requiring package runs against a version it does not
        declare support for. Info when both belong to OS packages (dpkg): the packager chose and
        patched the versions together. Metadata found only in the working directory is not
        checked.

    Example
        requests 2.32.3 requires idna<4,>=2.5, but idna 2.0 is installed

    Fix
        Install a version inside the range (`python -m pip install 'idna<4,>=2.5'`); the
        reinstall fixer picks the smallest change.

    References
        https://packaging.python.org/en/latest/specifications/version-specifiers/
    """
    for item, provider in unmet_requirements(facts):
        if provider is None:
            continue  # REQ001's
        wanted = spec_text(item.requirement)
        severity = os_requirement_severity(item, provider)
        fields = requirement_fields(facts, item)
        if severity is Severity.INFO:
            fields["fix"] = _os_fix(item)
        yield report(
            severity,
            f"{item.requirer.display} requires {wanted}, but {provider.display} is installed",
            subject=item.requirer.name,
            message=(
                f"{item.requirer.name} declares it works with {wanted}{_why(item)}; {provider.name} "
                f"{provider.version} is outside that range, so the APIs it calls may be missing or changed."
            ),
            evidence=requirement_evidence(item, provider),
            **fields,
        )


@check(
    code="REQ003",
    name="requires-python-mismatch",
    summary="An installed distribution declares a Requires-Python that the target interpreter does not meet.",
    needs=("distributions", "markers"),
    fix="reinstall",
)
def requires_python_mismatch(facts: Facts) -> Iterator:
    """Find distributions installed for a different Python than the one they run on.

    What it detects
        A distribution whose Requires-Python excludes the target interpreter's version
        (installed with `--ignore-requires-python`, by copying site-packages, or into a venv
        whose interpreter was later upgraded in place).

    Why it breaks
        The package may use syntax or standard-library APIs the interpreter lacks, or rely on
        behaviour a newer Python removed; it fails at import or in rarely used paths.

        Severity: always an error: Requires-Python is a requirement pip enforces (it would
        not install this release on this interpreter), and code written for other Pythons
        may fail at import or in less used paths.

    Example
        oldlib 1.0 requires Python <3.8; this is Python 3.11.7

    Fix
        Install a release of the distribution whose Requires-Python admits this interpreter
        (pip picks one when run with the target interpreter).

    References
        https://packaging.python.org/en/latest/specifications/core-metadata/#requires-python
    """
    python_version = (facts.markers or {}).get("python_full_version")
    version = parse_version(python_version)
    if version is None:
        return
    for dist in facts.active_distributions().values():
        spec = requires_python_spec(dist.requires_python) if dist.requires_python else None
        if spec is None:
            continue  # none declared, or invalid (INT002 reports it)
        if spec.contains(version, prereleases=True):
            continue
        yield report(
            Severity.ERROR,
            f"{dist.display} requires Python {dist.requires_python}; this is Python {python_version}",
            subject=dist.name,
            message=(
                f"{dist.name} {dist.version} was released for Python {dist.requires_python}. pip would not "
                "have chosen it for this interpreter; it may fail at import or in less used code paths."
            ),
            evidence=(f"{dist.metadata_path}: Requires-Python: {dist.requires_python}",),
            location=Location(path=dist.metadata_path, distribution=dist.name),
            fix=FixProposal(
                "reinstall",
                f"reinstall {dist.name}, letting pip choose a release for this Python",
                install=InstallRequest((dist.name,), reinstall=True, no_deps=True),
            ),
        )
