"""Import hooks: finders that only speak the import protocol Python 3.12 removed."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.checks._shared import owner_of
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity


@check(
    code="HOOK001",
    name="legacy-finder",
    summary="A sys.meta_path finder implements only find_module(), which Python 3.12 no longer calls.",
    needs=("import_system", "interpreter"),
    fix="shim",
)
def legacy_finder(facts: Facts) -> Iterator:
    """Find import hooks that only implement the pre-PEP 451 `find_module()` protocol.

    What it detects
        Entries of `sys.meta_path` present after start-up (and path-entry finders in
        `sys.path_importer_cache`) that have `find_module()` but no `find_spec()`; with
        `--deep`, also the finders a stack package inserts when it is imported.

    Why it breaks
        Python 3.4-3.11 fell back to `find_module()`/`load_module()` when a finder lacked
        `find_spec()`. Python 3.12 removed that fallback, so the finder is silently skipped and
        every module it used to provide fails with ModuleNotFoundError - e.g. the triton stub
        SGLang installs on macOS: `import triton.compiler` fails on 3.12.

        Severity: an error on Python 3.12 and newer: the finder is skipped, so every module
        it provides fails to import. A warning before 3.12: the interpreter still falls back
        to `find_module()`, and upgrading it to 3.12 breaks those imports.

    Example
        sys.meta_path[0] triton_stub.StubFinder implements only find_module(); Python 3.12 never calls it

    Fix
        Upgrade the package that installs the finder to a release whose finder implements
        `find_spec()`; until then envdoctor's shim gives such finders a PEP 451 `find_spec()`.

    References
        sgl-project/sglang#21548
        sgl-project/sglang#21551
        https://docs.python.org/3.12/whatsnew/3.12.html#importlib
        https://peps.python.org/pep-0451/
    """
    imports = facts.import_system
    version = tuple(facts.interpreter.version_info[:2])
    broken = version >= (3, 12)
    severity = Severity.ERROR if broken else Severity.WARNING
    headline = (
        f"Python {facts.interpreter.version} never calls it"
        if broken
        else f"Python 3.12 and newer will skip it (this is {facts.interpreter.version})"
    )
    consequence = (
        f"Python {facts.interpreter.version} never calls it, so every module it should provide fails to import"
        if broken
        else f"Python {facts.interpreter.version} still falls back to it, but Python 3.12 and newer will skip it"
    )
    legacy = [(f"sys.meta_path[{i}]", f) for i, f in enumerate(imports.meta_path) if f.find_module and not f.find_spec]
    legacy += [(f"sys.path_importer_cache[{f.path!r}]", f) for f in imports.legacy_path_entry_finders if f.find_module]
    for attempt in facts.deep.imports if facts.deep else ():  # finders a package inserts when imported (--deep)
        legacy += [(f"sys.meta_path after `import {attempt.module}`", f) for f in attempt.meta_path_added if f.find_module and not f.find_spec]
    # One finding per finder class: a .pth processed twice (a venv's lib64 symlink) installs two instances.
    by_class = {}
    for where, finder in legacy:
        by_class.setdefault(finder.qualified_name, []).append((where, finder))
    for name, places in by_class.items():
        finder = places[0][1]
        where = ", ".join(w for w, _ in places)
        owner = owner_of(finder.file, facts)
        evidence = [f"{w} = {f.repr}" for w, f in places] + [f"defined in {finder.file or 'an unknown file'}"]
        if owner is not None:
            evidence.append(f"installed by {owner.display} ({owner.metadata_path})")
        yield report(
            severity,
            f"{where} {name} implements only find_module(); {headline}",
            subject=name,
            message=consequence + ". PEP 451 finders implement find_spec(); find_module() was deprecated in 3.4.",
            evidence=evidence,
            location=Location(path=finder.file, distribution=owner.name if owner else None, module=finder.module),
            references=("sgl-project/sglang#21548", "https://docs.python.org/3.12/whatsnew/3.12.html#importlib"),
            fix=FixProposal("shim", "give the finder a PEP 451 find_spec() through envdoctor's legacy-finder shim", safe=False),
        )
