"""The NCCL (NCL) and torch.distributed (DST) checks on facts: a positive and a near-miss negative per
code, then each decision of NCCL's syntax the checks reproduce (src/misc/socket.cc, src/misc/utils.cc,
src/graph/tuning.cc at v2.28.9-1) and the severities by NCCL release."""

from __future__ import annotations

import pytest

from envdoctor.checks.nccl_settings import nccl_in_target, selected, unknown_tokens
from envdoctor.engine import run_checks
from envdoctor.model.facts import Facts
from envdoctor.model.finding import Severity
from envdoctor.registry import load_registry
from tests.helpers.facts import H100, dist, make_facts, nvidia, torch_version_py

LO = {"name": "lo", "operstate": "unknown", "running": True, "families": ["inet"]}
ETH0 = {"name": "eth0", "operstate": "up", "running": True, "families": ["inet", "inet6"]}
IFB0 = {"name": "ifb0", "operstate": "down", "running": False, "families": []}
MLX5_0 = {"name": "mlx5_0", "ports": [{"number": 1, "state": "ACTIVE", "link_layer": "InfiniBand"}]}


def machine(env=None, *, nccl="2.28.9", torch="2.11.0+cu130", interfaces=(LO, ETH0, IFB0), ib=(), gpus=(H100,),
            libraries=(), deep=None) -> Facts:
    """A machine with a torch build, an nvidia-nccl-cu13 wheel (unless nccl is None), its network and `env`."""
    cuda = "13.0" if "+cu" in torch else None
    dists = [dist("torch", torch)] + ([dist("nvidia-nccl-cu13", nccl)] if nccl else [])
    facts = make_facts(dists=dists, environment=env, deep=deep,
                       stack={"torch": torch_version_py(torch, cuda=cuda), "nvidia": nvidia(*gpus) if gpus else None,
                              "libraries": list(libraries)})
    data = facts.to_dict()
    data["network"] = {"interfaces": list(interfaces), "interfaces_source": "test", "ib_devices": list(ib),
                       "ib_source": "/sys/class/infiniband", "errors": []}
    return Facts.from_dict(data)


def findings(facts, code):
    spec = load_registry().by_code()[code]
    return list(run_checks([spec], facts).findings)


