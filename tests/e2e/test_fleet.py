"""`envdoctor fleet --from`: snapshots of real venvs and the recorded H200 snapshot, judged
against each other through the installed CLI; the usage errors (no engine, no Ray)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.schemas import OWN, assert_sarif, assert_valid, junit_errors
from tests.helpers.wheels import build_wheel

H200 = Path(__file__).resolve().parents[1] / "data" / "snapshot-h200-cuda13.json"


def _cross(document) -> list:
    return sorted((f["code"], f["subject"], f["severity"]) for f in document["cross_node"])


def _h200_fleet(folder: Path) -> Path:
    """node-1 and node-2: the recorded H200 snapshot; node-3: the same machine with an older torch
    build, an older driver and NCCL_SOCKET_IFNAME set."""
    folder.mkdir()
    for name in ("node-1", "node-2"):
        shutil.copy(H200, folder / f"{name}.json")
    data = json.loads(H200.read_text())
    next(d for d in data["distributions"] if d["name"].lower() == "torch")["version"] = "2.10.0"
    data["stack"]["torch"].update(version="2.10.0+cu128", local="cu128", cuda="12.8")
    data["stack"]["nvidia"].update(driver_version="570.86.15", cuda_driver_version="12.8")
    data["interpreter"]["environment"]["NCCL_SOCKET_IFNAME"] = "ib0"
    (folder / "node-3.json").write_text(json.dumps(data))
    return folder


def test_h200_snapshot_against_a_modified_copy(run_envdoctor, tmp_path):
    folder = _h200_fleet(tmp_path / "fleet")
    result = run_envdoctor("fleet", "--from", folder, "--format", "json")
    assert result.returncode == 1, result.stderr
    document = result.json
    assert_valid(OWN / "fleet.schema.json", document)
    assert _cross(document) == [
        ("FLT003", "node-3", "error"),  # torch 2.10.0 (others 2.11.0)
        ("FLT004", "node-3", "error"),  # cu128 / CUDA 12.8 (others cu130 / 13.0)
        ("FLT005", "node-3", "error"),  # its driver runs CUDA 12.8; the others' torch needs 13.0
        ("FLT007", "node-3", "warning"),  # NCCL_SOCKET_IFNAME ib0 (others absent)
    ]
    titles = {f["code"]: f for f in document["cross_node"]}
    assert titles["FLT003"]["title"] == "node-3 differs from the other 2 nodes: torch 2.10.0 (others 2.11.0)"
    assert titles["FLT003"]["fix"]["command"] == "/opt/torch/.venv/bin/python3 -m pip install torch==2.11.0"
    assert titles["FLT005"]["title"] == ("node-3's driver runs CUDA 12.8; the torch build of node-1, node-2 needs CUDA 13.0")
    rows = {row["subject"]: row for row in document["matrix"]}
    assert set(rows) == {"torch", "torch build tag", "torch CUDA runtime", "NVIDIA driver",
                         "CUDA version the driver runs", "NCCL_SOCKET_IFNAME"}
    assert rows["torch build tag"]["cells"] == {"node-1": "cu130", "node-2": "cu130", "node-3": "cu128"}
    assert all(row["outliers"] == ["node-3"] for row in rows.values())
    # Each node's own findings are the ones `check --facts` gives for its snapshot.
    own = run_envdoctor("check", "--facts", folder / "node-1.json", "--format", "json").json
    node_1 = next(node for node in document["nodes"] if node["name"] == "node-1")
    assert [(f["code"], f["subject"]) for f in node_1["findings"]] == [(f["code"], f["subject"]) for f in own["findings"]]


def test_h200_fleet_in_every_format(run_envdoctor, tmp_path):
    folder = _h200_fleet(tmp_path / "fleet")
    text = run_envdoctor("fleet", "--from", folder)
    assert text.returncode == 1
    assert "node-3      12.8*" in text.stdout  # the differing cell is marked in the matrix
    assert "align: /opt/torch/.venv/bin/python3 -m pip install torch==2.11.0" in text.stdout
    sarif = run_envdoctor("fleet", "--from", folder, "--format", "sarif")
    assert_sarif(json.loads(sarif.stdout))
    assert {r["ruleId"] for r in json.loads(sarif.stdout)["runs"][0]["results"]} >= {"FLT003", "FLT004", "FLT005", "FLT007"}
    junit = run_envdoctor("fleet", "--from", folder, "--format", "junit")
    assert junit_errors(junit.stdout) == []
    assert junit.stdout.count('classname="envdoctor.fleet.node"') == 3
    assert junit.stdout.count('classname="envdoctor.fleet.cross_node"') == 14  # FLT001-FLT014
    markdown = run_envdoctor("fleet", "--from", folder, "--format", "markdown")
    assert "| torch build tag | cu130 | cu130 | cu130 | **cu128** |" in markdown.stdout


def test_identical_h200_snapshots_agree(run_envdoctor, tmp_path):
    """The healthy counterpart: the same snapshot twice is no cross-node finding (the recorded
    machine's own findings stay what they are)."""
    folder = tmp_path / "fleet"
    folder.mkdir()
    for name in ("a", "b"):
        shutil.copy(H200, folder / f"{name}.json")
    document = run_envdoctor("fleet", "--from", folder, "--format", "json").json
    assert document["cross_node"] == [] and document["matrix"] == []


def _snapshot(run_envdoctor, venv, path: Path) -> None:
    result = run_envdoctor("snapshot", "--python", venv.python, "-o", path)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_snapshots_of_real_venvs(run_envdoctor, new_venv, tmp_path):
    """Three real venvs in three folders; one has other releases of two stack packages.  Only
    those differ (paths are compared relative to each prefix), and the outlier is named."""
    wheels = tmp_path / "wheels"
    old = [build_wheel(wheels, "sgl-kernel", "0.3.1", {"sgl_kernel/__init__.py": ""}),
           build_wheel(wheels, "nvidia-nccl-cu12", "2.27.3", {"nvidia/nccl/__init__.py": ""})]
    new = [build_wheel(wheels, "sgl-kernel", "0.3.2", {"sgl_kernel/__init__.py": ""}),
           build_wheel(wheels, "nvidia-nccl-cu12", "2.28.3", {"nvidia/nccl/__init__.py": ""})]
    folder = tmp_path / "snapshots"
    folder.mkdir()
    for name, files in (("gpu-a", old), ("gpu-b", old), ("gpu-c", new)):
        venv = new_venv()
        venv.install_files(*files)
        _snapshot(run_envdoctor, venv, folder / f"{name}.json")
    result = run_envdoctor("fleet", "--from", folder, "--format", "json")
    assert result.returncode == 1, result.stdout
    document = result.json
    assert _cross(document) == [("FLT003", "gpu-c", "error")]
    finding = document["cross_node"][0]
    assert finding["title"] == ("gpu-c differs from the other 2 nodes: nvidia-nccl-cu12 2.28.3 (others 2.27.3), "
                                "sgl-kernel 0.3.2 (others 0.3.1)")
    assert [node["findings"] for node in document["nodes"]] == [[], [], []]
    # The healthy counterpart: the two nodes that agree.
    (folder / "gpu-c.json").unlink()
    healthy = run_envdoctor("fleet", "--from", folder, "--format", "json")
    assert healthy.returncode == 0, healthy.stdout
    assert healthy.json["cross_node"] == [] and healthy.json["matrix"] == []


def test_usage_errors(run_envdoctor, tmp_path):
    none = run_envdoctor("fleet")
    assert none.returncode == 2
    assert "name one source of nodes: --ray, --slurm or --from DIR" in none.stderr
    deep = run_envdoctor("fleet", "--from", H200, "--deep")
    assert deep.returncode == 2
    assert "--deep (an all-reduce across the nodes) runs through --ray only, so far" in deep.stderr
    (tmp_path / "x.json").write_text('{"not": "a snapshot"}')
    bad = run_envdoctor("fleet", "--from", tmp_path)
    assert bad.returncode == 2
    assert f"--from {tmp_path / 'x.json'}: not an envdoctor snapshot" in bad.stderr


def test_ray_missing_says_how_to_install_it(run_envdoctor, envdoctor_bin):
    """envdoctor's own environment here has no Ray (it is the optional extra envdoctor[ray])."""
    import subprocess

    probe = subprocess.run([str(Path(envdoctor_bin).parent / "python"), "-c", "import ray"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("Ray is installed in envdoctor's environment; tests/e2e/test_fleet_ray.py covers it")
    result = run_envdoctor("fleet", "--ray")
    assert result.returncode == 2
    assert "fleet --ray needs Ray in envdoctor's environment" in result.stderr
    assert "pip install 'envdoctor[ray]'" in result.stderr


def test_two_nodes_that_disagree_name_no_outlier(run_envdoctor, tmp_path):
    """With no majority, no node is called the outlier: one finding per fact says how they split."""
    folder = _h200_fleet(tmp_path / "fleet")
    (folder / "node-2.json").unlink()
    document = run_envdoctor("fleet", "--from", folder, "--format", "json").json
    assert all(row["majority_found"] is False and row["outliers"] == [] for row in document["matrix"])
    split = {f["subject"]: f for f in document["cross_node"] if f["code"] == "FLT003"}
    assert split["torch"]["title"] == "the nodes split evenly on torch: 2.11.0 on node-1; 2.10.0 on node-3"
    assert [(f["code"], f["subject"]) for f in document["cross_node"]] == [
        ("FLT003", "torch"), ("FLT004", "torch CUDA runtime"), ("FLT004", "torch build tag"),
        ("FLT005", "CUDA version the driver runs"), ("FLT005", "NVIDIA driver"), ("FLT005", "node-3"),
        ("FLT007", "NCCL_SOCKET_IFNAME")]


def test_a_node_document_keeps_its_own_name(run_envdoctor, tmp_path):
    """`--from` also reads {"node": {...}, "facts": SNAPSHOT} (docs/fleet.md): the node is named by
    the document, not by its file, and its engine and node ID are kept."""
    folder = tmp_path / "fleet"
    folder.mkdir()
    shutil.copy(H200, folder / "plain.json")
    node = {"name": "gpu-7", "engine": "k8s", "node_id": "pod-abc"}
    (folder / "wrapped.json").write_text(json.dumps({"node": node, "facts": json.loads(H200.read_text())}))
    document = run_envdoctor("fleet", "--from", folder, "--format", "json").json
    assert [(n["name"], n["engine"], n["node_id"]) for n in document["nodes"]] == [
        ("plain", "file", str(folder / "plain.json")), ("gpu-7", "k8s", "pod-abc")]
    assert document["cross_node"] == [] and document["matrix"] == []


def test_the_cuda_a_driver_lacks_is_the_newest_by_release_not_by_text(run_envdoctor, tmp_path):
    # node-3's driver runs CUDA 9.0; node-2's torch (a 1.x cu92 build) needs 9.2 and node-1's 13.0.
    # As text, "9.2" sorts after "13.0": the title named the wrong CUDA. The evidence names every
    # build newer than the driver; the title the newest and the nodes that need it.
    folder = tmp_path / "fleet"
    folder.mkdir()
    shutil.copy(H200, folder / "node-1.json")
    for name, torch_cuda, driver_cuda in (("node-2", "9.2", "13.0"), ("node-3", "13.0", "9.0")):
        data = json.loads(H200.read_text())
        data["stack"]["torch"]["cuda"] = torch_cuda
        data["stack"]["nvidia"]["cuda_driver_version"] = driver_cuda
        (folder / f"{name}.json").write_text(json.dumps(data))
    document = run_envdoctor("fleet", "--from", folder, "--format", "json").json
    driver = [f for f in document["cross_node"] if f["code"] == "FLT005" and f["subject"] == "node-3"]
    assert [f["title"] for f in driver] == ["node-3's driver runs CUDA 9.0; the torch build of node-1, node-3 needs CUDA 13.0"], driver
    assert "node-2: torch built for CUDA 9.2" in driver[0]["evidence"], driver
