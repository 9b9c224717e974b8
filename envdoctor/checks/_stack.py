"""What the ML-stack check families share: versions of installed builds and the machine's accelerators.

Pure functions of facts, like the checks that use them.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Tuple

from envdoctor.api import report
from envdoctor.checks._metadata import parse_version
from envdoctor.model.facts import Distribution, Facts, ImportProblem, TorchBuild, canonicalize
from envdoctor.model.finding import Finding, FixProposal, Location, Severity


def installed(facts: Facts, name: str) -> Optional[Distribution]:
    return facts.active_distributions().get(canonicalize(name))


def release(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    """(2, 11, 0) for "2.11.0+cu130"; None when it does not parse."""
    version = parse_version(text)
    return tuple(version.release) if version is not None else None


def major_minor(text: Optional[str]) -> Optional[Tuple[int, int]]:
    parts = release(text)
    if not parts:
        return None
    return (parts[0], parts[1] if len(parts) > 1 else 0)


def public(text: Optional[str]) -> Optional[str]:
    """The version without its local build tag: 2.11.0 for 2.11.0+cu130."""
    return text.split("+", 1)[0] if text else text


def torch_build(facts: Facts) -> Optional[TorchBuild]:
    """torch's build as its version.py says, else as its distribution's version says."""
    if facts.stack and facts.stack.torch:
        return facts.stack.torch
    dist = installed(facts, "torch")
    if dist is None or not dist.version:
        return None
    local = dist.version.split("+", 1)[1] if "+" in dist.version else None
    cuda = None
    if local and local.startswith("cu") and local[2:].isdigit():  # cu130 -> 13.0, cu126 -> 12.6
        cuda = f"{local[2:-1]}.{local[-1]}"
    hip = local[4:] if local and local.startswith("rocm") else None
    return TorchBuild(version=dist.version, local=local, cuda=cuda, hip=hip, source=dist.metadata_path)


def torch_variant(build: TorchBuild) -> str:
    """cuda | rocm | cpu | unknown, from what the build says about itself."""
    if build.hip or (build.local or "").startswith("rocm"):
        return "rocm"
    if build.cuda or (build.local or "").startswith("cu"):
        return "cuda"
    if build.local == "cpu" or (build.source.endswith("version.py") and not build.cuda and not build.hip):
        return "cpu"
    return "unknown"


def is_macos(facts: Facts) -> bool:
    return (facts.markers or {}).get("sys_platform") == "darwin"


def environment(facts: Facts) -> dict:
    return facts.interpreter.environment if facts.interpreter else {}


def triton_import_findings(facts: Facts, situation: str, message: str) -> Iterator[Finding]:
    """MPS003 and STK003: one error per package whose own import needs triton where triton cannot be,
    from the import scan's module-level, unguarded imports of an uninstalled `triton` (the scan skips
    modules that a stand-in finder serves, so none are left once envdoctor's stub is there)."""
    by_importer: Dict[str, List[ImportProblem]] = {}
    for problem in facts.imports.problems if facts.imports else ():
        if problem.kind == "uninstalled" and problem.missing.split(".")[0] == "triton" and problem.eager and not problem.guarded:
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
            fix=FixProposal("stub", "install envdoctor's triton stub package", safe=False, parameters={"module": "triton"}),
        )
