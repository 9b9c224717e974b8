"""What differs between two environments' facts, that matters, ordered by impact.

`envdoctor diff a.json b.json` renders these (report/differences.py); `check --against
known-good.json` turns them into findings (checks/known_good.py, EXP002), which is why the
comparison sits in the vocabulary layer that checks may import.  Paths are compared relative to
each environment's own prefix and working directory, so two venvs in different
folders (or an image built somewhere else) differ only where their content does.

Impact says how likely a difference is to change what the code does:
  high    another Python, platform, torch build, driver, CUDA, GPU set; a stack package
          (torch, triton, flashinfer, nvidia-*, ...) changed or any distribution removed
  medium  other version changes of a major or minor release, install kind (editable),
          import-system changes (.pth files, finders, shims), behaviour-changing
          environment variables (CUDA_VISIBLE_DEVICES, LD_LIBRARY_PATH, ...), InfiniBand/RoCE devices
  low     patch-level version changes, added distributions, other environment variables, the network
          interfaces NCCL could use (their names often differ between machines of one fleet)
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from envdoctor.model.facts import Facts
from envdoctor.model.record import Record, record
from envdoctor.vocabulary.stack import BEHAVIOUR_VARIABLES, is_stack
from envdoctor.vocabulary.versions import release

AREAS = ("python", "accelerator", "network", "torch build", "distributions", "import system", "environment")
IMPACTS = ("high", "medium", "low")


Paths = Tuple[Callable[[Optional[str]], Optional[str]], Callable[[Optional[str]], Optional[str]]]


@record
class Difference(Record):
    area: str  # one of AREAS
    subject: str  # "torch", "NVIDIA driver", "CUDA_VISIBLE_DEVICES"
    change: str  # added | removed | changed
    before: Optional[str]
    after: Optional[str]
    impact: str  # one of IMPACTS
    detail: str = ""  # why this impact: "major version", "editable -> regular install"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def diff_facts(before: Facts, after: Facts, mask: Optional[Callable[[str], str]] = None) -> List[Difference]:
    """Every difference that matters, grouped by area; areas with the highest impact first,
    and within an area by impact, then subject.

    `mask` is applied to both sides' paths and values before they are compared: the redaction a
    snapshot went through when it was written (envdoctor/redaction.py), so that a live environment
    compares equal to its own snapshot where a token or an index URL's password was masked."""
    found: List[Difference] = []
    paths = (_relative(before, mask), _relative(after, mask))  # each side's paths, as placeholders
    for compare in (_python, _accelerator, _jit_and_collectives, _network, _torch_build, _distributions, _import_system,
                    _environment):
        found.extend(compare(before, after, paths))
    rank = {impact: index for index, impact in enumerate(IMPACTS)}
    worst: Dict[str, int] = {}
    for item in found:
        worst[item.area] = min(worst.get(item.area, len(IMPACTS)), rank[item.impact])
    return sorted(found, key=lambda d: (worst[d.area], AREAS.index(d.area), rank[d.impact], d.subject.lower()))


# --- helpers ---------------------------------------------------------------------------------


def _compare(area: str, subject: str, before, after, impact: str, detail: str = "") -> Iterator[Difference]:
    """One difference when two values differ; None counts as absent."""
    if before == after:
        return
    before_text = None if before is None else str(before)
    after_text = None if after is None else str(after)
    change = "added" if before is None else "removed" if after is None else "changed"
    yield Difference(area, subject, change, before_text, after_text, impact, detail)


def _sets(area: str, subject: str, before: Iterable[str], after: Iterable[str], impact: str) -> Iterator[Difference]:
    """Members added to and removed from a collection, one difference each."""
    old, new = set(before), set(after)
    for item in sorted(new - old):
        yield Difference(area, f"{subject}: {item}", "added", None, item, impact)
    for item in sorted(old - new):
        yield Difference(area, f"{subject}: {item}", "removed", item, None, impact)


def _relative(facts: Facts, mask: Optional[Callable[[str], str]]) -> Callable[[Optional[str]], Optional[str]]:
    """Paths with the environment's prefix and working directory replaced by placeholders, masked."""
    interpreter = facts.interpreter
    roots = []
    if interpreter is not None:
        roots += [(interpreter.prefix, "<prefix>"), (interpreter.cwd, "<cwd>")]
    roots.append((facts.target.cwd, "<cwd>"))
    roots = sorted({(os.path.normpath(root), label) for root, label in roots if root}, key=lambda item: -len(item[0]))

    def relative(text: Optional[str]) -> Optional[str]:
        if not text:
            return text
        for root, label in roots:
            if root != os.sep:
                text = text.replace(root, label)
        return mask(text) if mask else text

    return relative


# --- areas -----------------------------------------------------------------------------------


