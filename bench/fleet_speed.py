"""Time `envdoctor fleet --from DIR` on 1,000 synthetic snapshots.

    python bench/fleet_speed.py [--nodes 1000] [--runs 3] [--workdir /tmp/envdoctor-fleet-bench]

The snapshots are copies of the recorded H200 snapshot (tests/data/snapshot-h200-cuda13.json,
349 distributions): every 100th node gets another torch release, every 250th another driver
and NCCL_SOCKET_IFNAME, so the matrix has rows and the cross-node checks name outliers.  Each
run is the whole command as a user runs it (`envdoctor fleet --from DIR --format json`, every
node's own checks included), timed by wall clock; the figure printed is the median.
Nothing asserts: the figure goes to docs/fleet.md and the CHANGELOG.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "data" / "snapshot-h200-cuda13.json"


def write_fleet(folder: Path, nodes: int) -> None:
    base = json.loads(SNAPSHOT.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for index in range(nodes):
        data = json.loads(json.dumps(base))
        if index % 100 == 7:
            next(d for d in data["distributions"] if d["name"].lower() == "torch")["version"] = "2.10.0"
        if index % 250 == 3:
            data["stack"]["nvidia"]["driver_version"] = "570.86.15"
            data["interpreter"]["environment"]["NCCL_SOCKET_IFNAME"] = "ib0"
        (folder / f"node-{index:04d}.json").write_text(json.dumps(data))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/envdoctor-fleet-bench")
    args = parser.parse_args()
    folder = Path(args.workdir) / "snapshots"
    write_fleet(folder, args.nodes)
    envdoctor = Path(sys.executable).parent / "envdoctor"
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        done = subprocess.run([str(envdoctor), "fleet", "--from", str(folder), "--format", "json"],
                              capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            sys.stderr.write(done.stderr)
            return 1
    document = json.loads(done.stdout)
    outliers = sorted({f["subject"] for f in document["cross_node"]})
    print(f"{args.nodes} snapshots: median {statistics.median(times):.1f} s over {args.runs} runs "
          f"(min {min(times):.1f}, max {max(times):.1f}); {len(document['matrix'])} differing facts, "
          f"{len(document['cross_node'])} cross-node findings on {len(outliers)} nodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
