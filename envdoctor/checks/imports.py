"""Imports that cannot succeed: dead imports, API drift, missing dependencies, unparsable files.

The static import scanner (envdoctor/scan/) collected the problems; these checks weigh
them.  Severity follows what happens at run time: an import that runs unguarded crashes
(error); behind `try/except ImportError` it silently switches a feature off, which
matters when the provider is installed and merely lost the API (warning); under `if
TYPE_CHECKING:` it never runs, and under a question about the environment the scanner
could not decide, or in a module nothing imports, it may never run anywhere (info).
Imports that cannot run on the target (a False branch, the fallback of a try that
succeeds) are not problems at all: the scanner drops them.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from envdoctor.api import check, report
from envdoctor.checks._shared import first_lines
from envdoctor.model.facts import Facts, ImportProblem, canonicalize
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.labels import STANDARD_LIBRARY
from envdoctor.vocabulary.requirements_in_force import active_requirements
from envdoctor.vocabulary.requires_dist import parsed_requirements
from envdoctor.vocabulary.stack import FLASHINFER_MODULE, FLASHINFER_PYTHON

# Top-level modules whose distribution is named differently (module -> distributions);
# a distribution named like its module (canonicalised) needs no entry.
MODULE_DISTRIBUTIONS = {
    "yaml": ("pyyaml",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "PIL": ("pillow",),
    "sklearn": ("scikit-learn",),
    "zmq": ("pyzmq",),
    "google": ("protobuf", "google-api-core", "googleapis-common-protos"),
    "attr": ("attrs",),
    "dateutil": ("python-dateutil",),
    "jwt": ("pyjwt",),
    "bs4": ("beautifulsoup4",),
    "dotenv": ("python-dotenv",),
    "multipart": ("python-multipart",),
    "pynvml": ("nvidia-ml-py",),
    FLASHINFER_MODULE: (FLASHINFER_PYTHON,),
    "vllm_flash_attn": ("vllm-flash-attn",),
    "decord": ("eva-decord",),
    "grpc": ("grpcio",),
    "OpenSSL": ("pyopenssl",),
    "Crypto": ("pycryptodome",),
    "serial": ("pyserial",),
    "pkg_resources": ("setuptools",),
}


def _is_own(problem: ImportProblem) -> bool:
    """The import points into the importing package itself (IMP001), not another one (IMP002)."""
    return problem.kind == "beyond-top-level" or (problem.provider is not None and problem.provider == problem.importer)


def _severity(problem: ImportProblem) -> Severity:
    if problem.type_checking:
        return Severity.INFO
    if problem.conditional:
        # Only a run-time condition (an `if` the scanner cannot decide, a module that nothing
        # imports statically) makes it run: it may never fail anywhere, so it is not a warning.
        return Severity.INFO
    if problem.guarded:
        if _is_own(problem) and problem.kind == "missing-module":
            return Severity.INFO  # the package's own optional part, absent by design
        if problem.provider == STANDARD_LIBRARY:
            return Severity.INFO  # feature detection across Python versions (`types.UnionType`)
        return Severity.WARNING  # the provider is installed and lost the API: a fallback hides it
    return Severity.ERROR


def _context(problem: ImportProblem) -> str:
    where = "at module level (runs on import)" if problem.scope == "module" else "inside a function (runs when it is called)"
    notes = []
    if problem.eager:
        top = (problem.importer_module or "").partition(".")[0]
        notes.append(f"runs on every `import {top}`")
    if problem.type_checking:
        notes.append("under `if TYPE_CHECKING:` (never runs)")
    if problem.guarded:
        notes.append("inside try/except ImportError: the failure is swallowed and a fallback runs")
    if problem.conditional:
        notes.append("runs only under a condition decided at run time")
    return "; ".join([where] + notes)


def _sites(problems: Sequence[ImportProblem]) -> Dict[Tuple[str, int, str], List[ImportProblem]]:
    """One finding per import statement: its missing names are reported together."""
    grouped: Dict[Tuple[str, int, str], List[ImportProblem]] = defaultdict(list)
    for problem in problems:
        grouped[(problem.path, problem.line, problem.module)].append(problem)
    return grouped


def _site_subject(site: List[ImportProblem]) -> str:
    """The subject of IMP001/IMP002's finding about one import statement."""
    first = site[0]
    missing = ",".join(p.missing for p in site)
    return f"{first.importer_module} -> {first.module}" + (f" ({missing})" if first.kind == "missing-name" else "")