def _python(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    a, b = before.interpreter, after.interpreter
    if a is None or b is None:
        return
    old, new = a.version.split()[0], b.version.split()[0]
    same_minor = tuple(a.version_info[:2]) == tuple(b.version_info[:2])
    yield from _compare("python", "Python", old, new, "medium" if same_minor else "high",
                        "patch release" if same_minor else "another minor release: other wheels, other behaviour")
    yield from _compare("python", "implementation", a.implementation, b.implementation, "high")
    yield from _compare("python", "platform", a.platform, b.platform, "high")
    for key in ("platform_machine", "platform_system"):
        yield from _compare("python", key, (before.markers or {}).get(key), (after.markers or {}).get(key), "high")
    yield from _compare("python", "virtual environment", a.in_venv, b.in_venv, "medium")


def _accelerator(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    a, b = before.stack, after.stack
    if a is None or b is None:
        return
    area = "accelerator"
    an, bn = a.nvidia, b.nvidia
    yield from _compare(area, "NVIDIA driver", an.driver_version if an else None, bn.driver_version if bn else None, "high")
    yield from _compare(area, "CUDA version the driver runs", an.cuda_driver_version if an else None,
                        bn.cuda_driver_version if bn else None, "high")
    gpu = lambda g: f"{g.name}" + (f" (sm {g.capability})" if g.capability else "")  # noqa: E731
    yield from _compare(area, "NVIDIA GPUs", ", ".join(gpu(g) for g in a.nvidia_gpus) or None,
                        ", ".join(gpu(g) for g in b.nvidia_gpus) or None, "high")
    yield from _compare(area, "AMD GPUs", ", ".join(a.amd_gpus) or None, ", ".join(b.amd_gpus) or None, "high")
    yield from _compare(area, "ROCm", a.rocm.version if a.rocm else None, b.rocm.version if b.rocm else None, "high")
    yield from _compare(area, "CUDA toolkit", a.cuda_toolkit.version if a.cuda_toolkit else None,
                        b.cuda_toolkit.version if b.cuda_toolkit else None, "medium", "what JIT builds compile with")
    if a.apple and b.apple:
        yield from _compare(area, "macOS", a.apple.macos_version, b.apple.macos_version, "medium")
        yield from _compare(area, "Rosetta 2 translation", a.apple.translated, b.apple.translated, "high")
    rel_a, rel_b = paths
    library = lambda rel: lambda lib: f"{lib.library} {lib.version or '?'} ({rel(lib.path)})"  # noqa: E731
    yield from _sets(area, "CUDA library on the loader path", map(library(rel_a), a.libraries),
                     map(library(rel_b), b.libraries), "medium")
    if before.deep and after.deep and before.deep.torch and after.deep.torch:
        ta, tb = before.deep.torch, after.deep.torch
        yield from _compare(area, "torch.cuda.is_available()", ta.cuda_available, tb.cuda_available, "high")
        yield from _compare(area, "GPUs torch sees", ta.device_count, tb.device_count, "high")
        yield from _compare(area, "torch's arch list", " ".join(ta.arch_list) or None, " ".join(tb.arch_list) or None, "high")
        yield from _compare(area, "a one-element kernel launch", ta.kernel, tb.kernel, "high")


def _jit_and_collectives(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    """The run-time kernel build toolchain and --deep's JIT build, all-reduce and GPU links
    (model/toolchain_facts.py): what differs when a JIT build or a multi-GPU job works on one
    machine and not on another."""
    area = "accelerator"
    a, b = before.toolchain, after.toolchain
    if a is not None and b is not None:
        nvcc = lambda t: f"{t.nvcc_version} ({t.cuda_home_via})" if t.nvcc_version else None  # noqa: E731
        compiler = lambda t: f"{t.compiler.family} {t.compiler.version}" if t.compiler and t.compiler.version else None  # noqa: E731
        yield from _compare(area, "nvcc that JIT builds use", nvcc(a), nvcc(b), "medium")
        yield from _compare(area, "host compiler nvcc runs", compiler(a), compiler(b), "medium")
        yield from _compare(area, "ninja on PATH", bool(a.ninja), bool(b.ninja), "medium")
    da, db = before.deep, after.deep
    if da is None or db is None:
        return
    build = lambda d: d.jit_build.outcome if d.jit_build else None  # noqa: E731
    yield from _compare(area, "a run-time CUDA kernel build", build(da), build(db), "high")
    ma, mb = da.multi_gpu, db.multi_gpu
    if ma is not None and mb is not None:
        outcome = lambda m: m.all_reduce.outcome if m.all_reduce else None  # noqa: E731
        yield from _compare(area, "the all-reduce across GPUs", outcome(ma), outcome(mb), "high")
        yield from _compare(area, "GPU peer access", str(ma.peer_access), str(mb.peer_access), "medium")
        links = lambda m: " ".join(f"{g}-{o}:{v}" for g, row in sorted(m.topology.items()) for o, v in sorted(row.items()))  # noqa: E731
        yield from _compare(area, "GPU topology", links(ma) or None, links(mb) or None, "medium")


def _network(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    """RDMA devices (what NCCL's IB transport uses between machines) and the interfaces NCCL's
    socket transport can use (running, with an address): what NCCL_SOCKET_IFNAME/NCCL_IB_HCA name."""
    a, b = before.network, after.network
    if a is None or b is None:
        return
    area = "network"
    device = lambda d: d.name + "".join(f" port {p.number} {p.link_layer or '?'} {p.state or '?'}" for p in d.ports)  # noqa: E731
    yield from _sets(area, "InfiniBand/RoCE device", map(device, a.ib_devices), map(device, b.ib_devices), "medium")
    usable = lambda n: [i.name for i in n.interfaces if i.usable()]  # noqa: E731
    yield from _sets(area, "usable network interface", usable(a), usable(b), "low")


def _torch_build(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    """The build of torch (its version is under distributions)."""
    a = before.stack.torch if before.stack else None
    b = after.stack.torch if after.stack else None
    if a is None or b is None:
        return  # torch added or removed shows under distributions
    area = "torch build"
    yield from _compare(area, "torch build tag", a.local, b.local, "high", "cu130, rocm6.4, cpu: which kernels exist")
    yield from _compare(area, "torch CUDA runtime", a.cuda, b.cuda, "high")
    yield from _compare(area, "torch HIP runtime", a.hip, b.hip, "high")


def _version_impact(name: str, old: Optional[str], new: Optional[str]) -> Tuple[str, str]:
    if is_stack(name):
        return "high", "an ML-stack package"
    a, b = release(old), release(new)
    if a is None or b is None:
        return "medium", "unparsable version"
    if a[:1] != b[:1]:
        return "high", "another major release"
    if a[:2] != b[:2]:
        return "medium", "another minor release"
    return "low", "a patch release"


def _distributions(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    if before.distributions is None or after.distributions is None:
        return
    area = "distributions"
    a, b = before.active_distributions(), after.active_distributions()
    rel_a, rel_b = paths
    for name in sorted(set(a) | set(b)):
        old, new = a.get(name), b.get(name)
        if old is None:
            yield Difference(area, new.name, "added", None, new.version, "medium" if is_stack(name) else "low",
                             "an ML-stack package" if is_stack(name) else "")
        elif new is None:
            yield Difference(area, old.name, "removed", old.version, None, "high", "code that imports it fails")
        else:
            if old.version != new.version:
                impact, detail = _version_impact(name, old.version, new.version)
                yield Difference(area, new.name, "changed", old.version, new.version, impact, detail)
            kind = lambda d: "editable" if d.editable else "regular install"  # noqa: E731
            yield from _compare(area, f"{new.name} install kind", kind(old), kind(new), "medium")
            yield from _compare(area, f"{new.name} location", rel_a(old.location), rel_b(new.location), "medium")
    copies = lambda facts: {n for n, c in facts.distributions_by_name.items() if len(c) > 1}  # noqa: E731
    yield from _sets(area, "more than one copy installed", copies(before), copies(after), "medium")


def _import_system(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    area = "import system"
    rel_a, rel_b = paths
    a, b = before.import_system, after.import_system
    if a is not None and b is not None:
        yield from _sets(area, "sys.meta_path finder", (f.qualified_name for f in a.meta_path),
                         (f.qualified_name for f in b.meta_path), "medium")
        yield from _sets(area, "sys.path_hooks entry", (f.qualified_name for f in a.path_hooks),
                         (f.qualified_name for f in b.path_hooks), "medium")
        yield from _sets(area, "envdoctor shim", a.shims, b.shims, "medium")
    if before.pth_files is not None and after.pth_files is not None:

        def lines(facts, rel):
            return {rel(p.path): tuple(rel(line.text) for line in p.lines if line.kind in ("import", "path"))
                    for p in facts.pth_files}

        old, new = lines(before, rel_a), lines(after, rel_b)
        yield from _sets(area, ".pth file", old, new, "medium")
        for path in sorted(set(old) & set(new)):
            yield from _compare(area, f"{path} lines", "; ".join(old[path]), "; ".join(new[path]), "medium")
    if before.sys_path is not None and after.sys_path is not None:
        old_path = [rel_a(e.path) for e in before.sys_path]
        new_path = [rel_b(e.path) for e in after.sys_path]
        if set(old_path) == set(new_path) and old_path != new_path:
            yield Difference(area, "sys.path order", "changed", " ".join(old_path), " ".join(new_path), "medium")
        yield from _sets(area, "sys.path entry", old_path, new_path, "low")


def _environment(before: Facts, after: Facts, paths: Paths) -> Iterator[Difference]:
    a = before.interpreter.environment if before.interpreter else None
    b = after.interpreter.environment if after.interpreter else None
    if a is None or b is None:
        return
    rel_a, rel_b = paths
    for name in sorted(set(a) | set(b)):
        impact = "medium" if name in BEHAVIOUR_VARIABLES else "low"
        yield from _compare("environment", name, rel_a(a.get(name)), rel_b(b.get(name)), impact)
