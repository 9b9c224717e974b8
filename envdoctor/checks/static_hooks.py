"""Import hooks found statically: installed code that puts a find_module()-only finder on sys.meta_path."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.checks._shared import below_site_packages
from envdoctor.model.facts import Facts, canonicalize
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.fixed_releases import fixed_release


@check(
    code="HOOK002",
    name="static-legacy-finder",
    summary="Installed code puts a find_module()-only finder on sys.meta_path when imported; Python 3.12 never calls it.",
    needs=("legacy_code", "interpreter", "import_system"),
    fix="shim",
)
def static_legacy_finder(facts: Facts) -> Iterator:
    """Find, without importing anything, packages that install a pre-PEP 451 finder when imported.

    What it detects
        In every installed distribution, a class that defines `find_module()` or
        `load_module()` but no `find_spec()` (nor inherits one from a class of the same
        distribution), and code of the same distribution that puts an instance of it on
        `sys.meta_path` (`insert`, `append`, `extend`, `+=`) at module level or in a function
        or method that module-level code calls - six < 1.16's `_SixMetaPathImporter`, and the
        copies of it that urllib3 < 1.26.5 vendors. HOOK001 sees such finders only once they
        are on `sys.meta_path` (at start-up, or with `--deep` for the stack packages); this
        one sees them in any installed distribution before anything imports it.

    Why it breaks
        Python 3.4-3.11 fell back to `find_module()`/`load_module()` when a finder had no
        `find_spec()`. Python 3.12 removed the fallback: the finder is skipped and every
        module it serves fails with ModuleNotFoundError - `import six.moves.urllib.parse`,
        or urllib3 1.25's own `from .packages.six.moves.http_client import ...`, so
        `import urllib3` itself fails.

        Severity: an error on Python 3.12 and newer, where the modules the finder serves do
        not import. A warning before 3.12: the fallback still works, and upgrading Python
        breaks them.

    Example
        six 1.15.0 puts six._SixMetaPathImporter (find_module() only) on sys.meta_path at import (six.py:982); Python 3.12 never calls it

    Fix
        Upgrade the distribution to a release whose finder implements `find_spec()` (six
        1.16.0, urllib3 1.26.5). `envdoctor fix` installs envdoctor's legacy-finder shim
        instead, which gives such finders a `find_spec()` at every interpreter start, so their
        modules import again at once; `envdoctor undo` removes it.

    References
        benjaminp/six#352
        sgl-project/sglang#21548
        https://docs.python.org/3.12/whatsnew/3.12.html#importlib
        https://peps.python.org/pep-0451/
    """
    if facts.import_system.has_shim("legacy-finders"):
        return  # envdoctor's shim gives every such finder a find_spec() at start-up
    version = tuple(facts.interpreter.version_info[:2])
    broken = version >= (3, 12)
    python = facts.interpreter.version
    for site in facts.legacy_code.finders:
        display = f"{site.distribution} {site.version or ''}".strip()
        known = fixed_release(canonicalize(site.distribution), "legacy-finder")
        upgrade = f"; {site.distribution} {known.version} fixed it" if known else ""
        where = f"{below_site_packages(site.insert_file)}:{site.insert_line}"
        if broken:
            title = f"{display} puts {site.finder} (find_module() only) on sys.meta_path at import ({where}); Python {python} never calls it"
            message = f"Every module {site.finder} serves fails with ModuleNotFoundError on Python {python}{upgrade}."
        else:
            title = f"{display} puts {site.finder} (find_module() only) on sys.meta_path at import ({where}); Python 3.12 and newer will skip it"
            message = f"Python {python} still falls back to find_module(); on 3.12 and newer the modules it serves fail to import{upgrade}."
        yield report(
            Severity.ERROR if broken else Severity.WARNING,
            title,
            subject=site.finder,
            message=message,
            evidence=[f"class {site.finder} defined at {site.class_file}:{site.class_line}, without find_spec()",
                      f"put on sys.meta_path at {site.insert_file}:{site.insert_line}"],
            location=Location(path=site.class_file, line=site.class_line, distribution=site.distribution),
            references=("benjaminp/six#352", "https://docs.python.org/3.12/whatsnew/3.12.html#importlib")
            + ((known.reference,) if known else ()),
            fix=FixProposal("shim", "give the finder a PEP 451 find_spec() through envdoctor's legacy-finder shim"
                            + (f" (or upgrade to {site.distribution}>={known.version})" if known else ""), safe=False),
        )
