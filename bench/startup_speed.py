"""Time envdoctor's start-up against a bare interpreter start, interleaved.

    python bench/startup_speed.py [--runs 21] [--workdir ~/.cache/envdoctor-bench]

Rows, taking turns run by run (a slower minute on a shared machine slows all of them):
  python -c pass                          the bare interpreter start envdoctor pays in any case
  envdoctor --version                     goal: <= 20 ms over the bare start
  envdoctor check --python EMPTY_VENV     goal: <= 40 ms over the bare start (an empty venv, text report)
  ... --format json                       the same, JSON
The medians and each row's excess over the bare start are printed; nothing asserts.  Run
`python -X importtime -m envdoctor --version` for where the remaining time goes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.check_speed import compile_envdoctor, tool  # noqa: E402
from tests.helpers.venvs import make_venv  # noqa: E402


def ensure_empty_venv(workdir: Path) -> Path:
    root = workdir / "empty-venv"
    if not (root / "bin" / "python").exists():
        make_venv(root)
    return root / "bin" / "python"


def interleaved(rows, runs: int, cwd: Path) -> dict:
    samples = {name: [] for name, _ in rows}
    for _ in range(runs):
        for name, command in rows:
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "envdoctor-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    compile_envdoctor()
    empty = ensure_empty_venv(args.workdir)
    envdoctor = tool("envdoctor")
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("envdoctor --version", [envdoctor, "--version"]),
        ("envdoctor check (empty venv)", [envdoctor, "check", "--python", str(empty)]),
        ("envdoctor check --format json (empty venv)", [envdoctor, "check", "--python", str(empty), "--format", "json"]),
    ]
    interleaved(rows, 2, args.workdir)  # warm the page cache and envdoctor's own caches
    medians = interleaved(rows, args.runs, args.workdir)
    bare = medians["python -c pass"]
    print(f"median of {args.runs} interleaved runs, wall time\n")
    print("| command | median ms | over the bare start ms |\n|---|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds * 1000:.1f} | {(seconds - bare) * 1000:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