CASES = {
    # near-miss: the interface that exists
    "NCL001": (lambda: machine({"NCCL_SOCKET_IFNAME": "nope0"}), lambda: machine({"NCCL_SOCKET_IFNAME": "eth0"}), "NCCL_SOCKET_IFNAME"),
    # near-miss: the same setting on a machine with an RDMA device
    "NCL002": (lambda: machine({"NCCL_NET": "IB"}), lambda: machine({"NCCL_NET": "IB"}, ib=[MLX5_0]), "NCCL_NET"),
    # near-miss: a real algorithm name, in another case (NCCL compares with strcasecmp)
    "NCL003": (lambda: machine({"NCCL_ALGO": "nonsense"}), lambda: machine({"NCCL_ALGO": "ring"}), "NCCL_ALGO"),
    # near-miss: a prefix of the device that exists
    "NCL004": (lambda: machine({"NCCL_IB_HCA": "mlx5_99"}, ib=[MLX5_0]), lambda: machine({"NCCL_IB_HCA": "mlx5"}, ib=[MLX5_0]), "NCCL_IB_HCA"),
    # near-miss: the variable set to its default
    "NCL005": (lambda: machine({"NCCL_P2P_DISABLE": "1"}), lambda: machine({"NCCL_P2P_DISABLE": "0"}), "NCCL_P2P_DISABLE"),
    "NCL006": (lambda: machine({"NCCL_DEBUG": "DEBUG"}), lambda: machine({"NCCL_DEBUG": "info"}), "NCCL_DEBUG"),
    # near-miss: the new name
    "NCL007": (lambda: machine({"NCCL_ASYNC_ERROR_HANDLING": "1"}), lambda: machine({"TORCH_NCCL_ASYNC_ERROR_HANDLING": "1"}),
               "NCCL_ASYNC_ERROR_HANDLING"),
    "DST001": (lambda: machine({"WORLD_SIZE": "two"}), lambda: machine({"WORLD_SIZE": "2"}), "WORLD_SIZE"),
    # near-miss: the last rank of the world
    "DST002": (lambda: machine({"RANK": "2", "WORLD_SIZE": "2"}), lambda: machine({"RANK": "1", "WORLD_SIZE": "2"}), "RANK"),
    "DST003": (lambda: machine({"GLOO_SOCKET_IFNAME": "nope0"}), lambda: machine({"GLOO_SOCKET_IFNAME": "lo"}), "GLOO_SOCKET_IFNAME"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_positive(code):
    positive, _, subject = CASES[code]
    found = findings(positive(), code)
    assert [f.subject for f in found] == [subject]
    assert all(f.code == code and f.title and f.evidence for f in found)


@pytest.mark.parametrize("code", sorted(CASES))
def test_negative(code):
    _, negative, _ = CASES[code]
    assert findings(negative(), code) == []


@pytest.mark.parametrize("code", sorted(code for code in CASES if code.startswith("NCL")))
def test_nccl_settings_are_not_judged_without_nccl(code):
    """A CPU build of torch and no nvidia-nccl wheel: NCCL never runs here, whatever NCCL_* says."""
    positive, _, _ = CASES[code]
    env = positive().interpreter.environment
    assert findings(machine(env, nccl=None, torch="2.11.0+cpu"), code) == []


# --- NCCL's interface-list syntax (NCCL_SOCKET_IFNAME, NCCL_IB_HCA) ----------------------------

NAMES = ["lo", "eth0", "eth1", "docker0", "ib0"]


@pytest.mark.parametrize("value, chosen", [
    ("eth", ["eth0", "eth1"]),  # a prefix
    ("=eth0", ["eth0"]),  # exact
    ("=eth", []),  # exact: no interface is called "eth"
    ("=eth0,eth1", ["eth0", "eth1"]),  # the '=' applies to the whole list
    ("^docker", ["lo", "eth0", "eth1", "ib0"]),
    ("^=docker0", ["lo", "eth0", "eth1", "ib0"]),
    ("^lo,eth,docker,ib", []),
    ("ib0:1", ["ib0"]),  # a port suffix is not part of the name
    ("ETH0", []),  # NCCL compares names case-sensitively
    ("=^eth0", []),  # '^' only counts first: this is the exact name "^eth0"
])
def test_interface_list_syntax(value, chosen):
    assert selected(NAMES, value) == chosen


def test_socket_interface_exclusion_of_every_usable_interface_is_an_error():
    (finding,) = findings(machine({"NCCL_SOCKET_IFNAME": "^lo,eth"}), "NCL001")
    assert finding.severity is Severity.ERROR
    assert finding.title == "NCCL_SOCKET_IFNAME='^lo,eth' selects ifb0, which NCCL cannot use (not running or no address)"


def test_socket_interface_with_a_prefix_and_an_exact_name():
    assert findings(machine({"NCCL_SOCKET_IFNAME": "=eth0"}), "NCL001") == []
    assert findings(machine({"NCCL_SOCKET_IFNAME": "et"}), "NCL001") == []
    (finding,) = findings(machine({"NCCL_SOCKET_IFNAME": "=eth"}), "NCL001")
    assert finding.title == "NCCL_SOCKET_IFNAME='=eth' selects no interface of this machine (lo, eth0, ifb0)"


def test_socket_interface_that_is_down_is_an_error_and_one_character_is_ignored():
    (finding,) = findings(machine({"NCCL_SOCKET_IFNAME": "ifb"}), "NCL001")
    assert "ifb0, which NCCL cannot use" in finding.title
    assert findings(machine({"NCCL_SOCKET_IFNAME": "x"}), "NCL001") == []  # NCCL reads only values of 2+ characters


def test_socket_family_restricts_the_addresses_that_count():
    only_v4 = {"name": "eth0", "operstate": "up", "running": True, "families": ["inet"]}
    facts = machine({"NCCL_SOCKET_IFNAME": "=eth0", "NCCL_SOCKET_FAMILY": "AF_INET6"}, interfaces=(LO, only_v4))
    assert [f.severity for f in findings(facts, "NCL001")] == [Severity.ERROR]
    facts = machine({"NCCL_SOCKET_IFNAME": "=eth0", "NCCL_SOCKET_FAMILY": "AF_INET"}, interfaces=(LO, only_v4))
    assert findings(facts, "NCL001") == []


def test_nccl_net_names_are_case_insensitive_and_plugins_are_not_judged():
    assert [f.severity for f in findings(machine({"NCCL_NET": "ib"}), "NCL002")] == [Severity.ERROR]
    assert findings(machine({"NCCL_NET": "Socket"}), "NCL002") == []
    assert findings(machine({"NCCL_NET": "AWS Libfabric"}), "NCL002") == []


# --- NCCL_ALGO / NCCL_PROTO by release ---------------------------------------------------------

ALGOS = ("Tree", "Ring", "CollNetDirect", "CollNetChain", "NVLS", "NVLSTree", "PAT")


@pytest.mark.parametrize("value, problems", [
    ("ring,tree", []),
    ("^NVLS,nvlstree", []),
    ("allreduce:ring;allgather:^pat", []),
    ("ring;allreduce:tree", []),  # the first entry may go without a collective
    ("Ring, Tree", ["' Tree'"]),  # NCCL does not trim spaces
    ("allreduce:ring;tree", ["'tree' (every entry after the first needs a collective, as 'allreduce:ring')"]),
    ("allreduc:ring", ["'allreduc' (not a collective: Broadcast, Reduce, AllGather, ReduceScatter, AllReduce)"]),
    ("ring,,tree", []),  # strtok skips empty pieces
])
def test_algorithm_list_syntax_of_nccl_2_24_and_later(value, problems):
    assert unknown_tokens(value, ALGOS, per_collective=True) == problems


def test_unknown_algorithm_severity_follows_the_release():
    (new,) = findings(machine({"NCCL_ALGO": "nonsense"}), "NCL003")
    assert (new.severity, new.title) == (Severity.ERROR, "NCCL_ALGO='nonsense': NCCL 2.28.9 does not accept 'nonsense'")
    assert "nvidia-nccl-cu13 2.28.9" in new.evidence[1]
    (old,) = findings(machine({"NCCL_ALGO": "nonsense"}, nccl="2.21.5"), "NCL003")
    assert old.severity is Severity.WARNING and "ignores unknown names" in old.message
    (newer,) = findings(machine({"NCCL_ALGO": "nonsense"}, nccl="2.31.1"), "NCL003")
    assert newer.severity is Severity.WARNING
    assert findings(machine({"NCCL_ALGO": "nonsense"}, nccl="2.17.1"), "NCL003") == []  # older than what was read


def test_pat_is_an_algorithm_from_nccl_2_23():
    assert findings(machine({"NCCL_ALGO": "PAT"}, nccl="2.23.4"), "NCL003") == []
    (finding,) = findings(machine({"NCCL_ALGO": "PAT"}, nccl="2.22.3"), "NCL003")
    assert finding.severity is Severity.WARNING


def test_unknown_protocol_is_an_error_and_a_cuda_build_without_a_wheel_is_not_judged():
    (finding,) = findings(machine({"NCCL_PROTO": "bogus"}), "NCL003")
    assert (finding.subject, finding.severity) == ("NCCL_PROTO", Severity.ERROR)
    # NCCL is there (a CUDA build of torch) but no file says which release: not judged
    assert findings(machine({"NCCL_PROTO": "bogus"}, nccl=None), "NCL003") == []


def test_the_nccl_release_is_read_from_the_library_that_wins():
    library = {"path": "/opt/nccl/lib/libnccl.so.2.21.5", "library": "nccl", "version": "2.21.5", "via": "LD_LIBRARY_PATH"}
    assert nccl_in_target(machine(libraries=[library])) == ((2, 21, 5), "/opt/nccl/lib/libnccl.so.2.21.5 (via LD_LIBRARY_PATH)")
    deep = {"imports": [], "torch": {"nccl_version": "2.27.3"}}
    assert nccl_in_target(machine(libraries=[library], deep=deep))[0] == (2, 27, 3)
    assert nccl_in_target(machine(nccl=None, torch="2.11.0+cpu")) is None


# --- the others ----------------------------------------------------------------------------------


def test_ib_hca_on_a_machine_without_rdma_is_info():
    (finding,) = findings(machine({"NCCL_IB_HCA": "mlx5_99"}), "NCL004")
    assert finding.severity is Severity.INFO
    assert finding.title == "NCCL_IB_HCA='mlx5_99' has no effect: this machine has no InfiniBand/RoCE device"
    assert [f.severity for f in findings(machine({"NCCL_IB_HCA": "^mlx5"}, ib=[MLX5_0]), "NCL004")] == [Severity.WARNING]


def test_transport_costs_are_info_each():
    env = {"NCCL_P2P_DISABLE": "1", "NCCL_SHM_DISABLE": "1", "NCCL_NVLS_ENABLE": "0", "NCCL_IB_DISABLE": "0"}
    found = {f.subject: f for f in findings(machine(env), "NCL005")}  # NCCL_IB_DISABLE=0 is the default: nothing
    assert sorted((s, f.severity) for s, f in found.items()) == [
        ("NCCL_NVLS_ENABLE", Severity.INFO), ("NCCL_P2P_DISABLE", Severity.INFO), ("NCCL_SHM_DISABLE", Severity.INFO)]
    assert found["NCCL_P2P_DISABLE"].title == "NCCL_P2P_DISABLE=1: direct GPU-to-GPU (P2P) transfers are off (slower, not broken)"


@pytest.mark.parametrize("env, problem", [
    ({"RANK": "-1"}, "RANK='-1' is out of range (0 or more)"),
    ({"WORLD_SIZE": "0"}, "WORLD_SIZE='0' is out of range (1 or more)"),
    ({"MASTER_PORT": "70000"}, "MASTER_PORT='70000' is out of range (0..65535)"),
    ({"MASTER_PORT": "29500 "}, None),
    ({"LOCAL_RANK": "0.5"}, "LOCAL_RANK='0.5' is not a whole number"),
    ({"WORLD_SIZE": "--1"}, "WORLD_SIZE='--1' is not a whole number"),  # int() refuses it: it crashed the check
    ({"RANK": "²"}, "RANK='²' is not a whole number"),  # a digit to str.isdigit(), not to int()
    ({"CUDA_DEVICE_MAX_CONNECTIONS": "64"}, "CUDA_DEVICE_MAX_CONNECTIONS='64' is outside the 1..32 CUDA documents"),
    ({"CUDA_DEVICE_MAX_CONNECTIONS": "1"}, None),
])
def test_distributed_values(env, problem):
    titles = [f.title for f in findings(machine(env), "DST001")]
    assert titles == ([problem] if problem else [])


def test_local_rank_against_the_visible_gpus():
    (finding,) = findings(machine({"LOCAL_RANK": "1"}), "DST002")
    assert finding.title == "LOCAL_RANK=1 but this process sees 1 GPU (0..0)"
    two = (H100, H100)
    assert findings(machine({"LOCAL_RANK": "1"}, gpus=two), "DST002") == []
    assert [f.title for f in findings(machine({"LOCAL_RANK": "1", "CUDA_VISIBLE_DEVICES": "1"}, gpus=two), "DST002")] == [
        "LOCAL_RANK=1 but this process sees 1 GPU (0..0)"]
    assert findings(machine({"LOCAL_RANK": "1"}, gpus=()), "DST002") == []  # no GPU count: not judged


def test_gloo_takes_whole_names_only():
    (finding,) = findings(machine({"GLOO_SOCKET_IFNAME": "eth"}), "DST003")  # no prefix match, unlike NCCL
    assert finding.title == "GLOO_SOCKET_IFNAME='eth' names eth, which this machine does not have (lo, eth0, ifb0)"
    assert findings(machine({"GLOO_SOCKET_IFNAME": "eth0,lo"}), "DST003") == []


def test_diff_compares_rdma_devices_and_usable_interfaces():
    from envdoctor.vocabulary.facts_diff import diff_facts

    before, after = machine(), machine(ib=[MLX5_0], interfaces=(LO, IFB0))
    found = [(d.area, d.subject, d.change, d.impact) for d in diff_facts(before, after) if d.area == "network"]
    assert found == [("network", "InfiniBand/RoCE device: mlx5_0 port 1 InfiniBand ACTIVE", "added", "medium"),
                     ("network", "usable network interface: eth0", "removed", "low")]
    assert [d for d in diff_facts(before, machine()) if d.area == "network"] == []


def test_torch_renamed_nccl_variables_by_torch_release():
    (old,) = findings(machine({"NCCL_BLOCKING_WAIT": "1"}), "NCL007")
    assert (old.severity, old.subject) == (Severity.INFO, "NCCL_BLOCKING_WAIT")
    (both,) = findings(machine({"NCCL_BLOCKING_WAIT": "1", "TORCH_NCCL_BLOCKING_WAIT": "0"}), "NCL007")
    assert (both.severity, both.title) == (Severity.WARNING, "NCCL_BLOCKING_WAIT='1' is ignored: torch reads TORCH_NCCL_BLOCKING_WAIT='0' first")
    assert findings(machine({"NCCL_BLOCKING_WAIT": "1", "TORCH_NCCL_BLOCKING_WAIT": "1"}), "NCL007") == []
    (new_on_old,) = findings(machine({"TORCH_NCCL_BLOCKING_WAIT": "1"}, torch="2.1.2+cu121"), "NCL007")
    assert new_on_old.title == "TORCH_NCCL_BLOCKING_WAIT is not read by torch 2.1: it knows only NCCL_BLOCKING_WAIT"
    assert findings(machine({"NCCL_BLOCKING_WAIT": "1"}, torch="2.1.2+cu121"), "NCL007") == []
