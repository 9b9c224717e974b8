"""Time `envdoctor check` of two source trees against each other and `pip check`, in one interleaved run.

    git archive COMMIT | tar -x -C /tmp/before          # the tree to compare with
    python bench/check_ab.py --before /tmp/before --target ~/.cache/envdoctor-bench/gen1000-venv/bin/python

Each tree runs as `python -E -c "...launch.main()" check --python TARGET`, from an empty working
directory, with a cache folder of its own: the probe's cache and the check manifest are stamped
with the files of the code that wrote them, so two trees sharing one folder would invalidate each
other's and every run would be cold.  Both trees get bytecode first (compile_tree).  One warm-up
round is not counted; the medians and the ratios of one run are printed.  Nothing asserts: the figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCH = "import sys; sys.argv[0] = 'envdoctor'; sys.path.insert(0, %r); from envdoctor.launch import main; main()"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="a source tree of the earlier commit")
    parser.add_argument("--after", default=str(ROOT), help="the tree to measure (default: this checkout)")
    parser.add_argument("--target", required=True, help="the target interpreter")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="envdoctor-ab-"))
    (work / "cwd").mkdir()
    commands, environments = {}, {}
    for label, tree in (("before", args.before), ("after", args.after)):
        compile_tree(Path(tree))
        commands[label] = [sys.executable, "-E", "-c", LAUNCH % str(Path(tree).resolve()), "check", "--python", args.target]
        environments[label] = {**os.environ, "ENVDOCTOR_CACHE_DIR": str(work / f"cache-{label}"), "NO_COLOR": "1"}
    commands["pip check"] = [args.target, "-m", "pip", "check"]
    environments["pip check"] = dict(os.environ)
    times = {label: [] for label in commands}
    for counted in [False] + [True] * args.runs:
        for label, argv in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, cwd=work / "cwd", env=environments[label], capture_output=True)
            if counted:
                times[label].append(time.perf_counter() - started)
    medians = {label: statistics.median(values) for label, values in times.items()}
    for label, values in times.items():
        print(f"{label:<10} {medians[label]:.3f} s  ({', '.join('%.2f' % v for v in values)})")
    print(f"after / before {medians['after'] / medians['before']:.2f}; before / pip check "
          f"{medians['before'] / medians['pip check']:.2f}x; after / pip check {medians['after'] / medians['pip check']:.2f}x")


def compile_tree(tree: Path) -> None:
    """Bytecode for both sides of the comparison, as `pip install` leaves it: every module, the
    probe's target-side ones included, for the Python envdoctor runs on.  The probe never writes
    bytecode (-B), so a tree without it (`git archive`) compiled those modules on every run
    (~25 ms), which no installed envdoctor does; a target of another Python version compiles
    them as an installed envdoctor's would."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "envdoctor")], check=True)


if __name__ == "__main__":
    main()
