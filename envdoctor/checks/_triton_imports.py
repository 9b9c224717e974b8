"""MPS003 and STK003 share one finding: a package whose own import needs triton where triton cannot be."""

from __future__ import annotations

from typing import Dict, Iterator, List

from envdoctor.api import report
from envdoctor.model.facts import Facts, ImportProblem
from envdoctor.model.finding import Finding, FixProposal, Location, Severity
from envdoctor.vocabulary.stack import TRITON_MODULE


def triton_import_findings(facts: Facts, situation: str, message: str) -> Iterator[Finding]:
    """One error per package whose own import needs triton where triton cannot be, from the
    import scan's module-level, unguarded imports of an uninstalled `triton` (the scan skips
    modules that a stand-in finder serves, so none are left once envdoctor's stub is there)."""
    by_importer: Dict[str, List[ImportProblem]] = {}
    for problem in facts.imports.problems if facts.imports else ():
        if problem.kind == "uninstalled" and problem.missing.split(".")[0] == TRITON_MODULE and problem.eager and not problem.guarded:
            by_importer.setdefault(problem.importer or "?", []).append(problem)
    for importer, problems in sorted(by_importer.items()):
        first = problems[0]
        yield report(
            Severity.ERROR,
            f"{importer} imports triton at module level ({first.path}:{first.line}){situation}",
            subject=importer.split()[0],
            message=message,
            evidence=tuple(f"{p.path}:{p.line}: {p.statement}" for p in problems[:5]),
            location=Location(path=first.path, line=first.line, module=first.importer_module),
            references=("sgl-project/sglang#21551",),
            fix=FixProposal("stub", "install envdoctor's triton stub package", safe=False, parameters={"module": TRITON_MODULE}),
        )
