"""End to end: NCCL and torch.distributed settings judged by `envdoctor check --python VENV`.

Each venv is real: torch 2.13.0's real metadata as a CUDA build (tests/helpers/standins.py) next to
an nvidia-nccl wheel installed by pip (its dist-info as pip writes it, version 2.28.9 as on the
H200 machine, or 2.21.5 from before NCCL rejected unknown algorithm names; the library itself is
an empty stand-in: nothing loads it). The variables are set in the environment of the run, and the
machine is this one: its real network interfaces (socket.if_nameindex) and, for InfiniBand, a
/sys/class/infiniband under ENVDOCTOR_TEST_SYSROOT. Every breaking setting has a near-miss
beside it that gives no finding, and the venv with no NCCL_* set gives none at all.

Gloo runs on the CPU, so DST003's premise is shown here too: torch 2.13.0 (CPU, from the wheel
cache) runs a two-process Gloo all-reduce under torchrun, which fails with "Unable to find address
for: nope0" and passes with GLOO_SOCKET_IFNAME=lo. The NCCL settings made on a real 2-GPU H200
machine: docs/transcripts/nccl_settings_gpu.sh.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.conftest import clean_env, require_python
from tests.helpers.standins import CU130, TorchBuild, torch_standin_wheel
from tests.helpers.venvs import Venv, make_venv
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow

SELECT = "NCL,DST,ENV"
# Variables of the test runner's own environment that would change the verdicts.
JUDGED_PREFIXES = ("NCCL_", "GLOO_", "MASTER_", "WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE",
                   "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_MAX_CONNECTIONS", "LD_PRELOAD")
NAMES = [name for _, name in socket.if_nameindex()]
IB_FOLDER = "sys/class/infiniband"


def nccl_wheel(folder: Path, name: str, version: str) -> Path:
    """The nvidia-nccl wheel's layout (nvidia/nccl/lib/libnccl.so.2, include/nccl.h) and metadata fields."""
    return build_wheel(folder, name, version, {
        "nvidia/nccl/lib/libnccl.so.2": "",
        "nvidia/nccl/include/nccl.h": f"#define NCCL_VERSION_CODE {version}\n",
    }, requires_python=">=3")


@pytest.fixture(scope="module")
def venvs(tmp_path_factory) -> Dict[str, Venv]:
    """cu130 + NCCL 2.28.9, cu126 + NCCL 2.21.5, and a CPU build without NCCL."""
    root = tmp_path_factory.mktemp("nccl")
    made = {}
    for key, build, nccl in (("2.28.9", CU130, ("nvidia-nccl-cu13", "2.28.9")),
                             ("2.21.5", TorchBuild("cu126", cuda="12.6"), ("nvidia-nccl-cu12", "2.21.5")),
                             ("cpu", TorchBuild("cpu"), None)):
        wheels = [torch_standin_wheel(root / key / "wheels", build)]
        if nccl:
            wheels.append(nccl_wheel(root / key / "wheels", *nccl))
        venv = make_venv(root / key / "venv")
        venv.install_files(*wheels, extra=["--no-deps"])
        made[key] = venv
    return made


def machine(tmp_path: Path, rdma: bool) -> Path:
    """A sysroot whose /sys/class/infiniband holds mlx5_0 (port 1, InfiniBand, ACTIVE), or nothing."""
    sysroot = tmp_path / ("rdma" if rdma else "plain")
    if rdma:
        port = sysroot / IB_FOLDER / "mlx5_0" / "ports" / "1"
        port.mkdir(parents=True, exist_ok=True)
        (port / "state").write_text("4: ACTIVE\n")
        (port / "link_layer").write_text("InfiniBand\n")
    sysroot.mkdir(exist_ok=True)
    return sysroot


def check(run_envdoctor, venv: Venv, tmp_path: Path, rdma: bool = False, **variables: str):
    env = {k: v for k, v in clean_env().items() if not k.startswith(JUDGED_PREFIXES)}
    env.update(ENVDOCTOR_TEST_SYSROOT=str(machine(tmp_path, rdma)), **variables)
    return run_envdoctor("check", "--python", venv.python, "--select", SELECT, "--format", "json", cwd=tmp_path, env=env)


