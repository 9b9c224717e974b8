"""MPS003 and STK003 share one finding: a package whose own import needs triton where triton cannot be."""

from __future__ import annotations

from typing import Dict, Iterator, List

from envdoctor.api import report
from envdoctor.checks.requirements import requirement_key, spec_text
from envdoctor.model.facts import Facts, ImportProblem, canonicalize
from envdoctor.model.finding import Finding, FixProposal, Location, Severity
from envdoctor.vocabulary.requirements_in_force import ActiveRequirement, unmet_requirements
from envdoctor.vocabulary.stack import TRITON, TRITON_MODULE
from envdoctor.vocabulary.stack_membership import stack_members

# Imports named in the title; the evidence lists every one.
TITLE_IMPORTS = 3


def triton_import_findings(facts: Facts, situation: str, message: str) -> Iterator[Finding]:
    """One error per package whose own import needs triton where triton cannot be, from the
    import scan's module-level, unguarded imports of an uninstalled `triton` that run on the
    package's own import, on the import of one of its public subpackages, or on another
    scanned package's (`reached_by`: liger-kernel's `import liger_kernel.transformers`;
    fla-core's fla.ops, run by flash-linear-attention's `import fla.layers`).  The scan skips
    modules that a stand-in finder serves, so none are left once envdoctor's stub is there.
    A package that declares triton as a requirement gets one finding, not this one and
    REQ001's: this one names the import that fails and replaces REQ001's."""
    by_importer: Dict[str, List[ImportProblem]] = {}
    for problem in facts.imports.problems if facts.imports else ():
        runs = problem.eager or bool(problem.reached_by)
        if problem.kind == "uninstalled" and problem.missing.split(".")[0] == TRITON_MODULE and runs and not problem.guarded:
            by_importer.setdefault(problem.importer or "?", []).append(problem)
    declared = _unmet_triton_requirements(facts)
    for importer, problems in sorted(by_importer.items()):
        first = problems[0]
        # Whose import fails: the package's own, its public subpackages', other packages'.
        others = sorted({who for problem in problems for who in problem.reached_by})
        run_by = ""
        if others and not any(p.eager for p in problems):
            shown = others[:TITLE_IMPORTS] + ([f"{len(others) - TITLE_IMPORTS} more"] if len(others) > TITLE_IMPORTS else [])
            run_by = f", run by {', '.join(shown)}"
        requirement = declared.get(canonicalize(importer.split()[0]))
        declares = () if requirement is None else (
            f"{requirement.requirer.metadata_path}: Requires-Dist: {requirement.text} "
            f"(REQ001's missing requirement, said here once: {requirement.requirer.display} requires "
            f"{spec_text(requirement.requirement)}, which is not installed)",
        )
        yield report(
            Severity.ERROR,
            f"{importer} imports triton at module level ({first.path}:{first.line}){run_by}{situation}",
            subject=importer.split()[0],
            message=message,
            evidence=tuple(f"{p.path}:{p.line}: {p.statement}" for p in [p for p in problems if p.statement][:5]) + tuple(f"fails on: {who}" for who in others) + declares,
            location=Location(path=first.path, line=first.line, module=first.importer_module),
            references=("sgl-project/sglang#21551",),
            fix=FixProposal("stub", "install envdoctor's triton stub package", safe=False, parameters={"module": TRITON_MODULE}),
            replaces=() if requirement is None else (f"REQ001:{requirement_key(requirement.requirer.name, TRITON)}",),
        )


def stubbed_requirement_findings(facts: Facts, situation: str) -> Iterator[Finding]:
    """Once envdoctor's stub serves `triton`, a stack package's unmet requirement on triton is
    what the stub was installed for on this machine: an info finding that says so replaces
    REQ001's error, which would otherwise be left after the fix as a second, unfixable one."""
    if TRITON_MODULE not in (facts.import_system.stubbed_modules if facts.import_system else ()):
        return
    for name, requirement in sorted(_unmet_triton_requirements(facts).items()):
        yield report(
            Severity.INFO,
            f"{requirement.requirer.display} requires {spec_text(requirement.requirement)}; envdoctor's triton stub serves "
            f"its imports{situation}",
            # About the stub, not the package: fix's verification expects the package's finding gone.
            subject=TRITON_MODULE,
            key=f"{TRITON_MODULE}<-{name}",
            message="The stub makes `import triton` work so the package's CPU code paths run; a Triton kernel cannot run here anyway.",
            evidence=(f"{requirement.requirer.metadata_path}: Requires-Dist: {requirement.text}",
                      "sys.meta_path serves triton with envdoctor's stub"),
            location=Location(path=requirement.requirer.metadata_path, distribution=requirement.requirer.name),
            replaces=(f"REQ001:{requirement_key(requirement.requirer.name, TRITON)}",),
        )


def _unmet_triton_requirements(facts: Facts) -> Dict[str, ActiveRequirement]:
    """Stack members whose requirement on triton, in force for the target, nothing installed
    provides (REQ001's findings about triton), by canonical name."""
    members = stack_members(facts)
    found: Dict[str, ActiveRequirement] = {}
    for item, provider in unmet_requirements(facts):
        if provider is None and item.parsed.key == TRITON and item.requirer.canonical_name in members:
            found[item.requirer.canonical_name] = item
    return found

