"""`fleet --slurm`: `srun --ntasks-per-node=1` runs `envdoctor snapshot` on every node of the
allocation (or of the one `--slurm-args` asks for), and the documents come back on standard output.

srun's `--label` prefixes each line with its task's number, which separates the nodes' output;
each task first prints its node's name (SLURMD_NODENAME), then its snapshot.  envdoctor must be
installed where the nodes can run it (the same path as here: a shared file system or image).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

from envdoctor.errors import UsageError
from envdoctor.fleet.nodes import FleetNode
from envdoctor.model.facts import Facts


def srun_command(slurm_args: str, python: Optional[str], timeout: float) -> List[str]:
    snapshot = [sys.executable, "-m", "envdoctor", "snapshot", "--timeout", f"{timeout:g}"]
    if python:
        snapshot += ["--python", python]
    script = 'echo "$SLURMD_NODENAME"; exec ' + shlex.join(snapshot)
    return ["srun", "--ntasks-per-node=1", "--label", "--kill-on-bad-exit=0", *shlex.split(slurm_args),
            "sh", "-c", script]


def collect_slurm(slurm_args: str, python: Optional[str], timeout: float) -> List[FleetNode]:
    if shutil.which("srun") is None:
        raise UsageError("fleet --slurm needs Slurm's srun on PATH (run it on a login node or inside an allocation)")
    command = srun_command(slurm_args, python, timeout)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout * 2 + 60,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise UsageError(f"fleet --slurm: srun did not finish within {timeout * 2 + 60:g} s") from exc
    tasks = split_labelled(done.stdout)
    if not tasks:
        raise UsageError(f"fleet --slurm: srun ran no task (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return [_node(number, lines) for number, lines in sorted(tasks.items())]


def split_labelled(stdout: str) -> Dict[int, List[str]]:
    """srun --label output ("3: text") grouped by task number, in order."""
    tasks: Dict[int, List[str]] = {}
    for line in stdout.splitlines():
        number, colon, text = line.partition(": ")
        if colon and number.strip().isdigit():
            tasks.setdefault(int(number.strip()), []).append(text)
    return tasks


def _node(number: int, lines: List[str]) -> FleetNode:
    name = (lines[0].strip() if lines else "") or f"task-{number}"
    try:
        facts = Facts.from_document(json.loads("\n".join(lines[1:])), f"srun task {number} ({name})", "--slurm")
    except (ValueError, UsageError) as exc:
        return FleetNode(name, "slurm", name, problem=f"no snapshot from the node: {str(exc).splitlines()[0][:300]}")
    return FleetNode(name, "slurm", name, facts=facts)
