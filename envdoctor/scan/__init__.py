"""The static import scanner: finds imports that cannot resolve, without running anything.

    default_scope.py  what is scanned without being asked: the stack's members
    sources.py   which code to scan (the default scope, --scan NAME or FOLDER)
    summary.py   one file -> its imports and the names it binds (ast, statements only)
    cache.py     summaries cached per file (path, size, mtime) and parsed in parallel
    modules.py   a static finder over the target's sys.path: does module a.b.c exist, and where
    exports.py   which names a module binds, following star imports; "unknown" when dynamic
    conditions.py  target-dependent `if` tests: True, False or unknown for this target
    resolve.py   every import site against modules and exports -> problems, with "did you mean"
    results.py   the whole result, cached and revalidated by the mtimes of what it read
    pipeline.py  ties them together into the `imports` facts section
    request.py   what the user asked for (ScanRequest)
    public_entries.py  a distribution's public subpackages, whose imports are followed too

Two more fact readers live here: numpy_builds.py (which NumPy C-API each extension module was
built against, from its bytes; NPY001/NPY002) and guarded_imports.py (SYM002's optional backends:
extension modules their package imports only under try/except ImportError, from the summaries).

The scan of every installed distribution for code a newer Python or setuptools removed (the
PYU and HOOK002 checks; on by default, off with --no-scan) is a second, lighter pass:

    legacy_uses.py   one file -> what it does at import time that may be gone (prefiltered)
    legacy_index.py  those summaries cached per file (size, mtime) per install folder
    legacy_scan.py   each use decided against the target's sys.path and stdlib -> `legacy_code`

The scanner is fact collection (it reads the target's files, as the probe does); the IMP
checks that turn its problems into findings are pure functions of those facts.
"""

from envdoctor.scan.default_scope import default_scope
from envdoctor.scan.request import ScanRequest

__all__ = ["ScanRequest", "default_scope", "with_import_scan"]


def with_import_scan(facts, request: ScanRequest):
    """The facts with their `imports` section: scanned, empty when there is nothing to scan
    (then the scanner is not even imported: a plain `check` pays nothing for it), or left
    out (None) when scanning is off, so the IMP checks report themselves skipped."""
    import dataclasses

    from envdoctor.model.facts import ImportScan

    if not request.enabled or facts.interpreter is None or facts.sys_path is None:
        return facts
    if not request.items and not (request.include_stack and default_scope(facts)):
        return dataclasses.replace(facts, imports=ImportScan())
    from envdoctor.scan.pipeline import scan_imports

    return dataclasses.replace(facts, imports=scan_imports(facts, request))

