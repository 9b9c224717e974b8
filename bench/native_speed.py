"""The cost of SYM001/SYM002 (the native linkage) in the default `check`, on check_speed.py's venvs.

    python bench/native_speed.py [--runs 9] [--workdir ~/.cache/envdoctor-bench]

Warm: `check` against `check --ignore SYM` (the linkage is then not collected) and
`pip check`, the commands taking turns.  Cold: `snapshot` with an empty ENVDOCTOR_CACHE_DIR,
whose native_linkage.seconds is the linkage's own time with nothing cached (ELF files read
through the page cache: the libraries were read by the warm runs before).  Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_speed import compile_envdoctor, ensure_generated_venv, ensure_torch_venv, timed, tool  # noqa: E402


def cold_seconds(python: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            out = subprocess.run([tool("envdoctor"), "snapshot", "--python", str(python)], capture_output=True, text=True,
                                 env={**__import__("os").environ, "ENVDOCTOR_CACHE_DIR": cache}).stdout
            samples.append(json.loads(out)["native_linkage"]["seconds"])
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--workdir", type=Path, default=Path.home() / ".cache" / "envdoctor-bench")
    args = parser.parse_args()
    compile_envdoctor()
    scratch = args.workdir / "cwd"
    scratch.mkdir(parents=True, exist_ok=True)
    envdoctor = tool("envdoctor")
    for title, python in (("torch 2.13.0 CPU venv", ensure_torch_venv(args.workdir)),
                          ("1,000 generated distributions", ensure_generated_venv(args.workdir))):
        rows = [("envdoctor check", [envdoctor, "check", "--python", str(python)]),
                ("envdoctor check --ignore SYM", [envdoctor, "check", "--python", str(python), "--ignore", "SYM"]),
                ("pip check", [str(python), "-m", "pip", "check"])]
        results = timed(rows, args.runs, scratch)
        pip_time = dict(results)["pip check"]
        print(f"\n## {title}\n\n| command | median s | ratio to pip check |\n|---|---:|---:|")
        for name, seconds in results:
            print(f"| {name} | {seconds:.3f} | {seconds / pip_time:.2f}x |")
        print(f"\nnative linkage with an empty cache (median of {max(3, args.runs // 3)}): {cold_seconds(python, max(3, args.runs // 3)):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
