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
