"""A real single-node Slurm on this machine, for tests/e2e/test_fleet_slurm.py.

Debian's slurm-wlm (22.05) is installed with apt when absent (as root; otherwise the test is
skipped, and under CI=true that is a failure).  munged, slurmctld and slurmd are started in the
foreground from a private folder: a minimal slurm.conf (this host as the one node, auth/munge
on a private socket, proctrack/linuxproc, select/cons_tres, free ports), their state, logs and
pid files.  They are ended by the PIDs this helper started, never by name: the machine's own
Slurm, if any, is not touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from envdoctor.probe.gpu_runtime_probes import free_port

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
PROGRAMS = ("slurmctld", "slurmd", "srun", "sinfo", "munged")
MUNGE_KEY = Path("/etc/munge/munge.key")


def missing_programs() -> List[str]:
    return [name for name in PROGRAMS if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]


def install_if_absent() -> str:
    """'' when Slurm is there (installed now if need be), else why it cannot be."""
    if not missing_programs():
        return ""
    if os.geteuid() != 0:
        return f"Slurm is not installed ({', '.join(missing_programs())} missing) and installing it needs root"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    done = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES],
                          capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        return f"apt-get install {' '.join(PACKAGES)} failed: {done.stderr[-1000:]}"
    return "" if not missing_programs() else f"still missing after apt: {', '.join(missing_programs())}"


def _program(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


@dataclass
class SlurmNode:
    folder: Path
    node: str = field(default_factory=lambda: socket.gethostname().split(".")[0])
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.folder / "slurm.conf"

    @property
    def env(self) -> Dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def write_config(self) -> None:
        for sub in ("state", "spool", "log", "munge"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder / "munge", 0o700)
        lines = [
            "ClusterName=envdoctor-test",
            f"SlurmctldHost={self.node}(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            f"AuthInfo=socket={self.folder / 'munge' / 'munge.socket'}",
            "CredType=cred/munge",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "MpiDefault=none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "ReturnToService=2",
            f"StateSaveLocation={self.folder / 'state'}",
            f"SlurmdSpoolDir={self.folder / 'spool'}",
            f"SlurmctldPidFile={self.folder / 'slurmctld.pid'}",
            f"SlurmdPidFile={self.folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.folder / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={self.folder / 'log' / 'slurmd.log'}",
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={os.cpu_count() or 1} State=UNKNOWN",
            f"PartitionName=debug Nodes={self.node} Default=YES MaxTime=INFINITE State=UP",
        ]
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.write_config()
        munge = self.folder / "munge"
        self._spawn("munged", [_program("munged"), "--foreground", "--force", f"--socket={munge / 'munge.socket'}",
                               f"--key-file={MUNGE_KEY}", f"--pid-file={munge / 'munged.pid'}",
                               f"--log-file={munge / 'munged.log'}", f"--seed-file={munge / 'munged.seed'}"])
        self._wait_for(lambda: (munge / "munge.socket").exists(), "munged's socket")
        self._spawn("slurmctld", [_program("slurmctld"), "-D", "-i", "-f", str(self.conf)])
        self._spawn("slurmd", [_program("slurmd"), "-D", "-N", self.node, "-f", str(self.conf)])
        self._wait_for(self._node_idle, f"node {self.node} idle in sinfo")

    def _spawn(self, name: str, command: List[str]) -> None:
        log = open(self.folder / "log" / f"{name}.out", "wb")
        self.processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, env=dict(os.environ, **self.env))

    def _node_idle(self) -> bool:
        done = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True,
                              env=dict(os.environ, **self.env))
        return done.stdout.strip() == "idle"  # "idle*": not responding yet

    def _wait_for(self, condition, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [name for name, p in self.processes.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited while waiting for {what}:\n{self.logs()}")
            if condition():
                return
            time.sleep(0.5)
        raise RuntimeError(f"no {what} within {timeout:g} s:\n{self.logs()}")

    def logs(self) -> str:
        parts = []
        for path in sorted((self.folder / "log").glob("*")) + [self.folder / "munge" / "munged.log"]:
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-1500:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Each daemon this helper started, by its PID: SIGTERM, then SIGKILL after 10 s."""
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
