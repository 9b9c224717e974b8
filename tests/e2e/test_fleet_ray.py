"""`envdoctor fleet --ray` against a real Ray cluster on this machine's loopback.

A head and two worker nodes, each raylet started with `ray start` from a venv of its own: the
same Ray and Python everywhere, envdoctor installed with its [ray] extra in each (the head's
runs the command), and two stack-like stand-in distributions.  The head and the first worker
agree; the second worker has other releases of both stand-ins and NCCL_SOCKET_IFNAME set.
A fourth venv holds torch's CPU build for --deep's gloo all-reduce.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.helpers.ray_cluster import RayCluster, tagged_pids
from tests.helpers.venvs import Venv, cached_wheels, make_venv
from tests.helpers.wheels import build_wheel

ROOT = Path(__file__).resolve().parents[2]
RAY = "ray==2.60.0"
TORCH = "torch==2.13.0"  # the CPU wheel is in the wheel cache; never an unpinned torch
ENVDOCTOR_DEPS = ("flit_core>=3.11,<4", "typer>=0.12,<0.29", "rich>=13", "packaging>=22", "pyelftools>=0.31")

pytestmark = pytest.mark.slow


def make_venv_at(root: Path) -> Venv:
    return Venv(root=root, python=root / "bin" / "python")


def _stand_ins(folder: Path, sgl: str, nccl: str):
    return [build_wheel(folder, "sgl-kernel", sgl, {"sgl_kernel/__init__.py": ""}),
            build_wheel(folder, "nvidia-nccl-cu12", nccl, {"nvidia/nccl/__init__.py": ""})]


def _base_venv(root: Path):
    """Ray and envdoctor (editable, as envdoctor[ray] would have it), installed once."""
    venv = make_venv(root)
    venv.install(RAY, *ENVDOCTOR_DEPS)
    venv.install_files(extra=["--no-build-isolation", "--no-deps", "-e", str(ROOT)])
    return venv


def _node_venv(base, root: Path, stand_ins):
    """A venv of its own for one node: the base venv's files hard-linked into another folder (its
    bin/python the same link to the base interpreter, every dist-info and RECORD as pip wrote
    them), then its own stand-ins installed by pip.  Installing Ray's 200 MB into each of three
    venvs took minutes of a 2-core CI machine; the copies take a second."""
    subprocess.run(["cp", "-al", str(base.root), str(root)], check=True)
    venv = make_venv_at(root)
    venv.install_files(*stand_ins)
    return venv


def _an_interface() -> str:
    """An interface of this machine that is up (NCCL_SOCKET_IFNAME names it on one node)."""
    for name in sorted(os.listdir("/sys/class/net")):
        try:
            state = Path(f"/sys/class/net/{name}/operstate").read_text().strip()
        except OSError:
            continue
        if name != "lo" and state == "up":
            return name
    return "lo"


def _torch_venv(root: Path):
    """torch 2.13.0's CPU build, for --deep's gloo all-reduce (`--python` names it on every node:
    on one machine, every node can run the same interpreter)."""
    venv = make_venv(root)
    venv.install(TORCH)
    return venv


@pytest.fixture(scope="module")
def ray_fleet(tmp_path_factory):
    base = tmp_path_factory.mktemp("ray-fleet")
    wheels = base / "wheels"
    cached_wheels([TORCH])
    plans = {"head": _stand_ins(wheels, "0.3.1", "2.27.3"), "differs": _stand_ins(wheels / "new", "0.3.2", "2.28.3")}
    plans["agrees"] = plans["head"]
    with ThreadPoolExecutor(max_workers=2) as pool:  # pip waits on the disk as much as on the CPU
        torch = pool.submit(_torch_venv, base / "torch")
        ray = _base_venv(base / "ray-base")
        venvs = {label: _node_venv(ray, base / label, stand_ins) for label, stand_ins in plans.items()}
        venvs["torch"] = torch.result()
    cluster = RayCluster()
    try:
        cluster.start_node("head", venvs["head"].python, head=True)
        cluster.start_node("agrees", venvs["agrees"].python)
        cluster.wait_for_nodes(venvs["head"].python, 2)
        yield cluster, venvs
    finally:
        cluster.stop()


def _fleet(cluster, venvs, *args):
    command = [str(venvs["head"].python), "-m", "envdoctor", "fleet", "--ray", "--address", cluster.address,
               "--format", "json", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env(RAY_USAGE_STATS_ENABLED="0"))


def _finished(process, timeout: float = 240):
    stdout, stderr = process.communicate(timeout=timeout)
    assert "Traceback" not in stderr, stderr
    try:
        document = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        raise AssertionError(f"stdout is not the JSON report:\n{stdout[:2000]}\n--- stderr\n{stderr[-2000:]}") from None
    return process.returncode, document, stderr


def _by_python(document, venv) -> dict:
    return next(node for node in document["nodes"] if node["python"] == str(venv.python))


def test_fleet_over_a_real_ray_cluster(ray_fleet):
    cluster, venvs = ray_fleet
    # 1. Two nodes from two venvs with the same content: nothing differs, exit 0.
    code, document, stderr = _finished(_fleet(cluster, venvs, "--timeout", "60"))
    assert code == 0, (stderr, document)
    assert [n["answered"] for n in document["nodes"]] == [True, True]
    assert {n["python"] for n in document["nodes"]} == {str(venvs["head"].python), str(venvs["agrees"].python)}
    assert document["cross_node"] == [] and document["matrix"] == []
    assert [n["findings"] for n in document["nodes"]] == [[], []]

    # 2. A third node whose venv has other releases of the stand-ins and NCCL_SOCKET_IFNAME set.
    interface = _an_interface()
    cluster.start_node("differs", venvs["differs"].python, env={"NCCL_SOCKET_IFNAME": interface})
    cluster.wait_for_nodes(venvs["head"].python, 3)
    code, document, stderr = _finished(_fleet(cluster, venvs, "--timeout", "60"))
    assert code == 1, (stderr, document)
    outlier = _by_python(document, venvs["differs"])
    assert sorted((f["code"], f["subject"], f["severity"]) for f in document["cross_node"]) == [
        ("FLT003", outlier["name"], "error"), ("FLT007", outlier["name"], "warning")]
    titles = {f["code"]: f["title"] for f in document["cross_node"]}
    assert titles["FLT003"] == (f"{outlier['name']} differs from the other 2 nodes: nvidia-nccl-cu12 2.28.3 "
                                "(others 2.27.3), sgl-kernel 0.3.2 (others 0.3.1)")
    assert titles["FLT007"] == f"{outlier['name']} differs from the other 2 nodes: NCCL_SOCKET_IFNAME {interface} (others absent)"
    assert {row["subject"] for row in document["matrix"]} == {"sgl-kernel", "nvidia-nccl-cu12", "NCCL_SOCKET_IFNAME"}
    assert [n["findings"] for n in document["nodes"]] == [[], [], []]

    # 3. --deep: a real gloo all-reduce across the three nodes, one rank each (torch from --python).
    code, document, stderr = _finished(_fleet(cluster, venvs, "--deep", "--python", str(venvs["torch"].python),
                                              "--timeout", "120"))
    all_reduce = document["all_reduce"]
    assert (all_reduce["backend"], all_reduce["world_size"], all_reduce["ok"], all_reduce["errors"]) == (
        "gloo", 3, True, []), (all_reduce, stderr)
    assert sorted(all_reduce["nodes"]) == sorted(n["name"] for n in document["nodes"])
    assert [f["code"] for f in document["cross_node"]] == ["FLT007"]  # the nodes' Python is one: only the variable differs
    assert code == 0, (stderr, document)

    # 4. That node killed while its probe runs: reported as not answering, within the timeout.
    started = time.monotonic()
    process = _fleet(cluster, venvs, "--timeout", "30")
    tag = cluster.nodes["differs"]
    deadline = time.monotonic() + 120
    while not any(b"_envdoctor_probe" in Path(f"/proc/{pid}/cmdline").read_bytes()
                  for pid in tagged_pids(tag) if Path(f"/proc/{pid}").exists()):
        assert time.monotonic() < deadline and process.poll() is None, "the probe never started on the node"
        time.sleep(0.05)
    cluster.kill_node("differs")
    code, document, stderr = _finished(process)
    elapsed = time.monotonic() - started
    assert code == 1, (stderr, document)
    dead = next(n for n in document["nodes"] if n["node_id"] == outlier["node_id"])
    assert dead["answered"] is False, dead
    assert [(f["code"], f["subject"]) for f in document["cross_node"]] == [("FLT001", dead["name"])]
    assert elapsed < 30 + 90, elapsed  # the per-node timeout, plus Ray's start and shutdown on a loaded machine
