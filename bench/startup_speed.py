"""Time envdoctor's start-up against a bare interpreter start, interleaved.

    python bench/startup_speed.py [--runs 21] [--workdir ~/.cache/envdoctor-bench]

Rows, taking turns run by run (a slower minute on a shared machine slows all of them):
  python -c pass                          the bare interpreter start envdoctor pays in any case
  envdoctor --version                     goal: <= 20 ms over the bare start
  envdoctor check --python EMPTY_VENV     goal: <= 40 ms over the bare start (an empty venv, text report)
  ... --format json                       the same, JSON
The medians and each row's excess over the bare start are printed; nothing asserts.  Run
`python -X importtime -m envdoctor --version` for where the remaining time goes.

With --before DIR (a source tree of an earlier commit: `git archive COMMIT | tar -x -C DIR`),
the same envdoctor rows run that tree's code too, in the same interleaved run: both through
`python -c "...launch.main()"`, so the comparison is like for like.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.check_speed import LAUNCH, compile_envdoctor, timed, tool  # noqa: E402
from tests.helpers.venvs import make_venv  # noqa: E402


def ensure_empty_venv(workdir: Path) -> Path:
    root = workdir / "empty-venv"
    if not (root / "bin" / "python").exists():
        make_venv(root)
    return root / "bin" / "python"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "envdoctor-bench")
    parser.add_argument("--before", type=Path, help="source tree of an earlier commit, compared in the same run")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    compile_envdoctor()
    empty = ensure_empty_venv(args.workdir)
    envdoctor = tool("envdoctor")
    commands = [
        ("--version", ["--version"]),
        ("check (empty venv)", ["check", "--python", str(empty)]),
        ("check --format json (empty venv)", ["check", "--python", str(empty), "--format", "json"]),
        ("check --select PTH (empty venv)", ["check", "--python", str(empty), "--select", "PTH"]),
        ("list", ["list"]),
    ]
    rows = [("python -c pass", [sys.executable, "-c", "pass"])]
    trees = [("now", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    if args.before:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(args.before / "envdoctor")], check=True)
    for label, tree in trees:
        start = [sys.executable, "-c", LAUNCH % str(tree)] if args.before else [envdoctor]
        rows += [(f"envdoctor {name}" + (f" [{label}]" if args.before else ""), start + argv) for name, argv in commands]
    # A stored report is printed again on an unchanged environment (replay/): the plain check
    # made anew too, through `env` (about a millisecond more).
    rows.append(("envdoctor check (empty venv), ENVDOCTOR_NO_REPLAY=1",
                 ["env", "ENVDOCTOR_NO_REPLAY=1", envdoctor, "check", "--python", str(empty)]))
    timed(rows, 2, args.workdir)  # warm the page cache and envdoctor's own caches
    medians = dict(timed(rows, args.runs, args.workdir))
    bare = medians["python -c pass"]
    print(f"median of {args.runs} interleaved runs, wall time\n")
    print("| command | median ms | over the bare start ms |\n|---|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds * 1000:.1f} | {(seconds - bare) * 1000:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