def said_by_another_check(facts: Facts, importer: str, lines: Sequence[Tuple[str, int]], modules: Sequence[str]) -> Tuple[str, ...]:
    """The identities ("CODE:key") of this module's findings about `importer`'s import statements
    at `lines` ((path, line)) or its imports of the uninstalled top-level `modules`, for a check
    that says their cause better to replace them: PYU001 on nose's `from imp import ...` is the
    cause and the fix of IMP003 'nose -> imp' too."""
    problems = [p for p in (facts.imports.problems if facts.imports else ()) if canonicalize(p.importer or "") == canonicalize(importer)]
    at = set(lines)
    identities = set()
    for (path, line, _module), site in _sites([p for p in problems if p.kind in ("missing-module", "missing-name")]).items():
        if (path, line) in at:
            identities.update(f"{code}:{_site_subject(site)}" for code in ("IMP001", "IMP002"))
    identities.update(f"IMP003:{_missing_subject(p.importer, p.missing)}" for p in problems if p.kind == "uninstalled" and p.missing in modules)
    return tuple(sorted(identities))


def _missing_subject(importer: Optional[str], top: str) -> str:
    """The subject of IMP003's finding about one uninstalled top-level module."""
    return f"{importer or ''} -> {top}"


def _who(name: Optional[str], version: Optional[str]) -> str:
    if not name:
        return "?"
    return f"{name} {version}" if version else name


def _homes(problems: Sequence[ImportProblem]) -> Dict[str, List[str]]:
    homes: Dict[str, List[str]] = defaultdict(list)
    for problem in problems:
        for entry in problem.homes:
            name, _, module = entry.partition("=")
            if module not in homes[name]:
                homes[name].append(module)
    return homes


def _site_finding(problems: List[ImportProblem]):
    first = problems[0]
    importer = _who(first.importer, first.importer_version)
    provider = _who(first.provider, first.provider_version)
    if first.kind == "beyond-top-level":
        title = f"{importer}: relative import `{first.statement}` climbs above the top-level package"
        missing_names: List[str] = list(first.names)
    elif first.kind == "missing-module":
        names = [n for n in first.names if n != "*"]
        what = f"imports {', '.join(names)} from {first.module}" if names else f"imports {first.module}"
        title = f"{importer} {what}; {provider} (installed) has no module {first.missing}"
        missing_names = names or [first.missing.rpartition(".")[2]]
    else:
        missing_names = [p.missing for p in problems]
        title = f"{importer} imports {', '.join(missing_names)} from {first.module}; {provider} (installed) has no {'name' if len(missing_names) == 1 else 'names'} {', '.join(missing_names)} there"
    homes = _homes(problems)
    evidence = [f"{first.path}:{first.line}: {first.statement}", _context(first), first.detail]
    module_only = first.kind == "missing-module" and not [n for n in first.names if n != "*"]
    for name in missing_names:
        places = homes.get(name)
        if places:
            # `import a.b.c`: the homes are modules; `from m import n`: modules that define n.
            shown = places if module_only else [f"{place}.{name}" for place in places]
            evidence.append(f"did you mean {' or '.join(shown)}?")
    fix = _patch_proposal(first, missing_names, homes)
    message = (
        "This import cannot succeed against what is installed, so the code that runs it fails with "
        "ImportError: "
        + ("on import of the module. " if first.scope == "module" else "when that function is called, which may be long after start-up. ")
    )
    if fix is None:
        message += "Point it at the module that defines the name now, or install the version it was written for."
    return title, evidence, fix, message.strip()


def _patch_proposal(problem: ImportProblem, missing_names: List[str], homes: Dict[str, List[str]]) -> Optional[FixProposal]:
    """A patch when every missing name has exactly one new home."""
    if problem.kind not in ("missing-module", "missing-name") or not problem.statement.startswith("from "):
        return None
    if not missing_names or any(len(homes.get(name, ())) != 1 for name in missing_names):
        return None
    moves = {name: homes[name][0] for name in missing_names}  # name -> the one module that defines it now
    targets = ", ".join(sorted(set(moves.values())))
    return FixProposal(
        "patch",
        f"re-point the import in {os.path.basename(problem.path)} line {problem.line} to {targets}",
        safe=False,
        parameters={"path": problem.path, "line": problem.line, "module": problem.module, "moves": moves},
    )


