"""The cross-node checks (FLT001-FLT029): the nodes judged against each other.

Each differing row of the matrix (comparison.py) belongs to one code; an outlier node gets one
finding per code, naming the majority it differs from and, for distributions, the install that
makes it match ("node-7 differs from the other 7 nodes: torch 2.11.0+cu128 (others
2.11.0+cu130)").  A fact on which the nodes split evenly names no node: one finding for the fact.
Severity follows consequence: error where a collective or the first import on a node breaks.

The codes are documented in docs/fleet.md; `fix` is never run across nodes.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from envdoctor.fleet.comparison import Row
from envdoctor.fleet.nodes import FleetNode
from envdoctor.model.facts import canonicalize
from envdoctor.model.finding import Finding, FixProposal, Severity
from envdoctor.model.plan import MANUAL, InstallRequest
from envdoctor.vocabulary.installer import installer_for
from envdoctor.vocabulary.nccl_interface_lists import selected
from envdoctor.vocabulary.stack import is_stack
from envdoctor.vocabulary.versions import release

NCCL_ENV = "https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html"
TORCH_DIST = "https://docs.pytorch.org/docs/stable/distributed.html"

# code -> (name, why it breaks a job)
CODES: Dict[str, Tuple[str, str]] = {
    "FLT001": ("node-not-answering", "A job placed on it cannot be judged; a collective that waits on it hangs."),
    "FLT002": ("python-differs", "Pickled objects, compiled extensions and wheel choices differ between the nodes' Pythons."),
    "FLT003": ("stack-version-differs", "Ranks built from other releases of the stack exchange tensors, kernels and "
                                        "collective protocols that do not match: the job fails or hangs at the first collective."),
    "FLT004": ("torch-build-differs", "Another CUDA/ROCm build of torch on one node brings another NCCL/RCCL and other "
                                      "kernels: collectives between the builds hang or fail."),
    "FLT005": ("driver-differs", "A node whose driver is older than another node's torch build cannot run that build."),
    "FLT006": ("gpu-models-mixed", "Kernels, tuned configs and NCCL's topology assume one GPU model per job."),
    "FLT007": ("distributed-setting-differs", "NCCL and torch.distributed read these variables on every rank; ranks "
                                               "that disagree pick other transports or another rendezvous."),
    "FLT008": ("socket-interface-missing", "NCCL's bootstrap on that node finds no interface the list names."),
    "FLT009": ("distribution-differs", "Code that imports it behaves differently, or fails, on some nodes."),
    "FLT010": ("accelerator-software-differs", "JIT builds and CUDA libraries differ between the nodes."),
    "FLT011": ("import-system-differs", "A .pth file, finder or sys.path entry changes what gets imported on some nodes."),
    "FLT012": ("network-differs", "NCCL's IB and socket transports choose from the devices each node has."),
    "FLT013": ("environment-differs", "A variable that changes what the stack does differs between the nodes."),
    "FLT014": ("all-reduce-failed", "A collective across these nodes fails or hangs: the job's first all-reduce would too."),
}
# Rendezvous variables: ranks that disagree never meet.
RENDEZVOUS = frozenset({"MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE"})
DISTRIBUTED_PREFIXES = ("NCCL_", "GLOO_", "TORCH_NCCL_", "TORCH_DISTRIBUTED", "MASTER_", "WORLD_SIZE", "NVSHMEM_")
SOCKET_VARIABLES = ("NCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME")
DRIVER_SUBJECTS = ("NVIDIA driver", "CUDA version the driver runs")
GPU_SUBJECTS = ("NVIDIA GPUs", "AMD GPUs")


def classify(row: Row) -> Tuple[str, Severity]:
    """The code a differing fact belongs to, and how bad it is."""
    if row.area == "python":
        return "FLT002", Severity.ERROR if row.impact == "high" else Severity.WARNING
    if row.area == "torch build":
        return "FLT004", Severity.ERROR
    if row.area == "distributions":
        stack = is_stack(canonicalize(row.subject.split(" ")[0]))
        if stack and _is_distribution(row):
            return "FLT003", Severity.ERROR
        return "FLT009", Severity.INFO if row.majority is None and _is_distribution(row) else Severity.WARNING
    if row.area == "accelerator":
        if row.subject in DRIVER_SUBJECTS:
            return "FLT005", Severity.WARNING
        if row.subject in GPU_SUBJECTS:
            return "FLT006", Severity.WARNING
        return "FLT010", Severity.WARNING
    if row.area == "network":
        return "FLT012", Severity.WARNING if row.impact != "low" else Severity.INFO
    if row.area == "import system":
        return "FLT011", Severity.WARNING
    if row.subject.startswith(DISTRIBUTED_PREFIXES):
        return "FLT007", Severity.ERROR if row.subject in RENDEZVOUS else Severity.WARNING
    return "FLT013", Severity.WARNING if row.impact == "medium" else Severity.INFO


def _is_distribution(row: Row) -> bool:
    """A row about a distribution's version or presence (not its install kind, location or copies)."""
    return " " not in row.subject and ":" not in row.subject


