"""NCCL's environment variables judged against this machine and the NCCL installed.

NCCL reads its settings when a communicator is created (or at the first collective): a value
that names an interface the machine lacks, a transport it cannot use, or an algorithm the
installed release does not know fails every multi-GPU job with "invalid usage", far from the
variable that caused it.  What NCCL accepts is data (_nccl_knowledge.py, read in NCCL's own
source for the releases named there); these checks judge only what that data covers.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Tuple

from envdoctor.api import check, report
from envdoctor.checks import _nccl_knowledge as known
from envdoctor.checks._shared import environment, whole_number
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Severity
from envdoctor.model.network_facts import NetworkInterface
from envdoctor.vocabulary.installed import installed, torch_build, torch_variant
from envdoctor.vocabulary.nccl_interface_lists import selected
from envdoctor.vocabulary.stack import NCCL_DISTRIBUTIONS
from envdoctor.vocabulary.versions import release

NCCL_LIBRARY = "nccl"  # LibraryFile.library of libnccl.so found in LD_LIBRARY_PATH/LD_PRELOAD


# --- which NCCL, if any ----------------------------------------------------------------------


def nccl_in_target(facts: Facts) -> Optional[Tuple[Optional[Tuple[int, ...]], str]]:
    """(version, where it was read) of the NCCL a job in this environment loads; None when the
    environment has no NCCL (no CUDA build of torch, no nvidia-nccl wheel).  The version is None
    when NCCL is there but no file says which release it is."""
    deep = facts.deep.torch if facts.deep else None
    if deep is not None and deep.nccl_version:
        return release(deep.nccl_version), f"torch.cuda.nccl.version() = {deep.nccl_version} (--deep)"
    libraries = facts.stack.libraries if facts.stack else ()
    for via in ("LD_PRELOAD", "LD_LIBRARY_PATH"):  # the loader's order: these win over torch's RUNPATH
        for library in libraries:
            if library.library == NCCL_LIBRARY and library.via == via and len(release(library.version) or ()) >= 2:
                return release(library.version), f"{library.path} (via {via})"
    for name in NCCL_DISTRIBUTIONS:
        dist = installed(facts, name)
        if dist is not None:
            return release(dist.version), f"{dist.name} {dist.version} ({dist.metadata_path})"
    build = torch_build(facts)
    if build is not None and torch_variant(build) == "cuda":
        return None, f"torch {build.version} is a CUDA build (its NCCL release is not recorded)"
    return None


def _shown(version: Optional[Tuple[int, ...]]) -> str:
    return ".".join(map(str, version)) if version else "of unknown version"


# --- NCCL_SOCKET_IFNAME and NCCL_IB_HCA: NCCL's interface-list syntax -------------------------


def _state(interface: NetworkInterface) -> str:
    address = "/".join(interface.families) or "no IP address"
    running = {True: "running", False: "not running", None: "state unknown"}[interface.running]
    return f"{interface.name} ({interface.operstate or '?'}, {running}, {address})"


SOCKET_FAMILIES = {"AF_INET": "inet", "AF_INET6": "inet6"}  # NCCL_SOCKET_FAMILY (src/misc/socket.cc)


@check(
    code="NCL001",
    name="nccl-socket-interface",
    summary="NCCL_SOCKET_IFNAME selects no usable network interface of this machine.",
    needs=("interpreter", "network", "stack", "distributions"),
    fix="manual",
)
def nccl_socket_interface(facts: Facts) -> Iterator:
    """Match NCCL_SOCKET_IFNAME against the machine's interfaces the way NCCL does.

    What it detects
        `NCCL_SOCKET_IFNAME` set (two characters or more: NCCL ignores shorter values) in an
        environment with NCCL, where no interface that is running and has an IP address is
        selected by it.  NCCL's syntax is honoured: a comma-separated list of name prefixes,
        `^` first to exclude them instead, `=` (after any `^`) to match whole names, `:port`
        suffixes ignored; names compare case-sensitively; `NCCL_SOCKET_FAMILY=AF_INET` or
        `AF_INET6` restricts the addresses that count.

    Why it breaks
        NCCL's bootstrap opens its sockets on the interfaces this variable selects, even for
        GPUs of one machine.  With none, creating the communicator fails with
        "Bootstrap : no socket interface found" (ncclInvalidUsage): `torch.distributed`'s
        first NCCL collective, and every tensor-parallel SGLang/vLLM server, stop there.
        Recorded on a 2-GPU H200 machine with NCCL 2.28.9 (docs/transcripts/).

        Severity: an error: every NCCL communicator created in this environment fails.

    Example
        NCCL_SOCKET_IFNAME='nope0' selects no interface of this machine (lo, eth0)

    Fix
        Set it to an interface that `ip -o link` lists and that has an address (`=eth0`),
        or unset it and let NCCL choose.

    References
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html#nccl-socket-ifname
        https://github.com/NVIDIA/nccl/blob/v2.28.9-1/src/misc/socket.cc
    """
    value = environment(facts).get("NCCL_SOCKET_IFNAME")
    network = facts.network
    if value is None or len(value) <= 1 or not network.interfaces or nccl_in_target(facts) is None:
        return
    family = SOCKET_FAMILIES.get(environment(facts).get("NCCL_SOCKET_FAMILY", ""))
    chosen = set(selected(network.interface_names(), value))
    if any(i.usable(family) for i in network.interfaces if i.name in chosen):
        return
    if chosen:
        title = f"NCCL_SOCKET_IFNAME={value!r} selects {', '.join(sorted(chosen))}, which NCCL cannot use (not running or no address)"
    else:
        title = f"NCCL_SOCKET_IFNAME={value!r} selects no interface of this machine ({', '.join(network.interface_names())})"
    yield report(
        Severity.ERROR,
        title,
        subject="NCCL_SOCKET_IFNAME",
        message="NCCL's bootstrap finds no socket interface: every communicator fails with "
                "\"Bootstrap : no socket interface found\" (invalid usage) before the first collective.",
        evidence=(f"NCCL_SOCKET_IFNAME={value!r}", *(f"interface {_state(i)}" for i in network.interfaces),
                  f"interfaces read with {network.interfaces_source}"),
        fix=FixProposal("manual", "unset NCCL_SOCKET_IFNAME, or name an interface that is up with an address (e.g. '=eth0')"),
    )


@check(
    code="NCL002",
    name="nccl-net-without-rdma",
    summary="NCCL_NET=IB on a machine without InfiniBand/RoCE devices.",
    needs=("interpreter", "network", "stack", "distributions"),
    fix="manual",
)
def nccl_net_without_rdma(facts: Facts) -> Iterator:
    """Check that the network transport NCCL_NET forces exists on this machine.

    What it detects
        `NCCL_NET=IB` (any case: NCCL compares it with strcasecmp) in an environment with NCCL,
        on a machine whose `/sys/class/infiniband` lists no RDMA device (neither InfiniBand nor
        RoCE). `NCCL_NET=Socket` always works; other values name external network plugins,
        which envdoctor does not judge.

    Why it breaks
        NCCL_NET makes NCCL initialise that transport only. Its IB transport finds no device,
        so no network plugin is left and every communicator fails with "Failed to initialize
        any NET plugin" (ncclInvalidUsage), even between GPUs of one machine, which would not
        have used the network. Recorded on a 2-GPU H200 machine without InfiniBand.

        Severity: an error: every NCCL communicator created in this environment fails.

    Example
        NCCL_NET='IB' but this machine has no InfiniBand/RoCE device (/sys/class/infiniband lists none)

    Fix
        Unset NCCL_NET (NCCL picks IB when it finds devices, sockets otherwise), or set it to
        `Socket`.

    References
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html#nccl-net
        https://github.com/NVIDIA/nccl/blob/v2.28.9-1/src/plugin/net.cc
    """
    value = environment(facts).get("NCCL_NET")
    if value is None or value.lower() != known.NET_IB.lower() or facts.network.ib_devices:
        return
    if facts.network.errors and any("infiniband" in e for e in facts.network.errors):
        return  # could not read the folder: not the same as no device
    if nccl_in_target(facts) is None:
        return
    yield report(
        Severity.ERROR,
        f"NCCL_NET={value!r} but this machine has no InfiniBand/RoCE device ({facts.network.ib_source} lists none)",
        subject="NCCL_NET",
        message="NCCL initialises only the IB transport, which finds no device: every communicator fails with "
                "\"Failed to initialize any NET plugin\" (invalid usage).",
        evidence=(f"NCCL_NET={value!r}", f"{facts.network.ib_source}: no device"),
        fix=FixProposal("manual", "unset NCCL_NET, or set NCCL_NET=Socket"),
    )


# --- NCCL_ALGO and NCCL_PROTO: names the installed release accepts ---------------------------


def unknown_tokens(value: str, names: Sequence[str], per_collective: bool) -> List[str]:
    """What NCCL's parseList (src/graph/tuning.cc) rejects in `value`: names not in `names`
    (case-insensitive) and, from 2.24 (`per_collective`), unknown collectives before ':' and
    a second entry without one.  Empty pieces are skipped, as strtok skips them."""
    accepted = {name.lower() for name in names}
    collectives = {name.lower() for name in known.COLLECTIVES}
    problems = []
    entries = [entry for entry in value.split(";") if entry] if per_collective else [value]
    for index, entry in enumerate(entries):
        parts = [part for part in entry.split(":") if part] if per_collective else [entry]
        prefix, listed = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0] if parts else "")
        if per_collective and prefix is None and index > 0:
            problems.append(f"{entry!r} (every entry after the first needs a collective, as 'allreduce:ring')")
        if prefix is not None and prefix.lower() not in collectives:
            problems.append(f"{prefix!r} (not a collective: {', '.join(known.COLLECTIVES)})")
        listed = listed[1:] if listed.startswith("^") else listed
        problems += [repr(token) for token in listed.split(",") if token and token.lower() not in accepted]
    return problems


def _enumerated_finding(variable: str, value: str, table, facts: Facts):
    """The finding for one of NCCL_ALGO/NCCL_PROTO, or None."""
    found = nccl_in_target(facts)
    if found is None:
        return None
    version, source = found
    entry = known.values_for(table, version)
    if entry is None:
        return None  # a release this knowledge does not cover (or unknown): not judged
    mine = tuple(version[:2])
    problems = unknown_tokens(value, entry.names, per_collective=mine >= known.COLLECTIVE_PREFIX_FROM)
    if not problems:
        return None
    rejects = mine >= known.REJECTS_UNKNOWN_FROM
    if rejects and mine <= known.NEWEST_READ:
        severity, outcome = Severity.ERROR, "rejects it: the first collective fails with \"invalid usage\""
    elif rejects:
        severity, outcome = Severity.WARNING, (f"is newer than the releases envdoctor knows (up to "
                                               f"{_shown(known.NEWEST_READ)}); if it still rejects unknown names, the first collective fails")
    else:
        severity, outcome = Severity.WARNING, "ignores unknown names, so the setting does not do what it says"
    return report(
        severity,
        f"{variable}={value!r}: NCCL {_shown(version)} does not accept {', '.join(problems)}",
        subject=variable,
        message=f"NCCL {_shown(version)} {outcome}. It accepts {', '.join(entry.names)} (any case), "
                "a leading '^' to exclude them" + (", and 'collective:names' entries separated by ';'."
                                                    if mine >= known.COLLECTIVE_PREFIX_FROM else "."),
        evidence=(f"{variable}={value!r}", f"NCCL {_shown(version)}: {source}", f"accepted names: {entry.reference}"),
        fix=FixProposal("manual", f"unset {variable} (NCCL chooses by itself), or use only {', '.join(entry.names)}"),
    )


@check(
    code="NCL003",
    name="nccl-algorithm-protocol",
    summary="NCCL_ALGO or NCCL_PROTO holds a name the installed NCCL does not accept.",
    needs=("interpreter", "stack", "distributions"),
    fix="manual",
)
def nccl_algorithm_protocol(facts: Facts) -> Iterator:
    """Read NCCL_ALGO and NCCL_PROTO as the installed NCCL release parses them.

    What it detects
        A name in `NCCL_ALGO` (Tree, Ring, CollNetDirect, CollNetChain, NVLS, NVLSTree, and PAT
        from 2.23) or `NCCL_PROTO` (LL, LL128, Simple) that the installed NCCL does not know,
        compared case-insensitively as NCCL does, after a leading `^` (exclude) and, from NCCL
        2.24, inside `collective:names;...` entries (whose collective names are checked too).
        The NCCL release comes from `torch.cuda.nccl.version()` under `--deep`, a libnccl.so
        in LD_PRELOAD/LD_LIBRARY_PATH, or the nvidia-nccl wheel, in that order (the evidence
        says which). Releases before 2.18, and an unknown release, are not judged.

    Why it breaks
        From NCCL 2.24 an unknown name is ncclInvalidUsage ("Unrecognized element token")
        when the communicator tunes its algorithms: the first collective of every process
        fails. Recorded with NCCL_ALGO=nonsense and NCCL_PROTO=bogus on a 2-GPU H200 machine
        with NCCL 2.28.9. Before 2.24 NCCL skipped unknown names silently, so the setting
        did not do what it said.

        Severity: an error for the releases that reject the value (2.24 up to the newest
        release envdoctor has read, 2.30); a warning for older releases (ignored) and newer
        ones (not read).

    Example
        NCCL_ALGO='nonsense': NCCL 2.28.9 does not accept 'nonsense'

    Fix
        Unset the variable (NCCL's tuner chooses per message size), or use only the names the
        message lists.

    References
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html#nccl-algo
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html#nccl-proto
        https://github.com/NVIDIA/nccl/blob/v2.28.9-1/src/graph/tuning.cc
    """
    env = environment(facts)
    for variable, table in (("NCCL_ALGO", known.ALGORITHMS), ("NCCL_PROTO", known.PROTOCOLS)):
        value = env.get(variable)
        if value is not None:
            finding = _enumerated_finding(variable, value, table, facts)
            if finding is not None:
                yield finding


# --- NCCL_IB_HCA ------------------------------------------------------------------------------


@check(
    code="NCL004",
    name="nccl-ib-hca-absent",
    summary="NCCL_IB_HCA selects no InfiniBand/RoCE device of this machine.",
    needs=("interpreter", "network", "stack", "distributions"),
    fix="manual",
)
def nccl_ib_hca_absent(facts: Facts) -> Iterator:
    """Match NCCL_IB_HCA against the RDMA devices of /sys/class/infiniband.

    What it detects
        `NCCL_IB_HCA` (NCCL's list syntax: prefixes, `^` to exclude, `=` for whole names,
        `:port` suffixes) in an environment with NCCL, selecting none of the machine's
        InfiniBand/RoCE devices.

    Why it breaks
        It does not break a job on one machine: GPUs of one node talk over NVLink, PCIe or
        shared memory, and NCCL only needs the network between machines. Between machines,
        NCCL's IB transport has no device left and traffic falls back to TCP sockets, many
        times slower (or fails, with NCCL_NET=IB). Recorded: NCCL_IB_HCA=mlx5_99 did not
        break a 2-GPU all-reduce on one H200 machine.

        Severity: a warning when the machine has RDMA devices and the setting selects none
        of them (multi-node jobs lose them); info when it has none (the setting does nothing).

    Example
        NCCL_IB_HCA='mlx5_99' selects none of this machine's RDMA devices (mlx5_0, mlx5_1)

    Fix
        Name devices that `ls /sys/class/infiniband` (or `ibv_devinfo`) lists, or unset it.

    References
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html#nccl-ib-hca
        https://github.com/NVIDIA/nccl/blob/v2.28.9-1/src/misc/utils.cc
    """
    value = environment(facts).get("NCCL_IB_HCA")
    network = facts.network
    if not value or nccl_in_target(facts) is None:
        return
    devices = [device.name for device in network.ib_devices]
    if devices and selected(devices, value):
        return
    if devices:
        severity, title = Severity.WARNING, f"NCCL_IB_HCA={value!r} selects none of this machine's RDMA devices ({', '.join(devices)})"
        message = "NCCL's IB transport gets no device: traffic between machines falls back to TCP sockets (or fails with NCCL_NET=IB). GPUs of one machine are not affected."
    else:
        severity, title = Severity.INFO, f"NCCL_IB_HCA={value!r} has no effect: this machine has no InfiniBand/RoCE device"
        message = "Nothing breaks on this machine; the setting matters only on machines with RDMA devices."
    yield report(
        severity,
        title,
        subject="NCCL_IB_HCA",
        message=message,
        evidence=(f"NCCL_IB_HCA={value!r}", f"{network.ib_source}: {', '.join(devices) or 'no device'}"),
        fix=FixProposal("manual", "name devices listed in /sys/class/infiniband, or unset NCCL_IB_HCA"),
    )


# --- settings that cost speed -----------------------------------------------------------------


@check(
    code="NCL005",
    name="nccl-transport-disabled",
    summary="An NCCL setting turns off a fast transport (P2P, shared memory, NVLink SHARP, InfiniBand).",
    needs=("interpreter", "stack", "distributions"),
    fix="manual",
)
def nccl_transport_disabled(facts: Facts) -> Iterator:
    """Say what NCCL_P2P_DISABLE=1, NCCL_SHM_DISABLE=1, NCCL_NVLS_ENABLE=0 and NCCL_IB_DISABLE=1 cost.

    What it detects
        One of these settings in an environment with NCCL (the list and the cost of each are
        data in envdoctor/checks/_nccl_knowledge.py).

    Why it breaks
        It does not: NCCL uses another transport or algorithm, and collectives run slower.
        These are often left over from debugging a hang, or copied from a machine that needed
        them. Recorded: NCCL_P2P_DISABLE=1 NCCL_SHM_DISABLE=1 did not break a 2-GPU all-reduce
        on an H200 machine.

        Severity: info: nothing fails; the finding says what the setting costs.

    Example
        NCCL_P2P_DISABLE=1: direct GPU-to-GPU (P2P) transfers are off (slower, not broken)

    Fix
        Unset the variable unless it works around a problem on this machine.

    References
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html
    """
    env = environment(facts)
    costs = [cost for cost in known.COSTS if cost.variable in env]
    if not costs or nccl_in_target(facts) is None:
        return
    for cost in costs:
        value = env[cost.variable]
        if whole_number(value) != int(cost.value):
            continue
        yield report(
            Severity.INFO,
            f"{cost.variable}={value}: {cost.effect} (slower, not broken)",
            subject=cost.variable,
            message=cost.cost,
            evidence=(f"{cost.variable}={value!r}",),
            references=(cost.reference,),
            fix=FixProposal("manual", f"unset {cost.variable} unless it works around a problem on this machine"),
        )


@check(
    code="NCL006",
    name="nccl-debug-level",
    summary="NCCL_DEBUG holds a level NCCL does not know, so NCCL prints nothing.",
    needs=("interpreter", "stack", "distributions"),
    fix="manual",
)
def nccl_debug_level(facts: Facts) -> Iterator:
    """Check NCCL_DEBUG against the levels NCCL knows.

    What it detects
        `NCCL_DEBUG` set to something other than VERSION, WARN, INFO, ABORT or TRACE (any
        case), in an environment with NCCL 2.18 or newer (or of unknown release).

    Why it breaks
        It does not break a job: NCCL ignores an unknown level and logs nothing, so the
        messages someone set it to see (a hang, a failed connection) never appear.

        Severity: a warning: nothing fails, but the setting does not do what it says.

    Example
        NCCL_DEBUG='DEBUG' is not a level NCCL knows (VERSION, WARN, INFO, ABORT, TRACE)

    Fix
        Use one of the levels listed, most often `NCCL_DEBUG=WARN` or `INFO`.

    References
        https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html#nccl-debug
        https://github.com/NVIDIA/nccl/blob/v2.28.9-1/src/debug.cc
    """
    value = environment(facts).get("NCCL_DEBUG")
    found = nccl_in_target(facts) if value is not None else None
    if found is None:
        return
    version, source = found
    if version is not None and tuple(version[:2]) < known.OLDEST_KNOWN:
        return
    levels = known.values_for(known.DEBUG_LEVELS, version or known.OLDEST_KNOWN)
    if value.upper() in {level.upper() for level in levels.names}:
        return
    yield report(
        Severity.WARNING,
        f"NCCL_DEBUG={value!r} is not a level NCCL knows ({', '.join(levels.names)})",
        subject="NCCL_DEBUG",
        message="NCCL ignores an unknown level and logs nothing.",
        evidence=(f"NCCL_DEBUG={value!r}", f"NCCL {_shown(version)}: {source}", f"levels: {levels.reference}"),
        fix=FixProposal("manual", "set NCCL_DEBUG=WARN (or INFO)"),
    )


# --- torch's renamed NCCL_ variables --------------------------------------------------------------


def _renaming_problem(old: str, new: str, env, torch_release) -> Optional[Tuple[Severity, str, str]]:
    """(severity, title, message) for one renamed pair, or None."""
    renamed = torch_release >= known.TORCH_RENAMED_IN
    if renamed and old in env and new in env and env[old] != env[new]:
        return (Severity.WARNING, f"{old}={env[old]!r} is ignored: torch reads {new}={env[new]!r} first",
                f"torch 2.2 renamed {old} to {new} and prefers the new name when both are set.")
    if renamed and old in env and new not in env:
        return (Severity.INFO, f"{old} is torch's old name for {new}: still read, with a deprecation warning",
                f"torch 2.2 renamed it; every rank logs \"Environment variable {old} is deprecated\". It still works.")
    if not renamed and new in env and old not in env:
        return (Severity.WARNING, f"{new} is not read by torch {'.'.join(map(str, torch_release))}: it knows only {old}",
                f"The TORCH_NCCL_ names arrived in torch 2.2; this torch ignores {new}.")
    return None


@check(
    code="NCL007",
    name="torch-nccl-renamed",
    summary="A torch NCCL setting under its pre-2.2 NCCL_ name, or its TORCH_NCCL_ name on a torch too old for it.",
    needs=("interpreter", "stack", "distributions"),
    fix="manual",
)
def torch_nccl_renamed(facts: Facts) -> Iterator:
    """Check torch's own NCCL settings against the names the installed torch reads.

    What it detects
        torch 2.2 renamed five of its ProcessGroupNCCL settings from `NCCL_` to `TORCH_NCCL_`
        (`NCCL_ASYNC_ERROR_HANDLING`, `NCCL_BLOCKING_WAIT`, `NCCL_DESYNC_DEBUG`,
        `NCCL_ENABLE_TIMING`, `NCCL_USE_TENSOR_REGISTER_ALLOCATOR_HOOK`), because NCCL itself
        knows none of them. In an environment with NCCL and a CUDA build of torch: the old name
        alone (torch 2.2 and later), both names with different values, or the new name on a
        torch before 2.2.

    Why it breaks
        The old name alone still works, with a deprecation warning in every rank's log. With
        both names set differently, torch uses the new name's value, so the old one silently
        does nothing; a torch before 2.2 ignores the new names altogether (a job script written
        for a newer torch loses its error handling or blocking wait).

        Severity: info for the old name alone (it works); a warning when a value is ignored.

    Example
        NCCL_ASYNC_ERROR_HANDLING is torch's old name for TORCH_NCCL_ASYNC_ERROR_HANDLING: still read, with a deprecation warning

    Fix
        Use the TORCH_NCCL_ name on torch 2.2 and later, the NCCL_ name before; set only one.

    References
        https://github.com/pytorch/pytorch/pull/114077
        https://docs.pytorch.org/docs/stable/torch_nccl_environment_variables.html
    """
    env = environment(facts)
    pairs = [(old, new) for old, new in known.TORCH_RENAMED if old in env or new in env]
    build = torch_build(facts) if pairs else None
    torch_release = release(build.version) if build is not None else None
    if not pairs or not torch_release or torch_variant(build) != "cuda" or nccl_in_target(facts) is None:
        return
    for old, new in pairs:
        problem = _renaming_problem(old, new, env, tuple(torch_release[:2]))
        if problem is None:
            continue
        severity, title, message = problem
        yield report(
            severity,
            title,
            subject=old if old in env else new,
            message=message,
            evidence=(*(f"{name}={env[name]!r}" for name in (old, new) if name in env), f"torch {build.version} ({build.source})"),
            references=(known.TORCH_RENAMED_REFERENCE,),
            fix=FixProposal("manual", f"use {new if torch_release[:2] >= known.TORCH_RENAMED_IN else old} only"),
        )