def _dead_or_drift(facts: Facts, own: bool) -> Iterator:
    problems = [
        p for p in (facts.imports.problems if facts.imports else ())
        if p.kind in ("missing-module", "missing-name", "beyond-top-level") and _is_own(p) == own
    ]
    for (path, line, module), site in sorted(_sites(problems).items()):
        first = site[0]
        title, evidence, fix, message = _site_finding(site)
        yield report(
            _severity(first),
            title,
            subject=_site_subject(site),
            message=message,
            evidence=[e for e in evidence if e],
            location=Location(path=path, line=line, distribution=first.importer, module=first.importer_module),
            fix=fix,
        )


@check(
    code="IMP001",
    name="dead-import",
    summary="Code imports a module or name of its own package that does not exist (left behind by a refactor).",
    needs=("imports",),
    fix="patch",
)
def dead_import(facts: Facts) -> Iterator:
    """Find imports inside a scanned package that point at its own modules or names that are gone.

    What it detects
        An import in a scanned distribution (or source folder) of one of its own modules, or a
        name from one, that does not exist in the installed copy: `from pkg.old.module import
        name` after `pkg.old` was deleted, or after `name` moved. Imports inside functions are
        checked too: they crash only when that code path runs, which is why they survive review.
        A module with a module-level `__getattr__`, one that edits `globals()`, star imports
        from such modules, and extension modules are "unknown" and never reported.

    Why it breaks
        The import raises ImportError when it runs: at start-up for a module-level import, or
        the first time a rarely used function is called (a fallback kernel, a config branch).

        Severity: an error when it runs on import or in a code path the caller picks (`if self.mode ==
        "mrope":`): it fails whenever that path runs. Warning behind `try/except ImportError`
        when a name is gone (a fallback hides it). Info under `TYPE_CHECKING`, for a module of
        its own that is simply absent behind a guard (an optional part), under a question
        about the environment the scanner cannot decide (`if config.is_fbcode():`, a flag of
        another module it cannot compute, `if __name__ == "__main__":`), and in a module the
        package leaves out (transformers' `modular_*.py` templates, which its `__init__` never
        names), and in a private function whose every caller in its package sits under a
        condition False on the target (peft's `_maybe_shard_state_dict_for_tp`, called only under
        `if not is_transformers_dtensor_tp`; the evidence names the condition). A private function
        that an entry point names (a console script, a plugin) or that nothing in its package
        calls keeps the severity: something outside calls it. Never reported: branches that cannot run on the target (`sys.version_info`,
        `sys.platform`, `platform.system()` and module-level flags computed from them, from
        installed versions, from `importlib.util.find_spec` or from whether a `try: import x`
        succeeds, and argument-less calls of functions that return such a test), the fallback of
        a `try` whose imports succeed, names a module
        creates at run time (`setattr` on itself, a registration decorator that sets names in
        its module, `globals()`, module `__getattr__`, C extensions), and modules named for
        another platform (`_macosx` on Linux).

    Example
        sglang 0.5.x imports swiglu_with_alpha_and_limit from
        sglang.srt.layers.moe.fused_moe_triton.triton_kernels_moe; sglang (installed) has no
        name swiglu_with_alpha_and_limit there

    Fix
        Point the import at the name's new home. When exactly one module of the package now
        defines the name, `envdoctor fix` offers a patch (unsafe: it edits installed source)
        that rewrites the import, shows the diff first, and can be undone.

    References
        sgl-project/sglang#24069
    """
    yield from _dead_or_drift(facts, own=True)


