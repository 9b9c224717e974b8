"""The body of `envdoctor fleet`: collect one snapshot per node through the engine named, run
every node's own checks on its facts (as `check --facts` does), compare the nodes, render.

Exit 0 when no node and no cross-node check failed, 1 when one did (warnings too with --strict),
2 on a usage error (no engine or two, Ray not installed, a --from file that is no snapshot).
"""

from __future__ import annotations

import time
from typing import List, Optional, Sequence

from envdoctor import collect
from envdoctor.errors import UsageError
from envdoctor.fleet.all_reduce import AllReduce, all_reduce_findings
from envdoctor.fleet.comparison import differing_rows
from envdoctor.fleet.cross_node import cross_node_findings
from envdoctor.fleet.fleet_formats import FleetFormat
from envdoctor.fleet.fleet_result import FleetResult
from envdoctor.fleet.nodes import FleetNode


def collected_nodes(ray: bool, address: str, slurm: bool, slurm_args: str, sources: Sequence[str],
                    python: Optional[str], timeout: float, deep: bool = False) -> tuple:
    """(engine, the nodes, --deep's all-reduce or None) from exactly one of --ray, --slurm, --from."""
    chosen = [name for name, wanted in (("--ray", ray), ("--slurm", slurm), ("--from", bool(sources))) if wanted]
    if len(chosen) != 1:
        raise UsageError("fleet: name one source of nodes: --ray, --slurm or --from DIR"
                         + (f" (not {' and '.join(chosen)})" if chosen else ""))
    if python and sources:
        raise UsageError("fleet: --python applies to --ray and --slurm; snapshots under --from were taken already")
    if deep and not ray:
        raise UsageError("fleet: --deep (an all-reduce across the nodes) runs through --ray only, so far")
    if ray:
        from envdoctor.fleet.ray_collector import collect_ray

        return ("ray", *collect_ray(address, python, timeout, deep))
    if slurm:
        from envdoctor.fleet.slurm_collector import collect_slurm

        return "slurm", collect_slurm(slurm_args, python, timeout), None
    from envdoctor.fleet.snapshots_on_disk import nodes_from

    return "files", nodes_from(sources), None


def judged(engine: str, nodes: List[FleetNode], config: Optional[str], strict: bool, started: float,
           all_reduce: Optional[AllReduce] = None) -> FleetResult:
    """Every node's own check run, the matrix and the cross-node findings."""
    from envdoctor.engine import run_checks
    from envdoctor.policy import override_severities

    if not nodes:
        raise UsageError("fleet: no node to check")
    names = [node.name for node in nodes]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageError(f"fleet: two nodes are called {', '.join(twice)}; give each snapshot its own file name")
    settings = collect.settings_for(None, config)
    checks = collect.select_checks(collect.registry_for(settings), settings, (), (), collect.inputs_for(settings, None))
    runs = {node.name: override_severities(run_checks(checks, node.facts), settings.severity)
            for node in nodes if node.answered}
    rows = differing_rows(nodes, collect.snapshot_mask())
    cross_node = sorted(cross_node_findings(nodes, rows) + all_reduce_findings(all_reduce), key=lambda f: (f.code, f.subject))
    return FleetResult(engine=engine, nodes=tuple(nodes), runs=runs, rows=tuple(rows), cross_node=tuple(cross_node),
                       strict=strict or settings.strict, all_reduce=all_reduce, elapsed=time.perf_counter() - started)


def rendered(result: FleetResult, fmt: FleetFormat) -> str:
    """The result in `fmt`, with every secret envdoctor or a node's environment holds masked."""
    from envdoctor.redaction import redactor

    if fmt is FleetFormat.json:
        from envdoctor.fleet.fleet_json import render_fleet_json as render
    elif fmt is FleetFormat.markdown:
        from envdoctor.fleet.fleet_markdown import render_fleet_markdown as render
    elif fmt is FleetFormat.sarif:
        from envdoctor.fleet.fleet_sarif import render_fleet_sarif as render
    elif fmt is FleetFormat.junit:
        from envdoctor.fleet.fleet_junit import render_fleet_junit as render
    else:
        from envdoctor.fleet.fleet_text import render_fleet_text as render
    environments = [node.facts.interpreter.environment for node in result.nodes
                    if node.facts is not None and node.facts.interpreter is not None]
    return redactor(*environments).text(render(result))


def run_fleet(ray: bool, address: str, slurm: bool, slurm_args: str, sources: Sequence[str], python: Optional[str],
              timeout: float, config: Optional[str], strict: bool, fmt: FleetFormat, deep: bool = False) -> tuple:
    """(the rendered report, the exit code)."""
    started = time.perf_counter()
    engine, nodes, all_reduce = collected_nodes(ray, address, slurm, slurm_args, sources, python, timeout, deep)
    result = judged(engine, nodes, config, strict, started, all_reduce)
    return rendered(result, fmt), result.exit_code()