def cross_node_findings(nodes: Sequence[FleetNode], rows: Sequence[Row]) -> List[Finding]:
    findings = [_not_answering(node) for node in nodes if not node.answered]
    answering = [node for node in nodes if node.answered]
    by_node: Dict[Tuple[str, str], List[Tuple[Row, Severity]]] = {}
    for row in rows:
        code, severity = classify(row)
        if not row.majority_found:
            findings.append(_split(code, severity, row))
        for name in row.outliers:
            by_node.setdefault((code, name), []).append((row, severity))
    facts_of = {node.name: node.facts for node in answering}
    too_old = list(_driver_too_old(answering))
    findings += too_old
    for (code, name), items in by_node.items():
        if code == "FLT005" and any(f.subject == name for f in too_old):
            continue  # the error says more than the difference
        findings.append(_outlier(code, name, items, len(answering), facts_of[name]))
    findings += _socket_interfaces(answering, rows)
    return sorted(findings, key=lambda f: (f.code, f.subject))


def fleet_finding(code: str, severity: Severity, title: str, subject: str, evidence=(), fix=None, references=()) -> Finding:
    """A finding of `code` (its name and why it breaks a job from CODES); NCCL's settings page by default."""
    name, why = CODES[code]
    return Finding(code=code, name=name, severity=severity, title=title, subject=subject, message=why,
                   evidence=tuple(evidence), fix=fix, references=tuple(references) or (NCCL_ENV,))


def _shown(value: Optional[str]) -> str:
    return "absent" if value is None else value


def _not_answering(node: FleetNode) -> Finding:
    return fleet_finding("FLT001", Severity.ERROR, f"{node.name} did not answer: {node.problem}", node.name,
                         evidence=(f"{node.engine} node {node.node_id}",), references=(TORCH_DIST,))


def _split(code: str, severity: Severity, row: Row) -> Finding:
    groups: Dict[Optional[str], List[str]] = {}
    for name, value in row.cells:
        groups.setdefault(value, []).append(name)
    shown = "; ".join(f"{_shown(value)} on {', '.join(names)}" for value, names in groups.items())
    return fleet_finding(code, severity, f"the nodes split evenly on {row.subject}: {shown}", row.subject,
                         evidence=tuple(f"{name}: {_shown(value)}" for name, value in row.cells))


def _outlier(code: str, name: str, items: List[Tuple[Row, Severity]], answering: int, facts) -> Finding:
    severity = max((severity for _, severity in items), key=lambda s: s.rank)
    majority = max(sum(1 for _, value in row.cells if value == row.majority) for row, _ in items)
    who = (f"the other {answering - 1} nodes" if majority == answering - 1
           else f"the majority ({majority} of {answering} nodes)")
    parts = [f"{row.subject} {_shown(row.value(name))} (others {_shown(row.majority)})" for row, _ in items]
    evidence = [f"{row.subject}: {name} has {_shown(row.value(name))}; " + ", ".join(
        f"{node} {_shown(value)}" for node, value in row.cells if node != name) for row, _ in items]
    return fleet_finding(code, severity, f"{name} differs from {who}: " + ", ".join(parts), name, evidence=evidence,
                         fix=_aligning_fix(name, [row for row, _ in items], facts))