def found(result) -> List[Tuple[str, str, str]]:
    return sorted((f["code"], f["severity"], f["title"]) for f in result.json["findings"])


def no_ib(tmp_path: Path) -> str:
    return str(tmp_path / "plain" / IB_FOLDER)


# name: (variables, expected findings (code, severity, title), near-miss variables, which of the two runs on an RDMA machine)
BROKEN = {
    "socket-ifname-absent": ({"NCCL_SOCKET_IFNAME": "nope0"},
                             lambda t: [("NCL001", "error", f"NCCL_SOCKET_IFNAME='nope0' selects no interface of this machine ({', '.join(NAMES)})")],
                             {"NCCL_SOCKET_IFNAME": "lo"}, ()),
    "socket-ifname-excludes-all": ({"NCCL_SOCKET_IFNAME": "^" + ",".join(NAMES)},
                                   lambda t: [("NCL001", "error", f"NCCL_SOCKET_IFNAME='^{','.join(NAMES)}' selects no interface of this machine ({', '.join(NAMES)})")],
                                   {"NCCL_SOCKET_IFNAME": "^docker,virbr"}, ()),
    "net-ib-without-rdma": ({"NCCL_NET": "IB"},
                            lambda t: [("NCL002", "error", f"NCCL_NET='IB' but this machine has no InfiniBand/RoCE device ({no_ib(t)} lists none)")],
                            {"NCCL_NET": "IB"}, ("near-miss",)),
    "algo-unknown": ({"NCCL_ALGO": "nonsense"},
                     lambda t: [("NCL003", "error", "NCCL_ALGO='nonsense': NCCL 2.28.9 does not accept 'nonsense'")],
                     {"NCCL_ALGO": "allreduce:ring,TREE;allgather:^pat"}, ()),
    "proto-unknown": ({"NCCL_PROTO": "bogus"},
                      lambda t: [("NCL003", "error", "NCCL_PROTO='bogus': NCCL 2.28.9 does not accept 'bogus'")],
                      {"NCCL_PROTO": "^LL128"}, ()),
    "ib-hca-on-rdma-machine": ({"NCCL_IB_HCA": "=mlx5_9"},
                               lambda t: [("NCL004", "warning", "NCCL_IB_HCA='=mlx5_9' selects none of this machine's RDMA devices (mlx5_0)")],
                               {"NCCL_IB_HCA": "mlx5"}, ("broken", "near-miss")),
    "gloo-ifname-absent": ({"GLOO_SOCKET_IFNAME": "nope0"},
                           lambda t: [("DST003", "error", f"GLOO_SOCKET_IFNAME='nope0' names nope0, which this machine does not have ({', '.join(NAMES)})")],
                           {"GLOO_SOCKET_IFNAME": "lo"}, ()),
    "rank-beyond-world": ({"RANK": "2", "WORLD_SIZE": "2", "MASTER_PORT": "29500"},
                          lambda t: [("DST002", "warning", "RANK=2 is not below WORLD_SIZE=2 (ranks are 0..1)")],
                          {"RANK": "1", "WORLD_SIZE": "2", "MASTER_PORT": "29500"}, ()),
    "world-size-not-a-number": ({"WORLD_SIZE": "two", "MASTER_PORT": "70000"},
                                lambda t: [("DST001", "warning", "MASTER_PORT='70000' is out of range (0..65535)"),
                                           ("DST001", "warning", "WORLD_SIZE='two' is not a whole number")],
                                {"WORLD_SIZE": "2", "MASTER_PORT": "65535"}, ()),
    "torch-renamed-both-set": ({"NCCL_ASYNC_ERROR_HANDLING": "1", "TORCH_NCCL_ASYNC_ERROR_HANDLING": "3"},
                               lambda t: [("NCL007", "warning", "NCCL_ASYNC_ERROR_HANDLING='1' is ignored: torch reads TORCH_NCCL_ASYNC_ERROR_HANDLING='3' first")],
                               {"TORCH_NCCL_ASYNC_ERROR_HANDLING": "3"}, ()),
    "debug-level-unknown": ({"NCCL_DEBUG": "verbose"},
                            lambda t: [("NCL006", "warning", "NCCL_DEBUG='verbose' is not a level NCCL knows (VERSION, WARN, INFO, ABORT, TRACE)")],
                            {"NCCL_DEBUG": "warn"}, ()),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_setting_and_its_near_miss_on_nccl_2_28_9(run_envdoctor, venvs, tmp_path, name):
    variables, expected, near_miss, rdma = BROKEN[name]
    broken = check(run_envdoctor, venvs["2.28.9"], tmp_path, rdma="broken" in rdma, **variables)
    expected = expected(tmp_path)
    assert found(broken) == sorted(expected), broken.stdout
    assert broken.returncode == (1 if any(severity == "error" for _, severity, _ in expected) else 0), broken.stderr

    healthy = check(run_envdoctor, venvs["2.28.9"], tmp_path, rdma="near-miss" in rdma, **near_miss)
    assert (healthy.returncode, found(healthy)) == (0, []), healthy.stdout


def test_healthy_environment_without_nccl_settings_has_no_finding(run_envdoctor, venvs, tmp_path):
    result = check(run_envdoctor, venvs["2.28.9"], tmp_path)
    assert (result.returncode, found(result)) == (0, []), result.stdout
    assert {"NCL001", "NCL002", "NCL003", "NCL004", "NCL005", "NCL006", "NCL007", "DST001", "DST002", "DST003"} <= set(result.json["checks_run"])


def test_settings_that_do_not_break_are_info(run_envdoctor, venvs, tmp_path):
    """What did not break the all-reduce on the H200 machine: NCCL_IB_HCA naming an absent HCA on one
    node, and P2P and SHM disabled together (slower, not broken)."""
    result = check(run_envdoctor, venvs["2.28.9"], tmp_path, NCCL_IB_HCA="mlx5_99", NCCL_P2P_DISABLE="1", NCCL_SHM_DISABLE="1")
    assert result.returncode == 0, result.stdout
    assert found(result) == [
        ("NCL004", "info", "NCCL_IB_HCA='mlx5_99' has no effect: this machine has no InfiniBand/RoCE device"),
        ("NCL005", "info", "NCCL_P2P_DISABLE=1: direct GPU-to-GPU (P2P) transfers are off (slower, not broken)"),
        ("NCL005", "info", "NCCL_SHM_DISABLE=1: the shared-memory transport is off (slower, not broken)"),
    ]


def test_nccl_2_21_ignores_unknown_algorithms_so_it_is_a_warning(run_envdoctor, venvs, tmp_path):
    result = check(run_envdoctor, venvs["2.21.5"], tmp_path, NCCL_ALGO="nonsense")
    assert result.returncode == 0, result.stdout
    (finding,) = result.json["findings"]
    assert (finding["code"], finding["severity"], finding["title"]) == (
        "NCL003", "warning", "NCCL_ALGO='nonsense': NCCL 2.21.5 does not accept 'nonsense'")
    assert any(line.startswith("NCCL 2.21.5: nvidia-nccl-cu12 2.21.5 (") for line in finding["evidence"]), finding["evidence"]
    result = check(run_envdoctor, venvs["2.21.5"], tmp_path, NCCL_ALGO="ring")
    assert (result.returncode, found(result)) == (0, []), result.stdout
    # the per-collective form arrived in 2.24: 2.21.5 reads "allreduce:ring" as one unknown name
    result = check(run_envdoctor, venvs["2.21.5"], tmp_path, NCCL_ALGO="allreduce:ring")
    assert found(result) == [("NCL003", "warning", "NCCL_ALGO='allreduce:ring': NCCL 2.21.5 does not accept 'allreduce:ring'")]


def test_without_nccl_nccl_settings_are_not_judged(run_envdoctor, venvs, tmp_path):
    """A CPU build of torch and no nvidia-nccl wheel: NCCL never runs, whatever NCCL_* says; Gloo does."""
    breaking = {variables_key: value for variables, *_ in BROKEN.values() for variables_key, value in variables.items()
                if variables_key.startswith("NCCL_")}
    result = check(run_envdoctor, venvs["cpu"], tmp_path, **breaking)
    assert (result.returncode, found(result)) == (0, []), result.stdout
    result = check(run_envdoctor, venvs["cpu"], tmp_path, GLOO_SOCKET_IFNAME="nope0")
    assert [f["code"] for f in result.json["findings"]] == ["DST003"]


def test_snapshot_records_the_interfaces_and_rdma_devices(run_envdoctor, venvs, tmp_path):
    env = {k: v for k, v in clean_env().items() if not k.startswith(JUDGED_PREFIXES)}
    env["ENVDOCTOR_TEST_SYSROOT"] = str(machine(tmp_path, rdma=True))
    result = run_envdoctor("snapshot", "--python", venvs["2.28.9"].python, "--no-scan", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    network = result.json["network"]
    assert [i["name"] for i in network["interfaces"]] == NAMES
    lo = next(i for i in network["interfaces"] if i["name"] == "lo")
    assert (lo["running"], "inet" in lo["families"]) == (True, True)
    for interface in network["interfaces"]:  # the kernel's own view of each
        assert interface["operstate"] == Path(f"/sys/class/net/{interface['name']}/operstate").read_text().strip()
    assert network["ib_devices"] == [{"name": "mlx5_0", "ports": [{"number": 1, "state": "ACTIVE", "link_layer": "InfiniBand"}]}]
    assert network["ib_source"] == str(tmp_path / "rdma" / IB_FOLDER)
    assert not any(key in str(network) for key in ("127.0.0.1", "::1"))


# --- the breakage itself, where this machine can show it: Gloo runs on the CPU -----------------

GLOO_ALL_REDUCE = """
import os, torch, torch.distributed as dist
dist.init_process_group("gloo")
tensor = torch.full((4,), float(int(os.environ["RANK"]) + 1))
dist.all_reduce(tensor)
assert tensor.tolist() == [3.0] * 4, tensor
if os.environ["RANK"] == "0":
    print("ALL-REDUCE OK")
dist.destroy_process_group()
"""


@pytest.fixture(scope="module")
def real_torch(tmp_path_factory) -> Venv:
    """torch 2.13.0 (CPU) installed by pip from the wheel cache: its real Gloo backend and torchrun."""
    python = require_python("3.11", "for the torch 2.13.0 cp311 wheel")
    venv = make_venv(tmp_path_factory.mktemp("real-torch") / "venv", python)
    venv.install("torch==2.13.0")
    return venv


def gloo_all_reduce(venv: Venv, tmp_path: Path, interface: str):
    script = tmp_path / "gloo_all_reduce.py"
    script.write_text(GLOO_ALL_REDUCE)
    env = {k: v for k, v in clean_env().items() if not k.startswith(JUDGED_PREFIXES)}
    env["GLOO_SOCKET_IFNAME"] = interface
    return subprocess.run([str(venv.root / "bin" / "torchrun"), "--standalone", "--nproc-per-node", "2", str(script)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


def test_gloo_socket_ifname_naming_no_interface_really_fails_a_gloo_all_reduce(run_envdoctor, real_torch, tmp_path):
    """DST003's premise shown with torch's own Gloo backend: two processes, one all-reduce."""
    broken = gloo_all_reduce(real_torch, tmp_path, "nope0")
    assert broken.returncode != 0 and "Unable to find address for: nope0" in broken.stdout + broken.stderr, broken.stderr[-3000:]
    result = check(run_envdoctor, real_torch, tmp_path, GLOO_SOCKET_IFNAME="nope0")
    assert [f["code"] for f in result.json["findings"]] == ["DST003"] and result.returncode == 1, result.stdout

    healthy = gloo_all_reduce(real_torch, tmp_path, "lo")
    assert healthy.returncode == 0 and "ALL-REDUCE OK" in healthy.stdout, healthy.stderr[-3000:]
    result = check(run_envdoctor, real_torch, tmp_path, GLOO_SOCKET_IFNAME="lo")
    assert (result.returncode, found(result)) == (0, []), result.stdout
