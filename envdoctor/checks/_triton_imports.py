"""MPS003 and STK003 share one finding: a package whose own import needs triton where triton cannot be."""

from __future__ import annotations

from typing import Dict, Iterator, List

from envdoctor.api import report
from envdoctor.model.facts import Facts, ImportProblem
from envdoctor.model.finding import Finding, FixProposal, Location, Severity
from envdoctor.vocabulary.stack import TRITON_MODULE


def triton_import_findings(facts: Facts, situation: str, message: str) -> Iterator[Finding]:
    """One error per package whose own import needs triton where triton cannot be, from the
    import scan's module-level, unguarded imports of an uninstalled `triton` that run on the
    package's own import or on another scanned package's (`reached_by`: fla-core's fla.ops,
    run by flash-linear-attention's `import fla.layers`).  The scan skips modules that a
    stand-in finder serves, so none are left once envdoctor's stub is there."""
    by_importer: Dict[str, List[ImportProblem]] = {}
    for problem in facts.imports.problems if facts.imports else ():
        runs = problem.eager or bool(problem.reached_by)
        if problem.kind == "uninstalled" and problem.missing.split(".")[0] == TRITON_MODULE and runs and not problem.guarded:
            by_importer.setdefault(problem.importer or "?", []).append(problem)
    for importer, problems in sorted(by_importer.items()):
        first = problems[0]
        # Whose import fails: the package's own, and the other packages' that run this code.
        others = sorted({who for problem in problems for who in problem.reached_by})
        run_by = f", run by {', '.join(others)}" if others and not any(p.eager for p in problems) else ""
        yield report(
            Severity.ERROR,
            f"{importer} imports triton at module level ({first.path}:{first.line}){run_by}{situation}",
            subject=importer.split()[0],
            message=message,
            evidence=tuple(f"{p.path}:{p.line}: {p.statement}" for p in problems[:5]) + tuple(f"fails on: {who}" for who in others),
            location=Location(path=first.path, line=first.line, module=first.importer_module),
            references=("sgl-project/sglang#21551",),
            fix=FixProposal("stub", "install envdoctor's triton stub package", safe=False, parameters={"module": TRITON_MODULE}),
        )