def _aligning_fix(name: str, rows: Sequence[Row], facts) -> Optional[FixProposal]:
    """The install (and uninstall) that gives node `name` the majority's distributions."""
    install = [f"{row.subject}=={row.majority}" for row in rows
               if row.area == "distributions" and _is_distribution(row) and row.majority is not None]
    remove = [row.subject for row in rows
              if row.area == "distributions" and _is_distribution(row) and row.majority is None]
    if not install and not remove:
        return None
    installer = installer_for(facts)
    commands = ([installer.command(InstallRequest(tuple(install)))] if install else []) + (
        [installer.command(InstallRequest(tuple(remove), uninstall=True))] if remove else [])
    return FixProposal(MANUAL, f"on {name}: make its distributions match the majority", safe=False,
                       command=" && ".join(commands))


def _driver_too_old(nodes: Sequence[FleetNode]) -> Iterator[Finding]:
    """FLT005 as an error: a node's driver runs an older CUDA than another node's torch build needs."""
    builds = {node.name: node.facts.stack.torch.cuda for node in nodes
              if node.facts.stack and node.facts.stack.torch and node.facts.stack.torch.cuda}
    needing: Dict[Tuple[int, ...], List[str]] = {}  # each CUDA release the builds need: the nodes that need it
    for name, cuda in builds.items():
        needing.setdefault(release(cuda) or (), []).append(name)
    for node in nodes:
        nvidia = node.facts.stack.nvidia if node.facts.stack else None
        runs = release(nvidia.cuda_driver_version) if nvidia and nvidia.cuda_driver_version else None
        if runs is None:
            continue
        newer = sorted(other for cuda, names in needing.items() if cuda > runs for other in names)
        if newer:
            newest = max(release(builds[other]) or () for other in newer)  # by release: "13.0" > "9.2"
            needing_newest = [other for other in newer if (release(builds[other]) or ()) == newest]
            needs = builds[needing_newest[0]]
            yield fleet_finding("FLT005", Severity.ERROR,
                                f"{node.name}'s driver runs CUDA {nvidia.cuda_driver_version}; the torch build of "
                                f"{', '.join(needing_newest)} needs CUDA {needs}", node.name,
                                evidence=(f"{node.name}: driver {nvidia.driver_version} (CUDA {nvidia.cuda_driver_version})",
                                          *(f"{other}: torch built for CUDA {builds[other]}" for other in newer)),
                                references=("https://docs.nvidia.com/deploy/cuda-compatibility/",))


def _socket_interfaces(nodes: Sequence[FleetNode], rows: Sequence[Row]) -> Iterator[Finding]:
    """FLT008: the majority's NCCL_SOCKET_IFNAME/GLOO_SOCKET_IFNAME selects no usable interface of
    an outlier node (a launcher that exports one environment to every node breaks that node)."""
    by_name = {node.name: node for node in nodes}
    for row in rows:
        if row.area != "environment" or row.subject not in SOCKET_VARIABLES or not row.majority:
            continue
        for name in row.outliers:
            network = by_name[name].facts.network
            if network is None or not network.interfaces:
                continue
            usable = [i.name for i in network.interfaces if i.usable()]
            if not selected(usable, row.majority):
                yield fleet_finding("FLT008", Severity.WARNING,
                                    f"{row.subject}={row.majority!r}, set on the majority, selects no usable interface of "
                                    f"{name} ({', '.join(usable) or 'none usable'})", name,
                                    evidence=(f"{name}: {row.subject}={_shown(row.value(name))}",),
                                    references=(NCCL_ENV + "#nccl-socket-ifname",))