@check(
    code="IMP002",
    name="api-drift",
    summary="Code imports a module or name that the installed version of another distribution no longer has.",
    needs=("imports",),
    fix="patch",
)
def api_drift(facts: Facts) -> Iterator:
    """Find imports of another installed distribution's modules or names that it does not have.

    What it detects
        A scanned distribution imports a module or name from another distribution that IS
        installed, but whose installed version does not provide it: the API moved or was
        removed in an upgrade (or the consumer was written for a newer version). The standard
        library counts as a provider too (`from collections import Mapping` on Python 3.10+).

    Why it breaks
        The import raises ImportError when it runs. Behind `try/except ImportError` it does not crash but silently
        switches a feature off: a fast path disabled, a kernel replaced by a slow fallback, an
        error only in the logs.

        Severity: an error at module level or in a code path the caller picks. Behind `try/except
        ImportError` a warning, not info, because the provider is
        installed and has merely lost the API; but info when the provider is the standard
        library (`try: from types import UnionType`: feature detection across Python
        versions). Info under `TYPE_CHECKING`, under a question about the environment the
        scanner cannot decide, in a module the package leaves out, and in a private function
        whose every caller in its package sits under a condition False on the target (the
        evidence names it). Not reported at all
        when the branch cannot run on the target: SQLAlchemy's `if compat.py310:` on 3.8,
        vllm's `if TRANSFORMERS_WITH_AXIAL_ROPE:` decided from the installed transformers'
        version, a flag set by `try: import x` / `except ImportError:` decided from whether x
        resolves, the `except ImportError:` fallback of a try that succeeds (`from collections
        import Mapping` behind `collections.abc`), or names the provider creates at run time
        (`numpy.dtypes.StringDType`, matplotlib's backend names).

    Example
        consumerx 2.0 imports routing from providerx.routing; providerx 2.0 (installed) has no
        module providerx.routing

    Fix
        Install the provider version the consumer was written for (see its Requires-Dist), or
        upgrade the consumer. Where the name has exactly one new home in the provider, a patch
        re-pointing the import is offered.

    References
        sgl-project/sglang#25335
    """
    yield from _dead_or_drift(facts, own=False)


def _declared(facts: Facts, importer: Optional[str], top: str) -> bool:
    dist = facts.active_distributions().get(canonicalize(importer)) if importer else None
    if dist is None:
        return False
    wanted = {canonicalize(top)} | set(MODULE_DISTRIBUTIONS.get(top, ()))
    requirements, _ = parsed_requirements(dist)
    return any(parsed.key in wanted for parsed in requirements)


def _unmet_requirements(facts: Facts, importer: Optional[str]) -> List[str]:
    """The importer's requirements in force on this target that are not installed."""
    key = canonicalize(importer) if importer else None
    installed = facts.active_distributions()
    return sorted({
        item.parsed.key for item in active_requirements(facts)
        if item.requirer.canonical_name == key and item.parsed.key not in installed
    })


@check(
    code="IMP003",
    name="import-of-missing-distribution",
    summary="Scanned code imports a top-level module that nothing installed provides (once per module, with its sites).",
    needs=("imports", "distributions", "markers"),
)
def missing_distribution_import(facts: Facts) -> Iterator:
    """Find top-level modules that scanned code imports and no installed distribution provides.

    What it detects
        Imports of a top-level module (`import deep_gemm`) that no distribution in the target
        and no folder on sys.path provides: a dependency that is simply not installed. Reported
        once per missing module and importing package, with the number of import sites and
        whether the importer declares a requirement for it.

    Why it breaks
        Each site raises ModuleNotFoundError when it runs.

        Severity: when the importer declares the requirement, REQ001 already reports it missing: this finding is then info. An
        undeclared module that the package's own top-level import reaches (through module-level
        imports with no try/except and no run-time condition) breaks `import pkg` on every
        machine without it: a warning, unless some of the importer's own requirements are not
        installed either (a `--no-deps` install), which may bring the module along: then info.
        Optional integrations, imported by submodules that only some configurations load,
        lazily, guarded or under run-time conditions, are info.

    Example
        sglang 0.5.23 imports deep_gemm at 12 places; no installed distribution provides it

    Fix
        Install the distribution that provides the module if the feature is needed; otherwise
        nothing: the import is optional.

    References
        https://docs.python.org/3/reference/import.html
    """
    groups: Dict[Tuple[str, str], List[ImportProblem]] = defaultdict(list)
    for problem in facts.imports.problems if facts.imports else ():
        if problem.kind == "uninstalled":
            groups[(problem.importer or "", problem.missing)].append(problem)
    for (importer, top), sites in sorted(groups.items()):
        declared = _declared(facts, importer, top)
        hard = [s for s in sites if s.eager]
        unmet = [] if declared else _unmet_requirements(facts, importer)
        severity = Severity.WARNING if hard and not declared and not unmet else Severity.INFO
        first = sites[0]
        who = _who(first.importer, first.importer_version)
        places = "1 place" if len(sites) == 1 else f"{len(sites)} places"
        if declared:
            note = "declared in its requirements (REQ001 reports it missing)"
        elif unmet:
            # A partial install (--no-deps): the module may well come with one of them.
            listed = ", ".join(unmet[:5]) + (f" and {len(unmet) - 5} more" if len(unmet) > 5 else "")
            note = f"not declared in its requirements, but {len(unmet)} of those are not installed ({listed}) and may bring it"
        else:
            note = "not declared in its requirements"
        yield report(
            severity,
            f"{who} imports {top} at {places}; no installed distribution provides it",
            subject=_missing_subject(importer, top),
            message=(
                f"{top} is {note}. "
                + (
                    f"{len(hard)} of the imports run on every import of {first.importer_module.partition('.')[0]}: it cannot be imported without {top}."
                    if hard
                    else "No site runs when the package itself is imported: only the feature that needs it fails, when used."
                )
            ),
            evidence=first_lines([f"{s.path}:{s.line}: {s.statement} ({_context(s)})" for s in sites]),
            location=Location(path=first.path, line=first.line, distribution=first.importer, module=top),
        )


