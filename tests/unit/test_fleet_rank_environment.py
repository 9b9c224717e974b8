"""fleet --deep's NCCL ranks run on each node with NCCL's defaults the node does not set
(NCCL_NVLS_ENABLE=0, NCCL_DEBUG=WARN), as `check --deep`'s ranks do on one machine; the node's
own setting wins. ray_task.probe_on_node is the function Ray runs there: run it for real here."""

from __future__ import annotations

import json
import sys

from envdoctor.fleet import ray_task
from envdoctor.probe.gpu_runtime_probes import NCCL_DEFAULTS

SHOW = "import json, os\nprint(json.dumps({k: os.environ.get(k) for k in ('NCCL_DEBUG', 'NCCL_NVLS_ENABLE')}))\n"


def _seen(defaults):
    answer = ray_task.probe_on_node({"show.py": SHOW}, ["python", "@CODE@/show.py"], "@CODE@", sys.executable, 30, defaults)
    assert answer["returncode"] == 0, answer["stderr"]
    return json.loads(answer["stdout"])


def test_the_defaults_fill_what_the_node_does_not_set(monkeypatch):
    monkeypatch.delenv("NCCL_NVLS_ENABLE", raising=False)
    monkeypatch.setenv("NCCL_DEBUG", "INFO")  # the node's own choice
    assert _seen(NCCL_DEFAULTS) == {"NCCL_DEBUG": "INFO", "NCCL_NVLS_ENABLE": "0"}


def test_without_defaults_the_node_environment_is_passed_unchanged(monkeypatch):
    monkeypatch.delenv("NCCL_NVLS_ENABLE", raising=False)
    monkeypatch.delenv("NCCL_DEBUG", raising=False)
    assert _seen(None) == {"NCCL_DEBUG": None, "NCCL_NVLS_ENABLE": None}
