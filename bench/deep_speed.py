"""Time `envdoctor check --deep` against `python -c "import torch"` on the same real torch venv.

    pip install -e '.[bench]'
    python bench/deep_speed.py [--runs 5] [--workdir ~/.cache/envdoctor-bench]

The venv is bench/check_speed.py's: the torch 2.13.0 CPU wheel (pinned: an unpinned torch
would resolve a multi-GB CUDA build) and common libraries, built once in --workdir.  All in
one run, alternating:

  import torch            python -c "import torch" in the venv (what --deep must import anyway)
  import torch, os._exit  the same without the interpreter's teardown (freeing torch's modules
                          one by one): the part of the import a user waits for before working
  envdoctor check         the probe and every check, without importing torch
  envdoctor check --deep  plus the deep probes: torch imported in its own subprocess,
                          CUDA/MPS/arch list/kernel launch attempted, its sys.meta_path read

Medians of wall time; the ratio --deep / import torch is printed against its 3x target.
Nothing asserts: the figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from check_speed import ensure_torch_venv  # bench/ is sys.path[0]: the same venv for both benches


def timed(argv, cwd) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", default=str(Path.home() / ".cache" / "envdoctor-bench"))
    args = parser.parse_args()
    workdir = Path(args.workdir).expanduser()
    python = ensure_torch_venv(workdir)
    envdoctor = str(Path(sys.executable).parent / "envdoctor")
    cwd = workdir
    commands = {
        "import torch": [str(python), "-c", "import torch"],
        "import torch, os._exit": [str(python), "-c", "import os, torch; os._exit(0)"],
        "envdoctor check": [envdoctor, "check", "--python", str(python)],
        "envdoctor check --deep": [envdoctor, "check", "--python", str(python), "--deep"],
    }
    for argv in commands.values():  # warm the page cache once
        timed(argv, cwd)
    times = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            times[name].append(timed(argv, cwd))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"torch venv: {python} ({args.runs} runs each, medians; {os.cpu_count()} CPUs)")
    for name, value in medians.items():
        print(f"  {name:<24} {value:6.2f} s")
    for baseline in ("import torch", "import torch, os._exit"):
        ratio = medians["envdoctor check --deep"] / medians[baseline]
        print(f"--deep / {baseline}: {ratio:.2f}x (target: 3x or less)")


if __name__ == "__main__":
    main()