@check(
    code="IMP004",
    name="unparsable-source",
    summary="A scanned source file does not parse, so importing it fails; or it is beyond what the scanner parses.",
    needs=("imports", "interpreter"),
)
def unparsable_source(facts: Facts) -> Iterator:
    """Find scanned files that do not parse, and files the scanner could not scan.

    What it detects
        A `.py` file of a scanned distribution or folder that Python's parser rejects: a
        SyntaxError, or nesting past the parser's limits (`x = 1 + 1 + ...` 100,000 times,
        thousands of nested `not` or `lambda`: RecursionError or MemoryError), or a file that
        cannot be read. Also a file the scanner itself did not scan: larger than 8 MB, or
        nested too deeply for its own walk although Python parses it.

    Why it breaks
        Importing a module that does not parse raises the parser's exception (SyntaxError,
        RecursionError, MemoryError).

        Severity: a warning (the package may never import that file on the paths you use). A file written for a newer Python than the
        target's fails only there (e.g. `match` or PEP 695 syntax on an older interpreter).
        envdoctor parses with its own interpreter: when that is older than the target, the
        file may be fine on the target, and the finding is info. It is info too when nothing
        in the package imports the file on this target (torch's `py312_intrinsics.py`, a
        helper for a newer Python), and when the scanner did not scan the file (too large,
        or too deep for its walk): the module may import fine; only its imports are unchecked.
        Either way the rest of the scan goes on and its findings are reported.

    Example
        pkg 1.0: pkg/broken.py does not parse: SyntaxError: invalid syntax (line 3)

    Fix
        Reinstall the distribution (a truncated file), or install a version that supports
        the target's Python; a generated file nested past the parser's limits must be
        generated differently (a table as data, not as one expression).

    References
        https://docs.python.org/3/library/exceptions.html#SyntaxError
        https://docs.python.org/3/library/exceptions.html#RecursionError
    """
    target = tuple(facts.interpreter.version_info[:2]) if facts.interpreter else sys.version_info[:2]
    host_older = tuple(sys.version_info[:2]) < tuple(target)
    for problem in facts.imports.problems if facts.imports else ():
        if problem.kind == "unscanned":
            yield report(
                Severity.INFO,
                f"{_who(problem.importer, problem.importer_version)}: {problem.importer_module} was {problem.detail}",
                subject=problem.importer_module,
                message="Its imports were not checked; the module itself may import fine.",
                evidence=[problem.path],
                location=Location(path=problem.path, distribution=problem.importer, module=problem.importer_module),
            )
            continue
        if problem.kind != "unparsable":
            continue
        raised = problem.detail.partition(":")[0] if problem.detail.startswith(("RecursionError", "MemoryError")) else "SyntaxError"
        yield report(
            Severity.INFO if host_older or problem.conditional else Severity.WARNING,
            f"{_who(problem.importer, problem.importer_version)}: {problem.importer_module} does not parse: {problem.detail}",
            subject=problem.importer_module,
            message=f"Importing this module raises {raised}."
            + (f" envdoctor parsed it with Python {sys.version_info[0]}.{sys.version_info[1]}, older than the target's: it may be valid there." if host_older else ""),
            evidence=[f"{problem.path}:{problem.line}"],
            location=Location(path=problem.path, line=problem.line or None, distribution=problem.importer, module=problem.importer_module),
        )
