"""A real Ray cluster on this machine's loopback: a head and worker nodes, each node's raylet
started with `ray start` from a virtual environment of its own (so the workers it starts run
that venv's Python), for tests/e2e/test_fleet_ray.py.

Every process of the cluster carries a tag in its environment (inherited from `ray start`
by the GCS, the raylet, its agents and every worker), one value per node.  A node is killed,
and the cluster ended, by finding those processes in /proc and sending each its SIGKILL by PID:
never `ray stop`, which would end any other Ray on the machine.  Ports are chosen free for
every node, since several raylets share one host.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from tests.conftest import clean_env

TAG = "ENVDOCTOR_TEST_RAY_NODE"


def distinct_free_ports(count: int) -> list:
    """`count` free ports, all different: each socket stays bound until every port is chosen."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(probe)
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()
NODE_PORTS = ("--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
              "--dashboard-agent-grpc-port", "--metrics-export-port", "--runtime-env-agent-port")
OBJECT_STORE_BYTES = 80 * 1024 * 1024  # Ray's floor is 75 MiB
# `ray start` gives its raylet a fixed 30 s to register with the GCS (ray/_private/node.py,
# raylet_start_wait_time_s); on a loaded 2-core CI machine the first start of a raylet can
# take longer, so a failed start is cleaned up and tried again.
START_ATTEMPTS = 3
# The raylet waits for its dashboard agent (a Python process importing much of Ray) to write its
# port file, 30 s by default, then aborts: a loaded CI machine needs longer.
SLOW_MACHINE = {"RAY_agent_register_timeout_ms": "180000"}


def tagged_pids(value: str) -> List[int]:
    """The processes whose environment holds TAG=value."""
    wanted = f"{TAG}={value}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if wanted in handle.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:  # gone, or not ours to read
            continue
    return found


def kill_tagged(value: str) -> None:
    for pid in tagged_pids(value):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@dataclass
class RayCluster:
    temp_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="edr-ray-", dir="/tmp"))
    cluster: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    address: Optional[str] = None
    nodes: Dict[str, str] = field(default_factory=dict)  # node label -> tag value
    worker_port: int = 30000

    def start_node(self, label: str, python: Path, env: Optional[Dict[str, str]] = None, head: bool = False) -> None:
        """`python -m ray.scripts.scripts start` (the `ray` console script, run by this venv's Python)."""
        tag = f"{self.cluster}-{label}"
        self.nodes[label] = tag
        command = [str(python), "-m", "ray.scripts.scripts", "start", "--node-ip-address=127.0.0.1", "--num-cpus=1",
                   f"--object-store-memory={OBJECT_STORE_BYTES}", "--disable-usage-stats",
                   f"--min-worker-port={self.worker_port}", f"--max-worker-port={self.worker_port + 199}"]
        self.worker_port += 200
        environment = clean_env(**{TAG: tag, "RAY_USAGE_STATS_ENABLED": "0", **SLOW_MACHINE}, **(env or {}))
        for _ in range(START_ATTEMPTS):
            # Ports chosen anew on each attempt, and distinct: two free_port() calls in a row may
            # get the same port back from the kernel, which `ray start` refuses ("is used by other
            # components"), and a retry with the same command would be refused the same way.
            ports = distinct_free_ports(len(NODE_PORTS) + 1)
            attempt = command + [f"{option}={port}" for option, port in zip(NODE_PORTS, ports)]
            if head:
                attempt += ["--head", f"--port={ports[-1]}", "--include-dashboard=false", f"--temp-dir={self.temp_dir}"]
                self.address = f"127.0.0.1:{ports[-1]}"
            else:
                attempt += [f"--address={self.address}"]
            done = subprocess.run(attempt, capture_output=True, text=True, env=environment, timeout=180,
                                  stdin=subprocess.DEVNULL)
            if done.returncode == 0:
                return
            kill_tagged(tag)  # what the failed start left running
        raise RuntimeError(f"ray start ({label}) failed {START_ATTEMPTS} times:\n{done.stderr[-1500:]}\n{self.logs()}")

    def logs(self) -> str:
        """The tails of the session's raylet and GCS logs, for a start that failed."""
        folder = Path(self.temp_dir) / "session_latest" / "logs"
        parts = []
        for path in sorted(folder.glob("raylet*.out")) + sorted(folder.glob("gcs_server*.out")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)

    def wait_for_nodes(self, python: Path, count: int, timeout: float = 120) -> None:
        """Until Ray's node table lists `count` alive nodes."""
        code = ("import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR', log_to_driver=False);"
                "print(sum(1 for n in ray.nodes() if n['Alive']))")
        deadline = time.monotonic() + timeout
        alive = None
        while time.monotonic() < deadline:
            done = subprocess.run([str(python), "-c", code, self.address], capture_output=True, text=True,
                                  env=clean_env(RAY_USAGE_STATS_ENABLED="0"), timeout=120)
            alive = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
            if alive == str(count):
                return
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {count} alive nodes: {alive}")

    def kill_node(self, label: str) -> None:
        kill_tagged(self.nodes.pop(label))

    def stop(self) -> None:
        for label in list(self.nodes):
            self.kill_node(label)
        shutil.rmtree(self.temp_dir, ignore_errors=True)
