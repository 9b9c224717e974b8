"""Python upgrades that break installed code: stdlib modules and names a newer Python removed,
and `pkg_resources`, which setuptools removed.

The scan of every installed distribution (scan/legacy_scan.py) keeps only the import-time
uses that the target itself lacks; these checks group them per distribution and propose the
upgrade where the knowledge of fixed releases names one.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Tuple

from envdoctor.api import check, report
from envdoctor.checks._shared import below_site_packages
from envdoctor.checks.imports import said_by_another_check
from envdoctor.model.facts import Facts, canonicalize
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.model.plan import InstallRequest
from envdoctor.model.legacy_code_facts import LegacyUse
from envdoctor.vocabulary.fixed_releases import fixed_release
from envdoctor.vocabulary.removed_stdlib import PKG_RESOURCES_REFERENCES, removed_in
from envdoctor.vocabulary.versions import parse_version

_WHATS_NEW_312 = "https://docs.python.org/3/whatsnew/3.12.html"


@check(
    code="PYU001",
    name="removed-stdlib-module",
    summary="Installed code imports, at import time, a standard-library module the target's Python removed.",
    needs=("legacy_code", "interpreter"),
    fix="reinstall",
)
def removed_stdlib_module(facts: Facts) -> Iterator:
    """Find installed code that imports a standard-library module this Python no longer has.

    What it detects
        In every installed distribution, module-level imports (and imports in functions that
        module-level code calls) of a module the target's Python removed - `imp`, `asyncore`,
        `asynchat`, `smtpd`, `distutils` (3.12), `cgi`, `crypt`, `pipes`, `telnetlib` and the
        rest of PEP 594's list (3.13) - when the target's sys.path has no such module. The
        target's own standard library is read, not envdoctor's. `distutils` counts as present
        while setuptools' `_distutils_hack` finder is on sys.meta_path (it is not when
        SETUPTOOLS_USE_DISTUTILS=stdlib), and always for setuptools' own code, whose
        `__init__` puts that finder there itself (a layer no site hook ran for). Imports inside `try/except ImportError`, in the
        except-fallback, or under an `if` that cannot run on the target are not reported.

    Why it breaks
        The import raises ModuleNotFoundError the moment the module is imported, so the
        distribution (or the part of it that holds the import) cannot be used on this Python
        at all. Nothing changed in the environment: the interpreter was upgraded under code
        that still used the removed module.

        Severity: an error: the import runs unguarded when the module is imported, and the
        target's standard library does not have the module.

    Example
        nose 1.3.7 imports `imp` at import time (nose/importer.py:12); Python 3.12 removed it

    Fix
        Upgrade the distribution to a release that no longer uses the module; where the
        knowledge base names the first fixed release, `envdoctor fix` installs it and checks
        again. Otherwise install a backport that provides the module where one exists
        (`pyasyncore`, `standard-telnetlib`), or use a Python older than the release that
        removed it.

    References
        https://docs.python.org/3/whatsnew/3.12.html#removed
        https://docs.python.org/3/whatsnew/3.13.html#pep-594-remove-dead-batteries-from-the-standard-library
        https://peps.python.org/pep-0594/
        https://peps.python.org/pep-0632/
    """
    yield from _per_distribution(facts, "module")


@check(
    code="PYU002",
    name="removed-stdlib-name",
    summary="Installed code uses, at import time, a standard-library name the target's Python removed.",
    needs=("legacy_code", "interpreter"),
    fix="reinstall",
)
def removed_stdlib_name(facts: Facts) -> Iterator:
    """Find installed code that uses a standard-library name this Python no longer defines.

    What it detects
        In every installed distribution, `from module import name` and `module.name` at
        import time where the target's own standard-library module does not bind the name:
        the ABC aliases of `collections` (`collections.Mapping`, ..., removed in 3.10),
        `inspect.getargspec` and `asyncio.coroutine` (3.11), `configparser.SafeConfigParser`,
        `pkgutil.ImpImporter`, `locale.format`, `ssl.wrap_socket` (3.12),
        `re.template` (3.13), and more. The names a module binds are read from the target's
        stdlib source; a module whose names cannot be known statically (a module-level
        `__getattr__`) is never said to lack one.

    Why it breaks
        `from collections import Mapping` raises ImportError and `collections.Mapping`
        AttributeError when the module runs, so importing the distribution fails on this
        Python even though nothing in the environment changed but the interpreter.

        Severity: an error: the use runs unguarded when the module is imported.

    Example
        attrdict 2.0.1 uses `collections.Mapping` at import time (attrdict/mapping.py:4); Python 3.10 removed it

    Fix
        Upgrade the distribution to a release that uses the new spelling
        (`collections.abc.Mapping`, `inspect.getfullargspec`, `async def`, `ConfigParser`);
        where the knowledge base names the first fixed release, `envdoctor fix` installs it.
        Otherwise use a Python older than the release that removed the name.

    References
        https://docs.python.org/3/whatsnew/3.10.html#removed
        https://docs.python.org/3/whatsnew/3.11.html#removed
        https://docs.python.org/3/whatsnew/3.12.html#removed
        https://docs.python.org/3/whatsnew/3.13.html#removed-modules-and-apis
    """
    yield from _per_distribution(facts, "name")


@check(
    code="PYU003",
    name="pkg-resources-removed",
    summary="Installed code imports pkg_resources at import time, and the installed setuptools has none.",
    needs=("legacy_code", "interpreter"),
    fix="reinstall",
)
def pkg_resources_removed(facts: Facts) -> Iterator:
    """Find installed code that imports `pkg_resources` where nothing provides it any more.

    What it detects
        In every installed distribution, `import pkg_resources`, `from pkg_resources import
        ...` and `__import__("pkg_resources")` at import time (not behind `try/except
        ImportError`) when nothing on the target's sys.path provides `pkg_resources`:
        setuptools 82.0.0 removed it (81 deprecated it with a warning), and a venv without
        setuptools never had it.

    Why it breaks
        `pkg_resources` was part of setuptools, never of Python. Code that imported it at
        module level worked as long as an older setuptools happened to be installed; upgrading
        setuptools to 82 or later (or creating the venv without it) makes the import fail with
        ModuleNotFoundError when the distribution is imported.

        Severity: an error: the import runs unguarded and nothing provides the module.

    Example
        pyfiglet 0.8.post1 imports `pkg_resources` at import time (pyfiglet/__init__.py:11); setuptools 82.0.0 removed it

    Fix
        Upgrade the distribution to a release that uses importlib.resources/importlib.metadata
        instead (where the knowledge base names one, `envdoctor fix` installs it); otherwise
        pin `setuptools<82`, which still ships `pkg_resources`, and `envdoctor fix` installs that.

    References
        pypa/setuptools#3085
        https://setuptools.pypa.io/en/latest/history.html#v82-0-0
        https://setuptools.pypa.io/en/latest/pkg_resources.html
    """
    yield from _per_distribution(facts, "pkg_resources")


def _per_distribution(facts: Facts, kind: str) -> Iterator:
    grouped: Dict[Tuple[str, str], List[LegacyUse]] = {}
    for use in facts.legacy_code.uses:
        if use.kind == kind:
            grouped.setdefault((use.distribution, use.version or ""), []).append(use)
    for (name, version), uses in grouped.items():
        yield _finding(facts, kind, name, version, uses)


def _finding(facts: Facts, kind: str, name: str, version: str, uses: List[LegacyUse]):
    python = facts.interpreter.version
    whats = sorted({use.what for use in uses})
    first = uses[0]
    where = f"{below_site_packages(first.file)}:{first.line}"
    display = f"{name} {version}".strip()
    if kind == "pkg_resources":
        title = f"{display} imports `pkg_resources` at import time ({where}); nothing installed provides it (setuptools 82.0.0 removed it)"
        consequence = "Importing it fails with ModuleNotFoundError: pkg_resources came from setuptools, which dropped it in 82.0.0."
        references = PKG_RESOURCES_REFERENCES
    else:
        removed = ", ".join(f"`{what}` (removed in {removed_in(kind, what)[0]})" for what in whats)
        verb = "imports" if kind == "module" else "uses"
        title = f"{display} {verb} {removed} at import time ({where}); Python {python} does not have {'them' if len(whats) > 1 else 'it'}"
        error = "ModuleNotFoundError" if kind == "module" else "ImportError/AttributeError"
        consequence = f"Importing it fails with {error} on Python {python}: its standard library no longer has {', '.join(whats)}."
        references = tuple(sorted({removed_in(kind, what)[1] for what in whats})) or (_WHATS_NEW_312,)
    evidence = [f"{use.file}:{use.line}: {use.what}" for use in uses[:20]]
    return report(
        Severity.ERROR,
        title,
        subject=name,
        message=consequence,
        evidence=evidence,
        location=Location(path=first.file, line=first.line, distribution=name),
        references=references,
        fix=_fix(name, kind, whats),
        # The import scan read the same lines (--scan, or a stack member): one cause, one finding.
        replaces=said_by_another_check(facts, name, [(use.file, use.line) for use in uses],
                                       [what for what in whats if kind != "name"]),
    )


def _fix(name: str, kind: str, whats: List[str]):
    key = canonicalize(name)
    known = [fixed_release(key, "pkg_resources" if kind == "pkg_resources" else what) for what in whats]
    if known and all(known):
        newest = max((release.version for release in known), key=parse_version)
        return FixProposal("reinstall", f"upgrade {name} to {newest} or later, the first release that no longer uses it",
                           install=InstallRequest((f"{name}>={newest}",)), parameters={"reference": known[0].reference})
    if kind == "pkg_resources":
        return FixProposal("reinstall", "pin setuptools<82, the last releases that still ship pkg_resources",
                           safe=False, install=InstallRequest(("setuptools<82",)))
    return None
