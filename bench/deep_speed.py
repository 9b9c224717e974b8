"""Time `envdoctor check --deep` against `python -c "import torch"` in the same target (issue 19: 3x at most).

    python bench/deep_speed.py --python /opt/torch/.venv/bin/python        # any machine, offline
    python bench/deep_speed.py --stack [--workdir ~/.cache/envdoctor-bench] # builds the CPU stack venv
    python bench/deep_speed.py --python P --envdoctor before='python -m envdoctor' --envdoctor after=envdoctor

--python: an existing target interpreter with torch; nothing is installed or built, nothing
is downloaded (the H200 run: only envdoctor's wheel and pyelftools are on that machine, and
this file runs on its own, with the standard library).  --stack instead builds (once, in
--workdir) a CPython 3.11 venv with torch 2.13.0 (CPU) and transformers, accelerate, peft,
datasets, pinned as tests/e2e/test_real_world.py's stack (2), from the test wheel cache:
every one of them joins the stack, so --deep imports them all.

Each --envdoctor LABEL=COMMAND is timed (default: the `envdoctor` next to this Python, else on
PATH), so that two builds (before/after a change) are compared in one run.  All commands take
turns, round after round, after one warm-up round that is not counted (page cache, envdoctor's
scan cache): on a shared, loaded machine only ratios taken in one such run compare.  Medians of
wall time; each `check --deep`'s ratio to `import torch` is printed against the 3x bound.
Nothing asserts: the figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
BOUND = 3.0


def timed(argv: List[str], cwd: Path, environment: Dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=environment)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: findings; anything else is no measurement
        sys.exit(f"deep_speed: {shlex.join(argv)} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds


def stack_python(workdir: Path) -> Path:
    """The CPU stack venv, built once (needs the repository's tests/ and its wheel cache)."""
    sys.path.insert(0, str(ROOT))
    from tests.e2e.test_real_world import STACK2, install_pinned
    from tests.helpers.venvs import make_venv, pyenv_python

    root = workdir / "deep-stack-venv"
    if not (root / ".complete").exists():
        shutil.rmtree(root, ignore_errors=True)
        venv = make_venv(root, pyenv_python("3.11"))
        install_pinned(venv, STACK2)
        (root / ".complete").touch()
    return root / "bin" / "python"


def default_envdoctor() -> str:
    beside = Path(sys.executable).parent / "envdoctor"
    return str(beside) if beside.exists() else shutil.which("envdoctor") or f"{sys.executable} -m envdoctor"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--python", help="the target interpreter (with torch): nothing is built")
    target.add_argument("--stack", action="store_true", help="build the torch + Hugging Face CPU venv in --workdir")
    parser.add_argument("--workdir", default=str(Path.home() / ".cache" / "envdoctor-bench"))
    parser.add_argument("--envdoctor", action="append", metavar="LABEL=COMMAND",
                        help="an envdoctor to time (repeatable); default: the one next to this Python")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(args.workdir).expanduser()
    workdir.mkdir(parents=True, exist_ok=True)
    python = str(Path(args.python) if args.python else stack_python(workdir))
    builds = dict(item.split("=", 1) for item in args.envdoctor or [f"envdoctor={default_envdoctor()}"])

    # Without teardown too (issue 22): freeing torch's modules one by one at exit is part of
    # `python -c "import torch"` but not of what a user waits for before working.
    commands: Dict[str, List[str]] = {"import torch": [python, "-c", "import torch"],
                                      "import torch, os._exit": [python, "-c", "import torch, os; os._exit(0)"]}
    # And with bytecode kept outside the target (as --deep keeps it, probe/bytecode_cache.py): in
    # an image built with PYTHONDONTWRITEBYTECODE=1 and no .pyc files, plain `import torch`
    # compiles torch from source every time; this row is what it costs when it need not.
    commands["import torch, bytecode kept"] = commands["import torch"]
    environments = {name: {**os.environ, "NO_COLOR": "1"} for name in commands}
    kept = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    environments["import torch, bytecode kept"] = {**kept, "PYTHONPYCACHEPREFIX": str(workdir / "bench-bytecode")}
    for label, command in builds.items():
        commands[f"{label}: check --deep"] = [*shlex.split(command), "check", "--python", python, "--deep"]
        environments[f"{label}: check --deep"] = {**os.environ, "NO_COLOR": "1"}
    for name, argv in commands.items():  # the warm-up round
        timed(argv, workdir, environments[name])
    times: Dict[str, List[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, argv in commands.items():
            times[name].append(timed(argv, workdir, environments[name]))

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"target: {python} ({args.runs} rounds, interleaved, medians; {os.cpu_count()} CPUs)")
    for name, value in medians.items():
        spread = ", ".join(f"{v:.2f}" for v in times[name])
        print(f"  {name:<32} {value:7.2f} s   ({spread})")
    for label in builds:
        ratio = medians[f"{label}: check --deep"] / medians["import torch"]
        print(f"{label}: check --deep / import torch = {ratio:.2f}x (bound: {BOUND:g}x or less)")
        bare = medians[f"{label}: check --deep"] / medians["import torch, os._exit"]
        print(f"{label}: check --deep / import torch without teardown = {bare:.2f}x")
        kept = medians[f"{label}: check --deep"] / medians["import torch, bytecode kept"]
        print(f"{label}: check --deep / import torch with its bytecode kept = {kept:.2f}x")


if __name__ == "__main__":
    main()
