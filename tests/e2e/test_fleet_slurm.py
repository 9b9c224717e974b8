"""`envdoctor fleet --slurm` against a real single-node Slurm on this machine (tests/helpers/slurm.py):
srun runs `envdoctor snapshot` on the node and fleet reads the document from srun's output."""

from __future__ import annotations

import pytest

from tests.conftest import clean_env, skip_or_fail
from tests.helpers.slurm import SlurmNode, install_if_absent
from tests.helpers.wheels import build_wheel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    why = install_if_absent()
    if why:
        skip_or_fail(why)
    node = SlurmNode(tmp_path_factory.mktemp("slurm"))
    try:
        node.start()
        yield node
    finally:
        node.stop()


def test_fleet_collects_through_srun(slurm, run_envdoctor, new_venv, tmp_path):
    venv = new_venv()
    venv.install_files(build_wheel(tmp_path, "sgl-kernel", "0.3.1", {"sgl_kernel/__init__.py": ""}))
    env = clean_env(**slurm.env)
    result = run_envdoctor("fleet", "--slurm", "--slurm-args", "-N1 -t 5", "--python", venv.python,
                           "--format", "json", env=env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    document = result.json
    assert [(n["name"], n["engine"], n["answered"], n["python"]) for n in document["nodes"]] == [
        (slurm.node, "slurm", True, str(venv.python))]
    assert document["nodes"][0]["findings"] == [] and document["cross_node"] == []
    # A node whose snapshot fails (no such interpreter there) is reported, not waited on.
    check = run_envdoctor("fleet", "--slurm", "--slurm-args", "-N1 -t 5", "--python", tmp_path / "no-python",
                          "--format", "json", env=env)
    assert check.returncode == 1, (check.stdout, check.stderr)
    (node,) = check.json["nodes"]
    assert node["answered"] is False and node["name"] == slurm.node
    assert [(f["code"], f["subject"]) for f in check.json["cross_node"]] == [("FLT001", slurm.node)]
